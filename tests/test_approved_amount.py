"""The approved technology transaction amount (核定技术交易额): registering approves an amount, the items deducted
add up to the difference and are on the event chain, and the certificate, exports, statistics and detectors
count the approved figure; a technical-income check is recorded against a registered contract."""

import datetime as dt
import io
import json
import re

import msgspec

from conftest import REVOKE, filing_body, new_ref, party_code, unique_point_code, told
from techreg.db.pool import connect
from techreg.detection.scan import run_scan
from techreg.registry.events import verify_chain
from techreg.registry.exporter import export_lines
from techreg.registry.importer import import_stream
from techreg.audit.dashboard import dashboard_data

ORIGIN = {"origin": "http://testserver.local"}     # page forms come from this site's pages
DEDUCTED = [{"item": "服务器 3 台", "category": "equipment", "amount": "150000.00"},
            {"item": "传感器元件", "category": "parts", "amount": "50000.00"}]


async def _file(app, office, **over) -> str:
    ref = new_ref("AP")
    n = int(office.point) * 10              # parties of this office's own: no other test's deal to look like
    parties = {"seller": {"name": "核定测试卖方有限公司", "credit_code": party_code(n + 1), "region": "310101"},
               "buyer": {"name": "核定测试买方有限公司", "credit_code": party_code(n + 2), "region": "310104"}}
    r = await app.post("/api/filings", json=filing_body(ref, office.point, **{**parties, **over}),
                       headers=office.h("registrar"))
    assert r.status_code == 201, r.text
    return ref


async def _status(app, office, ref) -> dict:
    return (await app.get(f"/api/filings/{ref}", headers=office.h("registrar"))).json()


async def test_registering_without_an_approved_amount_is_refused(app, office):
    ref = await _file(app, office)
    for body in (None, {}, {"note": "同意登记"}):
        r = await app.post(f"/api/filings/{ref}/register", json=body, headers=office.h("registrar"))
        assert r.status_code == 400, (body, r.text)
        assert [e["field"] for e in r.json()["errors"]] == ["approved_amount"], r.text
        assert "核定技术交易额" in r.json()["errors"][0]["message"]
    f = await _status(app, office, ref)
    assert f["status"] == "submitted" and f["reg_no"] is None and f["approved_amount"] is None


async def test_approved_at_most_declared_and_deductions_add_up(app, office):
    ref = await _file(app, office)                                        # declared 1,000,000 of 1,250,000
    r = await app.post(f"/api/filings/{ref}/register", json={"approved_amount": "1000000.01"},
                       headers=office.h("registrar"))
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "approved_amount"
    assert "不得超过申报的技术交易额" in r.json()["errors"][0]["message"]
    # a lower figure needs its items: none, or items that do not add up, are refused naming the sum
    r = await app.post(f"/api/filings/{ref}/register", json={"approved_amount": "800000.00"},
                       headers=office.h("registrar"))
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "deductions"
    assert "200000.00" in r.json()["errors"][0]["message"]
    r = await app.post(f"/api/filings/{ref}/register", json={"approved_amount": "800000.00",
                                                             "deductions": DEDUCTED[:1]},
                       headers=office.h("registrar"))
    assert r.status_code == 400 and "150000.00" in r.json()["errors"][0]["message"]
    bad = [{"item": "设备", "category": "furniture", "amount": "-1"}]
    r = await app.post(f"/api/filings/{ref}/register", json={"approved_amount": "800000.00", "deductions": bad},
                       headers=office.h("registrar"))
    assert r.status_code == 400 and r.json()["errors"][0]["field"].startswith("deductions")
    assert (await _status(app, office, ref))["status"] == "submitted"
    # the contract amount bounds the declared one (the filing's own rule), the database both
    r = await app.post("/api/filings", json=filing_body(new_ref(), office.point, tech_amount="1250000.01"),
                       headers=office.h("registrar"))
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "tech_amount"


