"""Credit records and the red-line check (一票否决): incremental import with history, the check at submission
(recorded, shown) and at registration (refused), the supervisor's written override on the trail, the batch
check's figures, and a revocation for fraud becoming a record that is exported.

Every test uses parties of its own (red lines on the suite's usual pair would refuse other tests'
registrations). Record dates are fixed: far in the past, open-ended, or ended long ago, so the checks hold on
any day the suite runs (also a year ahead)."""

import csv
import datetime as dt
import io
import json
import random
import subprocess
import sys

from openpyxl import load_workbook

from conftest import APPROVE, REVOKE, cli_env, filing_body, new_ref, party_code
from techreg.registry.credit.importer import import_content

_rng = random.Random()


def new_party() -> str:
    return party_code(_rng.randrange(100_000_000, 999_999_999))


def record(code: str, **over) -> dict:
    body = {"credit_code": code, "party_name": "上海红线测试有限公司", "record_type": "tax_violation",
            "source": "国家税务总局上海市税务局", "source_ref": f"沪税稽罚〔2025〕{_rng.randrange(10**6)}号",
            "valid_from": "2020-01-01"}
    body.update(over)
    return body


async def import_records(app, office, records: list[dict], source_name: str = "list.jsonl") -> dict:
    r = await app.post("/api/credit/records", json={"records": records, "source_name": source_name},
                       headers=office.h("supervisor"))
    assert r.status_code == 200, r.text
    return r.json()


async def file_for(app, office, seller: str, buyer: str | None = None, **over) -> str:
    ref = new_ref("CR")
    body = filing_body(ref, office.point, seller={"name": "上海卖方科技有限公司", "credit_code": seller, "region": "310101"},
                       buyer={"name": "上海买方制造有限公司", "credit_code": buyer or new_party(), "region": "310104"},
                       **over)
    r = await app.post("/api/filings", json=body, headers=office.h("registrar"))
    assert r.status_code == 201, r.text
    return ref


# -- import, history, the party --------------------------------------------------------------------

async def test_import_is_incremental_keeps_history_and_names_each_bad_line(app, office):
    code, other = new_party(), new_party()
    first = record(code, valid_to="2027-12-31")
    keyless = record(other, source_ref=None, record_type="safety_accident", source="应急管理局")
    del keyless["source_ref"]
    report = await import_records(app, office, [first, keyless])
    assert (report["added"], report["new_versions"], report["unchanged"], report["rejected"]) == (2, 0, 0, 0)

    # the same records again: nothing changes
    again = await import_records(app, office, [first, keyless])
    assert (again["added"], again["new_versions"], again["unchanged"]) == (0, 0, 2)

    # the source lifted the first record early: a new version, the old one kept
    lifted = {**first, "valid_to": "2024-06-30", "description": "提前解除"}
    changed = await import_records(app, office, [lifted], source_name="list-2.jsonl")
    assert (changed["added"], changed["new_versions"], changed["unchanged"]) == (0, 1, 0)

    party = (await app.get(f"/api/parties/{code}", headers=office.h("registrar"))).json()
    [rec] = party["records"]
    assert [v["valid_to"] for v in rec["history"]] == ["2027-12-31", "2024-06-30"]
    assert [v["imported_from"] for v in rec["history"]] == ["list.jsonl", "list-2.jsonl"]
    assert rec["current"]["version"] == 2 and rec["source_ref"] == first["source_ref"]
    assert party["red_line"] is False and rec["valid_on"] is False       # lifted in 2024
    # a record without a source number is known by source, party, type and first day: a later valid_from is
    # another record
    moved = {**keyless, "valid_from": "2021-01-01"}
    assert (await import_records(app, office, [moved]))["added"] == 1
    assert len((await app.get(f"/api/parties/{other}", headers=office.h("registrar"))).json()["records"]) == 2

    bad = [record(new_party()), {**record(new_party()), "credit_code": code[:17] + ("0" if code[17] != "0" else "1")},
           record(new_party(), record_type="late_payment"), record(new_party(), valid_from="2025-05-01",
                                                                   valid_to="2025-04-01"),
           {**record(new_party()), "colour": "red"}, {**record(new_party()), "source": ""}, record(new_party())]
    report = await import_records(app, office, bad)
    assert report["added"] == 2 and report["rejected"] == 5
    assert [(e["line"], e["field"]) for e in report["errors"]] == [
        (2, "credit_code"), (3, "record_type"), (4, "valid_to"), (5, "colour"), (6, "source")]
    assert "未通过校验" in report["errors"][0]["message"]
    assert "重大税收违法失信" in report["errors"][1]["message"]            # the allowed types in words

    # the page's import form sent without a file: said beside the file input, on the page (no ?err= redirect)
    r = await app.post("/credit/import", headers={**office.h("supervisor"), "Accept": "text/html"},
                       files={"other": ("x.txt", b"x", "text/plain")}, follow_redirects=False)
    assert r.status_code == 200 and 'data-field="file" id="credit-import-file-error">请选择要导入的 JSONL 或 CSV 文件' in r.text


