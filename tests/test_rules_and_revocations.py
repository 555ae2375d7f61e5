"""Rules by effective date (registry/rulebook.py) and revocations on a ground and its basis
(registry/revocation.py), with the tax office's list of revocations whose benefits may have been claimed.

No test depends on today's date: the switches are fixed days in a catalogue of the test's own (or in the
shipped one, read from it), and revocations are judged by rules open to the end of time."""

import csv
import dataclasses
import datetime as dt
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient
from openpyxl import load_workbook

from conftest import APPROVE, PASSWORD, REVOKE, app_url, cli_env, filing_body, make_office, new_ref, party_code, told
from techreg.config import load_settings
from techreg.db.pool import connect
from techreg.detection.base import rules_of
from techreg.detection.detectors import DETECTORS
from techreg.registry import rulebook
from techreg.registry.events import verify_chain
from techreg.registry.importer import import_stream
from techreg.registry.points import PointIn, create_point
from techreg.registry.users import UserIn, create_user

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
SWITCH = FIXTURES / "switch-2026-07-01.json"
D = dt.date.fromisoformat


# -- the catalogue ------------------------------------------------------------------------------------------

def test_the_shipped_catalogue_covers_time_and_composes_the_local_rules(settings):
    national = [v for v in rulebook.catalogue(settings).versions if v.scope == "national"]
    assert [v.id for v in national] == ["national-2000-办法", "national-2001-规则", "national-2026-办法"]
    switch = rulebook.version(settings, "national-2026-办法").effective_from
    before = rulebook.rules_in_force(settings, switch - dt.timedelta(days=1))
    after = rulebook.rules_in_force(settings, switch)
    assert before.versions[0] == "national-2001-规则" and after.versions[0] == "national-2026-办法"
    assert (before.decision_days, before.day_kind, before.large_line) == (30, "calendar", None)
    # what the 2026 rules leave to the office comes from the settings, and says so
    assert (after.decision_days, after.day_kind, after.large_line) == (settings.decision_days, "working",
                                                                      settings.large_line)
    assert after.sources["decision_days"] == after.sources["large_line"] == "settings"
    # Shanghai's 2025 rules: a revocation rests on a court judgment or an administrative inspection only
    assert after.revocation_bases == ("court_judgment", "inspection_finding")
    assert after.sources["revocation_bases"] == "shanghai-2025-31号"
    national_only = rulebook.rules_in_force(msgspec.structs.replace(settings, local_rules="none"), switch)
    assert "review_decision" in national_only.revocation_bases and national_only.id == "national-2026-办法"


def test_a_catalogue_with_a_gap_is_refused(tmp_path, settings):
    broken = json.loads(SWITCH.read_text(encoding="utf-8"))
    broken["versions"][1]["effective_from"] = "2026-07-05"
    path = tmp_path / "gap.json"
    path.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(rulebook.RulebookError, match="test-old"):
        rulebook.catalogue(msgspec.structs.replace(settings, rulebook=path))


def test_every_detector_line_names_a_rule_of_the_catalogue(settings):
    named = {f"{d.KIND}.{name}": rule for d in DETECTORS for name, rule in rules_of(d.Settings).items()}
    assert named == {"split.lines": "national-2026-办法", "large_software.large_line": "national-2026-办法"}
    assert all(rulebook.version(settings, rule) is not None for rule in named.values())


# -- deadlines and decisions by the rules a filing was accepted under -----------------------------------------

@pytest_asyncio.fixture
async def switched(settings, empty_database):
    """The app over a catalogue that switches on 2026-07-01, on a database of its own: the suite's shared one
    is read with the shipped catalogue, which holds none of these versions."""
    from techreg.web.app import create_app

    app = create_app(msgspec.structs.replace(settings, rulebook=SWITCH, database_url=empty_database),
                     app_url(empty_database))
    async with AsyncTestClient(app=app) as client:
        yield client, await make_office(empty_database)


