"""The API describes itself: the docs page from this site's own files (no CDN, works offline), how a client
authenticates (a bearer token or the session cookie), and on every operation the error answers it can give,
each with a real example built by the same code that answers a real request."""

import json
import re
import typing
from typing import Annotated, Any

import msgspec
from msgspec import Meta
from litestar.constants import RESERVED_KWARGS
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, Example, SecurityScheme

from ..errors import Conflict, DomainError, Forbidden, NotAuthenticated, NotFound, TooManyRequests
from ..registry.creditcode import make_code
from ..registry.rules import FilingRejected, allowed_values, decode_filing, literal_values
from ..registry.schema import DecisionBody, FilingV1
from ..registry.service import _check_reasons
from .auth import NO_CREDENTIALS, SESSION_COOKIE, SESSION_INVALID, anonymous_limit, role_refusal
from .errors import (UNAVAILABLE_BODY, UNSTORABLE_BODY, UNSUPPORTED_MEDIA_BODY, domain_body, rejected_body,
                     validation_body)

SWAGGER_FILES = "/static/vendor/swagger-ui"
FAVICON_LINK = '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">'

SECURITY_SCHEMES = {
    "bearer": SecurityScheme(
        type="http", scheme="bearer",
        description="`POST /api/auth/login` 返回的 `token`，放在请求头 `Authorization: Bearer <token>` 中 / "
                    "the `token` that `POST /api/auth/login` returns, sent as `Authorization: Bearer <token>`"),
    "session_cookie": SecurityScheme(
        type="apiKey", name=SESSION_COOKIE, security_scheme_in="cookie",
        description="页面登录后浏览器持有的会话 cookie；凭它发出的写请求须来自本站页面（Origin 检查）/ the session "
                    "cookie a browser holds after logging in on the pages; writes it carries must come from this "
                    "site's pages (Origin is checked)"),
}
# either scheme will do (OpenAPI: a list of alternatives)
AUTHENTICATED = [{"bearer": []}, {"session_cookie": []}]

DESCRIPTION = """技术合同认定登记、异常检测与双随机抽查。Registry and audit of technology contracts.

**登录**：先以 `POST /api/auth/login` 取得 `token`，之后每个请求带请求头 `Authorization: Bearer <token>`
（下方 **Authorize** 按钮可填入，用于 *Try it out*）。**错误**均为 JSON，`message` 为中文原因，输入有误时
`errors` 逐项指明字段，取值不在列表内时给出 `allowed`。

**Authenticating.** `POST /api/auth/login` with `{"username": …, "password": …}` returns a `token`;
send it on every other request as `Authorization: Bearer <token>` (the **Authorize** button below does
this for *Try it out*). Pages logged in in this browser also carry the session cookie `techreg_session`.
A session lasts `TECHREG_SESSION_HOURS` (12 h); `POST /api/auth/logout` ends it.

**错误 / Errors** are JSON: `status_code`, `message` (Chinese), `message_en`, `detail` (both), and for bad
input `errors`: one entry per field with `field`, the reasons and, for a value outside an enum, `allowed`.

Filings use the public interchange format v1 (`docs/filing-format.md` in the project)."""


def openapi_config(version: str) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="techreg 技术合同登记与稽查 API", version=version, path="/schema", description=DESCRIPTION,
        components=Components(security_schemes=SECURITY_SCHEMES),
        render_plugins=[SwaggerRenderPlugin(
            js_url=f"{SWAGGER_FILES}/swagger-ui-bundle.js", css_url=f"{SWAGGER_FILES}/swagger-ui.css",
            standalone_preset_js_url=f"{SWAGGER_FILES}/swagger-ui-standalone-preset.js", favicon=FAVICON_LINK)],
    )


