"""`techreg import` / export: bad lines reported, good lines kept, idempotent by ref."""

import asyncio
import io
import json
import os
import pwd
import subprocess
import sys

from click.testing import CliRunner

from conftest import APPROVE, cli_env, filing_body, new_ref, unique_point_code
from techreg.cli import main
from techreg.db.pool import connect
from techreg.detection.store import is_scored
from techreg.registry.exporter import export_lines
from techreg.registry.importer import import_stream
from techreg.registry.points import PointIn, create_point


def _lines(*objs) -> bytes:
    return b"".join((o if isinstance(o, bytes) else json.dumps(o, ensure_ascii=False).encode()) + b"\n" for o in objs)


async def _new_point(conn) -> str:
    """A registration point of the test's own, set up as an office sets one up before importing into it."""
    point = unique_point_code()
    await create_point(conn, PointIn(code=point, name=f"导入测试登记点 {point}"))
    return point


async def test_bad_lines_are_reported_and_good_lines_imported(conn, audit_key):
    point = await _new_point(conn)
    good1, good2 = filing_body(new_ref("I"), point), filing_body(new_ref("I"), point)
    bad_code = filing_body(new_ref("I"), point)
    bad_code["buyer"]["credit_code"] = "91310000MA1FL1234X"
    bad_dates = filing_body(new_ref("I"), point, filed_on="2020-01-01")
    unknown = filing_body(new_ref("I"), point, colour="red")
    stray_point = unique_point_code()                 # a typo, or a point no one has set up
    nowhere = filing_body(new_ref("I"), stray_point)
    separators = filing_body(new_ref("I"), point, amount="1,250,000.00")
    broken = b'{"ref": "I-x", "title": \xe6\x8a\x80\xe6\x9c\xaf}'      # a title without its quotes
    data = _lines(good1, bad_code, b"{\"ref\": \"trunc", good2, bad_dates, b"\xff\xfe\x00bad", unknown, nowhere,
                  separators, broken)
    report = await import_stream(conn, io.BytesIO(data), audit_key, actor="test", source="t.jsonl")
    assert report.imported == 2 and report.rejected == 8
    by_line = {e.line: e for e in report.errors}
    assert by_line[2].field == "buyer.credit_code"
    assert by_line[2].message.startswith("买方统一社会信用代码未通过校验") and "营业执照" in by_line[2].message
    assert "校验位" not in by_line[2].message and "应为" not in by_line[2].message
    assert by_line[3].field == "$" and by_line[3].message == "不是合法的 JSON：第 15 列：字符串未闭合：缺少右引号 \"（字符串内不能直接换行）"
    assert by_line[5].field == "filed_on"
    assert "UTF-8" in by_line[6].message_en
    assert by_line[7].field == "colour"
    # a point the registry does not have: the line refused, by its field, with the reason in both languages
    assert (by_line[8].field, by_line[8].value) == ("point", stray_point)
    assert f"登记点 {stray_point} 不存在" in by_line[8].message and "does not exist" in by_line[8].message_en
    assert report.unknown_points == [stray_point] and report.points_created == []
    assert "不可使用千位分隔符" in by_line[9].message and "1250000.00" in by_line[9].message
    assert by_line[9].field == "amount" and "thousands separators" in by_line[9].message_en
    # a broken line in words, where it breaks: never msgspec's "JSON is malformed … (byte 31)"
    assert by_line[10].message == "不是合法的 JSON：第 25 列（“技”）：此处有不应出现的字符（如未加引号的文字、中文标点或换行）"
    assert "column 25" in by_line[10].message_en and "byte" not in by_line[10].message_en
    for ref in (bad_code["ref"], bad_dates["ref"], unknown["ref"], nowhere["ref"], separators["ref"]):
        assert await conn.fetchval("SELECT count(*) FROM filings WHERE ref = $1", ref) == 0
    # nothing made up for it: no point, no party of its own
    assert await conn.fetchval("SELECT count(*) FROM points WHERE code = $1", stray_point) == 0