async def test_itemised_approval_is_on_the_event_chain(app, office, conn, audit_key):
    ref = await _file(app, office)
    r = await app.post(f"/api/filings/{ref}/register", json={"approved_amount": "800000.00", "deductions": DEDUCTED,
                                                             "note": "扣除外购设备与零部件"},
                       headers=office.h("registrar"))
    assert r.status_code == 200, r.text
    f = r.json()
    assert f["status"] == "registered" and f["approved_amount"] == "800000.00" and f["tech_amount"] == "1000000.00"
    events = (await app.get(f"/api/filings/{ref}/events", headers=office.h("registrar"))).json()
    register = events[-1]
    assert register["action"] == "register"
    assert register["detail"]["approved_amount"] == "800000.00"
    assert register["detail"]["declared_tech_amount"] == "1000000.00"
    assert register["detail"]["deductions"] == DEDUCTED
    assert sum(float(d["amount"]) for d in register["detail"]["deductions"]) == 1000000 - 800000
    assert (await verify_chain(conn, audit_key)).ok
    # the approved amount is part of the state the event committed to: changed behind the trail's back, it shows
    await conn.execute("SET session_replication_role = replica")
    try:
        await conn.execute("UPDATE filings SET approved_amount = 900000 WHERE ref = $1", ref)
        breaks = [b for b in (await verify_chain(conn, audit_key)).breaks if b.filing_ref == ref]
        assert breaks and "changed after its last event" in breaks[0].problem
    finally:
        await conn.execute("UPDATE filings SET approved_amount = 800000 WHERE ref = $1", ref)
        await conn.execute("SET session_replication_role = origin")
    assert (await verify_chain(conn, audit_key)).ok


async def test_the_page_registers_with_the_approved_amount_and_shows_both(app, office):
    ref = await _file(app, office)
    app.cookies.set("techreg_session", office.tokens["registrar"])
    try:
        page = await app.get(f"/filings/{ref}")
        assert 'name="approved_amount"' in page.text and "登记时核定" in page.text
        # the declared amount beside the empty box, never a placeholder that looks filled in
        assert 'id="declared-amount"' in page.text and 'data-value="1000000.00"' in page.text
        assert 'placeholder="1000000.00"' not in page.text
        # every error of the register form at once, beside its input, and what was typed kept
        r = await app.post(f"/filings/{ref}/act", headers=ORIGIN, follow_redirects=False, data={
            "action": "register", "confirm_flags": "yes", "d_item": ["", "服务器 3 台", ""],
            "d_category": ["other", "equipment", "other"], "d_amount": ["", "-5", ""], "note": "待核"})
        assert r.status_code == 200 and 'id="form-errors"' in r.text
        assert set(re.findall(r'class="field-error" data-field="([\w-]+)"', r.text)) == {"approved_amount", "d_amount-1"}
        assert "核定技术交易额</a>：必填" in r.text and "（第 2 行）" in r.text
        assert 'value="服务器 3 台"' in r.text and 'value="-5"' in r.text and 'value="待核"' in r.text
        assert re.search(r'<option value="equipment" selected', r.text)
        # the deductions must make up the difference: said beside them, the typed amount kept (not emptied)
        r = await app.post(f"/filings/{ref}/act", headers=ORIGIN, follow_redirects=False,
                           data={"action": "register", "confirm_flags": "yes", "approved_amount": "700000"})
        assert r.status_code == 200 and re.findall(r'class="field-error" data-field="(\w+)"', r.text) == ["deductions"]
        assert "核减项目</a>：合计 0 元，应等于" in r.text and 'name="approved_amount" required inputmode="decimal" autocomplete="off" value="700000"' in r.text
        assert (await _status(app, office, ref))["status"] == "submitted"
        form = {"action": "register", "approved_amount": "800,000.00", "d_item": ["服务器 3 台", "传感器元件", ""],
                "d_category": ["equipment", "parts", "other"], "d_amount": ["150000", "50000", ""], "note": "核减",
                "confirm_flags": "yes"}
        r = await app.post(f"/filings/{ref}/act", data=form, headers=ORIGIN, follow_redirects=False)
        assert r.status_code == 303 and "msg" in told(r) and "err" not in told(r), told(r)
        page = await app.get(f"/filings/{ref}")
        assert "1,000,000.00" in page.text and "800,000.00" in page.text and "服务器 3 台" in page.text
        assert "登记证明" in page.text and "技术性收入核定" in page.text
        cert = await app.get(f"/filings/{ref}/certificate")
        assert cert.status_code == 200 and "800,000.00" in cert.text and "有效" in cert.text
        listed = await app.get("/filings", params={"q": ref, "format": "csv"})
        header, row = listed.content.decode("utf-8-sig").splitlines()[:2]
        assert "核定技术交易额" in header and "800000.00" in row
    finally:
        app.cookies.clear()


async def test_certificate_states_the_approved_amount_and_its_validity(app, office):
    ref = await _file(app, office)
    r = await app.get(f"/api/filings/{ref}/certificate", headers=office.h("registrar"))
    assert r.status_code == 409
    await app.post(f"/api/filings/{ref}/register", json={"approved_amount": "800000.00", "deductions": DEDUCTED},
                   headers=office.h("registrar"))
    cert = (await app.get(f"/api/filings/{ref}/certificate", headers=office.h("registrar"))).json()
    assert cert["valid"] and cert["approved_amount"] == "800000.00" and cert["declared_tech_amount"] == "1000000.00"
    assert [d["item"] for d in cert["deductions"]] == ["服务器 3 台", "传感器元件"]
    assert len(cert["reg_no"]) == 16
    await app.post(f"/api/filings/{ref}/revoke", json=REVOKE, headers=office.h("supervisor"))
    cert = (await app.get(f"/api/filings/{ref}/certificate", headers=office.h("supervisor"))).json()
    assert not cert["valid"] and cert["status"] == "revoked" and cert["approved_amount"] == "800000.00"


