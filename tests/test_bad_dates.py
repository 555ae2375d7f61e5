"""One implausible date can neither be stored through the API or the importer, nor stop a scan."""

import datetime as dt
import io
import json
import re

from conftest import filing_body, new_ref
from techreg.config import load_settings
from techreg.db.pool import connect
from techreg.detection.scan import run_scan
from techreg.registry.importer import import_stream
from techreg.registry.rules import date_window, office_today


async def test_api_refuses_dates_outside_the_plausible_range(app, office):
    for field, value, words in (("filed_on", "9999-12-31", "晚于今天"), ("signed_on", "0001-01-01", "范围"),
                                ("performance_end", "2999-01-01", "范围")):
        body = filing_body(new_ref("DT"), office.point, **{field: value})
        r = await app.post("/api/filings", json=body, headers=office.h("registrar"))
        assert r.status_code == 400, r.text
        fields = {e["field"] for e in r.json()["errors"]}
        assert field in fields and words in r.text


async def test_a_contract_signed_or_applied_for_after_today_is_refused_by_api_form_and_importer(app, office, conn,
                                                                                              audit_key):
    today = office_today()                       # the rules' own clock (TECHREG_TIMEZONE), never a fixed date
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    for field in ("filed_on", "signed_on"):
        over = {field: tomorrow, **({"filed_on": tomorrow} if field == "signed_on" else {})}
        r = await app.post("/api/filings", json=filing_body(new_ref("FUT"), office.point, **over),
                           headers=office.h("registrar"))
        assert r.status_code == 400, r.text
        said = {e["field"]: e for e in r.json()["errors"]}
        assert set(said) == ({"filed_on", "signed_on"} if field == "signed_on" else {"filed_on"}), said
        assert f"晚于今天（{today}）" in said[field]["message"] and "after today" in said[field]["message_en"]
    ref = new_ref("FUT")                         # today itself is a day that has happened
    r = await app.post("/api/filings", json=filing_body(ref, office.point, filed_on=today.isoformat()),
                       headers=office.h("registrar"))
    assert r.status_code == 201, r.text
    # the filing form: said beside the date, the typed date kept
    form = {k: v for k, v in filing_body(new_ref("FUT"), office.point, filed_on=tomorrow).items()
            if isinstance(v, str) and k != "point"}
    form.update({f"{side}_{k}": v for side in ("seller", "buyer") for k, v in filing_body("x", "x")[side].items()})
    app.cookies.set("techreg_session", office.tokens["registrar"])
    try:
        r = await app.post("/filings/new", data=form, headers={"origin": "http://testserver.local"})
    finally:
        app.cookies.clear()
    assert r.status_code == 200 and re.findall(r'class="field-error" data-field="(\w+)"', r.text) == ["filed_on"]
    assert "晚于今天" in r.text and f'value="{tomorrow}"' in r.text
    # the importer: the line refused by field, the history around it imported
    lines = [filing_body(new_ref("FUT"), office.point, status="registered"),
             filing_body(new_ref("FUT"), office.point, filed_on=tomorrow)]
    report = await import_stream(conn, io.BytesIO(b"".join(json.dumps(x).encode() + b"\n" for x in lines)),
                                 audit_key, actor="t", source="s")
    assert report.imported == 1 and [(e.line, e.field) for e in report.errors] == [(2, "filed_on")]
    assert "晚于今天" in report.errors[0].message and "after today" in report.errors[0].message_en


def test_the_window_follows_the_clock_it_is_given():
    earliest, latest = date_window(dt.date(2031, 5, 1))
    assert earliest == dt.date(1980, 1, 1) and latest == dt.date(2032, 5, 1)


async def test_importer_refuses_the_line_and_imports_the_rest(conn, audit_key, office):
    good, bad = new_ref("DT"), new_ref("DT")
    lines = [filing_body(good, office.point), filing_body(bad, office.point, filed_on="9999-12-31")]
    report = await import_stream(conn, io.BytesIO(b"".join(json.dumps(x).encode() + b"\n" for x in lines)),
                                 audit_key, actor="t", create_points=True, source="s")
    assert report.imported == 1 and [(e.line, e.field) for e in report.errors] == [(2, "filed_on")]
    assert await conn.fetchval("SELECT count(*) FROM filings WHERE ref = $1", bad) == 0