def _parties(point: str) -> dict:
    n = int(point) * 10 + 7
    return {"seller": {"name": "规则测试卖方有限公司", "credit_code": party_code(n), "region": "310101"},
            "buyer": {"name": "规则测试买方有限公司", "credit_code": party_code(n + 1), "region": "310104"}}


async def _file(client, office, filed_on: str, **over) -> str:
    ref = new_ref("RULE")
    body = filing_body(ref, office.point, **{**_parties(office.point), "signed_on": "2025-12-01",
                                             "performance_start": "2025-12-05", "performance_end": "2026-12-31",
                                             "filed_on": filed_on, **over})
    r = await client.post("/api/filings", json=body, headers=office.h("registrar"))
    assert r.status_code == 201, r.text
    return ref


async def _deadlines(client, office) -> dict:
    r = await client.get("/api/deadlines", headers=office.h("registrar"))
    assert r.status_code == 200, r.text
    return {d["ref"]: d for d in r.json()["items"]}


async def test_a_filing_accepted_the_day_before_a_switch_keeps_the_old_deadline(switched):
    client, office = switched
    before = await _file(client, office, "2026-06-30", amount="7000000.00", tech_amount="6000000.00")
    on = await _file(client, office, "2026-07-01")
    on_large = await _file(client, office, "2026-07-01", amount="7000000.00", tech_amount="6000000.00")
    got = await _deadlines(client, office)
    # 6/30 + 30 calendar days = Thu 7/30 (a working day); no large contracts under the old rules
    assert {k: got[before][k] for k in ("rules_version", "days", "day_kind", "large", "due_on")} == \
        {"rules_version": "test-old", "days": 30, "day_kind": "calendar", "large": False, "due_on": "2026-07-30"}
    # from the switch day: 15 working days (July 2026 has no holiday) -> Wed 7/22; large: 30 -> Wed 8/12
    assert {k: got[on][k] for k in ("rules_version", "days", "day_kind", "large", "due_on")} == \
        {"rules_version": "test-new", "days": 15, "day_kind": "working", "large": False, "due_on": "2026-07-22"}
    assert (got[on_large]["days"], got[on_large]["large"], got[on_large]["due_on"]) == (30, True, "2026-08-12")
    filing = (await client.get(f"/api/filings/{before}", headers=office.h("registrar"))).json()
    assert filing["rules_version"] == "test-old"


async def test_the_stored_rules_survive_a_change_of_the_catalogue(switched, settings, tmp_path):
    """The office accepted it under the old rules: moving the switch later does not hand it other rules,
    while history without a stored version follows its application day."""
    from techreg.web.app import create_app

    client, office = switched
    ref = await _file(client, office, "2026-07-01")
    moved = json.loads(SWITCH.read_text(encoding="utf-8"))
    moved["versions"][0]["effective_to"], moved["versions"][1]["effective_from"] = "2026-07-31", "2026-08-01"
    path = tmp_path / "moved.json"
    path.write_text(json.dumps(moved, ensure_ascii=False), encoding="utf-8")
    url = client.app.state.settings.database_url
    app = create_app(msgspec.structs.replace(settings, rulebook=path, database_url=url), app_url(url))
    async with AsyncTestClient(app=app) as other:
        d = (await _deadlines(other, office))[ref]
        assert (d["rules_version"], d["due_on"]) == ("test-new", "2026-07-22")
        later = await _file(other, office, "2026-07-01")
        assert (await _deadlines(other, office))[later]["rules_version"] == "test-old"
    # read with the shipped catalogue, which holds neither version: the application day's rules, provisional
    async with AsyncTestClient(app=create_app(msgspec.structs.replace(settings, database_url=url), app_url(url))) as shipped:
        d = (await _deadlines(shipped, office))[ref]
        assert d["provisional"] and d["rules_version"].startswith("national-2026-办法")


