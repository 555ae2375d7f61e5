"""Shared set-up for benchmarks: a throw-away embedded PostgreSQL (or TECHREG_DATABASE_URL)."""

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import uuid
from pathlib import Path

import asyncpg

from techreg.db.embedded import EmbeddedPostgres
from techreg.db.migrate import migrate
from techreg.db.pool import connect
from techreg.testing import prepare_service_role, running_service

BENCH_PASSWORD = "staple-horse-battery-9"     # the benches' users log in with this


@contextlib.contextmanager
def server():
    if os.environ.get("TECHREG_DATABASE_URL"):
        yield os.environ["TECHREG_DATABASE_URL"]
        return
    tmp = Path(tempfile.mkdtemp(prefix="techreg-bench-"))
    pg = EmbeddedPostgres(tmp)
    url = pg.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # `kill` stops the server and removes it too
    try:
        yield url
    finally:
        pg.stop(mode="immediate")
        shutil.rmtree(tmp, ignore_errors=True)  # a bench's registry is gigabytes: never left behind


async def fresh_database(admin_url: str, migrated: bool = True) -> str:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_url)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = admin_url.rpartition("/")[0] + "/" + name
    if migrated:
        conn = await connect(url)
        await migrate(conn, progress=lambda _: None)
        await prepare_service_role(conn)
        await conn.close()
    return url


def run(coro):
    return asyncio.run(coro)


@contextlib.contextmanager
def embedded():
    """An embedded PostgreSQL the caller can kill and restart (faults); yields (admin_url, server)."""
    tmp = Path(tempfile.mkdtemp(prefix="techreg-bench-"))
    pg = EmbeddedPostgres(tmp)
    url = pg.start()
    try:
        yield url, pg
    finally:
        pg.stop(mode="immediate")
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def service(url: str, key: str = "bench-key", **env_extra):
    """`techreg serve` on a free loopback port, as the service role; yields its base URL (techreg.testing)."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="techreg-bench-service-"))
    try:
        with running_service(url, folder, TECHREG_AUDIT_KEY=key, **{k: str(v) for k, v in env_extra.items()}) as base:
            yield base
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def office(url: str, point: str = "310101") -> None:
    """A point with a registrar and a supervisor (password BENCH_PASSWORD)."""
    import datetime as dt

    from techreg.registry.points import PointIn, create_point
    from techreg.registry.users import UserIn, create_user

    conn = await connect(url)
    await create_point(conn, PointIn(code=point, name="bench"))
    for name, role in (("bench", "registrar"), ("bench-supervisor", "supervisor")):
        await create_user(conn, UserIn(username=name, display_name=name, role=role,
                                       point_code=point if role == "registrar" else None, password=BENCH_PASSWORD,
                                       qualification_expires=dt.date.today() + dt.timedelta(days=30)), actor="system")
    await conn.close()
