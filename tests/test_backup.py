"""Backups: dump with checksum and audit head, restore into a fresh data folder, the chain verifies."""

import io
import json

import pytest

from conftest import filing_body, new_ref
from techreg.db.backup import BackupError, backup, restore, service_grants
from techreg.db.embedded import EmbeddedPostgres
from techreg.db.pool import connect
from techreg.registry.events import verify_chain
from techreg.registry.importer import import_stream


async def test_backup_restores_into_a_fresh_data_folder_and_verifies(empty_database, audit_key, tmp_path):
    conn = await connect(empty_database)
    try:
        rows = [filing_body(new_ref("BK"), "310101") for _ in range(5)]
        rows.append(filing_body(new_ref("BK"), "310101", status="registered", reg_no="2026310101000777"))
        await import_stream(conn, io.BytesIO(b"".join(json.dumps(r).encode() + b"\n" for r in rows)), audit_key,
                            actor="t", create_points=True, source="t")
    finally:
        await conn.close()
    dump, manifest = await backup(empty_database, tmp_path / "backups")
    assert manifest.filings == 6 and manifest.events == 6 and dump.with_suffix(".json").exists()

    fresh = EmbeddedPostgres(tmp_path / "restored")           # another server, another data folder
    url = fresh.start()
    try:
        grants = service_grants()
        restored = await restore(dump, url, grants)
        assert restored.sha256 == manifest.sha256
        conn = await connect(url)
        try:
            report = await verify_chain(conn, audit_key)
            assert report.ok and report.filings == 6 and report.events == 6
            assert await conn.fetchval("SELECT reg_no FROM filings WHERE status = 'registered'") == "2026310101000777"
            # the service's role gets its grants back, and no more: the trails and evidence stay append-only
            for table in ("filing_events", "audit_item_history", "evidence_files", "evidence_withdrawals",
                          "account_events"):
                assert await conn.fetchval("SELECT has_table_privilege('techreg_app', $1, 'INSERT')", table)
                assert not await conn.fetchval("SELECT has_table_privilege('techreg_app', $1, 'UPDATE')", table)
        finally:
            await conn.close()
        with pytest.raises(BackupError, match="not empty"):         # never over an existing registry
            await restore(dump, url, grants)
    finally:
        fresh.stop(mode="immediate")
    damaged = dump.read_bytes()
    dump.write_bytes(damaged[:-10] + b"0123456789")
    with pytest.raises(BackupError, match="sha256"):
        await restore(dump, url, grants)
