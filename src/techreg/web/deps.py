"""Dependencies shared by controllers: one connection and one transaction per request."""

from collections.abc import AsyncGenerator

import asyncpg
from litestar import Request
from litestar.datastructures import State

from ..config import Settings
from ..db.pool import unit_of_work
from .replica import read_unit_of_work, seen_position, written_callback


async def provide_db(state: State, request: Request) -> AsyncGenerator[asyncpg.Connection, None]:
    """The primary. With a read replica, a request that may have written notes where the primary stood after
    its commit, so this person's next lag-tolerant reads wait for the replica to have it (web/replica.py)."""
    async with unit_of_work(state.pool, state.settings.acquire_timeout,
                            after_commit=written_callback(request, state)) as conn:
        yield conn


def provide_settings(state: State) -> Settings:
    return state.settings


def provide_audit_key(state: State) -> bytes:
    return state.audit_key


def streamed_unit_of_work(request: Request):
    """A streamed export's connection and transaction: taken when its body starts and held to its last byte
    (the handler's own is given back before a response is sent). Still one at a time. Exports tolerate lag:
    the replica's, read-only, as the route's own reads (web/replica.py)."""
    return read_unit_of_work(request.app.state, seen_position(request))
