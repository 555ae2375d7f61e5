"""Map every error to a clear, bilingual JSON answer with the right status. Never a bare 500."""

import logging
from typing import Annotated, Any

import asyncpg
import msgspec
from msgspec import Meta
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from ..db.pool import UNAVAILABLE_ERRORS, DatabaseUnavailable
from ..errors import DomainError
from ..labels import label
from ..registry.rules import FilingRejected, translate_msgspec_error
from .auth import UnsupportedMediaType

log = logging.getLogger("techreg.web")
RETRY_AFTER_SECONDS = "2"




def _json(status: int, body: dict, headers: dict | None = None) -> Response:
    body = {"status_code": status, **body}
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers)


def _is_page(request: Request) -> bool:
    """A browser asking for a page (not the API, the docs or a file) gets HTML, not JSON."""
    path = request.url.path
    return not path.startswith(("/api/", "/schema", "/static/", "/health")) and \
        "text/html" in request.headers.get("accept", "")


def page_error(request: Request, exc: DomainError) -> Response:
    from urllib.parse import quote

    from litestar.response import Redirect

    from .pages.common import page

    if exc.status_code == 401:
        return Redirect(f"/login?next={quote(request.url.path)}", status_code=303)
    response = page(request, "error.html", status=exc.status_code, message=exc.message, message_en=exc.message_en)
    response.status_code = exc.status_code
    return response


def domain_error(request: Request, exc: DomainError) -> Response:
    if _is_page(request):
        return page_error(request, exc)
    headers = {"Retry-After": "60"} if exc.status_code == 429 else None
    return _json(exc.status_code, {"detail": f"{exc.message} / {exc.message_en}", "message": exc.message,
                                   "message_en": exc.message_en, **exc.extra}, headers)


def filing_rejected(_: Request, exc: FilingRejected) -> Response:
    count = len(exc.errors)
    return _json(400, {"detail": f"申请内容有 {count} 处错误 / the filing has {count} error(s)",
                       "message": f"申请内容有 {count} 处错误", "message_en": f"the filing has {count} error(s)",
                       "errors": [msgspec.to_builtins(e) for e in exc.errors]})


def validation_error(_: Request, exc: ValidationException) -> Response:
    errors = []
    for item in exc.extra or []:
        if isinstance(item, dict):
            key = item.get("key") or ""
            source = item.get("source")
            message = str(item.get("message", ""))
            # a body error names its field in the message's own path, or (at the top level) only in `key`
            located = source == "body" and " - at `$" in message
            fe = translate_msgspec_error(message, "" if located else key)
            errors.append({"field": fe.field, "message": fe.message, "message_en": fe.message_en})
    if not errors:
        fe = translate_msgspec_error(exc.detail or "")
        errors.append({"field": fe.field, "message": fe.message, "message_en": fe.message_en})
    return _json(400, {"detail": "请求内容有误 / invalid request", "message": "请求内容有误",
                       "message_en": "invalid request", "errors": errors})


def http_error(_: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    zh = label("http_status", str(status), default="请求失败")
    headers = dict(exc.headers or {})
    return _json(status, {"detail": f"{zh} / {exc.detail}", "message": zh, "message_en": exc.detail}, headers)


def unavailable(_: Request, exc: Exception) -> Response:
    log.warning("database unavailable: %s", exc)
    return _json(503, {"detail": "数据库暂时不可用，请稍后重试 / database unavailable, retry shortly",
                       "message": "数据库暂时不可用，请稍后重试", "message_en": "database unavailable, retry shortly"},
                 {"Retry-After": RETRY_AFTER_SECONDS})


def unique_violation(_: Request, exc: asyncpg.UniqueViolationError) -> Response:
    return _json(409, {"detail": f"记录已存在 / already exists ({exc.constraint_name})", "message": "记录已存在",
                       "message_en": f"already exists ({exc.constraint_name})"})


def internal_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, UNAVAILABLE_ERRORS) or isinstance(exc, asyncpg.QueryCanceledError):
        return unavailable(request, exc)
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _json(500, {"detail": "服务器内部错误 / internal error", "message": "服务器内部错误",
                       "message_en": "internal error"})


def unstorable_text(_: Request, exc: Exception) -> Response:
    """Text PostgreSQL cannot hold (a NUL character, a broken byte sequence) or JSON nested past any
    reason: the request is at fault, and nothing was written (its transaction rolls back)."""
    return _json(400, {"detail": "请求含有无法保存的字符（如空字符 NUL）或嵌套过深 / the request holds a character that "
                                 "cannot be stored (such as NUL) or nests too deep",
                       "message": "请求含有无法保存的字符（如空字符 NUL）或嵌套过深",
                       "message_en": "the request holds a character that cannot be stored (such as NUL) or nests too deep"})


def unsupported_media_type(_: Request, exc: Exception) -> Response:
    return _json(415, {"detail": "接口只接受 JSON（Content-Type: application/json）/ the API takes JSON only "
                                 "(Content-Type: application/json)",
                       "message": "接口只接受 JSON（Content-Type: application/json）",
                       "message_en": "the API takes JSON only (Content-Type: application/json)"})


EXCEPTION_HANDLERS = {
    UnsupportedMediaType: unsupported_media_type,
    asyncpg.CharacterNotInRepertoireError: unstorable_text,
    asyncpg.UntranslatableCharacterError: unstorable_text,
    RecursionError: unstorable_text,
    UnicodeDecodeError: unstorable_text,
    DomainError: domain_error,
    FilingRejected: filing_rejected,
    ValidationException: validation_error,
    HTTPException: http_error,
    DatabaseUnavailable: unavailable,
    asyncpg.QueryCanceledError: unavailable,
    asyncpg.PostgresConnectionError: unavailable,
    asyncpg.CannotConnectNowError: unavailable,
    asyncpg.UniqueViolationError: unique_violation,
    OSError: unavailable,
    Exception: internal_error,
}


class ErrorItem(msgspec.Struct):
    field: str
    message: str
    message_en: str
    # the refused value as sent, when it is short plain text, a number, a boolean or null
    value: Annotated[Any, Meta(description="被拒绝的值（简短时）/ the refused value, when short")] = msgspec.UNSET
    allowed: Annotated[dict[str, str], Meta(description="可选值：代码 → 中文名 / a choice's codes -> Chinese names")
                       ] | msgspec.UnsetType = msgspec.UNSET


class ErrorBody(msgspec.Struct, kw_only=True):
    """Every error answer: the status, the reason in Chinese and English, the field(s) when known."""
    status_code: int
    detail: str
    message: str
    message_en: str
    errors: list[ErrorItem] | None = None
    field: str | None = None
    status: str | None = None


ERROR_RESPONSES = {
    400: "请求有误（指明字段）/ bad input, naming the field",
    401: "未登录或登录已过期 / not logged in",
    403: "无权执行此操作 / not allowed for this user",
    404: "不存在或无权查看 / not found or not visible to this user",
    409: "与当前状态冲突 / conflicts with the current state",
    429: "请求过于频繁 / too many requests",
    503: "数据库暂不可用，请按 Retry-After 重试 / database unavailable, retry after Retry-After",
}


def document_errors(app) -> None:
    """Declare the error answers on every API operation, so the schema says what clients may get."""
    from litestar.openapi.datastructures import ResponseSpec

    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if getattr(handler, "include_in_schema", True) is False:
                continue
            extra = {code: ResponseSpec(data_container=ErrorBody, description=text)
                     for code, text in ERROR_RESPONSES.items()}
            handler.responses = {**extra, **(handler.responses or {})}