async def test_import_is_idempotent_by_ref(conn, audit_key):
    point = await _new_point(conn)
    rows = [filing_body(new_ref("I"), point) for _ in range(5)]
    data = _lines(*rows, rows[0])  # the same ref twice in one file too
    first = await import_stream(conn, io.BytesIO(data), audit_key, actor="test", source="a")
    second = await import_stream(conn, io.BytesIO(data), audit_key, actor="test", source="a")
    assert (first.imported, first.already_present) == (5, 1)
    assert (second.imported, second.already_present) == (0, 6)
    refs = [r["ref"] for r in rows]
    assert await conn.fetchval("SELECT count(*) FROM filings WHERE ref = any($1)", refs) == 5
    assert await conn.fetchval("SELECT count(*) FROM filing_events e JOIN filings f ON f.id = e.filing_id"
                               " WHERE f.ref = any($1)", refs) == 5


async def test_history_with_registration_numbers_raises_the_counter(conn, audit_key, app, database_url):
    from conftest import make_office

    office = await make_office(database_url)
    import datetime as dt
    year = dt.date.today().year
    hist = filing_body(new_ref("H"), office.point, status="registered", reg_no=f"{year}{office.point}000041",
                       registrar=office.usernames["registrar"])
    clash = filing_body(new_ref("H"), office.point, status="registered", reg_no=f"{year}{office.point}000041")
    stranger = filing_body(new_ref("H"), office.point, status="registered", reg_no=f"{year}{office.point}000040",
                           registrar="no-such-registrar")
    report = await import_stream(conn, io.BytesIO(_lines(hist, clash, stranger)), audit_key, actor="test", source="h")
    assert report.imported == 1 and report.rejected == 2
    assert sorted((e.line, e.field) for e in report.errors) == [(2, "reg_no"), (3, "registrar")]
    # a registrar named in history is checked against the point's registrars, never created
    assert not await conn.fetchval("SELECT count(*) FROM users WHERE username = 'no-such-registrar'")
    ref = new_ref()
    r = await app.post("/api/filings", json=filing_body(ref, office.point), headers=office.h("registrar"))
    r = await app.post(f"/api/filings/{ref}/register", json=APPROVE, headers=office.h("registrar"))
    assert r.json()["reg_no"] == f"{year}{office.point}000042"


async def test_registration_number_clashes_within_and_across_batches(conn, audit_key):
    point = unique_point_code()
    number = lambda k: f"2025{point}{k:06d}"  # noqa: E731
    a, b, c, d, e, f = (new_ref("N") for _ in range(6))
    line = lambda ref, k: filing_body(ref, point, status="registered", reg_no=number(k))  # noqa: E731
    data = _lines(line(a, 1), line(b, 1), line(a, 1),      # batch 1: b gives a's number; a again is the same filing
                  line(c, 2), line(d, 1), line(e, 2),      # batch 2: d clashes with a (written), e with c (same batch)
                  line(f, 3), line(a, 1))                  # batch 3: a once more, the number its own
    # history from an older system: its point made on the way, explicitly, numbering with its six digits
    first = await import_stream(conn, io.BytesIO(data), audit_key, actor="test", source="n", batch_size=3,
                                create_points=True)
    assert first.points_created == [point] and first.unknown_points == []
    assert tuple(await conn.fetchrow("SELECT name, number_prefix FROM points WHERE code = $1", point)) == (point, point)
    assert [(x.line, x.field) for x in first.errors] == [(2, "reg_no"), (5, "reg_no"), (6, "reg_no")]
    assert [x.message_en for x in first.errors] == [f"reg_no {number(1)} is already used by {a}",
                                                    f"reg_no {number(1)} is already used by {a}",
                                                    f"reg_no {number(2)} is already used by {c}"]
    assert first.errors[0].message == f"登记号 {number(1)} 已被 {a} 使用"
    assert (first.imported, first.rejected, first.already_present) == (3, 3, 2)
    assert dict(await conn.fetch("SELECT ref, reg_no FROM filings WHERE point_code = $1", point)) == {
        a: number(1), c: number(2), f: number(3)}
    assert await conn.fetchval("SELECT last_seq FROM reg_counters WHERE point_code = $1 AND year = 2025", point) == 3
    # the same file again: nothing new, the same lines refused, now against the filings written the first time
    again = await import_stream(conn, io.BytesIO(data), audit_key, actor="test", source="n", batch_size=3,
                                create_points=True)
    assert again.points_created == []
    assert [(x.line, x.message_en) for x in again.errors] == [(2, f"reg_no {number(1)} is already used by {a}"),
                                                             (5, f"reg_no {number(1)} is already used by {a}"),
                                                             (6, f"reg_no {number(2)} is already used by {c}")]
    assert (again.imported, again.rejected, again.already_present) == (0, 3, 5)