async def test_csv_import_with_the_same_rules(conn, office):
    code = new_party()
    rows = [["credit_code", "party_name", "record_type", "source", "source_ref", "valid_from", "valid_to"],
            [code, "上海CSV测试有限公司", "dishonest_debtor", "上海市第一中级人民法院", "（2024）沪01执123号", "2024-01-01", ""],
            ["91310000IIIIIIIIII", "坏代码", "dishonest_debtor", "法院", "x", "2024-01-01", ""],
            [code, "上海CSV测试有限公司", "dishonest_debtor", "上海市第一中级人民法院", "（2024）沪01执123号", "2024-01-01",
             "2025-01-01"]]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    content = ("\ufeff" + out.getvalue()).encode()
    async with conn.transaction():
        report = await import_content(conn, content, "csv", actor="t", source_name="court.csv")
    # line 4 restates line 2's record: the last line about a record is what the file says
    assert (report.lines, report.added, report.new_versions, report.repeated, report.rejected) == (4, 1, 0, 1, 1)
    assert [(e.line, e.field) for e in report.errors] == [(3, "credit_code")]
    assert await conn.fetchval("SELECT valid_to FROM credit_record_versions WHERE credit_code = $1", code) == \
        dt.date(2025, 1, 1)
    async with conn.transaction():
        again = await import_content(conn, content, "csv", actor="t", source_name="court.csv")
    assert (again.added, again.new_versions, again.unchanged, again.repeated) == (0, 0, 1, 1)
    bad_header = b"credit_code,kind\n" + code.encode() + b",x\n"
    async with conn.transaction():
        refused = await import_content(conn, bad_header, "csv", actor="t", source_name="bad.csv")
    assert refused.added == 0 and {(e.line, e.field) for e in refused.errors} >= {(1, "kind"), (1, "record_type")}


# -- submission and registration ---------------------------------------------------------------------

async def test_a_red_line_is_shown_at_submission_and_refuses_registration(app, office):
    seller, lapsed = new_party(), new_party()
    await import_records(app, office, [record(seller, source="国家税务总局上海市税务局", valid_from="2026-01-01"),
                                       record(lapsed, valid_from="2000-01-01", valid_to="2001-12-31")])
    ref = await file_for(app, office, seller, buyer=lapsed)      # filed on 2026-03-15 (filing_body)
    credit = (await app.get(f"/api/filings/{ref}/credit", headers=office.h("registrar"))).json()
    assert credit["submission"]["checked_on"] == "2026-03-15"
    assert [(h["side"], h["credit_code"]) for h in credit["submission"]["hits"]] == [("seller", seller)]
    assert credit["blocks_registration"] is True

    r = await app.post(f"/api/filings/{ref}/register", json=APPROVE, headers=office.h("registrar"))
    assert r.status_code == 409, r.text
    body = r.json()
    assert "上海卖方科技有限公司" in body["message"] and seller in body["message"]
    assert "重大税收违法失信" in body["message"] and "国家税务总局上海市税务局" in body["message"]
    assert "One-vote veto" in body["message_en"] and "major tax violation" in body["message_en"]
    assert [h["credit_code"] for h in body["credit_hits"]] == [seller]
    f = (await app.get(f"/api/filings/{ref}", headers=office.h("registrar"))).json()
    assert f["status"] == "submitted" and f["reg_no"] is None

    page = await app.get(f"/filings/{ref}", headers=office.h("registrar"))
    assert page.status_code == 200
    assert "登记将被拒绝" in page.text and "重大税收违法失信" in page.text and 'id="credit-override-form"' not in page.text

    # a record that began after the day applied for is no hit at submission
    later = new_party()
    await import_records(app, office, [record(later, valid_from="2026-04-01")])
    ref2 = await file_for(app, office, later)
    credit = (await app.get(f"/api/filings/{ref2}/credit", headers=office.h("registrar"))).json()
    assert credit["submission"]["hits"] == [] and credit["blocks_registration"] is True


