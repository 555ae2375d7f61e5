"""Map every error to a clear, bilingual JSON answer with the right status. Never a bare 500."""

import logging

import asyncpg
import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from ..db.pool import UNAVAILABLE_ERRORS, DatabaseUnavailable
from ..errors import DomainError
from ..labels import label
from ..registry.messages import code_label, unknown_field
from ..registry.rules import FilingRejected, allowed_values, literal_values, translate_msgspec_error
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


def domain_body(exc: DomainError) -> dict:
    return {"status_code": exc.status_code, "detail": f"{exc.message} / {exc.message_en}", "message": exc.message,
            "message_en": exc.message_en, **exc.extra}


def domain_error(request: Request, exc: DomainError) -> Response:
    if _is_page(request):
        return page_error(request, exc)
    headers = {"Retry-After": "60"} if exc.status_code == 429 else None
    return _json(exc.status_code, domain_body(exc), headers)


def rejected_body(exc: FilingRejected) -> dict:
    count = len(exc.errors)
    return {"status_code": 400, "detail": f"申请内容有 {count} 处错误 / the filing has {count} error(s)",
            "message": f"申请内容有 {count} 处错误", "message_en": f"the filing has {count} error(s)",
            "errors": [msgspec.to_builtins(e) for e in exc.errors]}


def filing_rejected(_: Request, exc: FilingRejected) -> Response:
    return _json(400, rejected_body(exc))


def _input_type(handler, key: str, source: str | None):
    """The annotation of the handler's input an error names: the body's type, or the parameter's own."""
    parameters = getattr(getattr(handler, "parsed_fn_signature", None), "parameters", {})
    name = "data" if source == "body" else key
    field = parameters.get(name)
    if field is None and source != "body":        # a parameter renamed by `query=` / `header=`
        field = next((f for f in parameters.values() if getattr(f.kwarg_definition, "query", None) == key
                      or getattr(f.kwarg_definition, "header", None) == key), None)
    return getattr(field, "annotation", None)


def validation_body(items: list, handler=None, detail: str = "") -> dict:
    """The answer to input Litestar refused before the handler ran: each item named by its field, an enum's
    allowed values listed (looked up in the handler's own annotations)."""
    errors = []
    for item in items or []:
        if isinstance(item, dict):
            key = item.get("key") or ""
            source = item.get("source")
            message = str(item.get("message", ""))
            # a body error names its field in the message's own path, or (at the top level) only in `key`
            located = source == "body" and " - at `$" in message
            annotation = _input_type(handler, key, source) if handler is not None else None
            if located:
                fe = translate_msgspec_error(message, root=annotation)
                allowed = allowed_values(annotation, fe.field) if annotation is not None else None
            else:
                allowed = literal_values(annotation) if source != "body" else allowed_values(annotation, key)
                # `data` is the body itself: a missing field is named by itself, not as data.field
                base = "" if source == "body" and key == "data" else key
                fe = translate_msgspec_error(message, base, allowed=allowed)
            error = {"field": fe.field, "message": fe.message, "message_en": fe.message_en}
            if message.startswith("Object contains unknown field") and "." not in fe.field \
                    and isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
                # the body's own fields named, so the right one is at hand (a log-in sent {"user": …})
                named = unknown_field(fe.field, fe.field, [f.encode_name for f in msgspec.structs.fields(annotation)])
                error["message"], error["message_en"] = named.message, named.message_en
            if allowed and message.startswith("Invalid enum value"):
                error["allowed"] = {code: code_label(code) for code in allowed}
            errors.append(error)
    if not errors:
        fe = translate_msgspec_error(detail)
        errors.append({"field": fe.field, "message": fe.message, "message_en": fe.message_en})
    return {"status_code": 400, "detail": "请求内容有误 / invalid request", "message": "请求内容有误",
            "message_en": "invalid request", "errors": errors}


def validation_error(request: Request, exc: ValidationException) -> Response:
    handler = request.scope.get("route_handler")
    return _json(400, validation_body(exc.extra or [], handler, exc.detail or ""))


def http_error(_: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    zh = label("http_status", str(status), default="请求失败")
    headers = dict(exc.headers or {})
    return _json(status, {"detail": f"{zh} / {exc.detail}", "message": zh, "message_en": exc.detail}, headers)


UNAVAILABLE_BODY = {"status_code": 503, "detail": "数据库暂时不可用，请稍后重试 / database unavailable, retry shortly",
                    "message": "数据库暂时不可用，请稍后重试", "message_en": "database unavailable, retry shortly"}


def unavailable(_: Request, exc: Exception) -> Response:
    log.warning("database unavailable: %s", exc)
    return _json(503, UNAVAILABLE_BODY, {"Retry-After": RETRY_AFTER_SECONDS})


def unique_violation(_: Request, exc: asyncpg.UniqueViolationError) -> Response:
    return _json(409, {"detail": f"记录已存在 / already exists ({exc.constraint_name})", "message": "记录已存在",
                       "message_en": f"already exists ({exc.constraint_name})"})


def internal_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, UNAVAILABLE_ERRORS) or isinstance(exc, asyncpg.QueryCanceledError):
        return unavailable(request, exc)
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _json(500, {"detail": "服务器内部错误 / internal error", "message": "服务器内部错误",
                       "message_en": "internal error"})


UNSTORABLE_BODY = {
    "status_code": 400,
    "detail": "请求含有无法保存的字符（如空字符 NUL）或嵌套过深 / the request holds a character that cannot be stored "
              "(such as NUL) or nests too deep",
    "message": "请求含有无法保存的字符（如空字符 NUL）或嵌套过深",
    "message_en": "the request holds a character that cannot be stored (such as NUL) or nests too deep"}


def unstorable_text(_: Request, exc: Exception) -> Response:
    """Text PostgreSQL cannot hold (a NUL character, a broken byte sequence) or JSON nested past any
    reason: the request is at fault, and nothing was written (its transaction rolls back)."""
    return _json(400, UNSTORABLE_BODY)


UNSUPPORTED_MEDIA_BODY = {
    "status_code": 415,
    "detail": "接口只接受 JSON（Content-Type: application/json）/ the API takes JSON only (Content-Type: application/json)",
    "message": "接口只接受 JSON（Content-Type: application/json）",
    "message_en": "the API takes JSON only (Content-Type: application/json)"}


def unsupported_media_type(_: Request, exc: Exception) -> Response:
    return _json(415, UNSUPPORTED_MEDIA_BODY)


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
