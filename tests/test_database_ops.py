"""Migrations, the embedded server, and behaviour when the database goes away."""

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from conftest import APP_PASSWORD, PASSWORD, app_url, cli_env, filing_body, new_ref
from techreg.db import roles
from techreg.config import load_settings
from techreg.db.embedded import EmbeddedPostgres
from techreg.db.migrate import Migration, load_migrations, migrate, pending
from techreg.db.pool import connect


async def _fresh_db(server) -> str:
    _, admin_url = server
    name = f"techreg_mig_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_url)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return admin_url.rpartition("/")[0] + "/" + name


async def test_migrations_apply_once_each_even_when_two_run_at_once(server):
    url = await _fresh_db(server)
    a, b = await connect(url), await connect(url)
    try:
        results = await asyncio.gather(migrate(a, progress=lambda _: None), migrate(b, progress=lambda _: None))
        expected = [m.version for m in load_migrations()]
        assert sorted(m.version for r in results for m in r) == expected  # each applied by exactly one
        rows = await a.fetch("SELECT version FROM schema_migrations ORDER BY version")
        assert [r["version"] for r in rows] == expected
        assert await migrate(a, progress=lambda _: None) == []
        assert await pending(a) == []
    finally:
        await a.close()
        await b.close()


async def test_a_failing_migration_leaves_no_record(server):
    url = await _fresh_db(server)
    conn = await connect(url)
    try:
        bad = [Migration(1, "ok", "CREATE TABLE t1 (x int);"), Migration(2, "broken", "CREATE TABLE t1 (x int);")]
        with pytest.raises(asyncpg.DuplicateTableError):
            await migrate(conn, bad, progress=lambda _: None)
        assert [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")] == [1]
    finally:
        await conn.close()


async def test_serve_refuses_an_outdated_schema(server, empty_database, tmp_path):
    """The service role exists on the server (another database was migrated, `empty_database`), this one was
    never migrated: serve says to run techreg migrate, also when this test runs alone."""
    from techreg.web.app import SchemaOutdated, create_app

    url = await _fresh_db(server)
    settings = load_settings(data_dir=tmp_path, database_url=url, audit_key="k")
    with pytest.raises(BaseException) as info:
        async with AsyncTestClient(app=create_app(settings, app_url(url))):
            pass
    errors = info.value.exceptions if isinstance(info.value, BaseExceptionGroup) else [info.value]
    assert any(isinstance(e, SchemaOutdated) and "techreg migrate" in str(e) for e in errors)
    env = cli_env(TECHREG_DATABASE_URL=url, TECHREG_DATA_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-m", "techreg.cli", "serve", "--port", "0"], capture_output=True,
                            text=True, env=env, timeout=60)
    assert result.returncode != 0 and "techreg migrate" in result.stderr


@pytest.fixture
def own_server(tmp_path):
    """A second embedded server this test may kill."""
    pg = EmbeddedPostgres(tmp_path / "killable")
    pg.start()
    yield pg
    pg.stop(mode="immediate")


async def _wait_for(predicate, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.2)
    return False


async def test_database_down_gives_503_then_recovers_by_itself(own_server, tmp_path):
    from techreg.registry.points import PointIn, create_point
    from techreg.registry.users import UserIn, create_user
    from techreg.web.app import create_app
    import datetime as dt

    url = own_server.url()
    conn = await connect(url)
    await migrate(conn, progress=lambda _: None)
    await roles.set_app_password(conn, APP_PASSWORD)
    await create_point(conn, PointIn(code="310101", name="黄浦"))
    await create_user(conn, UserIn(username="r", display_name="r", role="registrar", point_code="310101",
                                   password=PASSWORD, qualification_expires=dt.date.today() + dt.timedelta(days=9)),
                      actor="system")
    await conn.close()
    settings = load_settings(data_dir=tmp_path, database_url=url, audit_key="k")
    async with AsyncTestClient(app=create_app(settings, app_url(url))) as client:
        token = (await client.post("/api/auth/login", json={"username": "r", "password": PASSWORD})).json()["token"]
        client.cookies.clear()
        h = {"Authorization": f"Bearer {token}"}
        before = new_ref()
        assert (await client.post("/api/filings", json=filing_body(before, "310101"), headers=h)).status_code == 201

        os.kill(own_server.postmaster_pid(), signal.SIGKILL)
        await asyncio.sleep(0.5)
        for _ in range(3):
            started = time.monotonic()
            r = await client.post("/api/filings", json=filing_body(new_ref(), "310101"), headers=h)
            elapsed = time.monotonic() - started
            assert r.status_code == 503, r.text
            assert r.headers["retry-after"]
            print(f"503 answered in {elapsed:.3f}s")
            r = await client.get("/api/filings", headers=h)
            assert r.status_code == 503

        await asyncio.sleep(0.5)
        own_server.start()

        async def healthy() -> bool:
            return (await client.get(f"/api/filings/{before}", headers=h)).status_code == 200

        assert await _wait_for(healthy, 30), "service did not recover after the database came back"
        after = new_ref()
        assert (await client.post("/api/filings", json=filing_body(after, "310101"), headers=h)).status_code == 201
    conn = await connect(url)
    try:
        # the filing acknowledged before the crash survived it
        assert await conn.fetchval("SELECT count(*) FROM filings WHERE ref = any($1)", [before, after]) == 2
    finally:
        await conn.close()