async def test_a_supervisor_overrides_in_writing_on_the_trail(app, office):
    seller, buyer = new_party(), new_party()
    await import_records(app, office, [record(seller)])
    ref = await file_for(app, office, seller, buyer=buyer)
    url = f"/api/filings/{ref}/credit-override"
    assert (await app.post(url, json={"reasons": "经核实已整改完毕的情况说明"}, headers=office.h("registrar"))).status_code == 403
    r = await app.post(url, json={"reasons": "太短"}, headers=office.h("supervisor"))
    assert r.status_code == 400
    reasons = "税务机关已出具整改完毕证明，经局务会研究同意登记"
    r = await app.post(url, json={"reasons": reasons}, headers=office.h("supervisor"))
    assert r.status_code == 201, r.text
    assert r.json()["reasons"] == reasons and r.json()["actor"] == office.usernames["supervisor"]
    # nothing left to override: a second one is a 409
    assert (await app.post(url, json={"reasons": reasons}, headers=office.h("supervisor"))).status_code == 409

    # a record found after the override is not covered by it
    await import_records(app, office, [record(buyer, record_type="safety_accident", source="上海市应急管理局")])
    r = await app.post(f"/api/filings/{ref}/register", json=APPROVE, headers=office.h("registrar"))
    assert r.status_code == 409 and "上海市应急管理局" in r.json()["message"] and "买方" in r.json()["message"]
    assert (await app.post(url, json={"reasons": "买方事故已结案，经研究同意登记"},
                           headers=office.h("supervisor"))).status_code == 201
    r = await app.post(f"/api/filings/{ref}/register", json=APPROVE, headers=office.h("registrar"))
    assert r.status_code == 200, r.text

    events = (await app.get(f"/api/filings/{ref}/events", headers=office.h("supervisor"))).json()
    assert [e["action"] for e in events] == ["create", "credit_override", "credit_override", "register"]
    assert events[1]["detail"]["note"] == reasons and events[1]["actor"] == office.usernames["supervisor"]
    assert events[1]["from_status"] == events[1]["to_status"] == "submitted"
    assert len(events[3]["detail"]["credit_overridden"]) == 2
    page = await app.get(f"/filings/{ref}", headers=office.h("supervisor"))
    assert reasons in page.text and "监督员书面同意（红线记录）" in page.text


# -- the batch check ---------------------------------------------------------------------------------

async def test_a_proposal_held_by_a_red_line_is_overridden_by_its_reviewer_and_a_later_record_is_not_said_overridden(
        app, office):
    """A large registration waits for a second person (拟登记待复核); a red-line record listed meanwhile stops the
    confirmation, and the supervisor may override it there, as before registration. A record listed after the
    registration is shown as not overridden, never as "overridden in writing"."""
    seller = new_party()
    ref = await file_for(app, office, seller, amount="6000000.00", tech_amount="5500000.00")
    r = await app.post(f"/api/filings/{ref}/register", headers=office.h("registrar"), json={
        "approved_amount": "5000000.00",
        "deductions": [{"item": "服务器 5 台", "category": "equipment", "amount": "500000.00"}]})
    assert r.status_code == 200 and r.json()["status"] == "proposed", r.text
    await import_records(app, office, [record(seller)])
    credit = (await app.get(f"/api/filings/{ref}/credit", headers=office.h("supervisor"))).json()
    assert credit["blocks_registration"] is True
    page = (await app.get(f"/filings/{ref}", headers={**office.h("supervisor"), "Accept": "text/html"})).text
    assert 'id="credit-blocks"' in page and 'id="credit-override-form"' in page and "已由监督员书面同意" not in page
    r = await app.post(f"/api/filings/{ref}/credit-override", headers=office.h("supervisor"),
                       json={"reasons": "税务机关已出具整改完毕证明，经研究同意登记"})
    assert r.status_code == 201, r.text
    page = (await app.get(f"/filings/{ref}", headers={**office.h("supervisor"), "Accept": "text/html"})).text
    assert 'id="credit-overridden"' in page and 'id="credit-override-form"' not in page

    # registered with nothing in its way; a record listed afterwards is not one a supervisor agreed to
    other = new_party()
    done = await file_for(app, office, other)
    assert (await app.post(f"/api/filings/{done}/register", json=APPROVE, headers=office.h("registrar"))).status_code == 200
    await import_records(app, office, [record(other, valid_from=dt.date.today().isoformat())])
    page = (await app.get(f"/filings/{done}", headers={**office.h("supervisor"), "Accept": "text/html"})).text
    assert "已由监督员书面同意" not in page and 'id="credit-blocks"' not in page


