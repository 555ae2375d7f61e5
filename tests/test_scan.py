"""Scans against a real PostgreSQL: flags stored with evidence, rescans keep history."""

import io
import json
import os
import subprocess
import sys

from conftest import cli_env, filing_body, new_ref, party_code, unique_point_code
from techreg.detection import backdated, duplicate, large_software, outlier, split
from techreg.detection.scan import run_scan
from techreg.detection.store import export_flags
from techreg.registry.importer import import_stream


async def test_full_and_incremental_scan_store_flags_with_evidence(conn, settings, audit_key):
    point = unique_point_code()
    # parties of its own: the shared test database holds many identical default filings (true duplicates)
    n = int(point)
    honest = filing_body(new_ref("S"), point, title="水处理膜技术咨询合同", kind="consulting", subkind=None,
                         seller={"name": "上海启明检测技术有限公司", "credit_code": party_code(n * 10 + 3), "region": "310101"},
                         buyer={"name": "上海长江新材料有限公司", "credit_code": party_code(n * 10 + 4), "region": "310104"})
    late_signed = filing_body(new_ref("S"), point, signed_on="2026-06-01", performance_start="2026-01-05",
                              performance_end="2026-05-20", filed_on="2026-06-03")
    data = b"".join(json.dumps(x).encode() + b"\n" for x in (honest, late_signed))
    await import_stream(conn, io.BytesIO(data), audit_key, actor="t", create_points=True, source="s")

    report = await run_scan(conn, settings, full=True)
    assert report.filings_scored >= 2
    flags = {r["ref"]: r for r in await conn.fetch(
        "SELECT f.ref, g.kind, g.score, g.reasons, g.active FROM flags g JOIN filings f ON f.id = g.filing_id"
        " WHERE f.ref = any($1) AND g.kind <> 'outlier'", [honest["ref"], late_signed["ref"]])}
    assert honest["ref"] not in flags
    flag = flags[late_signed["ref"]]
    assert flag["kind"] == "backdated" and flag["score"] > 0.9 and flag["active"]
    assert any("履行" in r for r in flag["reasons"])
    stats = await conn.fetch("SELECT detector FROM scan_detector_stats WHERE run_id = $1", report.run_id)
    assert {s["detector"] for s in stats} >= {outlier.load().detector, backdated.DETECTOR, large_software.DETECTOR, split.DETECTOR,
                                               duplicate.DETECTOR}

    # nothing changed: an incremental scan scores nothing new and keeps the flag
    again = await run_scan(conn, settings, full=False)
    assert again.filings_scored == 0
    assert await conn.fetchval("SELECT active FROM flags g JOIN filings f ON f.id = g.filing_id"
                               " WHERE f.ref = $1 AND g.kind = 'backdated'", late_signed["ref"])
    exported = [json.loads(line) async for line in export_flags(conn)]
    mine = [e for e in exported if e["ref"] == late_signed["ref"]]
    assert mine and set(mine[0]) == {"ref", "kind", "score", "reasons", "related", "detector"}


def test_cli_scan_and_flags_export(settings):
    env = cli_env(TECHREG_DATABASE_URL=settings.database_url, TECHREG_AUDIT_KEY=settings.audit_key)
    result = subprocess.run([sys.executable, "-m", "techreg.cli", "scan", "--full"], capture_output=True, text=True,
                            env=env)
    assert result.returncode == 0, result.stderr
    assert backdated.DETECTOR in result.stdout
    result = subprocess.run([sys.executable, "-m", "techreg.cli", "flags", "export"], capture_output=True, text=True,
                            env=env)
    assert result.returncode == 0, result.stderr
    for line in result.stdout.splitlines():
        obj = json.loads(line)
        assert 0 <= obj["score"] <= 1 and obj["reasons"]


