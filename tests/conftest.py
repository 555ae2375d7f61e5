"""Test fixtures: a real PostgreSQL (TECHREG_DATABASE_URL, or the embedded server), never a mock.

Each test session gets a fresh database with all migrations applied. Tests
keep out of each other's way by using their own registration points and refs.
"""

import asyncio
import contextlib
import datetime as dt
import itertools
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient

# cheap password hashing for the suite (and the servers it starts); production keeps the strong profile,
# which test_login_limits checks. Set before techreg.registry.users is imported.
os.environ.setdefault("TECHREG_PASSWORD_HASHING", "test")
# filings are scored on submission by a background scan (detection/prompt.py); tests that count scans
# run them themselves, so the suite turns it off and the tests of prompt scoring turn it on
os.environ.setdefault("TECHREG_SCORE_ON_SUBMIT", "no")
# one idle connection in each service's pool, not two: the suite starts a service per test (the `app` fixture),
# and its pool grows as a test needs (pool_max)
os.environ.setdefault("TECHREG_POOL_MIN", "1")

from techreg.config import load_settings  # noqa: E402
from techreg.db.embedded import EmbeddedPostgres
from techreg.db.migrate import migrate
from techreg.db.pool import connect  # noqa: E402
from techreg import testing  # noqa: E402
from techreg.testing import APP_PASSWORD, app_url  # noqa: E402,F401  (tests import them from here)
from techreg.registry.creditcode import make_code
from techreg.registry.points import PointIn, create_point
from techreg.registry.users import UserIn, create_user, open_session

PASSWORD = "correct-horse-battery"
# the sessions make_office opens last as long as a log-in's (TECHREG_SESSION_HOURS)
SESSION_HOURS = load_settings().session_hours


def cli_env(**variables: str) -> dict[str, str]:
    """The environment of a `python -m techreg.cli …` subprocess: the variables given, PATH, and the code under
    test on PYTHONPATH (this checkout's, not whichever copy is installed)."""
    import techreg

    code = Path(techreg.__file__).resolve().parents[1]
    # a run on a moved clock (faketime: test_clock_ahead) moves its subprocesses' clocks too
    clock = {k: v for k, v in os.environ.items() if k == "LD_PRELOAD" or k.startswith("FAKETIME")}
    return {"PATH": "/usr/bin:/bin", "PYTHONPATH": os.pathsep.join([str(code), str(code.parent)]), **clock, **variables}