DESCRIPTIONS = {
    400: "请求有误：指明字段与原因 / bad input, naming the field and the reason",
    401: "未登录或登录已过期 / not logged in, or the session ended",
    403: "无权执行此操作 / not allowed for this user",
    404: "不存在或无权查看 / not found, or not visible to this user",
    409: "与当前状态冲突 / conflicts with the current state",
    415: "只接受 JSON / JSON bodies only",
    429: "请求过于频繁，请按 Retry-After 重试 / too many requests: retry after Retry-After",
    503: "数据库暂不可用，请按 Retry-After 重试 / database unavailable: retry after Retry-After",
}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

# a plausible mistake for each enum filter, shown with the answer it gets
ENUM_MISTAKES = {"status": "approved", "kind": "software", "job": "scan"}
SAMPLE = {"ref": "HT-2026-000123", "campaign_id": 7, "item_id": 42, "username": "registrar1",
          "name": "scan_full", "point": "310101"}


class ErrorItem(msgspec.Struct, omit_defaults=True):
    field: str
    message: str
    message_en: str
    # the refused value as sent, when it is short plain text, a number, a boolean or null
    value: Annotated[Any, Meta(description="被拒绝的值（简短时）/ the refused value, when short")] = msgspec.UNSET
    allowed: Annotated[dict[str, str], Meta(description="可选值：代码 → 中文名 / a choice's codes -> Chinese names")
                       ] | msgspec.UnsetType = msgspec.UNSET


