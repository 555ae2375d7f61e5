"""The event trail is append-only and hash-chained; tampering is found and named."""

import io
import json
import os

import asyncpg
import pytest

from conftest import APPROVE, cli_env, filing_body, new_ref, unique_point_code
from techreg.registry.events import verify_chain
from techreg.registry.importer import import_stream


async def _seed(conn, audit_key, n=3) -> list[str]:
    point = unique_point_code()
    rows = [filing_body(new_ref("A"), point) for _ in range(n)]
    data = b"".join(json.dumps(r).encode() + b"\n" for r in rows)
    await import_stream(conn, io.BytesIO(data), audit_key, actor="test", create_points=True, source="a")
    return [r["ref"] for r in rows]


async def _event_id(conn, ref: str, seq: int = 1) -> int:
    return await conn.fetchval("SELECT e.id FROM filing_events e JOIN filings f ON f.id = e.filing_id"
                               " WHERE f.ref = $1 AND e.seq = $2", ref, seq)


async def test_database_refuses_update_and_delete_of_events(conn, audit_key):
    refs = await _seed(conn, audit_key, 1)
    event_id = await _event_id(conn, refs[0])
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await conn.execute("UPDATE filing_events SET actor = 'x' WHERE id = $1", event_id)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await conn.execute("DELETE FROM filing_events WHERE id = $1", event_id)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await conn.execute("DELETE FROM filings WHERE ref = $1", refs[0])


async def _tamper(conn, sql: str, *args) -> None:
    """What a superuser can still do: switch the triggers off and change rows."""
    async with conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute(sql, *args)


async def _reinsert(conn, row) -> None:
    cols = list(row.keys())
    placeholders = ", ".join(f"${i}" for i in range(1, len(cols) + 1))
    await _tamper(conn, f"INSERT INTO filing_events ({', '.join(cols)}) VALUES ({placeholders})", *row.values())


async def _verify(conn, audit_key):
    return await verify_chain(conn, audit_key)


async def test_intact_chain_verifies(conn, audit_key):
    await _seed(conn, audit_key)
    report = await _verify(conn, audit_key)
    assert report.ok, report.breaks[:3]


async def test_altered_row_is_named(database_url, audit_key):
    conn = await asyncpg.connect(database_url)
    try:
        from techreg.db.pool import _init_connection
        await _init_connection(conn)
        refs = await _seed(conn, audit_key)
        target = await _event_id(conn, refs[1])
        await _tamper(conn, "UPDATE filing_events SET actor = 'someone-else' WHERE id = $1", target)
        report = await _verify(conn, audit_key)
        assert not report.ok
        assert report.breaks[0].event_id == target and report.breaks[0].filing_ref == refs[1]
        # put it back so later tests see an intact chain
        await _tamper(conn, "UPDATE filing_events SET actor = 'test' WHERE id = $1", target)
        assert (await _verify(conn, audit_key)).ok
    finally:
        await conn.close()


async def test_deleted_and_inserted_rows_are_named(conn, app, office, audit_key):
    ref = new_ref()
    await app.post("/api/filings", json=filing_body(ref, office.point), headers=office.h("registrar"))
    await app.post(f"/api/filings/{ref}/register", json=APPROVE, headers=office.h("registrar"))
    await app.post(f"/api/filings/{ref}/cancel", json={"note": "解除"}, headers=office.h("registrar"))
    middle = await _event_id(conn, ref, 2)
    saved = await conn.fetchrow("SELECT * FROM filing_events WHERE id = $1", middle)
    await _tamper(conn, "DELETE FROM filing_events WHERE id = $1", middle)
    report = await _verify(conn, audit_key)
    assert not report.ok and report.breaks[0].filing_ref == ref and report.breaks[0].seq == 3
    # restore, then forge an extra event at the end with a made-up hash
    await _reinsert(conn, saved)
    assert (await _verify(conn, audit_key)).ok
    fid = saved["filing_id"]
    await _tamper(conn, """INSERT INTO filing_events (filing_id, seq, at, actor, action, from_status, to_status,
                            detail, prev_hash, hash)
                           SELECT filing_id, 4, now(), 'forger', 'register', 'cancelled', 'registered', '{}',
                                  hash, sha256(hash) FROM filing_events WHERE filing_id = $1 AND seq = 3""", fid)
    await _tamper(conn, "UPDATE filings SET event_count = 4 WHERE id = $1", fid)
    report = await _verify(conn, audit_key)
    assert not report.ok
    forged = await _event_id(conn, ref, 4)
    assert any(b.event_id == forged for b in report.breaks)
    await _tamper(conn, "DELETE FROM filing_events WHERE id = $1", forged)
    await _tamper(conn, "UPDATE filings SET event_count = 3 WHERE id = $1", fid)
    # removing the last event is caught by the head stored on the filing
    last = await conn.fetchrow("SELECT * FROM filing_events WHERE filing_id = $1 AND seq = 3", fid)
    await _tamper(conn, "DELETE FROM filing_events WHERE id = $1", last["id"])
    report = await _verify(conn, audit_key)
    assert not report.ok and report.breaks[0].filing_ref == ref
    await _reinsert(conn, last)
    assert (await _verify(conn, audit_key)).ok


