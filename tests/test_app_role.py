"""The service's connection cannot read the audit key, switch the trail's triggers off or change the schema,
and the service refuses to start on a privileged connection."""

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from conftest import app_url
from techreg.config import load_settings
from techreg.web.app import PrivilegedDatabase, create_app


async def test_the_service_role_cannot_read_files_or_switch_triggers_off(database_url, data_dir):
    key_file = data_dir / "audit.key"
    key_file.write_text("secret-hmac-key")
    conn = await asyncpg.connect(app_url(database_url))
    try:
        assert await conn.fetchval("SELECT current_user") == "techreg_app"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetchval("SELECT pg_read_file($1)", str(key_file))
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("SET session_replication_role = replica")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE stolen (x text)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM filing_events")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("UPDATE filing_events SET actor = 'x'")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM filings")
        # what it needs it has: reading and writing rows, temporary tables for imports and scans
        await conn.fetchval("SELECT count(*) FROM filings")
        await conn.execute("CREATE TEMP TABLE scratch (x int)")
    finally:
        await conn.close()


async def test_the_service_refuses_a_privileged_connection(database_url, data_dir):
    settings = load_settings(data_dir=data_dir, database_url=database_url, audit_key="k")
    with pytest.raises(BaseException) as info:
        async with AsyncTestClient(app=create_app(settings, database_url)):
            pass
    errors = info.value.exceptions if isinstance(info.value, BaseExceptionGroup) else [info.value]
    assert any(isinstance(e, PrivilegedDatabase) and "superuser" in str(e) for e in errors)