async def test_flags_are_readable_through_the_api(app, office, other_office, settings, conn):
    ref = new_ref("F")
    body = filing_body(ref, office.point, signed_on="2026-06-01", performance_start="2026-01-05",
                       performance_end="2026-05-20", filed_on="2026-06-03")
    assert (await app.post("/api/filings", json=body, headers=office.h("registrar"))).status_code == 201
    await run_scan(conn, settings, full=False)
    r = await app.get(f"/api/filings/{ref}/flags", headers=office.h("registrar"))
    assert r.status_code == 200
    flags = r.json()
    flags = [f for f in flags if f["kind"] == "backdated"]
    assert flags[0]["reasons"] and flags[0]["active"]
    risk = (await app.get(f"/api/filings/{ref}/risk", headers=office.h("registrar"))).json()
    assert risk["ref"] == ref and risk["risk"] >= flags[0]["score"] and "backdated" in risk["kinds"]
    listed = (await app.get("/api/flags", params={"kind": "backdated", "min_score": 0.9, "limit": 1000},
                            headers=office.h("registrar"))).json()
    assert ref in {f["ref"] for f in listed}
    # another point's registrar sees neither the filing's flags nor them in the list
    assert (await app.get(f"/api/filings/{ref}/flags", headers=other_office.h("registrar"))).status_code == 404
    assert (await app.get(f"/api/filings/{ref}/risk", headers=other_office.h("registrar"))).status_code == 404
    theirs = (await app.get("/api/flags", params={"limit": 1000}, headers=other_office.h("registrar"))).json()
    assert ref not in {f["ref"] for f in theirs}


async def _active_rule_flags(conn, parties: list[str] | None = None) -> set:
    """Active flags of the rule detectors; with `parties`, only on filings between them."""
    rows = await conn.fetch("SELECT f.ref, g.kind, g.detector, g.related, round(g.score::numeric, 6) AS score"
                            " FROM flags g JOIN filings f ON f.id = g.filing_id WHERE g.active AND g.kind <> 'outlier'"
                            " AND ($1::text[] IS NULL OR (f.seller_code::text = any($1) AND f.buyer_code::text = any($1)))",
                            parties)
    return {(r["ref"], r["kind"], r["detector"], tuple(sorted(r["related"])), r["score"]) for r in rows}


async def test_incremental_scan_gives_what_a_full_scan_gives(empty_database, settings, audit_key):
    from ml.synth import generate
    from techreg.db.pool import connect

    filings, labels = generate(6000, seed=77)
    first, rest = filings[:4500], filings[4500:]
    conn = await connect(empty_database)
    try:
        for part in (first, rest):
            data = b"".join(json.dumps(f, ensure_ascii=False).encode() + b"\n" for f in part)
            await import_stream(conn, io.BytesIO(data), audit_key, actor="t", create_points=True, source="s")
            report = await run_scan(conn, settings, full=part is first)
        assert report.mode == "incremental" and report.filings_scored == len(rest)
        # the report's count of active flags (from their tally) is the flags table's
        assert report.flags_active == await conn.fetchval("SELECT count(*) FROM flags WHERE active") > 0
        incremental = await _active_rule_flags(conn)
        await run_scan(conn, settings, full=True)
        assert await _active_rule_flags(conn) == incremental
        assert {ref for ref, *_ in incremental} & {f["ref"] for f in rest}   # the new filings were scored
    finally:
        await conn.close()


async def test_a_filing_committed_after_a_scan_saw_a_later_one_is_scanned_next(empty_database, settings, audit_key):
    """A change_seq is taken when a filing is written, not when its transaction commits: a scan running while an
    import is open sees a later, shorter transaction's filing and its higher number. The next incremental scan must
    still score the import's filings once they commit (before migration 0029 it skipped them until a full scan)."""
    from techreg.db.pool import connect

    point = unique_point_code()
    long_running, quick = await connect(empty_database), await connect(empty_database)

    def lines(*bodies) -> io.BytesIO:
        return io.BytesIO(b"".join(json.dumps(b).encode() + b"\n" for b in bodies))

    try:
        await import_stream(quick, lines(filing_body(new_ref("R"), point)), audit_key, actor="t", create_points=True, source="s")
        await run_scan(quick, settings, full=True)
        transaction = long_running.transaction()
        await transaction.start()
        late_signed = filing_body(new_ref("R"), point, signed_on="2026-06-01", performance_start="2026-01-05",
                                  performance_end="2026-05-20", filed_on="2026-06-03",
                                  seller={"name": "上海迟签科技有限公司", "credit_code": party_code(int(point) * 10 + 5),
                                          "region": "310101"})
        await import_stream(long_running, lines(late_signed), audit_key, actor="t", create_points=True, source="s")   # not committed
        await import_stream(quick, lines(filing_body(new_ref("R"), point, title="水处理膜技术咨询合同",
                                                     kind="consulting", subkind=None)), audit_key, actor="t", create_points=True, source="s")
        first = await run_scan(quick, settings, full=False)
        assert first.filings_scored == 1                       # the quick one; the import is not visible yet
        await transaction.commit()
        second = await run_scan(quick, settings, full=False)
        assert second.filings_scored == 1                      # the import's filing, though its number is lower
        assert await quick.fetchval("SELECT count(*) FROM flags g JOIN filings f ON f.id = g.filing_id"
                                    " WHERE f.ref = $1 AND g.kind = 'backdated' AND g.active", late_signed["ref"]) == 1
        assert (await run_scan(quick, settings, full=False)).filings_scored == 0
    finally:
        await long_running.close()
        await quick.close()