async def test_refusal_reasons_and_the_decision_name_the_rules_the_filing_was_accepted_under(switched):
    client, office = switched
    old, new = await _file(client, office, "2026-06-30"), await _file(client, office, "2026-07-01")
    refusal = {"reasons": ["restrictive_clauses"], "note": "含限制性条款"}
    r = await client.post(f"/api/filings/{old}/refuse", json=refusal, headers=office.h("registrar"))
    assert r.status_code == 400, r.text
    assert r.json()["errors"][0]["field"] == "reasons" and "test-old" in r.json()["message"]
    assert "restrictive_clauses" not in r.json()["errors"][0]["allowed"]
    r = await client.post(f"/api/filings/{new}/refuse", json=refusal, headers=office.h("registrar"))
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/filings/{old}/register", json=APPROVE, headers=office.h("registrar"))
    assert r.status_code == 200, r.text
    events = (await client.get(f"/api/filings/{old}/events", headers=office.h("supervisor"))).json()
    assert events[-1]["action"] == "register" and events[-1]["detail"]["rules"] == "test-old"
    events = (await client.get(f"/api/filings/{new}/events", headers=office.h("supervisor"))).json()
    assert events[-1]["action"] == "refuse" and events[-1]["detail"]["rules"] == "test-new"
    # the supervisor reads it on the filing page: the rules' id and title, in the trail as well
    page = (await client.get(f"/filings/{old}", headers=office.h("supervisor"))).text
    assert "test-old" in page and "旧规则（测试）" in page and "受理时记录" in page


async def test_correcting_the_application_day_across_the_switch_moves_the_filing_to_those_rules(switched):
    client, office = switched
    ref = await _file(client, office, "2026-07-02")
    r = await client.post(f"/api/filings/{ref}/return", json={"note": "申请日期有误"}, headers=office.h("registrar"))
    assert r.status_code == 200, r.text
    r = await client.patch(f"/api/filings/{ref}", json={"filed_on": "2026-06-29"}, headers=office.h("registrar"))
    assert r.status_code == 200 and r.json()["rules_version"] == "test-old", r.text
    events = (await client.get(f"/api/filings/{ref}/events", headers=office.h("registrar"))).json()
    assert events[-1]["detail"]["changes"]["rules_version"] == {"from": "test-new", "to": "test-old"}


async def test_the_hand_checked_cases_on_the_shipped_catalogue(app, office):
    cases = json.loads((FIXTURES / "hand_checked.json").read_text(encoding="utf-8"))["cases"]
    refs = {}
    for case in cases:
        amount = str(int(float(case["tech_amount"])) + 1_000_000) + ".00"
        refs[await _file(app, office, case["filed_on"], amount=amount, tech_amount=case["tech_amount"])] = case
    got = await _deadlines(app, office)
    for ref, case in refs.items():
        d = got[ref]
        assert (d["rules_version"].split("+")[0], d["days"], d["day_kind"], d["large"], d["due_on"]) == \
            (case["rules"], case["days"], case["day_kind"], case["large"], case["due_on"]), (case["why"], d)


# -- revocations: a ground from the rules in force and a basis --------------------------------------------------

async def _registered(client, office) -> str:
    ref = await _file(client, office, "2026-03-02")
    r = await client.post(f"/api/filings/{ref}/register", json=APPROVE, headers=office.h("registrar"))
    assert r.status_code == 200, r.text
    return ref