async def test_income_check_against_a_registered_contract(app, office, conn, audit_key):
    ref = await _file(app, office)
    as_of = (dt.date.today() - dt.timedelta(days=2)).isoformat()          # after signing (2026-03-01)
    check = {"received_amount": "850000.00", "as_of": as_of, "note": "到账凭证 5 张"}
    r = await app.post(f"/api/filings/{ref}/income-checks", json=check, headers=office.h("registrar"))
    assert r.status_code == 409                                             # not registered yet
    await app.post(f"/api/filings/{ref}/register", json={"approved_amount": "800000.00", "deductions": DEDUCTED},
                   headers=office.h("registrar"))
    r = await app.post(f"/api/filings/{ref}/income-checks", json=check, headers=office.h("inspector"))
    assert r.status_code in (403, 404)
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    r = await app.post(f"/api/filings/{ref}/income-checks", json={**check, "as_of": future},
                       headers=office.h("registrar"))
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "as_of"
    r = await app.post(f"/api/filings/{ref}/income-checks", json={**check, "received_amount": "12,5"},
                       headers=office.h("registrar"))
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "received_amount"
    r = await app.post(f"/api/filings/{ref}/income-checks", json=check, headers=office.h("registrar"))
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["approved_amount"] == "800000.00" and out["difference"] == "50000.00" and out["verdict"] == "above"
    r = await app.post(f"/api/filings/{ref}/income-checks", json={**check, "received_amount": "800000.00"},
                       headers=office.h("supervisor"))
    assert r.status_code == 201 and r.json()["verdict"] == "matches"
    checks = (await app.get(f"/api/filings/{ref}/income-checks", headers=office.h("registrar"))).json()
    assert [c["verdict"] for c in checks] == ["above", "matches"]
    events = (await app.get(f"/api/filings/{ref}/events", headers=office.h("registrar"))).json()
    assert [e["action"] for e in events][-2:] == ["income_check", "income_check"]
    assert all(e["to_status"] == "registered" for e in events[-2:])
    assert (await verify_chain(conn, audit_key)).ok
    app.cookies.set("techreg_session", office.tokens["registrar"])
    try:
        page = await app.get(f"/filings/{ref}")
        assert "超过核定额" in page.text and "850,000.00" in page.text and "income_check" not in page.text
    finally:
        app.cookies.clear()


def _lines(*objs) -> bytes:
    return b"".join(json.dumps(o, ensure_ascii=False).encode() + b"\n" for o in objs)


async def test_history_carries_its_approved_amount_through_import_and_export(conn, audit_key):
    point = unique_point_code()
    year = 2025
    with_one = filing_body(new_ref("HA"), point, status="registered", reg_no=f"{year}{point}000001",
                           approved_amount="700000.00")
    without = filing_body(new_ref("HA"), point, status="registered", reg_no=f"{year}{point}000002")
    pending = filing_body(new_ref("HA"), point)
    pending_with = filing_body(new_ref("HA"), point, approved_amount="900000.00")
    too_high = filing_body(new_ref("HA"), point, status="registered", reg_no=f"{year}{point}000003",
                           approved_amount="1000000.01")
    report = await import_stream(conn, io.BytesIO(_lines(with_one, without, pending, pending_with, too_high)),
                                 audit_key, actor="test", create_points=True, source="history")
    assert report.imported == 3 and report.rejected == 2
    assert sorted((e.line, e.field) for e in report.errors) == [(4, "approved_amount"), (5, "approved_amount")]
    stored = {r["ref"]: r["approved_amount"] for r in await conn.fetch(
        "SELECT ref, approved_amount::text FROM filings WHERE point_code = $1", point)}
    # registered history without an approved amount is taken at its declared one; pending history has none
    assert stored == {with_one["ref"]: "700000.00", without["ref"]: "1000000.00", pending["ref"]: None}
    assert (await verify_chain(conn, audit_key)).ok
    exported = {}
    async for line in export_lines(conn):
        obj = json.loads(line)
        exported[obj["ref"]] = obj
    assert exported[with_one["ref"]]["approved_amount"] == "700000.00"
    assert exported[without["ref"]]["approved_amount"] == "1000000.00"
    assert "approved_amount" not in exported[pending["ref"]]


