"""The Litestar application."""

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar, get
from litestar.datastructures import State, ResponseHeader
from litestar.di import Provide
from litestar.logging.config import LoggingConfig
from litestar.middleware import DefineMiddleware
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.response import File
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from .. import __version__
from ..labels.times import OfficeTimeFormatter
from ..config import Settings, audit_key
from ..db.migrate import pending
from ..db.pool import close_pool, create_pool
from ..db.roles import excess_privileges
from ..registry import rulebook, users
from ..scheduling.engine import Engine
from ..scheduling.worker import start_scheduler
from .auth import SessionCache, TokenAuthMiddleware, AnonymousLimit
from .controllers.admin import AdminController
from .controllers.credit import CreditController
from .controllers.audit import AuditController, CampaignController, PublicCampaignController
from .controllers.auth import AuthController
from .controllers.deadlines import DeadlineController
from .controllers.statistics import StatisticsController
from .controllers.filings import FilingController
from .controllers.flags import FlagController
from .controllers.jobs import JobController
from .controllers.models import ModelController
from .controllers.rules import RevocationController, RulesController
from .controllers.reviews import FilingReviewController, ReviewQueueController
from .pages.audit import AuditPages
from .pages.credit import CreditPages
from .controllers.orders import EnforcementController, OrderController
from .pages.orders import OrderPages
from .pages.registry import RegistryPages
from .pages.review import ReviewPages
from .pages.statistics import StatisticsPages
from .pages.users import UserPages
from .pages.verify import CertificateVerifyPages
from .deps import provide_audit_key, provide_db, provide_settings
from .replica import seen_cookie_middleware
from .apidoc import document_api, openapi_config
from .query import refuse_unknown_query
from .errors import EXCEPTION_HANDLERS

log = logging.getLogger("techreg")
WEB = Path(__file__).parent

AUTH_EXCLUDE = [r"^/api/auth/login$", r"^/health$", r"^/schema", r"^/static/", r"^/public/", r"^/api/public/",
                r"^/verify$", r"^/login$", r"^/lang/", r"^/favicon.ico$"]


# Every page and answer: scripts and styles from this site only (the dashboard's inline script aside), never
# in a frame, no type sniffing, the address kept to this site.
SECURITY_HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=(
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")),
    ResponseHeader(name="X-Frame-Options", value="DENY"),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
]


class SchemaOutdated(RuntimeError):
    pass


class PrivilegedDatabase(RuntimeError):
    pass


@get("/health", summary="健康检查 / health", tags=["ops"], sync_to_thread=False)
def health(state: State) -> dict:
    return {"status": "ok", "version": __version__}


@get("/favicon.ico", include_in_schema=False, sync_to_thread=False)
def favicon() -> File:
    """For clients that ask the old way; pages link /static/favicon.svg."""
    return File(WEB / "static" / "favicon.ico", media_type="image/x-icon", content_disposition_type="inline")


async def _read_pool(settings: Settings):
    """The replica's pool (TECHREG_READ_DATABASE_URL), held to the primary's rule: no privileged connection."""
    pool = await create_pool(settings.read_database_url, settings)
    async with pool.acquire(timeout=settings.acquire_timeout + 5) as conn:
        excess = await excess_privileges(conn)
    if excess and settings.allow_privileged_database != "yes":
        await pool.close()
        raise PrivilegedDatabase(
            f"服务不得以特权身份连接只读副本（{', '.join(excess)}）：请以 techreg_app 连接 / the service must not "
            f"connect to the read replica with privileges ({', '.join(excess)}): connect as techreg_app")
    return pool


def initial_state(settings: Settings) -> dict:
    """What a freshly started service keeps in memory: its settings, its caches and its limits (empty); the read
    replica's pool, when there is one, comes with the lifespan."""
    return {"settings": settings, "read_pool": None, "audit_key": audit_key(settings), "session_cache": SessionCache(),
            "anonymous_limit": AnonymousLimit(settings.anonymous_requests_per_minute), "verify_cache": {},
            "query_params_taken": {}}