async def test_revoking_needs_a_ground_the_rules_list_and_a_basis_that_holds(app, office):
    ref = await _registered(app, office)
    sup = office.h("supervisor")
    cases = [
        ({"basis": REVOKE["basis"]}, "ground"),                                         # no ground
        ({"reasons": ["fraudulent"]}, "ground"),                                        # the old body
        ({"ground": "fraudulent"}, "basis"),                                            # no basis
        ({**REVOKE, "basis": {"kind": "review_decision", "reference": "复核〔2026〕3号"}}, "basis.kind"),  # not in Shanghai
        ({**REVOKE, "basis": {"kind": "court_judgment", "reference": "法院说的"}}, "basis.reference"),
        ({**REVOKE, "basis": {"kind": "inspection_finding", "reference": "999999999"}}, "basis.reference"),
    ]
    for body, field in cases:
        r = await app.post(f"/api/filings/{ref}/revoke", json=body, headers=sup)
        assert r.status_code == 400, (body, r.text)
        assert field in [e["field"] for e in r.json().get("errors", [])] or field in r.text, (body, r.text)
    # nothing was half-written: still registered, no revocation
    assert (await app.get(f"/api/filings/{ref}", headers=sup)).json()["status"] == "registered"
    r = await app.post(f"/api/filings/{ref}/revoke", json={**REVOKE, "note": "刑事判决认定合同虚构"}, headers=sup)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "revoked" and r.json()["revocation_ground"] == "fraudulent"
    event = (await app.get(f"/api/filings/{ref}/events", headers=sup)).json()[-1]
    assert event["action"] == "revoke" and event["detail"]["ground"] == "fraudulent"
    assert event["detail"]["basis"] == REVOKE["basis"] and event["detail"]["rules"].startswith("national-")
    cert = (await app.get(f"/api/filings/{ref}/certificate", headers=office.h("registrar"))).json()
    assert not cert["valid"] and cert["revocation"]["ground"] == "fraudulent"
    assert cert["revocation"]["basis_reference"] == REVOKE["basis"]["reference"]
    # the page says it in words: the ground, the basis and its number, in the trail too
    page = (await app.get(f"/filings/{ref}", headers=office.h("registrar"))).text
    assert page.count("合同虚假，或以欺骗、贿赂等不正当手段取得登记证明") >= 2 and "生效的人民法院判决、裁定" in page
    assert REVOKE["basis"]["reference"] in page


async def test_the_revoke_form_on_the_filing_page(app, office):
    ref = await _registered(app, office)
    sup = {**office.h("supervisor"), "Accept": "text/html"}
    page = (await app.get(f"/filings/{ref}", headers=sup)).text
    assert 'id="revoke-form"' in page and "同一合同重复登记" in page and "复核（复议）决定" not in page
    r = await app.post(f"/filings/{ref}/revoke", headers=sup, follow_redirects=False,
                       data={"ground": "duplicate_registration", "basis_kind": "court_judgment", "basis_reference": "x"})
    assert r.status_code == 200 and 'id="form-errors"' in r.text, r.text[:300]      # refused: the form again, as typed
    assert re.findall(r'class="field-error" data-field="(\w+)"', r.text) == ["basis_reference"] and "案号格式" in r.text
    assert re.search(r'<option value="duplicate_registration" selected', r.text) and 'value="x"' in r.text
    assert (await app.get(f"/api/filings/{ref}", headers=sup)).json()["status"] == "registered"
    r = await app.post(f"/filings/{ref}/revoke", headers=sup, follow_redirects=False,
                       data={"ground": "duplicate_registration", "basis_kind": "court_judgment",
                             "basis_reference": "（2026）沪0115民初88号", "note": "与另一登记号重复"})
    assert r.status_code == 303 and "msg" in told(r), r.headers
    filing = (await app.get(f"/api/filings/{ref}", headers=sup)).json()
    assert (filing["status"], filing["revocation_ground"]) == ("revoked", "duplicate_registration")
    r = await app.post(f"/filings/{ref}/revoke", headers=office.h("registrar"), follow_redirects=False,
                       data={"ground": "fraudulent", "basis_kind": "court_judgment", "basis_reference": "x"})
    assert r.status_code == 403


# -- a finding that revokes: the finding is the basis, a duplicate flag pre-fills the ground ----------------------

STAFF = {"sup": ("supervisor", None), "insp": ("inspector", None)}