async def test_a_scan_reports_an_unreadable_row_and_scores_the_rest(empty_database, audit_key):
    conn = await connect(empty_database)
    try:
        refs = [new_ref("DT") for _ in range(3)]
        data = b"".join(json.dumps(filing_body(r, "310101", signed_on="2026-06-01", performance_start="2026-01-05",
                                               performance_end="2026-05-20", filed_on="2026-06-03")).encode() + b"\n"
                        for r in refs)
        await import_stream(conn, io.BytesIO(data), audit_key, actor="t", create_points=True, source="s")
        # a row written past the fence (as before it existed, or by hand); infinity no longer fits at all:
        # the filing's state digest (migrations/0014) cannot be computed from it
        await conn.execute("ALTER TABLE filings DROP CONSTRAINT filings_dates_finite")
        await conn.execute("UPDATE filings SET filed_on = '9999-12-31' WHERE ref = $1", refs[0])
        report = await run_scan(conn, load_settings(database_url=empty_database), full=True)
        assert report.skipped == 1 and report.skipped_refs == [refs[0]]
        flagged = {r[0] for r in await conn.fetch("SELECT f.ref FROM flags g JOIN filings f ON f.id = g.filing_id"
                                                  " WHERE g.active AND g.kind = 'backdated'")}
        assert flagged == set(refs[1:])
        assert await conn.fetchval("SELECT skipped FROM scan_runs WHERE id = $1", report.run_id) == 1
        # an incremental scan reports what changed since the last scan: nothing new here
        again = await run_scan(conn, load_settings(database_url=empty_database), full=False)
        assert (again.skipped, again.skipped_refs) == (0, [])
    finally:
        await conn.close()


async def test_refs_are_restricted_to_a_safe_character_set(app, office):
    for ref in ("A\r\nSet-Cookie: x=1", "a/b", "../etc", "a..b", " lead", "中文编号"):
        r = await app.post("/api/filings", json=filing_body(ref, office.point), headers=office.h("registrar"))
        assert r.status_code == 400, (ref, r.text)
        assert [e["field"] for e in r.json()["errors"]] == ["ref"] and "字母" in r.text
    ok = new_ref("OK") + ".v2:final_1"
    r = await app.post("/api/filings", json=filing_body(ok, office.point), headers=office.h("registrar"))
    assert r.status_code == 201, r.text


async def test_a_lapsed_registrar_cannot_file_correct_or_cancel(app, office):
    ref = new_ref("LAPSE")
    assert (await app.post("/api/filings", json=filing_body(ref, office.point),
                           headers=office.h("registrar"))).status_code == 201
    r = await app.post("/api/filings", json=filing_body(new_ref("LAPSE"), office.point), headers=office.h("expired"))
    assert r.status_code == 403 and "过期" in r.text
    r = await app.patch(f"/api/filings/{ref}", json={"title": "补正后的标题"}, headers=office.h("expired"))
    assert r.status_code == 403
    r = await app.post(f"/api/filings/{ref}/cancel", json={}, headers=office.h("expired"))
    assert r.status_code == 403 and "过期" in r.text


async def test_the_registrar_of_a_filing_is_the_acting_user(app, office):
    r = await app.post("/api/filings", json=filing_body(new_ref("RG"), office.point, registrar="someone-else"),
                       headers=office.h("registrar"))
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "registrar"
    ref = new_ref("RG")
    r = await app.post("/api/filings", json=filing_body(ref, office.point), headers=office.h("registrar"))
    assert r.status_code == 201 and r.json()["registrar"] == office.usernames["registrar"]


async def test_nul_characters_are_refused_not_500(app, office):
    h = office.h("registrar")
    r = await app.post("/api/filings", json=filing_body(new_ref("NUL"), office.point, title="合同\x00名称"), headers=h)
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "title"
    assert (await app.get("/api/filings", params={"q": "a\x00b"}, headers=h)).status_code == 400
    assert (await app.post("/api/auth/login", json={"username": "a\x00b", "password": "x" * 12})).status_code in (400, 401)
    assert (await app.post("/api/filings", content=b'{"ref": "\xff\xfe"}', headers={**h, "content-type":
                                                                                 "application/json"})).status_code == 400
    deep = b"[" * 2000 + b"]" * 2000
    assert (await app.post("/api/filings", content=deep, headers={**h, "content-type": "application/json"})
            ).status_code == 400


async def test_an_import_line_with_nul_is_one_rejected_line(conn, audit_key, office):
    good = filing_body(new_ref("NUL"), office.point)
    bad = filing_body(new_ref("NUL"), office.point, title="合同\x00名称")
    data = b"".join(json.dumps(x).encode() + b"\n" for x in (good, bad, good))
    report = await import_stream(conn, io.BytesIO(data), audit_key, actor="t", create_points=True, source="s")
    assert report.imported == 1 and [(e.line, e.field) for e in report.errors] == [(2, "title")]


async def test_a_ref_repeated_with_other_content_in_one_file_is_a_conflict(conn, audit_key, office):
    ref = new_ref("DUP")
    first = filing_body(ref, office.point)
    same, other = dict(first), filing_body(ref, office.point, title="另一份合同")
    data = b"".join(json.dumps(x).encode() + b"\n" for x in (first, same, other))
    report = await import_stream(conn, io.BytesIO(data), audit_key, actor="t", create_points=True, source="s")
    assert report.imported == 1 and report.already_present == 1
    assert [(e.line, e.field) for e in report.errors] == [(3, "ref")] and "第 1 行" in report.errors[0].message