async def test_new_detector_version_retires_old_flags_without_erasing_them(empty_database, settings, audit_key):
    from techreg.db.pool import connect

    conn = await connect(empty_database)
    try:
        body = filing_body(new_ref("V"), unique_point_code(), signed_on="2026-06-01", performance_start="2026-01-05",
                           performance_end="2026-05-20", filed_on="2026-06-03")
        await import_stream(conn, io.BytesIO(json.dumps(body).encode() + b"\n"), audit_key, actor="t", create_points=True, source="s")
        filing_id = await conn.fetchval("SELECT id FROM filings WHERE ref = $1", body["ref"])
        await conn.execute("INSERT INTO flags (filing_id, kind, detector, score, reasons) VALUES"
                           " ($1, 'backdated', 'backdated/0.9', 0.5, '[\"old evidence\"]')", filing_id)
        await run_scan(conn, settings, full=True)
        rows = {r["detector"]: r for r in await conn.fetch(
            "SELECT detector, active, reasons FROM flags WHERE filing_id = $1 AND kind = 'backdated'", filing_id)}
        assert rows["backdated/0.9"]["reasons"] == ["old evidence"] and not rows["backdated/0.9"]["active"]
        assert rows[backdated.DETECTOR]["active"]
        risk = await conn.fetchrow("SELECT risk, kinds FROM filing_risk WHERE filing_id = $1", filing_id)
        new_score = await conn.fetchval("SELECT score FROM flags WHERE filing_id = $1 AND detector = $2",
                                        filing_id, backdated.DETECTOR)
        assert new_score <= risk["risk"] < 1 and "backdated" in risk["kinds"]
    finally:
        await conn.close()


async def test_incremental_scan_follows_corrections_and_refusals(app, office, settings, conn):
    """Parts of a split that move to another buyer or are refused leave the rest of the group to be judged
    again, although no new filing is near them: the incremental scan must end where a full scan ends."""
    import random

    def party(name: str) -> dict:
        return {"name": name, "credit_code": party_code(random.randrange(10**8, 10**9)), "region": "330106"}

    seller, buyer, other_buyer = party("杭州云栖数据科技有限公司"), party("杭州湾智造园区管理有限公司"), party("宁波港口物流集团有限公司")
    refs = []
    for title, day in (("智慧园区平台开发一期", "2026-04-01"), ("智慧园区平台开发二期", "2026-04-08"),
                       ("智慧园区平台开发三期", "2026-04-15")):
        ref = new_ref("S")
        body = filing_body(ref, office.point, seller=seller, buyer=buyer, title=title, amount="4900000.00",
                           tech_amount="4800000.00", signed_on=day, performance_start=day, filed_on=day)
        assert (await app.post("/api/filings", json=body, headers=office.h("registrar"))).status_code == 201
        refs.append(ref)
    await run_scan(conn, settings, full=True)

    async def split_flags() -> dict:
        rows = await conn.fetch("SELECT f.ref, g.related FROM flags g JOIN filings f ON f.id = g.filing_id"
                                " WHERE g.active AND g.kind = 'split' AND f.ref = any($1::text[])", refs)
        return {r["ref"]: sorted(r["related"]) for r in rows}

    assert await split_flags() == {ref: sorted(set(refs) - {ref}) for ref in refs}
    # other tests' filings share this database, and an incremental scan keeps the last full scan's peer
    # quartiles while few filings change: at the edge of a peer fence their flags may differ from a fresh
    # full scan's, so the comparison is over this test's own filings (the whole registry: the test above)
    ours = [p["credit_code"] for p in (seller, buyer, other_buyer)]
    # the third part is returned and corrected to another buyer: the first two stay a group of two
    h = office.h("registrar")
    assert (await app.post(f"/api/filings/{refs[2]}/return", json={"note": "买方填错"}, headers=h)).status_code == 200
    assert (await app.patch(f"/api/filings/{refs[2]}", json={"buyer": other_buyer}, headers=h)).status_code == 200
    await run_scan(conn, settings, full=False)
    assert await split_flags() == {refs[0]: [refs[1]], refs[1]: [refs[0]]}
    incremental = await _active_rule_flags(conn, ours)
    await run_scan(conn, settings, full=True)
    assert await _active_rule_flags(conn, ours) == incremental
    # the second part is refused: the first is left alone, its flag retired (kept on record)
    r = await app.post(f"/api/filings/{refs[1]}/refuse", json={"reasons": ["not_technology_contract"]}, headers=h)
    assert r.status_code == 200
    await run_scan(conn, settings, full=False)
    assert await split_flags() == {}
    incremental = await _active_rule_flags(conn, ours)
    await run_scan(conn, settings, full=True)
    assert await _active_rule_flags(conn, ours) == incremental