@pytest_asyncio.fixture
async def audited(empty_database, data_dir):
    """Two registered filings, the second flagged by the duplicate detector, both drawn for inspection."""
    from techreg.web.app import create_app

    settings = load_settings(data_dir=data_dir, database_url=empty_database, audit_key="rules-key",
                             login_attempts_per_minute=1000, tax_notice_min_days=0)
    conn = await connect(empty_database)
    try:
        await create_point(conn, PointIn(code="310101", name="登记点 310101"))
        for name, (role, point) in STAFF.items():
            await create_user(conn, UserIn(username=name, display_name=name, role=role, point_code=point,
                                           password=PASSWORD), actor="system")
        filings = [filing_body(f"DUP-{k}", "310101", status="registered", reg_no=f"2026310101{k:06d}",
                               seller={"name": f"卖方{k}有限公司", "credit_code": party_code(300 + k), "region": "310101"})
                   for k in (1, 2)]
        data = b"".join(json.dumps(f, ensure_ascii=False).encode() + b"\n" for f in filings)
        report = await import_stream(conn, io.BytesIO(data), b"rules-key", actor="t", source="t")
        assert not report.errors, report.errors
        await conn.execute("INSERT INTO flags (filing_id, kind, detector, score, reasons, related)"
                           " SELECT id, 'duplicate', 'duplicate/1.0', 0.9, '[\"同一合同编号 / same number\"]', '{DUP-1}'"
                           " FROM filings WHERE ref = 'DUP-2'")
    finally:
        await conn.close()
    async with AsyncTestClient(app=create_app(settings, app_url(empty_database))) as client:
        tokens = {}
        for name in STAFF:
            tokens[name] = (await client.post("/api/auth/login", json={"username": name, "password": PASSWORD})
                            ).json()["token"]
        client.cookies.clear()
        r = await client.post("/api/campaigns", headers={"Authorization": f"Bearer {tokens['sup']}"},
                              json={"name": "重复登记核查", "registered_from": "2000-01-01", "registered_to": "2100-01-01",
                                    "sample_size": 2, "certainty_cutoff": 0.5, "control_share": 0.0, "seed": "dup"})
        assert r.status_code == 201, r.text
        items = {i["ref"]: i["id"] for i in r.json()["items"]}
        assert set(items) == {"DUP-1", "DUP-2"}
        yield client, tokens, items, empty_database, settings


async def test_a_revoking_finding_on_a_duplicate_pre_fills_the_duplicate_ground(audited):
    client, tokens, items, url, settings = audited
    h = {"Authorization": f"Bearer {tokens['insp']}"}
    page = (await client.get(f"/queue/{items['DUP-2']}", headers={**h, "Accept": "text/html"})).text
    assert 'id="ground-prefilled"' in page and 'value="duplicate_registration" selected' in page
    page = (await client.get(f"/queue/{items['DUP-1']}", headers={**h, "Accept": "text/html"})).text
    assert 'id="ground-prefilled"' not in page
    finding = {"outcome": "revoked", "reasons": ["与 DUP-1 为同一合同"]}
    r = await client.post(f"/api/audit/items/{items['DUP-2']}/finding", json=finding, headers=h)
    assert r.status_code == 201, r.text
    event = (await client.get("/api/filings/DUP-2/events", headers=h)).json()[-1]
    assert event["detail"]["ground"] == "duplicate_registration"
    assert event["detail"]["basis"] == {"kind": "inspection_finding", "reference": f"#{items['DUP-2']}"}
    # without a duplicate flag the finding must name the ground, and nothing is written without it
    r = await client.post(f"/api/audit/items/{items['DUP-1']}/finding", json=finding, headers=h)
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "ground", r.text
    assert (await client.get("/api/filings/DUP-1", headers=h)).json()["status"] == "registered"
    # a supervisor may revoke on that finding later: the item is ours, of this filing, with its finding
    sup = {"Authorization": f"Bearer {tokens['sup']}"}
    r = await client.post(f"/api/audit/items/{items['DUP-1']}/finding", headers=h,
                          json={"outcome": "deregistration_ordered", "reasons": ["合同已解除未注销"]})
    assert r.status_code == 201, r.text
    wrong_item = {"ground": "voided_not_deregistered", "basis": {"kind": "inspection_finding",
                                                                 "reference": str(items["DUP-2"])}}
    r = await client.post("/api/filings/DUP-1/revoke", json=wrong_item, headers=sup)
    assert r.status_code == 400 and "basis.reference" in r.text
    r = await client.post("/api/filings/DUP-1/revoke", headers=sup, json={
        "ground": "voided_not_deregistered", "basis": {"kind": "inspection_finding", "reference": f"#{items['DUP-1']}"}})
    assert r.status_code == 200, r.text
    conn = await connect(url)
    try:
        assert (await verify_chain(conn, b"rules-key")).ok
        # the revocation row is written once: never changed
        with pytest.raises(Exception, match="append-only|not allowed|refuse"):
            await conn.execute("UPDATE revocations SET ground = 'other'")
    finally:
        await conn.close()


