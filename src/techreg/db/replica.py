"""A streaming replica (TECHREG_READ_DATABASE_URL) and how far it has caught up with the primary.

Positions are WAL locations (pg_lsn, e.g. "0/3000148"): the primary's after a commit, the replica's as far as
it has replayed. A replica that has replayed past a position shows every transaction committed before it.
"""

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator

import asyncpg

from ..config import Settings
from .pool import connect

log = logging.getLogger("techreg.db")

# the primary's WAL position now: every transaction committed before this call lies before it
PRIMARY_POSITION = "SELECT pg_current_wal_lsn()::text"
# has this server replayed past the position? A server not in recovery (the read URL naming a primary) has
# nothing to replay: yes
REPLAYED_PAST = "SELECT coalesce(pg_last_wal_replay_lsn() >= $1::text::pg_lsn, true)"
# how far behind the replica is, in bytes of WAL and in time since its last replayed commit (for the README's
# figures and an operator's check); NULL on a primary
LAG = ("SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint AS bytes,"
       " extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS seconds")
POSITION_TEXT = re.compile(r"^[0-9A-F]{1,8}/[0-9A-F]{1,8}$")


def position_or_none(text: str | None) -> str | None:
    """A WAL position as a client sent it back (a cookie), or None when it is not one."""
    return text if text and POSITION_TEXT.match(text) else None


async def primary_position(conn: asyncpg.Connection) -> str:
    return await conn.fetchval(PRIMARY_POSITION)


async def replayed_past(conn: asyncpg.Connection, position: str) -> bool:
    return await conn.fetchval(REPLAYED_PAST, position)


async def wait_for_replay(conn: asyncpg.Connection, position: str, timeout: float) -> bool:
    """Poll until the replica has replayed past `position` (True), or `timeout` seconds pass (False)."""
    deadline, pause = time.monotonic() + timeout, 0.005
    while not await replayed_past(conn, position):
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(min(pause, max(deadline - time.monotonic(), 0)))
        pause = min(pause * 2, 0.1)
    return True


@contextlib.asynccontextmanager
async def replica_connection(settings: Settings) -> AsyncIterator[asyncpg.Connection | None]:
    """One connection to the read replica for a scan (a job, the CLI), or None when none is configured or it
    cannot be reached: the scan then reads on the primary."""
    if not settings.read_database_url:
        yield None
        return
    try:
        conn = await asyncio.wait_for(connect(settings.read_database_url, settings.timezone), 10)
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        log.warning("read replica unreachable, reading on the primary: %s", exc)
        yield None
        return
    try:
        yield conn
    finally:
        with contextlib.suppress(Exception):
            await conn.close()