async def test_export_round_trips_in_meaning(conn, audit_key):
    point = await _new_point(conn)
    rows = [filing_body(new_ref("X"), point, description="说明", subkind=None) for _ in range(3)]
    rows[0].pop("subkind")
    await import_stream(conn, io.BytesIO(_lines(*rows)), audit_key, actor="test", source="x")
    exported = {}
    async for line in export_lines(conn):
        obj = json.loads(line)
        exported[obj["ref"]] = obj
    for row in rows:
        row = {"status": "submitted", **{k: v for k, v in row.items() if v is not None}}
        exported[row["ref"]].setdefault("status", "submitted")
        assert exported[row["ref"]] == row


def test_cli_import_exit_status_and_messages(tmp_path, settings):
    point = unique_point_code()
    path = tmp_path / "batch.jsonl"
    first, bad = filing_body(new_ref("C"), point), filing_body(new_ref("C"), point, amount="-5")
    path.write_bytes(_lines(first, bad))
    env = cli_env(TECHREG_DATABASE_URL=settings.database_url, TECHREG_AUDIT_KEY=settings.audit_key)
    # the point is not set up: every line refused, by line, field and reason, and what to do said once
    result = subprocess.run([sys.executable, "-m", "techreg.cli", "import", "--no-scan", str(path)],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 1, result.stderr
    assert f"第 1 行 / line 1: 登记点 / " in result.stderr and f"登记点 {point} 不存在" in result.stderr
    assert "line 2" in result.stderr and "amount" in result.stderr
    assert "合同成交额" in result.stderr and '"-5"' in result.stderr      # the field's Chinese name, the value
    assert "--create-points" in result.stderr and "0 imported" in result.stdout and "2 rejected" in result.stdout
    # history from an older system: its points created, on request only, and said
    ok = tmp_path / "ok.jsonl"
    ok.write_bytes(_lines(first))
    result = subprocess.run([sys.executable, "-m", "techreg.cli", "import", "--no-scan", "--create-points", str(ok)],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "1 imported" in result.stdout and f"新建登记点 1 个（名称暂为代码）：{point}" in result.stderr

    async def actor() -> str:
        conn = await connect(settings.database_url)
        try:
            return await conn.fetchval("SELECT e.actor FROM filing_events e JOIN filings f ON f.id = e.filing_id"
                                       " WHERE f.ref = $1", first["ref"])
        finally:
            await conn.close()
    # the trail names who ran it, as --help says: the OS user (no USER in this environment: the passwd entry)
    assert asyncio.run(actor()) == pwd.getpwuid(os.getuid()).pw_name


async def test_the_cli_scores_what_it_imported_with_no_service_running(empty_database, tmp_path):
    """Filings imported by `techreg import` are scored as a submitted one is, by the command itself: their pages
    show flags, never "scoring" for ever (in this process, on a registry of its own: the scan judges its filings)."""
    point = unique_point_code()
    path = tmp_path / "history.jsonl"
    rows = [filing_body(new_ref("S"), point), filing_body(new_ref("S"), point, status="registered")]
    path.write_bytes(_lines(*rows))
    result = await asyncio.to_thread(CliRunner().invoke, main, ["import", "--create-points", str(path)],
                                     prog_name="techreg", env={"TECHREG_DATABASE_URL": empty_database,
                                                               "TECHREG_AUDIT_KEY": "scan-key"})
    assert result.exit_code == 0, result.output
    assert "2 imported" in result.output and "评分完成" in result.output and "scored 2" in result.output
    conn = await connect(empty_database)
    try:
        for row in rows:
            assert await is_scored(conn, await conn.fetchval("SELECT id FROM filings WHERE ref = $1", row["ref"]))
    finally:
        await conn.close()