async def test_an_incremental_scan_finds_a_part_filed_by_a_sister_company(app, office, settings, conn):
    """A new part of a deal whose earlier part a sister company filed: the incremental scan reaches it through
    the buyer's filings and flags the split as a full scan does; another seller's filing with that buyer is no part."""
    import random

    def party(name: str, region: str) -> dict:
        return {"name": name, "credit_code": party_code(random.randrange(10**8, 10**9)), "region": region}

    seller, sister = party("上海云图信息技术有限公司", "310101"), party("云图（北京）软件有限公司", "110108")
    unrelated, buyer = party("上海星辰信息技术有限公司", "310101"), party("上海申江智能制造有限公司", "310104")
    h = office.h("registrar")

    async def submit(who: dict, title: str, day: str) -> str:
        ref = new_ref("SIS")
        body = filing_body(ref, office.point, seller=who, buyer=buyer, title=title, amount="4900000.00",
                           tech_amount="4800000.00", signed_on=day, performance_start=day, filed_on=day)
        assert (await app.post("/api/filings", json=body, headers=h)).status_code == 201
        return ref

    first = await submit(sister, "智能客服对话引擎一期开发", "2026-05-06")
    await submit(unrelated, "水处理膜技术咨询", "2026-05-07")
    await run_scan(conn, settings, full=True)
    second = await submit(seller, "智能客服对话引擎二期开发", "2026-05-11")
    report = await run_scan(conn, settings, full=False)
    flags = {r["ref"]: sorted(r["related"]) for r in await conn.fetch(
        "SELECT f.ref, g.related FROM flags g JOIN filings f ON f.id = g.filing_id"
        " WHERE g.active AND g.kind = 'split' AND f.ref = any($1::text[])", [first, second])}
    assert flags == {first: [second], second: [first]} and report.mode == "incremental"
    ours = [p["credit_code"] for p in (seller, sister, unrelated, buyer)]
    incremental = await _active_rule_flags(conn, ours)
    await run_scan(conn, settings, full=True)
    assert await _active_rule_flags(conn, ours) == incremental


async def test_a_registrar_sees_another_points_evidence_only_as_a_fact(app, office, other_office, conn, settings,
                                                                         audit_key):
    # one contract registered at two points: the copy at the other point is flagged as a duplicate
    n = int(office.point) * 7
    parties = {"seller": {"name": "上海跨点科技有限公司", "credit_code": party_code(n + 1), "region": "310101"},
               "buyer": {"name": "上海跨点制造有限公司", "credit_code": party_code(n + 2), "region": "310104"}}
    original = filing_body(new_ref("X"), office.point, contract_no=f"KD-{n}", filed_on="2026-03-15", **parties)
    copy = dict(original, ref=new_ref("X"), point=other_office.point, filed_on="2026-04-20")
    await import_stream(conn, io.BytesIO(b"".join(json.dumps(x).encode() + b"\n" for x in (original, copy))),
                        audit_key, actor="t", create_points=True, source="s")
    await run_scan(conn, settings, full=False)
    mine = (await app.get(f"/api/filings/{copy['ref']}/flags", headers=other_office.h("registrar"))).json()
    dup = [f for f in mine if f["kind"] == "duplicate"][0]
    assert dup["related"] == [] and original["ref"] not in json.dumps(dup, ensure_ascii=False)
    assert "其他登记点" in dup["reasons"][0]
    full = (await app.get(f"/api/filings/{copy['ref']}/flags", headers=office.h("supervisor"))).json()
    assert [f for f in full if f["kind"] == "duplicate"][0]["related"] == [original["ref"]]
