"""The registration workflow, registration numbers and who may do what."""

import asyncio
import datetime as dt
import uuid

from conftest import APPROVE, REVOKE, filing_body, make_office, new_ref, party_code


async def _file(app, office, **over) -> str:
    ref = new_ref()
    r = await app.post("/api/filings", json=filing_body(ref, office.point, **over), headers=office.h("registrar"))
    assert r.status_code == 201, r.text
    return ref


async def test_register_issues_a_16_digit_number(app, office):
    ref = await _file(app, office)
    r = await app.post(f"/api/filings/{ref}/register", json=APPROVE, headers=office.h("registrar"))
    assert r.status_code == 200, r.text
    f = r.json()
    year = dt.date.today().year
    assert f["status"] == "registered"
    assert len(f["reg_no"]) == 16 and f["reg_no"].isdigit()
    assert f["reg_no"].startswith(f"{year}{office.point}")
    assert f["registrar"] == office.usernames["registrar"]
    events = (await app.get(f"/api/filings/{ref}/events", headers=office.h("registrar"))).json()
    assert [(e["action"], e["from_status"], e["to_status"]) for e in events] == [
        ("create", None, "submitted"), ("register", "submitted", "registered")]
    assert events[1]["detail"]["reg_no"] == f["reg_no"]


async def test_expired_registrar_is_refused_with_the_reason(app, office):
    ref = await _file(app, office)
    r = await app.post(f"/api/filings/{ref}/register", json=APPROVE, headers=office.h("expired"))
    assert r.status_code == 403
    assert "过期" in r.json()["message"] and "expired" in r.json()["message_en"]
    r = await app.get(f"/api/filings/{ref}", headers=office.h("registrar"))
    assert r.json()["status"] == "submitted" and r.json()["reg_no"] is None


async def test_refuse_needs_known_reason_codes(app, office):
    ref = await _file(app, office)
    r = await app.post(f"/api/filings/{ref}/refuse", json={"reasons": []}, headers=office.h("registrar"))
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "reasons"
    r = await app.post(f"/api/filings/{ref}/refuse", json={"reasons": ["made_up"]}, headers=office.h("registrar"))
    assert r.status_code == 400
    r = await app.post(f"/api/filings/{ref}/refuse", json={"reasons": ["not_technology_contract"], "note": "设备采购"},
                       headers=office.h("registrar"))
    assert r.status_code == 200 and r.json()["status"] == "refused"
    # refused is final here: registering now is a 409 naming the current state
    r = await app.post(f"/api/filings/{ref}/register", json=APPROVE, headers=office.h("registrar"))
    assert r.status_code == 409 and r.json()["status"] == "refused"


async def test_return_correct_resubmit_register(app, office):
    ref = await _file(app, office)
    r = await app.post(f"/api/filings/{ref}/return", json={"note": "技术交易额未扣除设备款"},
                       headers=office.h("registrar"))
    assert r.status_code == 200 and r.json()["status"] == "returned"
    r = await app.patch(f"/api/filings/{ref}", json={"tech_amount": "800000.00"}, headers=office.h("registrar"))
    assert r.status_code == 200 and r.json()["tech_amount"] == "800000.00"
    # a correction is checked by the same rules
    r = await app.patch(f"/api/filings/{ref}", json={"tech_amount": "99999999.00"}, headers=office.h("registrar"))
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "tech_amount"
    r = await app.post(f"/api/filings/{ref}/resubmit", headers=office.h("registrar"))
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    r = await app.post(f"/api/filings/{ref}/register", json={"approved_amount": "800000.00"},
                       headers=office.h("registrar"))
    assert r.status_code == 200
    events = (await app.get(f"/api/filings/{ref}/events", headers=office.h("registrar"))).json()
    assert [e["action"] for e in events] == ["create", "return", "correct", "resubmit", "register"]
    assert events[2]["detail"]["changes"]["tech_amount"] == {"from": "1000000.00", "to": "800000.00"}


async def test_revoke_is_for_supervisors_and_cancel_for_the_point(app, office):
    # revoked for fraud, the seller gets a credit record (a red line): a seller of its own, not the suite's usual
    ref = await _file(app, office, seller={"name": "上海虚假合同科技有限公司", "region": "310101",
                                           "credit_code": party_code(uuid.uuid4().int % 10**9)})
    await app.post(f"/api/filings/{ref}/register", json=APPROVE, headers=office.h("registrar"))
    r = await app.post(f"/api/filings/{ref}/revoke", json=REVOKE, headers=office.h("registrar"))
    assert r.status_code == 403
    r = await app.post(f"/api/filings/{ref}/revoke", json={**REVOKE, "note": "虚假合同"},
                       headers=office.h("supervisor"))
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    r = await app.post(f"/api/filings/{ref}/cancel", json={"note": "当事人申请"}, headers=office.h("registrar"))
    assert r.status_code == 409 and r.json()["status"] == "revoked"

    ref2 = await _file(app, office)
    await app.post(f"/api/filings/{ref2}/register", json=APPROVE, headers=office.h("registrar"))
    r = await app.post(f"/api/filings/{ref2}/cancel", json={"note": "合同已解除"}, headers=office.h("registrar"))
    assert r.status_code == 200 and r.json()["status"] == "cancelled"


async def test_invalid_transitions_are_409_with_current_state(app, office):
    ref = await _file(app, office)
    for action, body in [("resubmit", None), ("revoke", REVOKE), ("cancel", {"note": "x"})]:
        who = "supervisor" if action == "revoke" else "registrar"
        r = await app.post(f"/api/filings/{ref}/{action}", json=body, headers=office.h(who))
        assert r.status_code == 409, (action, r.text)
        assert r.json()["status"] == "submitted"


async def test_registered_filing_cannot_be_corrected(app, office):
    ref = await _file(app, office)
    await app.post(f"/api/filings/{ref}/register", json=APPROVE, headers=office.h("registrar"))
    r = await app.patch(f"/api/filings/{ref}", json={"title": "新名称"}, headers=office.h("registrar"))
    assert r.status_code == 409


async def test_concurrent_registrations_get_distinct_gap_free_numbers(app, database_url):
    office = await make_office(database_url)
    refs = [await _file(app, office) for _ in range(20)]
    registrars = ["registrar", "registrar2"]
    results = await asyncio.gather(*[
        app.post(f"/api/filings/{ref}/register", json=APPROVE, headers=office.h(registrars[i % 2])) for i, ref in enumerate(refs)])
    assert all(r.status_code == 200 for r in results), [r.text for r in results if r.status_code != 200]
    numbers = sorted(r.json()["reg_no"] for r in results)
    seqs = [int(n[-6:]) for n in numbers]
    assert seqs == list(range(1, 21))
    assert len(set(numbers)) == 20


async def test_rolled_back_registration_does_not_burn_a_number(app, database_url, conn):
    from techreg.registry.regno import issue_number

    office = await make_office(database_url)
    ref = await _file(app, office)
    year = dt.date.today().year
    async with conn.transaction():
        first = await issue_number(conn, office.point, year)  # committed: number 1 is used
    try:
        async with conn.transaction():
            await issue_number(conn, office.point, year)  # drawn, then the transaction fails
            raise RuntimeError("registration failed after drawing a number")
    except RuntimeError:
        pass
    r = await app.post(f"/api/filings/{ref}/register", json=APPROVE, headers=office.h("registrar"))
    assert int(first[-6:]) == 1
    assert int(r.json()["reg_no"][-6:]) == 2