class ErrorBody(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Every error answer: the status, the reason in Chinese and English, the field(s) when known."""
    status_code: int
    detail: str
    message: str
    message_en: str
    errors: list[ErrorItem] | None = None
    field: str | None = None
    status: str | None = None


def example_filing(**over) -> dict:
    """A filing in format v1 as a registrar would send it (the error examples are answers to it)."""
    body = {"ref": SAMPLE["ref"], "contract_no": "JS-2026-018", "title": "智慧园区能耗监测平台软件开发合同",
            "kind": "development", "subkind": "commissioned", "software": True, "domain": "electronic_information",
            "seller": {"name": "上海华信信息技术有限公司", "credit_code": make_code("91310101MA1FL8XQ0"),
                       "region": "310101"},
            "buyer": {"name": "上海东方装备制造有限公司", "credit_code": make_code("91310104MA1FP2K3X"),
                      "region": "310104"},
            "amount": "1250000.00", "tech_amount": "1000000.00", "signed_on": "2025-03-01",
            "performance_start": "2025-03-10", "performance_end": "2025-12-31", "filed_on": "2025-03-15",
            "point": SAMPLE["point"]}
    body.update(over)
    return body


def _wrong_check_character(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def _inputs(route, handler) -> tuple[list[str], list[str], type | None]:
    """The handler's path parameters, its other parameters (query, header) and its body type."""
    fields = handler.parsed_fn_signature.parameters
    dependencies = set(handler.resolve_dependencies())
    path = [p for p in route.path_parameters if p in fields]
    others = [name for name in fields if name not in RESERVED_KWARGS and name not in dependencies
              and name not in path]
    body = fields["data"].annotation if "data" in fields else None
    return path, others, body


def _bad_input(route, handler, path: list[str], others: list[str], body) -> dict[str, dict]:
    fields = handler.parsed_fn_signature.parameters
    examples = {}
    for name in others:
        if literal_values(fields[name].annotation):
            wrong = ENUM_MISTAKES.get(name, "unknown")
            examples[f"{name}={wrong}"] = validation_body(
                [{"message": f"Invalid enum value '{wrong}'", "key": name, "source": "query"}], handler)
            break
    if body is not None and isinstance(body, type) and issubclass(body, FilingV1):
        seller = example_filing()["seller"]
        bad = example_filing(seller={**seller, "credit_code": _wrong_check_character(seller["credit_code"])})
        try:
            decode_filing(json.dumps(bad, ensure_ascii=False))
        except FilingRejected as exc:
            examples["seller.credit_code"] = rejected_body(exc)
    elif (struct := _struct(body)) is not None:
        required = next((f.encode_name for f in msgspec.structs.fields(struct) if f.required), None)
        if required:
            examples["missing field"] = validation_body(
                [{"message": f"Object missing required field `{required}`", "key": "data", "source": "body"}],
                handler)
        for name in (f.encode_name for f in msgspec.structs.fields(struct)):
            for key in (name, f"{name}[0]"):
                if allowed_values(struct, key):
                    examples[f"{key}=unknown"] = validation_body(
                        [{"message": "Invalid enum value 'unknown'", "key": key, "source": "body"}], handler)
                    break
            else:
                continue
            break
    if action := re.search(r"/api/filings/\{ref\}/(refuse|return|cancel)$", route.path_format):
        try:                                    # the decision's own check, on a body without reasons
            _check_reasons(action.group(1), DecisionBody())
        except DomainError as exc:
            examples["no reasons"] = domain_body(exc)
    for name in path:
        if fields[name].annotation is not str:
            examples[f"{name}=0"] = validation_body(
                [{"message": "Expected `int` >= 1", "key": name, "source": "path"}], handler)
            break
    if not examples and "limit" in others:
        examples["limit=0"] = validation_body([{"message": "Expected `int` >= 1", "key": "limit",
                                                "source": "query"}], handler)
    if not examples:            # any text parameter: a NUL character PostgreSQL cannot store
        examples["NUL in text"] = UNSTORABLE_BODY
    return examples


def _struct(annotation) -> type | None:
    """The Struct inside `T | None`, if any."""
    for member in (annotation, *typing.get_args(annotation)):
        if isinstance(member, type) and issubclass(member, msgspec.Struct):
            return member
    return None


NOT_FOUND = {
    "ref": NotFound(f"申请 {SAMPLE['ref']} 不存在或无权查看", f"filing {SAMPLE['ref']} not found or not visible to you"),
    "campaign_id": NotFound(f"抽查任务 {SAMPLE['campaign_id']} 不存在", f"campaign {SAMPLE['campaign_id']} not found"),
    "item_id": NotFound(f"检查事项 {SAMPLE['item_id']} 不存在或不在您的队列中",
                        f"audit item {SAMPLE['item_id']} not found in your queue"),
    "username": NotFound(f"用户 {SAMPLE['username']} 不存在", f"user {SAMPLE['username']} not found"),
    "name": NotFound("没有任务 scan_weekly", "no such job: scan_weekly"),
}
# (path pattern, method) -> what a conflicting write is told
CONFLICTS = [
    (r"^/api/filings$", Conflict(f"申请编号 {SAMPLE['ref']} 已存在", f"a filing with ref {SAMPLE['ref']} already exists",
                                 ref=SAMPLE["ref"])),
    (r"^/api/filings/\{ref\}$", Conflict("当前状态为已登记，只有待审查或退回补正的申请可以补正",
                                         "only submitted or returned filings can be corrected; status is registered",
                                         status="registered")),
    (r"^/api/filings/\{ref\}/", Conflict("当前状态为「已登记」，不能登记",
                                         "cannot register a filing whose status is registered", status="registered")),
    (r"^/api/audit/items/", Conflict("该检查事项已有结论", "this item already has a finding", status="done")),
    (r"^/api/campaigns/\{campaign_id\}/confirm$", Conflict("抽查任务已确认", "campaign already confirmed",
                                                            status="open")),
    (r"^/api/users$", Conflict(f"用户名 {SAMPLE['username']} 已存在", f"username {SAMPLE['username']} already exists")),
    (r"^/api/points$", Conflict(f"登记点 {SAMPLE['point']} 已存在", f"point {SAMPLE['point']} already exists")),
    (r"^/api/models/promote$", Conflict("没有待审核的候选模型", "there is no candidate model to promote")),
]
# (path pattern, methods) -> how the area's policy (<area>/access.py) refuses a user the route's guard lets by
REFUSALS = [
    (r"^/api/filings$", {"POST"}, Forbidden("登记员只能为本登记点（310101）提交申请",
                                            "a registrar can only file at their own point (310101)")),
    (r"^/api/filings/\{ref\}(/(register|refuse|return|cancel|income-checks))?$", {"POST", "PATCH"},
     Forbidden("登记员资格已于 2026-01-01 过期（未通过年审），不能办理登记",
               "registrar qualification expired on 2026-01-01; renew it (annual review) before deciding")),
]
CROSS_SITE = Forbidden("请求不是从本站页面发出的，已拒绝（CSRF 防护）",
                       "refused: the request did not come from this site's pages (CSRF protection)")


def _examples(bodies: dict[str, dict | DomainError]) -> list[Example]:
    return [Example(id=name, summary=name, value=domain_body(b) if isinstance(b, DomainError) else b)
            for name, b in bodies.items()]


def error_responses(route, handler, public: bool) -> dict[int, dict[str, dict | DomainError]]:
    """For one operation: each error status it can answer with, and real answers as examples."""
    path, others, body = _inputs(route, handler)
    method = next(iter(handler.http_methods))
    guards = [g for layer in handler.ownership_layers for g in (layer.guards or [])]       # as written
    roles = next((g.roles for g in guards if hasattr(g, "roles")), None)
    login = route.path_format == "/api/auth/login"
    found: dict[int, dict[str, dict | DomainError]] = {}
    if path or others or body is not None:
        found[400] = _bad_input(route, handler, path, others, body)
    if login:
        found[401] = {"wrong password": NotAuthenticated("用户名或密码错误", "wrong username or password")}
    elif not public:
        found[401] = {"no token": NotAuthenticated(*NO_CREDENTIALS),
                      "session ended": NotAuthenticated(*SESSION_INVALID)}
        found[403] = {}
        if roles:
            found[403]["role"] = role_refusal(roles)
        refusal = next((r for pattern, methods, r in REFUSALS
                        if method in methods and re.search(pattern, route.path_format)), None)
        if refusal is not None:
            found[403]["policy"] = refusal
        if method in UNSAFE:
            found[403]["cookie from another site"] = CROSS_SITE
    if path:
        found[404] = {"not found": next((NOT_FOUND[p] for p in path if p in NOT_FOUND),
                                        NotFound("未找到", "not found"))}
    if method in UNSAFE and not login and route.path_format != "/api/auth/logout":
        conflict = next((c for pattern, c in CONFLICTS if re.search(pattern, route.path_format)), None)
        if conflict is not None:
            found[409] = {"conflict": conflict}
    if body is not None and not public:          # the JSON-only check sits with authentication
        found[415] = {"form body": UNSUPPORTED_MEDIA_BODY}
    if login:
        found[429] = {"too many log-ins": TooManyRequests("登录失败次数过多，请一分钟后再试",
                                                          "too many failed log-ins, try again in a minute")}
    elif anonymous_limit in guards:
        found[429] = {"too many requests": TooManyRequests("请求过于频繁，请一分钟后再试",
                                                           "too many requests, try again in a minute")}
    if route.path_format != "/health":
        found[503] = {"database down": UNAVAILABLE_BODY}
    return {status: bodies for status, bodies in found.items() if bodies}


def document_api(app, public_paths: list[str]) -> None:
    """Declare, on every API operation, how to authenticate and which errors it answers with (real examples,
    never generated filler), so the schema says what clients may get."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not handler.resolve_include_in_schema():
                continue
            public = any(re.search(p, route.path) for p in public_paths)
            if not public:
                handler.security = AUTHENTICATED
            documented = {status: ResponseSpec(data_container=ErrorBody, description=DESCRIPTIONS[status],
                                               generate_examples=False, examples=_examples(bodies))
                          for status, bodies in error_responses(route, handler, public).items()}
            handler.responses = {**documented, **(handler.responses or {})}