async def test_batch_check_figures_and_recommendations(app, office, settings):
    x, y = new_party(), new_party()
    pending = await file_for(app, office, x)
    registered = await file_for(app, office, x)
    overridden = await file_for(app, office, y)
    refused = await file_for(app, office, x)
    await file_for(app, office, new_party())                             # clean
    assert (await app.post(f"/api/filings/{registered}/register", json=APPROVE,
                           headers=office.h("registrar"))).status_code == 200
    await import_records(app, office, [record(x, valid_from="2000-01-01"),
                                       record(y, valid_from="2000-01-01", record_type="research_misconduct")])
    assert (await app.post(f"/api/filings/{overridden}/credit-override", json={"reasons": "已核实，经研究同意予以登记"},
                           headers=office.h("supervisor"))).status_code == 201
    assert (await app.post(f"/api/filings/{overridden}/register", json=APPROVE,
                           headers=office.h("registrar"))).status_code == 200
    assert (await app.post(f"/api/filings/{refused}/refuse", json={"reasons": ["other"], "note": "x"},
                           headers=office.h("registrar"))).status_code == 200

    r = await app.get("/api/credit/check", params={"point": office.point, "year": 2026, "as_of": "2026-06-01"},
                      headers=office.h("supervisor"))
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["filings_checked"], report["filings_hit"], report["units_hit"]) == (5, 4, 2)
    assert report["recommendations"] == {"refuse": 1, "review_revocation": 1, "override_on_record": 1, "no_action": 1}
    assert report["by_record_type"] == {"research_misconduct": 1, "tax_violation": 1}
    assert {i["ref"]: i["recommendation"] for i in report["items"]} == {
        pending: "refuse", registered: "review_revocation", overridden: "override_on_record", refused: "no_action"}
    assert [i["recommendation"] for i in report["items"]] == ["refuse", "review_revocation", "override_on_record",
                                                              "no_action"]
    # another year: nothing filed then
    other = (await app.get("/api/credit/check", params={"point": office.point, "year": 2019},
                           headers=office.h("supervisor"))).json()
    assert other["filings_checked"] == 0 and other["items"] == []
    assert (await app.get("/api/credit/check", params={"point": office.point},
                          headers=office.h("registrar"))).status_code == 403

    # a campaign's sample: the two registered filings of this point
    r = await app.post("/api/campaigns", headers=office.h("supervisor"), json={
        "name": "信用核查样本", "registered_from": "2000-01-01", "registered_to": "2100-01-01", "points": [office.point],
        "sample_size": 10, "certainty_cutoff": 1.0, "control_share": 0.0, "seed": new_ref("seed")})
    assert r.status_code == 201, r.text
    sampled = (await app.get("/api/credit/check", params={"campaign": r.json()["id"], "as_of": "2026-06-01"},
                             headers=office.h("supervisor"))).json()
    assert sampled["filings_checked"] == 2
    assert {i["ref"] for i in sampled["items"]} == {registered, overridden}

    # the page, its chart data and its exports
    page = await app.get("/credit/check", params={"point": office.point, "year": "2026", "as_of": "2026-06-01"},
                         headers=office.h("supervisor"))
    assert page.status_code == 200 and "建议不予登记（一票否决）" in page.text and 'id="chart-recommendations"' in page.text
    exported = await app.get("/credit/check", params={"point": office.point, "as_of": "2026-06-01", "format": "csv"},
                             headers=office.h("supervisor"))
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][0] == "申请编号" and len(rows) == 5
    assert {r[0] for r in rows[1:]} == {pending, registered, overridden, refused}
    assert "已登记：建议复核并依法撤销" in {r[6] for r in rows[1:]}
    xlsx = await app.get("/credit/check", params={"point": office.point, "as_of": "2026-06-01", "format": "xlsx"},
                         headers=office.h("supervisor"))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 5
    bad = await app.get("/credit/check", params={"year": "twenty"}, headers=office.h("supervisor"))
    assert bad.status_code == 400

    # the CLI says the same figures
    env = cli_env(TECHREG_DATABASE_URL=settings.database_url, TECHREG_AUDIT_KEY=settings.audit_key)
    result = subprocess.run([sys.executable, "-m", "techreg.cli", "credit", "check", "--point", office.point,
                             "--as-of", "2026-06-01", "--by", office.usernames["supervisor"], "--json"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    cli_report = json.loads(result.stdout)
    assert (cli_report["filings_checked"], cli_report["filings_hit"], cli_report["units_hit"]) == (5, 4, 2)


# -- revocation for fraud ----------------------------------------------------------------------------

async def test_a_revocation_for_fraud_becomes_a_record_that_is_exported(app, office):
    seller = new_party()
    ref = await file_for(app, office, seller)
    reg = await app.post(f"/api/filings/{ref}/register", json=APPROVE, headers=office.h("registrar"))
    assert reg.status_code == 200, reg.text
    reg_no = reg.json()["reg_no"]
    before = (await app.get("/api/credit/export", headers=office.h("supervisor"))).content
    r = await app.post(f"/api/filings/{ref}/revoke", json={**REVOKE, "note": "虚构技术开发内容"},
                       headers=office.h("supervisor"))
    assert r.status_code == 200, r.text
    events = (await app.get(f"/api/filings/{ref}/events", headers=office.h("supervisor"))).json()
    revoked_on = events[-1]["detail"]
    assert "credit_record" in revoked_on

    party = (await app.get(f"/api/parties/{seller}", headers=office.h("registrar"))).json()
    [rec] = party["records"]
    assert (rec["origin"], rec["filing_ref"], rec["source_ref"]) == ("registry", ref, reg_no)
    assert rec["current"]["record_type"] == "fraudulent_registration" and party["red_line"] is True
    assert rec["id"] == revoked_on["credit_record"] and party["filings_as_seller"] == 1
    # its page says where the version came from in words, in either language
    for lang, words in (("zh", "撤销登记时生成"), ("en", "made when the registration was revoked")):
        app.cookies.set("techreg_lang", lang)
        page = await app.get(f"/parties/{seller}", headers={**office.h("supervisor"), "Accept": "text/html"})
        app.cookies.clear()
        assert page.status_code == 200 and f"<td>{words}</td>" in page.text and "<td>revocation</td>" not in page.text

    lines = (await app.get("/api/credit/export", headers=office.h("supervisor"))).content.splitlines()
    assert len(lines) == len(before.splitlines()) + 1
    [mine] = [json.loads(line) for line in lines if json.loads(line)["filing_ref"] == ref]
    assert (mine["credit_code"], mine["reg_no"], mine["reasons"], mine["record_type"]) == (
        seller, reg_no, ["fraudulent"], "fraudulent_registration")
    assert mine["source"] == "技术合同登记机构" and "虚构技术开发内容" in mine["description"]
    assert mine["valid_to"] is not None and mine["valid_to"] > mine["valid_from"]
    table = await app.get("/api/credit/export", params={"format": "csv"}, headers=office.h("supervisor"))
    rows = list(csv.DictReader(io.StringIO(table.content.decode("utf-8-sig"))))
    assert [r["reasons"] for r in rows if r["filing_ref"] == ref] == ["fraudulent"]
    later = await app.get("/api/credit/export", params={"since": "2999-01-01T00:00:00+08:00"},
                          headers=office.h("supervisor"))
    assert later.content == b""
    assert (await app.get("/api/credit/export", headers=office.h("registrar"))).status_code == 403

    # the seller's next filing here meets the record as a red line
    again = await file_for(app, office, seller)
    r = await app.post(f"/api/filings/{again}/register", json=APPROVE, headers=office.h("registrar"))
    assert r.status_code == 409 and "弄虚作假骗取技术合同登记" in r.json()["message"]

    # a revocation on other grounds makes no record
    clean = new_party()
    ref = await file_for(app, office, clean)
    await app.post(f"/api/filings/{ref}/register", json=APPROVE, headers=office.h("registrar"))
    r = await app.post(f"/api/filings/{ref}/revoke", json={**REVOKE, "ground": "duplicate_registration", "note": "重复"},
                       headers=office.h("supervisor"))
    assert r.status_code == 200
    assert (await app.get(f"/api/parties/{clean}", headers=office.h("registrar"))).json()["records"] == []


async def test_party_lookup_errors(app, office):
    r = await app.get("/api/parties/91310000IIIIIIIIII", headers=office.h("registrar"))
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "credit_code"
    r = await app.get(f"/api/parties/{new_party()}", headers=office.h("registrar"))
    assert r.status_code == 404


async def test_the_documented_examples_import_and_say_the_same(conn):
    from pathlib import Path

    examples = Path(__file__).resolve().parents[1] / "docs" / "examples"
    tr = conn.transaction()
    await tr.start()
    try:
        first = await import_content(conn, (examples / "red-lines.jsonl").read_bytes(), "jsonl", actor="t",
                                     source_name="red-lines.jsonl")
        assert (first.added, first.rejected) == (3, 0), first.errors
        same = await import_content(conn, (examples / "red-lines.csv").read_bytes(), "csv", actor="t",
                                    source_name="red-lines.csv")
        assert (same.added, same.new_versions, same.unchanged, same.rejected) == (0, 0, 3, 0), same.errors
    finally:
        await tr.rollback()
