"""Bearer-token (or session-cookie) authentication on every route, and role guards."""

import re
import time

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from ..db.pool import unit_of_work
from ..errors import Forbidden, NotAuthenticated
from ..labels import label
from ..registry.users import CurrentUser, user_for_token

SESSION_COOKIE = "techreg_session"
# the two ways a request is turned away unauthenticated (the API description shows the first as its example)
NO_CREDENTIALS = ("请先登录", "log in first")
SESSION_INVALID = ("登录已过期或无效，请重新登录", "session expired or invalid; log in again")


def token_from(connection: ASGIConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return connection.cookies.get(SESSION_COOKIE) or None


def client_address(connection: ASGIConnection) -> str:
    """The peer's address as the server saw it (a proxy in front must be trusted explicitly, not here)."""
    client = connection.scope.get("client")
    return client[0] if client else ""


class SessionCache:
    """Remembers a resolved session for a few seconds, sparing a database round trip per request.

    Log-out clears the entry here at once; on other replicas a revoked session
    lives at most `ttl` seconds longer.
    """

    def __init__(self, ttl: float = 5.0, max_entries: int = 10_000):
        self.ttl, self.max_entries = ttl, max_entries
        self._entries: dict[str, tuple[CurrentUser, float]] = {}

    def get(self, token: str) -> CurrentUser | None:
        hit = self._entries.get(token)
        if hit and hit[1] > time.monotonic():
            return hit[0]
        return None

    def put(self, token: str, user: CurrentUser) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[token] = (user, time.monotonic() + self.ttl)

    def forget(self, token: str | None = None, username: str | None = None) -> None:
        if token is not None:
            self._entries.pop(token, None)
        if username is not None:
            for t in [t for t, (u, _) in self._entries.items() if u.username == username]:
                self._entries.pop(t, None)


UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# the API routes that take a file (multipart/form-data) instead of JSON
MULTIPART_ROUTES = re.compile(r"^/api/(audit/items/[0-9]+/evidence|orders/[0-9]+/documents)$")


def check_request_origin(connection: ASGIConnection) -> None:
    """A state change carried by the session cookie must come from this site: browsers send the cookie
    with a request another site makes them send (SameSite=Lax still lets a page on another port of the
    same host do it), but they always name the requesting page's origin. A bearer token is never sent by
    a browser on its own, so requests that carry one are the client's own."""
    if connection.scope.get("method") not in UNSAFE or connection.headers.get("authorization"):
        return
    own = f"{connection.url.scheme}://{connection.url.netloc}"
    origin = connection.headers.get("origin") or ""
    referer = connection.headers.get("referer") or ""
    if origin != own and not (not origin and (referer == own or referer.startswith(own + "/"))):
        raise Forbidden("请求不是从本站页面发出的，已拒绝（CSRF 防护）",
                        "refused: the request did not come from this site's pages (CSRF protection)")


def check_json_body(connection: ASGIConnection) -> None:
    """The JSON API takes JSON only: a form or text/plain body (what another site can send without asking)
    is refused before it is read."""
    if (connection.scope.get("method") in UNSAFE and connection.url.path.startswith("/api/")
            and connection.headers.get("content-length", "0") not in ("", "0")):
        kind = (connection.headers.get("content-type") or "").split(";")[0].strip().lower()
        if kind != "application/json" and not (kind == "multipart/form-data"
                                               and MULTIPART_ROUTES.match(connection.url.path)):
            raise UnsupportedMediaType()


class UnsupportedMediaType(Exception):
    status_code = 415


class TokenAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        check_json_body(connection)
        token = token_from(connection)
        if not token:
            raise NotAuthenticated(*NO_CREDENTIALS)
        check_request_origin(connection)
        state = connection.app.state
        cache: SessionCache = state.session_cache
        user = cache.get(token)
        if user is not None:
            return AuthenticationResult(user=user, auth=token)
        async with unit_of_work(state.pool, state.settings.acquire_timeout) as conn:
            user = await user_for_token(conn, token)
        if user is not None:
            cache.put(token, user)
        if user is None:
            raise NotAuthenticated(*SESSION_INVALID)
        return AuthenticationResult(user=user, auth=token)


def role_refusal(roles) -> Forbidden:
    allowed = sorted(roles)
    return Forbidden(f"此操作需要以下角色之一：{'、'.join(label('role', r) for r in allowed)}",
                     f"this needs one of the roles: {', '.join(label('role', r, 'en') for r in allowed)}")


def requires(*roles: str):
    """Guard: the user must hold one of `roles` (kept on the guard, for the API description)."""
    allowed = frozenset(roles)

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        user: CurrentUser = connection.user
        if user.role not in allowed:
            raise role_refusal(allowed)

    guard.roles = allowed
    return guard


class AnonymousLimit:
    """Requests per source address per minute on the routes anyone may call (the public record, its
    recomputation): one address cannot slow the service for the people logged in. Per replica."""

    def __init__(self, per_minute: int = 60):
        self.per_minute = per_minute
        self._counts: dict[tuple[str, int], int] = {}

    def allow(self, source: str) -> bool:
        minute = int(time.monotonic() // 60)
        if len(self._counts) > 10_000:
            self._counts = {k: v for k, v in self._counts.items() if k[1] == minute}
        key = (source, minute)
        self._counts[key] = self._counts.get(key, 0) + 1
        return self._counts[key] <= self.per_minute


def anonymous_limit(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if not connection.app.state.anonymous_limit.allow(client_address(connection)):
        from ..errors import TooManyRequests
        raise TooManyRequests("请求过于频繁，请一分钟后再试", "too many requests, try again in a minute")