def create_app(settings: Settings, database_url: str, *, check_schema: bool = True, run_jobs: bool = False,
               extra_handlers: list | None = None) -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar):
        users.dummy_hash()                  # before the first log-in, so that none takes longer than the next
        pool = await create_pool(database_url, settings)
        async with pool.acquire(timeout=settings.acquire_timeout + 5) as conn:
            excess = await excess_privileges(conn)
            missing = await pending(conn) if check_schema else []
        if excess and settings.allow_privileged_database != "yes":
            await pool.close()
            raise PrivilegedDatabase(
                f"服务不得以特权身份连接数据库（{', '.join(excess)}）：请以 techreg_app 连接 / the service must not "
                f"connect with privileges ({', '.join(excess)}): connect as techreg_app (see README, Deployment)")
        if check_schema:
            if missing:
                await pool.close()
                names = ", ".join(f"{m.version:04d}_{m.name}" for m in missing)
                raise SchemaOutdated(f"数据库结构版本落后于程序（缺少 {names}），请先运行 `techreg migrate` / "
                                     f"database schema is older than the code (missing {names}); run `techreg migrate`")
        try:
            read_pool = await _read_pool(settings) if settings.read_database_url else None
        except BaseException:
            await pool.close()
            raise
        app.state.pool, app.state.read_pool = pool, read_pool
        app.state.engine = Engine(pool, settings)
        scheduler = start_scheduler(app.state.engine) if run_jobs else None
        prompt = None
        if settings.score_on_submit == "yes":
            # the detectors (numpy, scipy) load with the scanner that uses them: a service that does not score
            # on submission starts without them (~0.3 s of CPU)
            from ..detection.prompt import PromptScanner

            prompt = PromptScanner(pool, settings, database_url)
        app.state.prompt_scanner = prompt
        if prompt:
            await prompt.start()
        try:
            yield
        finally:
            if prompt:
                await prompt.stop()
            if scheduler:
                scheduler.shutdown(wait=False)
            await close_pool(pool)
            if read_pool is not None:
                await close_pool(read_pool)

    rulebook.catalogue(settings)            # a TECHREG_RULEBOOK that does not hold is refused at start, not per request
    state = State(initial_state(settings))
    app = Litestar(
        route_handlers=[health, favicon, AuthController, FilingController, DeadlineController, FlagController,
                        ReviewQueueController, FilingReviewController, AdminController,
                        CampaignController, PublicCampaignController, AuditController, JobController, ModelController,
                        CreditController, RulesController, RevocationController, OrderController, EnforcementController,
                        StatisticsController, StatisticsPages,
                        RegistryPages, ReviewPages, AuditPages, CreditPages, OrderPages, CertificateVerifyPages, UserPages,
                        create_static_files_router(path="/static", directories=[WEB / "static"]),
                        *(extra_handlers or [])],
        template_config=TemplateConfig(directory=WEB / "templates", engine=JinjaTemplateEngine),
        dependencies={
            "db": Provide(provide_db),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "audit_key": Provide(provide_audit_key, sync_to_thread=False),
        },
        middleware=[seen_cookie_middleware, DefineMiddleware(TokenAuthMiddleware, exclude=AUTH_EXCLUDE)],
        before_request=refuse_unknown_query,
        exception_handlers=EXCEPTION_HANDLERS,
        response_headers=SECURITY_HEADERS,
        lifespan=[lifespan],
        state=state,
        openapi_config=openapi_config(__version__),
        # Litestar's own log format, its times in the office's zone with the offset (labels.times)
        logging_config=LoggingConfig(formatters={"standard": {
            "()": OfficeTimeFormatter, "timezone": settings.timezone,
            "format": "%(levelname)s - %(asctime)s - %(name)s - %(module)s - %(message)s"}}),
        debug=False,
    )
    document_api(app, AUTH_EXCLUDE)
    return app