async def test_detectors_and_statistics_count_the_approved_amount(empty_database, settings, audit_key):
    """A software contract declared over the large line but approved under it is no large contract; one
    registered before approved amounts existed counts at its declared amount."""
    point = unique_point_code()
    seller, buyer = ({"name": "软件公司", "credit_code": party_code(701), "region": "310101"},
                     {"name": "客户公司", "credit_code": party_code(702), "region": "310104"})
    big = {"amount": "6500000.00", "tech_amount": "6000000.00", "seller": seller, "buyer": buyer}
    approved_under = filing_body(new_ref("LG"), point, status="registered", reg_no=f"2025{point}000001",
                                 approved_amount="4500000.00", title="数据中台软件开发", **big)
    as_declared = filing_body(new_ref("LG"), point, status="registered", reg_no=f"2025{point}000002",
                              title="工业视觉检测软件开发", signed_on="2025-11-03", performance_start="2025-11-10",
                              filed_on="2025-11-12", **{**big, "buyer": {**buyer, "credit_code": party_code(703)}})
    conn = await connect(empty_database)
    try:
        report = await import_stream(conn, io.BytesIO(_lines(approved_under, as_declared)), audit_key, actor="t",
                                     create_points=True, source="s")
        assert report.imported == 2, report.errors
        facts = dict(await conn.fetch("SELECT f.ref, x.tech_amount FROM filing_facts x JOIN filings f USING (id)"))
        assert facts == {approved_under["ref"]: 4_500_000.0, as_declared["ref"]: 6_000_000.0}   # float8 (0028)
        await run_scan(conn, settings, full=True)
        large = {r["ref"] for r in await conn.fetch(
            "SELECT f.ref FROM flags g JOIN filings f ON f.id = g.filing_id WHERE g.kind = 'large_software' AND g.active")}
        assert large == {as_declared["ref"]}
        data = await dashboard_data(conn)
        assert sum(data["month_amounts"]) == 1050.0          # 万元: 450 approved + 600 declared
    finally:
        await conn.close()


async def test_approval_changes_what_an_incremental_scan_sees(empty_database, settings, audit_key):
    from techreg.registry import review, service
    from techreg.registry.points import PointIn, create_point
    from techreg.registry.review_schema import ConfirmIn
    from techreg.registry.schema import RegisterBody
    from techreg.registry.users import CurrentUser, UserIn, create_user

    point = unique_point_code()
    body = filing_body(new_ref("LI"), point, amount="6500000.00", tech_amount="6000000.00")
    conn = await connect(empty_database)
    try:
        await create_point(conn, PointIn(code=point, name="测试"))
        user = await create_user(conn, UserIn(username=f"reg-{point}", display_name="登记员", role="registrar",
                                              point_code=point, password="correct-horse-battery",
                                              qualification_expires=dt.date.today() + dt.timedelta(days=100)),
                                 actor="system")
        registrar = CurrentUser(id=user.id, username=user.username, display_name="登记员", role="registrar",
                                point_code=point, qualification_expires=dt.date.today() + dt.timedelta(days=100))
        second = await create_user(conn, UserIn(username=f"reg2-{point}", display_name="登记员乙", role="registrar",
                                                point_code=point, password="correct-horse-battery",
                                                qualification_expires=dt.date.today() + dt.timedelta(days=100)),
                                   actor="system")
        confirmer = CurrentUser(id=second.id, username=second.username, display_name="登记员乙", role="registrar",
                                point_code=point, qualification_expires=dt.date.today() + dt.timedelta(days=100))
        await import_stream(conn, io.BytesIO(_lines(body)), audit_key, actor="t", create_points=True, source="s")
        await run_scan(conn, settings, full=True)
        flagged = "SELECT count(*) FROM flags WHERE kind = 'large_software' AND active"
        assert await conn.fetchval(flagged) == 1
        async with conn.transaction():
            await service.register(conn, audit_key, settings, registrar, body["ref"], msgspec.convert({
                "approved_amount": "4800000.00",
                "deductions": [{"item": "GPU 服务器 2 台", "category": "equipment", "amount": "1200000.00"}]},
                RegisterBody))
            # large and flagged: the registration is proposed and takes effect on a second registrar's
            # confirmation (复核, registry/review.py)
            assert await conn.fetchval("SELECT status FROM filings WHERE ref = $1", body["ref"]) == "proposed"
            await review.confirm(conn, audit_key, settings, confirmer, body["ref"], ConfirmIn())
        await run_scan(conn, settings, full=False)
        assert await conn.fetchval(flagged) == 0
    finally:
        await conn.close()