def test_cli_verify_names_the_broken_row(settings, database_url):
    import asyncio
    import subprocess
    import sys

    async def break_one() -> tuple[int, str]:
        conn = await asyncpg.connect(database_url)
        row = await conn.fetchrow("SELECT e.id, f.ref FROM filing_events e JOIN filings f ON f.id = e.filing_id"
                                  " ORDER BY e.id LIMIT 1")
        await _tamper(conn, "UPDATE filing_events SET at = at + interval '1 day' WHERE id = $1", row["id"])
        await conn.close()
        return row["id"], row["ref"]

    async def repair(event_id: int) -> None:
        conn = await asyncpg.connect(database_url)
        await _tamper(conn, "UPDATE filing_events SET at = at - interval '1 day' WHERE id = $1", event_id)
        await conn.close()

    env = cli_env(TECHREG_DATABASE_URL=database_url, TECHREG_AUDIT_KEY=settings.audit_key)
    ok = subprocess.run([sys.executable, "-m", "techreg.cli", "audit", "verify"], capture_output=True, text=True,
                        env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    event_id, ref = asyncio.run(break_one())
    try:
        bad = subprocess.run([sys.executable, "-m", "techreg.cli", "audit", "verify"], capture_output=True,
                             text=True, env=env)
        assert bad.returncode == 2
        assert f"event id {event_id}" in bad.stdout and ref in bad.stdout
    finally:
        asyncio.run(repair(event_id))


# -- the filing rows themselves, and what only a registry-wide checkpoint can see --------------------------

async def _fresh(empty_database, audit_key, tmp_path):
    """Two filings in a database of their own: one registered history, one with a second event; sealed."""
    import datetime as dt

    from techreg.db.pool import connect
    from techreg.registry import checkpoints
    from techreg.registry.events import append_event

    conn = await connect(empty_database)
    history = filing_body(new_ref("T"), "310101", status="registered", reg_no="2026310101000001")
    corrected = filing_body(new_ref("T"), "310101")
    await import_stream(conn, io.BytesIO(b"".join(json.dumps(r).encode() + b"\n" for r in (history, corrected))),
                        audit_key, actor="test", create_points=True, source="t")
    async with conn.transaction():                         # a correction, as the service writes one
        row = await conn.fetchrow("UPDATE filings SET title = '更正后的标题' WHERE ref = $1"
                                  " RETURNING id, event_count, last_event_hash, status", corrected["ref"])
        await append_event(conn, audit_key, filing_id=row["id"], ref=corrected["ref"], event_count=row["event_count"],
                           last_hash=row["last_event_hash"], actor="test", action="correct",
                           from_status=row["status"], to_status=row["status"], detail={"changes": {"title": 1}})
    path = tmp_path / "checkpoints.jsonl"
    sealed = await checkpoints.write(conn, audit_key, path, settle=dt.timedelta(0))
    assert sealed.count == 3
    return conn, path, history["ref"], corrected["ref"]


async def _findings(conn, audit_key, path):
    from techreg.registry import checkpoints
    return (await verify_chain(conn, audit_key)).breaks, await checkpoints.verify(conn, audit_key, path)


async def test_untouched_rows_and_checkpoints_verify(empty_database, audit_key, tmp_path):
    conn, path, _, _ = await _fresh(empty_database, audit_key, tmp_path)
    try:
        assert await _findings(conn, audit_key, path) == ([], [])
    finally:
        await conn.close()


async def test_a_changed_amount_and_title_are_found(empty_database, audit_key, tmp_path):
    conn, path, ref, _ = await _fresh(empty_database, audit_key, tmp_path)
    try:
        await _tamper(conn, "UPDATE filings SET amount = amount * 100, tech_amount = tech_amount * 100,"
                            " title = title || '（改）' WHERE ref = $1", ref)
        chain, _ = await _findings(conn, audit_key, path)
        assert [b.filing_ref for b in chain] == [ref] and "changed after its last event" in chain[0].problem
    finally:
        await conn.close()


async def test_a_registration_turned_refused_without_its_number_is_found(empty_database, audit_key, tmp_path):
    conn, path, ref, _ = await _fresh(empty_database, audit_key, tmp_path)
    try:
        await _tamper(conn, "UPDATE filings SET status = 'refused', reg_no = NULL WHERE ref = $1", ref)
        chain, _ = await _findings(conn, audit_key, path)
        assert [b.filing_ref for b in chain] == [ref]
    finally:
        await conn.close()


async def test_a_removed_last_event_with_its_head_rolled_back_is_found(empty_database, audit_key, tmp_path):
    conn, path, _, ref = await _fresh(empty_database, audit_key, tmp_path)
    try:
        first = await conn.fetchrow("SELECT e.hash FROM filing_events e JOIN filings f ON f.id = e.filing_id"
                                    " WHERE f.ref = $1 AND e.seq = 1", ref)
        await _tamper(conn, "DELETE FROM filing_events WHERE seq = 2 AND filing_id = (SELECT id FROM filings"
                            " WHERE ref = $1)", ref)
        original = json.loads(json.dumps(filing_body(ref, "310101")))["title"]
        await _tamper(conn, "UPDATE filings SET event_count = 1, last_event_hash = $2, title = $3 WHERE ref = $1",
                      ref, first["hash"], original)
        chain, sealed = await _findings(conn, audit_key, path)
        assert chain == []                           # the filing's own chain is consistent again …
        assert len(sealed) == 1 and "removed" in sealed[0].problem    # … the checkpoint is not
    finally:
        await conn.close()


async def test_a_filing_removed_with_its_events_is_found(empty_database, audit_key, tmp_path):
    conn, path, ref, _ = await _fresh(empty_database, audit_key, tmp_path)
    try:
        await _tamper(conn, "DELETE FROM filing_events WHERE filing_id = (SELECT id FROM filings WHERE ref = $1)", ref)
        await _tamper(conn, "DELETE FROM filing_facts WHERE id = (SELECT id FROM filings WHERE ref = $1)", ref)
        await _tamper(conn, "DELETE FROM filings WHERE ref = $1", ref)
        chain, sealed = await _findings(conn, audit_key, path)
        assert chain == [] and len(sealed) == 1 and sealed[0].seq == 1
    finally:
        await conn.close()