# -- the tax office's list --------------------------------------------------------------------------------------

async def test_the_tax_office_list_api_page_exports_and_cli(audited, data_dir):
    client, tokens, items, url, settings = audited
    sup = {"Authorization": f"Bearer {tokens['sup']}"}
    insp = {"Authorization": f"Bearer {tokens['insp']}"}
    r = await client.post(f"/api/audit/items/{items['DUP-2']}/finding", headers=insp,
                          json={"outcome": "revoked", "reasons": ["重复登记"]})
    assert r.status_code == 201, r.text
    r = await client.get("/api/revocations/tax-notice", headers=sup)
    assert r.status_code == 200, r.text
    notice = r.json()
    [row] = notice["items"]
    # imported history carries no registration day: it stood for a time not recorded here, and is listed
    assert row["registered_on"] is None and row["days_in_force"] is None
    assert row["reg_no"] == "2026310101000002" and row["ground"] == "duplicate_registration"
    assert row["seller_code"] == party_code(302) and row["basis_kind"] == "inspection_finding"
    assert notice["min_days"] == 0
    assert (await client.get("/api/revocations/tax-notice", headers=insp)).status_code == 403
    r = await client.get("/api/revocations/tax-notice?revoked_from=2030-01-02&revoked_to=2030-01-01", headers=sup)
    assert r.status_code == 400
    # the page and its exports say it in words
    page = (await client.get("/revocations", headers={**sup, "Accept": "text/html"})).text
    assert "同一合同重复登记" in page and "2026310101000002" in page
    r = await client.get("/revocations?format=csv", headers=sup)
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["登记号", "合同编号", "合同名称"] and rows[1][0] == "2026310101000002"
    assert "同一合同重复登记" in rows[1] and "行政检查结论" in rows[1]
    r = await client.get("/revocations?format=xlsx", headers=sup)
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert [c.value for c in sheet[2]][0] == "2026310101000002"
    # the command line writes the same list
    out = subprocess.run([sys.executable, "-m", "techreg.cli", "revocations", "tax-notice"], capture_output=True,
                         text=True, timeout=180, env=cli_env(TECHREG_DATABASE_URL=url, TECHREG_TAX_NOTICE_MIN_DAYS="0",
                                                             TECHREG_DATA_DIR=str(data_dir)))
    assert out.returncode == 0, out.stderr
    cli_rows = list(csv.reader(io.StringIO(out.stdout)))
    assert cli_rows[1][0] == "2026310101000002" and "同一合同重复登记" in cli_rows[1]


async def test_a_registration_revoked_before_it_stood_a_day_is_not_on_the_list(app, office, settings, database_url):
    """TECHREG_TAX_NOTICE_MIN_DAYS (1): a certificate revoked the day it was issued could not have been used."""
    from techreg.registry.revocation import tax_notice

    ref = await _registered(app, office)
    r = await app.post(f"/api/filings/{ref}/revoke", json=REVOKE, headers=office.h("supervisor"))
    assert r.status_code == 200, r.text
    conn = await connect(database_url)
    try:
        listed = {row.ref for row in (await tax_notice(conn, settings)).items}
        assert ref not in listed
        same_day = {row.ref for row in (await tax_notice(conn, msgspec.structs.replace(settings, tax_notice_min_days=0))
                                        ).items}
        assert ref in same_day
    finally:
        await conn.close()