def _swap_db(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


MEMORY_FOLDER, MEMORY_ROOM = Path("/dev/shm"), 4 * 2**30


def _scratch_folder() -> Path | None:
    """Where the session's PostgreSQL and servers keep their files: in memory (/dev/shm, a tmpfs) when it has room,
    else the system's temporary folder. A worker makes a hundred databases of ~10 MB; on disk, removing them at the
    end alone took seconds (here /tmp is ext4 mounted with `discard`). Nothing a test checks depends on where."""
    try:
        if MEMORY_FOLDER.is_dir() and os.access(MEMORY_FOLDER, os.W_OK):
            room = os.statvfs(MEMORY_FOLDER)
            if room.f_bavail * room.f_frsize >= MEMORY_ROOM:
                return MEMORY_FOLDER
    except OSError:
        pass
    return None


@pytest.fixture(scope="session")
def data_dir():
    path = Path(tempfile.mkdtemp(prefix="techreg-test-", dir=_scratch_folder()))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def server(data_dir):
    """The PostgreSQL the whole session uses: an embedded one unless a URL is given."""
    if os.environ.get("TECHREG_DATABASE_URL"):
        yield None, os.environ["TECHREG_DATABASE_URL"]
        return
    pg = EmbeddedPostgres(data_dir / "server")
    url = pg.start()
    yield pg, url
    pg.stop(mode="immediate")


_TEMPLATES: dict[str, str] = {}


async def _migrated_template(admin_url: str) -> str:
    """This process's template: a database migrated once, which every test database is copied from (a copy
    takes ~0.03 s where migrating takes ~0.25 s, and the suite makes a hundred)."""
    if admin_url not in _TEMPLATES:
        name = f"techreg_template_{uuid.uuid4().hex[:8]}"
        conn = await asyncpg.connect(admin_url)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        conn = await connect(_swap_db(admin_url, name))
        await migrate(conn, progress=lambda _: None)
        await testing.prepare_service_role(conn)
        await conn.close()
        _TEMPLATES[admin_url] = name
    return _TEMPLATES[admin_url]


async def create_database(admin_url: str, prefix: str) -> str:
    """A new database on the test server with every migration applied; returns its URL."""
    template = await _migrated_template(admin_url)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        # a database's own grants are not copied with it (migration 0015 grants the service role its CONNECT)
        await conn.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{name}" TO techreg_app')
    finally:
        await conn.close()
    return _swap_db(admin_url, name)


@pytest.fixture(scope="session")
def database_url(server):
    yield asyncio.run(create_database(server[1], "techreg_test"))


@pytest_asyncio.fixture
async def empty_database(server):
    """A database of its own, migrated and empty, for tests that need whole-registry results."""
    yield await create_database(server[1], "techreg_empty")


@pytest.fixture(scope="session")
def settings(data_dir, database_url):
    return load_settings(data_dir=data_dir, database_url=database_url, audit_key="test-audit-key",
                         login_attempts_per_minute=1000)


@pytest.fixture(scope="session")
def audit_key(settings):
    return settings.audit_key.encode()


@pytest_asyncio.fixture
async def conn(database_url):
    c = await connect(database_url)
    yield c
    await c.close()


_counter = itertools.count(1)


def unique_point_code() -> str:
    """Six digits, so the point numbers its registrations: 99 + 4 digits unique to this run."""
    n = next(_counter) + (os.getpid() % 50) * 100
    return f"99{n:04d}"


def party_code(n: int, region: str = "310101") -> str:
    return make_code(f"91{region}{n:09d}"[:17])


def filing_body(ref: str, point: str, **over) -> dict:
    body = {
        "ref": ref, "contract_no": f"HT-{ref}", "title": "工业互联网平台软件开发合同", "kind": "development",
        "subkind": "commissioned", "software": True, "domain": "electronic_information",
        "seller": {"name": "上海华信信息技术有限公司", "credit_code": party_code(1), "region": "310101"},
        "buyer": {"name": "上海东方装备制造有限公司", "credit_code": party_code(2), "region": "310104"},
        "amount": "1250000.00", "tech_amount": "1000000.00", "signed_on": "2026-03-01",
        "performance_start": "2026-03-10", "performance_end": "2026-12-31", "filed_on": "2026-03-15",
        "point": point,
    }
    body.update(over)
    return body


# registering approves the technology amount (核定技术交易额): here as filing_body declares it, nothing deducted
APPROVE = {"approved_amount": "1000000.00"}
# revoking names a ground the rules in force list and its basis: here an effective court judgment
REVOKE = {"ground": "fraudulent", "basis": {"kind": "court_judgment", "reference": "（2026）沪0101刑初12号"}}


class Office:
    """A registration point with its staff, each holding a session."""

    def __init__(self, point: str, tokens: dict[str, str], usernames: dict[str, str]):
        self.point = point
        self.tokens = tokens
        self.usernames = usernames

    def h(self, who: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture(scope="session")
def shared_application(settings, database_url):
    """One application object per worker: building Litestar's routes costs ~0.1 s of CPU, and 300 tests use it."""
    from techreg.web.app import create_app

    return create_app(settings, app_url(database_url))


@pytest_asyncio.fixture(scope="session")
async def running_application(shared_application):
    """The worker's service, started once (its lifespan: the pool, the schema check, the engine): starting and
    stopping it for each of 300 tests cost ~15 ms of each. Nothing a test may change lives there; the `app` fixture
    gives each test what a service keeps in memory afresh."""
    async with AsyncTestClient(app=shared_application) as client:
        yield client


@pytest_asyncio.fixture
async def app(running_application, settings):
    """A client of the worker's service as a freshly started one is: its settings, empty caches and limits
    (web/app.py, initial_state), and no cookies."""
    from techreg.web.app import initial_state

    for key, value in initial_state(settings).items():
        running_application.app.state[key] = value
    running_application.cookies.clear()
    yield running_application
    running_application.cookies.clear()


async def make_office(database_url: str) -> Office:
    """A new point with its six people, each with a session of their own, in one transaction. The sessions are
    opened as log-in opens them (registry/users.open_session) without six password checks over HTTP: log-in
    itself is tested by its own tests (test_login_limits, test_secrets, test_access_control, the browser's)."""
    point = unique_point_code()
    valid, lapsed = dt.date.today() + dt.timedelta(days=200), dt.date.today() - dt.timedelta(days=1)
    staff = {"registrar": ("registrar", point, valid), "expired": ("registrar", point, lapsed),
             "registrar2": ("registrar", point, valid), "supervisor": ("supervisor", None, None),
             "inspector": ("inspector", None, None), "admin": ("admin", None, None)}
    usernames, tokens = {}, {}
    conn = await connect(database_url)
    try:
        async with conn.transaction():
            await create_point(conn, PointIn(code=point, name=f"测试登记点 {point}"))
            for who, (role, pt, expires) in staff.items():
                usernames[who] = f"{who}-{point}"
                user = await create_user(conn, UserIn(username=usernames[who], display_name=usernames[who], role=role,
                                                      point_code=pt, password=PASSWORD, qualification_expires=expires),
                                         actor="system")
                tokens[who], _ = await open_session(conn, user.id, SESSION_HOURS)
    finally:
        await conn.close()
    return Office(point, tokens, usernames)


@pytest_asyncio.fixture
async def office(database_url):
    return await make_office(database_url)


@pytest_asyncio.fixture
async def other_office(database_url):
    return await make_office(database_url)


_refs = itertools.count(1)


def new_ref(prefix: str = "T") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}-{next(_refs)}"


@contextlib.asynccontextmanager
async def running_server(url: str, data_dir: Path, **env: str):
    """`techreg serve` in a process of its own against `url`, as an operator runs it (techreg.testing)."""
    with testing.running_service(url, data_dir, **env) as base:
        yield base


def told(response) -> dict[str, tuple[str, str]]:
    """What a page's form answer tells the next page (web/pages/common.back): {"msg"|"err": (Chinese, English)},
    read from the flash cookie it sets."""
    import base64
    import http.cookies

    import msgspec

    from techreg.web.pages.common import FLASH_COOKIE

    for header in response.headers.get_list("set-cookie"):
        jar = http.cookies.SimpleCookie(header)
        if FLASH_COOKIE in jar and jar[FLASH_COOKIE].value:
            return msgspec.json.decode(base64.urlsafe_b64decode(jar[FLASH_COOKIE].value), type=dict[str, tuple[str, str]])
    return {}


SCREENSHOTS: list[Path] = []


def pytest_terminal_summary(terminalreporter):
    """Say where the browser tests left their screenshots."""
    if SCREENSHOTS:
        terminalreporter.write_line(f"screenshots ({len(SCREENSHOTS)}): {SCREENSHOTS[0].parent.resolve()}")


# Three kinds of test, marked by what they use, so each can be run alone (README, Tests):
#   pytest -m unit          no database, no server (detectors on arrays, parsers, files)
#   pytest -m integration   a real PostgreSQL (the embedded one or TECHREG_DATABASE_URL), servers, the CLI
#   pytest -m browser       Chromium through Playwright against a served site
DATABASE_FIXTURES = {"server", "database_url", "empty_database", "settings", "conn", "app", "office",
                     "other_office", "pool", "data_dir", "site"}


# The longest single tests start first, so that on two workers (the README's `-n`) the rest of the suite runs
# beside them instead of after them. The browser modules come first too: the first items of a worker's share are
# never taken by the other worker (pytest-xdist's worksteal takes from the end), so one worker runs them all,
# with one Chromium and each module's served site started once. The test that reads the outcome of the run a year
# ahead, which runs in the background from the start, comes last.
LONGEST_FIRST = ("test_cli.py::test_a_fresh_embedded_database", "tests/test_browser", "test_detection_eval.py")
LAST = ("test_clock_ahead.py",)


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: (not any(name in item.nodeid for name in LONGEST_FIRST),
                                 any(name in item.nodeid for name in LAST)))
    for item in items:
        source = item.module.__name__
        if source.startswith("test_browser"):
            item.add_marker(pytest.mark.browser)
        elif DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())) or _runs_processes(item.module):
            item.add_marker(pytest.mark.integration)
        else:
            item.add_marker(pytest.mark.unit)


