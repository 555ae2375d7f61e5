"""Connection pool and the one-transaction-per-unit-of-work helpers."""

import asyncio
import contextlib
import datetime as dt
import functools
import json
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import asyncpg

from ..config import Settings, load_settings

# errors that mean "the database is not reachable right now", answered with 503
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,
    # a connection whose server died mid-statement is left in a broken protocol state
    asyncpg.exceptions.InternalClientError,
)


class DatabaseUnavailable(Exception):
    """The database could not be reached within the acquire timeout."""


# timestamptz on the wire: microseconds since this moment (PostgreSQL's epoch)
PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
PG_INFINITY, PG_NEGATIVE_INFINITY = 2 ** 63 - 1, -(2 ** 63)
MICROSECOND = dt.timedelta(microseconds=1)


def _encode_moment(value: dt.date) -> tuple[int]:
    """As asyncpg does: a naive moment or a date is taken in the process's own zone."""
    if value == dt.datetime.max:
        return (PG_INFINITY,)
    if value == dt.datetime.min:
        return (PG_NEGATIVE_INFINITY,)
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day).astimezone()
    return ((value.astimezone(dt.timezone.utc) - PG_EPOCH) // MICROSECOND,)


def _moment_decoder(zone: ZoneInfo):
    """Every stored moment comes back in the office's zone (TECHREG_TIMEZONE): the API's ISO 8601 then carries
    that zone's offset, and pages, exports and the CLI start from the same moment."""
    def decode(raw: tuple[int]) -> dt.datetime:
        micros = raw[0]
        if micros == PG_INFINITY:
            return dt.datetime.max
        if micros == PG_NEGATIVE_INFINITY:
            return dt.datetime.min
        return (PG_EPOCH + dt.timedelta(microseconds=micros)).astimezone(zone)
    return decode


@functools.lru_cache(maxsize=8)
def _zone(timezone: str) -> ZoneInfo:
    return ZoneInfo(timezone)


async def _init_connection(conn: asyncpg.Connection, timezone: str | None = None) -> None:
    timezone = timezone or load_settings().timezone
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("timestamptz", encoder=_encode_moment, decoder=_moment_decoder(_zone(timezone)),
                              schema="pg_catalog", format="tuple")


async def create_pool(url: str, settings: Settings, *, min_size: int | None = None,
                      max_size: int | None = None) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        url,
        min_size=settings.pool_min if min_size is None else min_size,
        max_size=settings.pool_max if max_size is None else max_size,
        init=functools.partial(_init_connection, timezone=settings.timezone),
        timeout=settings.acquire_timeout + 1,  # connect timeout
        command_timeout=settings.statement_timeout_ms / 1000 + 5,
        server_settings={
            "statement_timeout": str(settings.statement_timeout_ms),
            "application_name": "techreg",
            "timezone": "UTC",
        },
    )


async def connect(url: str, timezone: str | None = None) -> asyncpg.Connection:
    """One connection; its moments in `timezone` (default TECHREG_TIMEZONE)."""
    conn = await asyncpg.connect(url, server_settings={"timezone": "UTC", "application_name": "techreg"})
    await _init_connection(conn, timezone)
    return conn


@contextlib.asynccontextmanager
async def unit_of_work(pool: asyncpg.Pool, timeout: float, *, readonly: bool = False,
                       after_commit=None) -> AsyncIterator[asyncpg.Connection]:
    """Acquire one connection and one transaction; commit on success, roll back on error. `after_commit(conn)`
    runs once the transaction is committed, before the connection goes back to the pool."""
    try:
        conn = await pool.acquire(timeout=timeout)
    except UNAVAILABLE_ERRORS as exc:
        raise DatabaseUnavailable(str(exc) or type(exc).__name__) from exc
    try:
        try:
            tx = conn.transaction(readonly=readonly)
            await tx.start()
        except UNAVAILABLE_ERRORS as exc:
            raise DatabaseUnavailable(str(exc) or type(exc).__name__) from exc
        try:
            yield conn
        except BaseException:
            with contextlib.suppress(Exception):
                await tx.rollback()
            raise
        else:
            try:
                await tx.commit()
                if after_commit is not None:
                    await after_commit(conn)
            except UNAVAILABLE_ERRORS as exc:
                raise DatabaseUnavailable(str(exc) or type(exc).__name__) from exc
    finally:
        with contextlib.suppress(Exception):
            await pool.release(conn, timeout=2)


async def close_pool(pool: asyncpg.Pool, timeout: float = 10.0) -> None:
    """Close gracefully, or terminate the connections still busy after `timeout`: shutdown always ends."""
    try:
        await asyncio.wait_for(pool.close(), timeout)
    except (asyncio.TimeoutError, TimeoutError):
        pool.terminate()
