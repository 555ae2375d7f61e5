"""Reads that tolerate replica lag, on the streaming replica (TECHREG_READ_DATABASE_URL).

A route that tolerates lag (lists, the dashboard, statistics, exports, the filing page) declares
`dependencies=READ_DB`: its `db` is a read-only transaction on the replica instead of the primary. Still one
pooled connection per request: the replica's, or the primary's, never both at once.

A person always sees their own writes: after a request that may have written (POST, PUT, PATCH, DELETE), the
primary's WAL position after the commit goes back in a cookie; a lag-tolerant read by that browser runs on the
replica only once the replica has replayed past that position, otherwise on the primary. Other people see
the registry as of the replica, at most its lag behind. The cookie carries the position itself, so any number
of service processes agree on it without sharing anything.

Without a replica (the setting unset) every read runs on the primary, as a read-only transaction.
"""

import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator

import asyncpg
from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide

from ..db.pool import UNAVAILABLE_ERRORS, DatabaseUnavailable, unit_of_work
from ..db.replica import position_or_none, primary_position, replayed_past

log = logging.getLogger("techreg.web")
SEEN_COOKIE = "techreg_seen"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_WRITTEN = "techreg_written_at"                   # the scope's note of the position, for the cookie


def written_callback(request: Request, state: State):
    """For provide_db: once a request that may have written has committed, note the primary's position."""
    if state.get("read_pool") is None or request.method not in UNSAFE:
        return None

    async def note(conn: asyncpg.Connection) -> None:
        try:
            request.scope.setdefault("state", {})[_WRITTEN] = await primary_position(conn)
        except Exception:          # committed already: the answer stands; only the cookie is missing
            log.warning("could not read the primary's WAL position after a write", exc_info=True)
    return note


def seen_position(request: Request) -> str | None:
    return position_or_none(request.cookies.get(SEEN_COOKIE))


@contextlib.asynccontextmanager
async def read_unit_of_work(state: State, seen: str | None) -> AsyncIterator[asyncpg.Connection]:
    """A read-only transaction on the replica when it has this person's last write (`seen`), else on the
    primary; on the primary too when the replica cannot be reached. The replica's connection is given back
    before the primary's is taken."""
    timeout = state.settings.acquire_timeout
    replica = state.get("read_pool")
    async with contextlib.AsyncExitStack() as stack:
        conn = None
        if replica is not None:
            try:
                conn = await stack.enter_async_context(unit_of_work(replica, timeout, readonly=True))
                if seen is not None and not await replayed_past(conn, seen):
                    conn = None                    # behind this person's own last write
            except (DatabaseUnavailable, *UNAVAILABLE_ERRORS) as exc:
                log.warning("read replica unavailable, reading on the primary: %s", exc)
                conn = None
            if conn is None:
                with contextlib.suppress(Exception):
                    await stack.aclose()
        if conn is None:
            conn = await stack.enter_async_context(unit_of_work(state.pool, timeout, readonly=True))
        yield conn


async def provide_read_db(state: State, request: Request) -> AsyncGenerator[asyncpg.Connection, None]:
    async with read_unit_of_work(state, seen_position(request)) as conn:
        yield conn


# a lag-tolerant route's `db`
READ_DB = {"db": Provide(provide_read_db)}


def seen_cookie_middleware(app):
    """Sets the cookie on the answer to a request that wrote: its position was noted after the commit, which
    comes after the handler has returned, so the cookie is added as the answer starts."""
    async def middleware(scope, receive, send):
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_cookie(message):
            position = scope.get("state", {}).get(_WRITTEN)
            if message["type"] == "http.response.start" and position:
                secure = "; Secure" if scope.get("scheme") == "https" else ""
                cookie = f"{SEEN_COOKIE}={position}; Path=/; HttpOnly; SameSite=Lax{secure}"
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())]}
            await send(message)
        await app(scope, receive, send_with_cookie)
    return middleware