def pytest_collection_finish(session):
    """The date-sensitive tests a year ahead start in the background now (test_clock_ahead)."""
    import test_clock_ahead

    test_clock_ahead.start_if_selected(session)


def pytest_sessionfinish(session, exitstatus):
    import test_clock_ahead

    test_clock_ahead.finish(session, exitstatus)


def _runs_processes(module) -> bool:
    """Modules that start the CLI, a server or PostgreSQL themselves count as integration tests."""
    text = getattr(module, "__doc__", "") or ""
    names = vars(module)
    return "subprocess" in names or "running_server" in names or "EmbeddedPostgres" in names or "server" in text


CHROMIUM = "/usr/bin/chromium"          # Debian's package; never Playwright's browser download


@pytest_asyncio.fixture(scope="session")
async def chromium():
    """One Chromium per worker for every browser test (each test opens contexts of its own)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
            "--no-first-run", "--disable-sync"])
        yield browser
        await browser.close()


class Tab:
    """One page in Chromium that a browser module's tests take in turn, each starting afresh (`fresh`): no cookies
    (so no session and no language chosen) and no storage (htmx keeps its history in sessionStorage), as a new
    context would start. A new page costs Chromium about a second of CPU (a renderer process starting up), so a
    module opens one, not one per person logged in. Tests that watch or stop requests open a context of their own
    from `browser`."""

    def __init__(self, browser, **options):
        self.browser, self.options = browser, options
        self.context = self.page = None

    async def fresh(self):
        """The page, afresh (opened on first use)."""
        if self.page is None or self.page.is_closed():
            self.context = await self.browser.new_context(**self.options)
            self.page = await self.context.new_page()
        else:
            await self.context.clear_cookies()
            await self.page.evaluate("() => { try { sessionStorage.clear(); localStorage.clear(); } catch (e) {} }")
            await self.page.goto("about:blank")
        self.page.set_default_timeout(15000)
        return self.page

    async def close(self) -> None:
        if self.context is not None:
            await self.context.close()
