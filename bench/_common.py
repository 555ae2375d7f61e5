"""Shared set-up for benchmarks: a throw-away embedded PostgreSQL (or TECHREG_DATABASE_URL)."""

import asyncio
import contextlib
import os
import tempfile
import uuid
from pathlib import Path

import asyncpg

from techreg.db.embedded import EmbeddedPostgres
from techreg.db.migrate import migrate
from techreg.db.pool import connect


@contextlib.contextmanager
def server():
    if os.environ.get("TECHREG_DATABASE_URL"):
        yield os.environ["TECHREG_DATABASE_URL"]
        return
    tmp = Path(tempfile.mkdtemp(prefix="techreg-bench-"))
    pg = EmbeddedPostgres(tmp)
    url = pg.start()
    try:
        yield url
    finally:
        pg.stop(mode="immediate")


async def fresh_database(admin_url: str, migrated: bool = True) -> str:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_url)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = admin_url.rpartition("/")[0] + "/" + name
    if migrated:
        conn = await connect(url)
        await migrate(conn, progress=lambda _: None)
        await conn.close()
    return url


def run(coro):
    return asyncio.run(coro)
