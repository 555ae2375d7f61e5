"""An API operation refuses a query parameter it does not take, by name: a mistyped filter (`?statuss=submitted`)
once answered with every filing, as if no filter had been asked for."""

from litestar import Request
from litestar.constants import RESERVED_KWARGS

from ..errors import InvalidInput

def _taken(request: Request) -> tuple[str, ...]:
    """The query parameters the request's operation reads (by their names in the address), in its order. Kept
    per service (app.state, beside the handlers it names, so an id never outlives its handler)."""
    handler = request.route_handler
    taken = request.app.state.query_params_taken
    if id(handler) not in taken:
        skip = set(RESERVED_KWARGS) | set(handler.resolve_dependencies()) | set(request.path_params)
        names = []
        for name, parameter in handler.parsed_fn_signature.parameters.items():
            given = parameter.kwarg_definition
            if name in skip or getattr(given, "header", None) or getattr(given, "cookie", None):
                continue
            names.append(getattr(given, "query", None) or name)
        taken[id(handler)] = tuple(names)
    return taken[id(handler)]


async def refuse_unknown_query(request: Request) -> None:
    """Before an /api/ operation runs: a 400 naming every query parameter it does not take, and those it does."""
    if not request.url.path.startswith("/api/") or not request.query_params:
        return
    taken = _taken(request)
    unknown = [name for name in request.query_params if name not in taken]
    if not unknown:
        return
    names = "、".join(unknown)
    allowed_zh = "、".join(taken) if taken else "（无）"
    allowed_en = ", ".join(taken) if taken else "none"
    raise InvalidInput(f"此接口不接受查询参数 {names}（可用：{allowed_zh}）",
                       f"this operation takes no query parameter {', '.join(unknown)} (it takes: {allowed_en})",
                       errors=[{"field": name, "message": "此接口不接受该查询参数", "message_en": "not a parameter of this"
                                " operation", "allowed": list(taken)} for name in unknown])
