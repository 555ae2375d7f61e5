"""Connection pool and the one-transaction-per-unit-of-work helpers."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import asyncpg

from ..config import Settings

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


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(url: str, settings: Settings, *, min_size: int | None = None,
                      max_size: int | None = None) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        url,
        min_size=settings.pool_min if min_size is None else min_size,
        max_size=settings.pool_max if max_size is None else max_size,
        init=_init_connection,
        timeout=settings.acquire_timeout + 1,  # connect timeout
        command_timeout=settings.statement_timeout_ms / 1000 + 5,
        server_settings={
            "statement_timeout": str(settings.statement_timeout_ms),
            "application_name": "techreg",
            "timezone": "UTC",
        },
    )


async def connect(url: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(url, server_settings={"timezone": "UTC", "application_name": "techreg"})
    await _init_connection(conn)
    return conn


@contextlib.asynccontextmanager
async def unit_of_work(pool: asyncpg.Pool, timeout: float) -> AsyncIterator[asyncpg.Connection]:
    """Acquire one connection and one transaction; commit on success, roll back on error."""
    try:
        conn = await pool.acquire(timeout=timeout)
    except UNAVAILABLE_ERRORS as exc:
        raise DatabaseUnavailable(str(exc) or type(exc).__name__) from exc
    try:
        try:
            tx = conn.transaction()
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
