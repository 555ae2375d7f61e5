"""Dependencies shared by controllers: one connection and one transaction per request."""

from collections.abc import AsyncGenerator

import asyncpg
from litestar.datastructures import State

from ..config import Settings
from ..db.pool import unit_of_work


async def provide_db(state: State) -> AsyncGenerator[asyncpg.Connection, None]:
    async with unit_of_work(state.pool, state.settings.acquire_timeout) as conn:
        yield conn


def provide_settings(state: State) -> Settings:
    return state.settings


def provide_audit_key(state: State) -> bytes:
    return state.audit_key


def streamed_unit_of_work(state: State):
    """A streamed response's connection and transaction: taken when its body starts and held to its last byte
    (the handler's own, from provide_db, is given back before a response is sent). Still one at a time."""
    return unit_of_work(state.pool, state.settings.acquire_timeout)
