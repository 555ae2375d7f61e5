"""Review (复核): four eyes on registrations that matter, a party's request for review of a refusal or a
return, and a supervisor's review of a registered filing; who may decide each, the periods and deadlines in
working days, every step on the filing's event chain; the queue in the API, the page and the CLI."""

import asyncio
import datetime as dt
import json
import re
import subprocess
import sys

import asyncpg
import msgspec
import pytest

from conftest import app_url, cli_env, filing_body, new_ref, party_code, told
from techreg.registry import review, review_gate
from techreg.registry.review_schema import ReviewRequestIn
from techreg.registry.users import user_named
from techreg.registry.workdays import work_calendar

LARGE = {"amount": "6000000.00", "tech_amount": "5500000.00"}
ORIGIN = {"Origin": "http://testserver.local"}


def _parties(office, n: int = 0) -> dict:
    """Parties of this office's own, so no other test's filings are near them."""
    base = int(office.point) * 100 + n * 2
    return {"seller": {"name": "复核测试卖方有限公司", "credit_code": party_code(base + 1), "region": "310101"},
            "buyer": {"name": "复核测试买方有限公司", "credit_code": party_code(base + 2), "region": "310104"}}


async def _file(app, office, n: int = 0, **over) -> str:
    ref = new_ref("RV")
    r = await app.post("/api/filings", json=filing_body(ref, office.point, **{**_parties(office, n), **over}),
                       headers=office.h("registrar"))
    assert r.status_code == 201, r.text
    return ref


async def _events(app, office, ref) -> list[dict]:
    r = await app.get(f"/api/filings/{ref}/events", headers=office.h("supervisor"))
    assert r.status_code == 200, r.text
    return r.json()


async def _proposed(app, office, n: int = 0, **over) -> str:
    ref = await _file(app, office, n, **{**LARGE, **over})
    r = await app.post(f"/api/filings/{ref}/register", headers=office.h("registrar"), json={
        "approved_amount": "5000000.00",
        "deductions": [{"item": "服务器 5 台", "category": "equipment", "amount": "500000.00"}]})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "proposed" and r.json()["reg_no"] is None
    return ref


async def _qualify(app, office, who: str) -> None:
    r = await app.put(f"/api/users/{office.usernames[who]}/qualification", headers=office.h("admin"),
                      json={"qualification_expires": (dt.date.today() + dt.timedelta(days=300)).isoformat()})
    assert r.status_code == 200, r.text


# -- four eyes at registration --------------------------------------------------------------------------

async def test_a_large_registration_waits_for_a_second_person_who_registers_it(app, office, settings):
    ref = await _proposed(app, office)
    events = await _events(app, office, ref)
    assert [(e["action"], e["from_status"], e["to_status"], e["actor"]) for e in events] == [
        ("create", None, "submitted", office.usernames["registrar"]),
        ("propose", "submitted", "proposed", office.usernames["registrar"])]
    assert events[1]["detail"]["triggers"]["large"] is True and events[1]["detail"]["approved_amount"] == "5000000.00"
    # in the queue with its deadline: the filing's own (30 working days for a large contract)
    queue = (await app.get("/api/reviews", headers=office.h("registrar"))).json()
    [item] = [i for i in queue["items"] if i["ref"] == ref]
    due, _ = work_calendar(settings).add_workdays(dt.date.fromisoformat("2026-03-15"), 30)
    assert item["kind"] == "registration" and item["due_on"] == due.isoformat() and item["status"] == "open"
    assert item["proposal"]["large"] and item["proposal"]["approved_amount"] == "5000000.00"
    assert item["may_decide"] is False                                   # the proposer's own
    # the proposer cannot confirm their own proposal; registering again is a conflict
    r = await app.post(f"/api/filings/{ref}/reviews/confirm", headers=office.h("registrar"))
    assert r.status_code == 403 and "他人" in r.json()["message"] and "someone else" in r.json()["message_en"]
    r = await app.post(f"/api/filings/{ref}/register", json={"approved_amount": "5000000.00"},
                       headers=office.h("registrar"))
    assert r.status_code == 409 and r.json()["status"] == "proposed"
    r = await app.post(f"/api/filings/{ref}/refuse", json={"reasons": ["other"]}, headers=office.h("registrar"))
    assert r.status_code == 409
    # the second registrar of the point sees it as theirs to decide, and confirms: one registration
    queue = (await app.get("/api/reviews", headers=office.h("registrar2"))).json()
    assert [i["may_decide"] for i in queue["items"] if i["ref"] == ref] == [True]
    r = await app.post(f"/api/filings/{ref}/reviews/confirm", json={"note": "已核对设备清单"},
                       headers=office.h("registrar2"))
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "confirmed" and r.json()["decided_by"] == office.usernames["registrar2"]
    f = (await app.get(f"/api/filings/{ref}", headers=office.h("registrar"))).json()
    assert f["status"] == "registered" and len(f["reg_no"]) == 16 and f["approved_amount"] == "5000000.00"
    assert f["registrar"] == office.usernames["registrar"]
    events = await _events(app, office, ref)
    register = events[-1]
    assert (register["action"], register["from_status"], register["to_status"], register["actor"]) == (
        "register", "proposed", "registered", office.usernames["registrar2"])
    assert register["detail"]["proposed_by"] == office.usernames["registrar"]
    assert register["detail"]["reg_no"] == f["reg_no"] and register["detail"]["deductions"][0]["amount"] == "500000.00"
    cert = (await app.get(f"/api/filings/{ref}/certificate", headers=office.h("registrar"))).json()
    assert cert["valid"] and cert["approved_amount"] == "5000000.00" and cert["reg_no"] == f["reg_no"]
    queue = (await app.get("/api/reviews", headers=office.h("registrar"))).json()
    assert ref not in {i["ref"] for i in queue["items"]}
    r = await app.post(f"/api/filings/{ref}/reviews/confirm", headers=office.h("registrar2"))
    assert r.status_code == 409


async def test_below_the_lines_registration_is_direct_as_before(app, office, conn, settings):
    ref = await _file(app, office, tech_amount="4999999.99", amount="5000000.00")
    row = await conn.fetchrow("SELECT id FROM filings WHERE ref = $1", ref)
    # a flag under the review score does not call for four eyes
    await conn.execute("INSERT INTO flags (filing_id, kind, detector, score, reasons) VALUES ($1, 'split', 'split/9',"
                       " $2, '[]')", row["id"], settings.review_flag_score - 0.01)
    r = await app.post(f"/api/filings/{ref}/register", json={"approved_amount": "4999999.99"},
                       headers=office.h("registrar"))
    assert r.status_code == 200 and r.json()["status"] == "registered" and r.json()["reg_no"]
    assert [e["action"] for e in await _events(app, office, ref)] == ["create", "register"]


async def test_a_high_flag_calls_for_four_eyes_at_the_configured_score(app, office, conn, settings):
    ref = await _file(app, office)
    row = await conn.fetchrow("SELECT * FROM filings WHERE ref = $1", ref)
    await conn.execute("INSERT INTO flags (filing_id, kind, detector, score, reasons) VALUES ($1, 'backdated',"
                       " 'backdated/9', 0.85, '[]')", row["id"])
    assert await review_gate.second_look(conn, settings, row) is not None
    stricter = msgspec.structs.replace(settings, review_flag_score=0.9)
    assert await review_gate.second_look(conn, stricter, row) is None          # the setting decides
    r = await app.post(f"/api/filings/{ref}/register", json={"approved_amount": "1000000.00"},
                       headers=office.h("registrar"))
    assert r.json()["status"] == "proposed"
    [event] = [e for e in await _events(app, office, ref) if e["action"] == "propose"]
    assert event["detail"]["triggers"] == {"large": False, "large_line": "5000000.00",
                                           "flags": [{"kind": "backdated", "score": 0.85}], "flag_score": 0.8}


async def test_who_may_confirm_qualified_untied_and_not_the_proposer(app, office):
    ref = await _proposed(app, office, 1)
    # a supervisor without a registrar qualification on record may not confirm; with one they may
    r = await app.post(f"/api/filings/{ref}/reviews/confirm", headers=office.h("supervisor"))
    assert r.status_code == 403 and "资格" in r.json()["message"] and "qualification" in r.json()["message_en"]
    # and reads why, who may decide such a review, and who may now: the point's other qualified registrar,
    # neither the proposer nor the lapsed one
    [seen] = (await app.get(f"/api/filings/{ref}/reviews", headers=office.h("supervisor"))).json()
    assert not seen["may_decide"] and seen["why_not"]["message"] == r.json()["message"]
    assert "登记员资格" in seen["who_decides"]["message"] and office.point in seen["who_decides"]["message"]
    named = {d["username"] for d in seen["deciders"]}
    assert office.usernames["registrar2"] in named and seen["decider_count"] >= len(named) >= 1
    assert not named & {office.usernames["registrar"], office.usernames["expired"], office.usernames["supervisor"]}
    assert seen["how_to_qualify"] is None
    # the expired registrar: not qualified
    r = await app.post(f"/api/filings/{ref}/reviews/confirm", headers=office.h("expired"))
    assert r.status_code == 403 and "过期" in r.json()["message"]
    # inspectors and administrators do not review; another point's registrar does not see the filing
    assert (await app.post(f"/api/filings/{ref}/reviews/confirm", headers=office.h("inspector"))).status_code in (403, 404)
    assert (await app.post(f"/api/filings/{ref}/reviews/confirm", headers=office.h("admin"))).status_code == 403
    # the second registrar steps aside, declaring a tie to the seller: they may not confirm this one ...
    seller = _parties(office, 1)["seller"]["credit_code"]
    r = await app.post(f"/api/filings/{ref}/reviews/recusal", json={"reason": "曾任卖方顾问", "party": seller},
                       headers=office.h("registrar2"))
    assert r.status_code == 200 and r.json()["recused"] == [office.usernames["registrar2"]]
    r = await app.post(f"/api/filings/{ref}/reviews/confirm", headers=office.h("registrar2"))
    assert r.status_code == 403 and "回避" in r.json()["message"]
    [seen] = (await app.get(f"/api/filings/{ref}/reviews", headers=office.h("registrar2"))).json()
    assert "回避" in seen["why_not"]["message"]
    assert office.usernames["registrar2"] not in {d["username"] for d in seen["deciders"]}
    # ... nor any other filing of that seller (the tie stands)
    other = await _proposed(app, office, 1)
    r = await app.post(f"/api/filings/{other}/reviews/confirm", headers=office.h("registrar2"))
    assert r.status_code == 403 and seller in r.json()["message"] and "tie" in r.json()["message_en"]
    await _qualify(app, office, "supervisor")
    [seen] = (await app.get(f"/api/filings/{ref}/reviews", headers=office.h("registrar"))).json()
    assert office.usernames["supervisor"] in {d["username"] for d in seen["deciders"]}
    r = await app.post(f"/api/filings/{ref}/reviews/confirm", headers=office.h("supervisor"))
    assert r.status_code == 200, r.text
    assert r.json()["why_not"] is None and r.json()["deciders"] == [] and r.json()["who_decides"] is None
    events = await _events(app, office, ref)
    assert [e["action"] for e in events] == ["create", "propose", "review_recusal", "register"]
    assert events[2]["detail"]["party"] == seller and events[-1]["actor"] == office.usernames["supervisor"]


async def test_send_back_returns_the_filing_to_the_registrar_with_reasons(app, office):
    ref = await _proposed(app, office, 2)
    r = await app.post(f"/api/filings/{ref}/reviews/send-back", json={"reasons": ""}, headers=office.h("registrar2"))
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "reasons"
    r = await app.post(f"/api/filings/{ref}/reviews/send-back", json={"reasons": "服务器不属技术载体，核定额偏高"},
                       headers=office.h("registrar2"))
    assert r.status_code == 200 and r.json()["outcome"] == "sent_back"
    f = (await app.get(f"/api/filings/{ref}", headers=office.h("registrar"))).json()
    assert f["status"] == "submitted" and f["reg_no"] is None and f["approved_amount"] is None
    last = (await _events(app, office, ref))[-1]
    assert (last["action"], last["to_status"], last["detail"]["note"]) == ("send_back", "submitted",
                                                                           "服务器不属技术载体，核定额偏高")
    # the registrar decides again: a new proposal, a new review
    r = await app.post(f"/api/filings/{ref}/register", json={"approved_amount": "5500000.00"},
                       headers=office.h("registrar"))
    assert r.json()["status"] == "proposed"
    reviews = (await app.get(f"/api/filings/{ref}/reviews", headers=office.h("registrar"))).json()
    assert [(x["status"], x["outcome"]) for x in reviews] == [("open", None), ("decided", "sent_back")]


async def test_two_confirmations_at_once_register_once(app, office, conn):
    await _qualify(app, office, "supervisor")
    refs = [await _proposed(app, office, 3) for _ in range(3)]
    for ref in refs:
        results = await asyncio.gather(
            app.post(f"/api/filings/{ref}/reviews/confirm", headers=office.h("registrar2")),
            app.post(f"/api/filings/{ref}/reviews/confirm", headers=office.h("supervisor")))
        assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]
        events = await _events(app, office, ref)
        assert [e["action"] for e in events].count("register") == 1
    numbers = await conn.fetch("SELECT reg_no FROM filings WHERE ref = any($1::text[])", refs)
    seqs = sorted(int(n["reg_no"][-6:]) for n in numbers)
    last = await conn.fetchval("SELECT max(last_seq) FROM reg_counters WHERE point_code = $1", office.point)
    assert len(set(seqs)) == 3 and seqs[-1] == last            # no number drawn by the one that lost


# -- a party's request for review of a refusal or a return -------------------------------------------------

async def _refused(app, office, n: int = 4) -> str:
    ref = await _file(app, office, n)
    r = await app.post(f"/api/filings/{ref}/refuse", json={"reasons": ["not_technology_contract"]},
                       headers=office.h("registrar"))
    assert r.status_code == 200
    return ref


async def test_a_refusal_reviewed_at_the_party_request_is_overturned_by_someone_else(app, office, settings):
    ref = await _refused(app, office)
    today = dt.date.fromisoformat((await app.get("/api/reviews", headers=office.h("registrar"))).json()["today"])
    r = await app.post(f"/api/filings/{ref}/reviews/request", headers=office.h("registrar"),
                       json={"requested_on": today.isoformat(), "requested_by": "seller", "grounds": "合同含软件著作权转让"})
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "party_request" and r.json()["subject_actor"] == office.usernames["registrar"]
    due, _ = work_calendar(settings).add_workdays(today, settings.review_days)
    assert r.json()["due_on"] == due.isoformat() and r.json()["deadline_state"] == "pending"
    # asking again while it is open, or the original registrar deciding: refused
    again = await app.post(f"/api/filings/{ref}/reviews/request", headers=office.h("supervisor"),
                           json={"requested_on": today.isoformat(), "requested_by": "seller", "grounds": "再次申请"})
    assert again.status_code == 409
    r = await app.post(f"/api/filings/{ref}/reviews/request/decision", headers=office.h("registrar"),
                       json={"outcome": "overturn", "reasons": "我认为应当登记"})
    assert r.status_code == 403 and "他人" in r.json()["message"]
    r = await app.post(f"/api/filings/{ref}/reviews/request/decision", headers=office.h("registrar2"),
                       json={"outcome": "overturn", "reasons": "属技术转让，原不予登记理由不成立"})
    assert r.status_code == 200 and r.json()["outcome"] == "overturned"
    f = (await app.get(f"/api/filings/{ref}", headers=office.h("registrar"))).json()
    assert f["status"] == "submitted"
    events = await _events(app, office, ref)
    assert [(e["action"], e["from_status"], e["to_status"]) for e in events][-3:] == [
        ("refuse", "submitted", "refused"), ("review_request", "refused", "refused"),
        ("review_decision", "refused", "submitted")]
    assert events[-2]["detail"]["requested_on"] == today.isoformat() and events[-1]["detail"]["outcome"] == "overturned"
    # awaiting a decision again, its clock started again today
    mine = {d["ref"]: d for d in (await app.get("/api/deadlines", headers=office.h("registrar"))).json()["items"]}
    assert mine[ref]["restarted"] and mine[ref]["clock_from"] == today.isoformat()
    # a decided request is not asked again for the same decision: refused again, it is a new decision
    r = await app.post(f"/api/filings/{ref}/refuse", json={"reasons": ["unclear_terms"]}, headers=office.h("registrar"))
    assert r.status_code == 200
    r = await app.post(f"/api/filings/{ref}/reviews/request", headers=office.h("registrar"),
                       json={"requested_on": today.isoformat(), "requested_by": "buyer", "grounds": "价款已约定"})
    assert r.status_code == 201


async def test_a_return_upheld_or_a_refusal_turned_into_a_return(app, office):
    ref = await _file(app, office, 5)
    await app.post(f"/api/filings/{ref}/return", json={"note": "缺少盖章页"}, headers=office.h("registrar"))
    today = dt.date.fromisoformat((await app.get("/api/reviews", headers=office.h("registrar"))).json()["today"])
    body = {"requested_on": today.isoformat(), "requested_by": "buyer", "grounds": "盖章页已提交"}
    assert (await app.post(f"/api/filings/{ref}/reviews/request", json=body,
                           headers=office.h("supervisor"))).status_code == 201
    # while the party's request waits, the filing moves only by its decision
    r = await app.post(f"/api/filings/{ref}/resubmit", headers=office.h("registrar"))
    assert r.status_code == 409 and "复核" in r.json()["message"]
    r = await app.post(f"/api/filings/{ref}/reviews/request/decision", headers=office.h("supervisor"),
                       json={"outcome": "uphold", "reasons": "盖章页为复印件"})
    assert r.status_code == 200 and r.json()["outcome"] == "upheld"
    assert (await app.get(f"/api/filings/{ref}", headers=office.h("registrar"))).json()["status"] == "returned"
    assert (await app.post(f"/api/filings/{ref}/resubmit", headers=office.h("registrar"))).status_code == 200

    refused = await _refused(app, office, 6)
    body = {"requested_on": today.isoformat(), "requested_by": "seller", "grounds": "可补正"}
    await app.post(f"/api/filings/{refused}/reviews/request", json=body, headers=office.h("registrar"))
    r = await app.post(f"/api/filings/{refused}/reviews/request/decision", headers=office.h("registrar2"),
                       json={"outcome": "return", "reasons": "补充专利证书复印件"})
    assert r.status_code == 200 and r.json()["outcome"] == "returned"
    assert (await app.get(f"/api/filings/{refused}", headers=office.h("registrar"))).json()["status"] == "returned"
    # only a refusal or a return is reviewed at a party's request; bad bodies name their fields
    pending = await _file(app, office, 7)
    r = await app.post(f"/api/filings/{pending}/reviews/request", json=body, headers=office.h("registrar"))
    assert r.status_code == 409
    r = await app.post(f"/api/filings/{refused}/reviews/request/decision", headers=office.h("registrar2"),
                       json={"outcome": "maybe", "reasons": ""})
    assert r.status_code == 400 and {e["field"] for e in r.json()["errors"]} == {"outcome", "reasons"}


async def test_a_request_out_of_its_period_is_refused_naming_the_period(app, office, conn, settings, audit_key):
    ref = await _refused(app, office, 8)
    registrar = await user_named(conn, office.usernames["registrar"])
    decided = await conn.fetchval("SELECT at FROM filing_events e JOIN filings f ON f.id = e.filing_id"
                                  " WHERE f.ref = $1 AND e.action = 'refuse'", ref)
    from zoneinfo import ZoneInfo
    decided_on = decided.astimezone(ZoneInfo(settings.timezone)).date()
    calendar = work_calendar(settings)
    last_day, _ = calendar.add_workdays(decided_on, settings.review_request_days)
    late = calendar.add_workdays(last_day, 1)[0]
    later = late + dt.timedelta(days=10)                 # a clock at which both days have passed

    def asked(day):
        return ReviewRequestIn(requested_on=day, requested_by="seller", grounds="理由")

    async def attempt(day, on):
        tx = conn.transaction()
        await tx.start()
        try:
            return await review.request_review(conn, audit_key, settings, registrar, ref, asked(day), on=on)
        finally:
            await tx.rollback()

    with pytest.raises(Exception) as refused:
        await attempt(late, later)
    assert refused.value.status_code == 400
    assert "超过申请复核期限" in refused.value.message and last_day.isoformat() in refused.value.message
    assert "past the period" in refused.value.message_en and refused.value.extra["errors"][0]["field"] == "requested_on"
    assert (await attempt(last_day, later)).status == "open"              # the period's last day is in time
    # through the API: a day before the refusal, or after today, is refused as well, naming the field
    today = dt.date.fromisoformat((await app.get("/api/reviews", headers=office.h("registrar"))).json()["today"])
    for day in (decided_on - dt.timedelta(days=1), today + dt.timedelta(days=1)):
        r = await app.post(f"/api/filings/{ref}/reviews/request", headers=office.h("registrar"),
                           json={"requested_on": day.isoformat(), "requested_by": "seller", "grounds": "理由"})
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == "requested_on", r.text
    assert await conn.fetchval("SELECT count(*) FROM reviews r JOIN filings f ON f.id = r.filing_id"
                               " WHERE f.ref = $1", ref) == 0


# -- a supervisor's review of a registered filing ------------------------------------------------------------

async def _registered(app, office, n: int) -> str:
    ref = await _file(app, office, n)
    r = await app.post(f"/api/filings/{ref}/register", json={"approved_amount": "1000000.00"},
                       headers=office.h("registrar"))
    assert r.json()["status"] == "registered"
    return ref


async def test_a_supervisory_review_confirms_corrects_or_revokes(app, office):
    confirmed, corrected, revoked = [await _registered(app, office, 9 + k) for k in range(3)]
    for ref in (confirmed, corrected, revoked):
        assert (await app.post(f"/api/filings/{ref}/reviews/supervision", json={"grounds": "软件类合同抽查复核"},
                               headers=office.h("registrar"))).status_code == 403
        r = await app.post(f"/api/filings/{ref}/reviews/supervision", json={"grounds": "软件类合同抽查复核"},
                           headers=office.h("supervisor"))
        assert r.status_code == 201 and r.json()["kind"] == "supervision"
        assert r.json()["subject_actor"] == office.usernames["registrar"]
    # while it is open the registration is not cancelled behind its back; registrars do not decide it
    r = await app.post(f"/api/filings/{revoked}/cancel", json={"note": "当事人申请"}, headers=office.h("registrar"))
    assert r.status_code == 409
    r = await app.post(f"/api/filings/{confirmed}/reviews/supervision/decision", headers=office.h("registrar2"),
                       json={"outcome": "confirm", "reasons": "无问题"})
    assert r.status_code == 403

    r = await app.post(f"/api/filings/{confirmed}/reviews/supervision/decision", headers=office.h("supervisor"),
                       json={"outcome": "confirm", "reasons": "合同真实，核定额无误"})
    assert r.status_code == 200 and r.json()["outcome"] == "confirmed"
    assert (await _events(app, office, confirmed))[-1]["action"] == "review_decision"

    r = await app.post(f"/api/filings/{corrected}/reviews/supervision/decision", headers=office.h("supervisor"),
                       json={"outcome": "correct", "reasons": "核定额未扣除硬件", "changes": {"approved_amount": "1000000.00"}})
    assert r.status_code == 400 and "没有更正" in r.json()["message"]
    r = await app.post(f"/api/filings/{corrected}/reviews/supervision/decision", headers=office.h("supervisor"),
                       json={"outcome": "correct", "reasons": "核定额未扣除硬件",
                             "changes": {"approved_amount": "1200000.00"}})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "approved_amount"   # above tech_amount
    r = await app.post(f"/api/filings/{corrected}/reviews/supervision/decision", headers=office.h("supervisor"),
                       json={"outcome": "correct", "reasons": "核定额未扣除硬件",
                             "changes": {"approved_amount": "700000.00", "title": "工业互联网平台软件开发合同（更正）"}})
    assert r.status_code == 200 and r.json()["outcome"] == "corrected"
    f = (await app.get(f"/api/filings/{corrected}", headers=office.h("registrar"))).json()
    assert f["approved_amount"] == "700000.00" and f["status"] == "registered" and f["title"].endswith("（更正）")
    last = (await _events(app, office, corrected))[-1]
    assert (last["action"], last["to_status"], last["detail"]["via"]) == ("correct", "registered", "review")
    assert last["detail"]["changes"]["approved_amount"] == {"from": "1000000.00", "to": "700000.00"}
    assert set(last["detail"]["changes"]) == {"approved_amount", "title"}
    cert = (await app.get(f"/api/filings/{corrected}/certificate", headers=office.h("registrar"))).json()
    assert cert["approved_amount"] == "700000.00"

    r = await app.post(f"/api/filings/{revoked}/reviews/supervision/decision", headers=office.h("supervisor"),
                       json={"outcome": "revoke", "reasons": "合同已解除"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "ground"        # a ground the rules list
    # by default this review's decision is the basis; Shanghai's 2025 rules (in force by default) accept only a
    # court judgment or an inspection, so the supervisor names one
    r = await app.post(f"/api/filings/{revoked}/reviews/supervision/decision", headers=office.h("supervisor"),
                       json={"outcome": "revoke", "reasons": "合同已解除", "ground": "voided_not_deregistered"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "basis.kind", r.text
    judgment = {"kind": "court_judgment", "reference": "（2026）沪0101民初88号"}
    r = await app.post(f"/api/filings/{revoked}/reviews/supervision/decision", headers=office.h("supervisor"),
                       json={"outcome": "revoke", "reasons": "合同已解除", "ground": "voided_not_deregistered",
                             "basis": judgment})
    assert r.status_code == 200 and r.json()["outcome"] == "revoked" and r.json()["filing_status"] == "revoked"
    last = (await _events(app, office, revoked))[-1]
    assert (last["action"], last["to_status"], last["detail"]["via"], last["detail"]["ground"],
            last["detail"]["basis"]) == ("revoke", "revoked", "review", "voided_not_deregistered", judgment)
    cert = (await app.get(f"/api/filings/{revoked}/certificate", headers=office.h("registrar"))).json()
    assert cert["valid"] is False
    # one open review per filing; a registered filing only
    assert (await app.post(f"/api/filings/{revoked}/reviews/supervision", json={"grounds": "再查"},
                           headers=office.h("supervisor"))).status_code == 409


async def test_the_event_chain_verifies_after_every_kind_of_review(app, office, conn, audit_key):
    from techreg.registry.events import verify_chain

    await test_a_supervisory_review_confirms_corrects_or_revokes(app, office)
    report = await verify_chain(conn, audit_key)
    assert report.ok, report.breaks[:3]


# -- the queue: page, CLI --------------------------------------------------------------------------------

async def test_the_queue_page_marks_the_overdue_in_chinese_with_labelled_times(app, office, settings):
    ref = await _proposed(app, office, 12, signed_on="2026-01-30", performance_start="2026-01-30",
                          filed_on="2026-01-30")
    # the proposer reads on the queue and the filing page why not, and who may: registrar2, by name
    app.cookies.set("techreg_session", office.tokens["registrar"])
    try:
        for path in ("/reviews", f"/filings/{ref}"):
            text = (await app.get(path)).text
            why = text.split('id="why-not-', 1)[1]
            assert "您不能办理" in why and "他人" in why, path
            assert office.usernames["registrar2"] in text.split("可以办理的人", 1)[1], path
    finally:
        app.cookies.clear()
    app.cookies.set("techreg_session", office.tokens["registrar2"])
    try:
        r = await app.get("/reviews")
        assert r.status_code == 200
        assert ref in r.text and 'id="why-not-' not in r.text         # the point's one review: theirs to decide
        assert ref in r.text and "复核队列" in r.text and "已逾期" in r.text and "2026-03-19" in r.text
        assert "登记复核" in r.text and "UTC+08:00" in r.text
        overdue = await app.get("/reviews", params={"due": "overdue"})
        assert ref in overdue.text
        assert (await app.get("/reviews", params={"due": "late"})).status_code == 400
        page_ = await app.get(f"/filings/{ref}")
        assert "拟登记待复核" in page_.text and 'id="confirm"' in page_.text and "大额线" in page_.text
        # sending it back without a reason: said beside the reason, on the filing page; nothing decided
        r = await app.post(f"/filings/{ref}/review", data={"step": "send_back", "reasons": " "}, headers=ORIGIN,
                           follow_redirects=False)
        assert r.status_code == 200 and 'data-field="reasons" id="send-back-form-reasons-error"' in r.text
        assert "退回登记员：有 1 处需要修改" in r.text and "拟登记待复核" in r.text
        # the confirmation from the filing page registers it
        r = await app.post(f"/filings/{ref}/review", data={"step": "confirm", "note": ""}, headers=ORIGIN,
                           follow_redirects=False)
        assert r.status_code == 303 and "msg" in told(r) and "err" not in told(r), told(r)
        page_ = await app.get(f"/filings/{ref}")
        assert "已登记" in page_.text and "提请人" in page_.text
        app.cookies.set("techreg_lang", "en")
        r = await app.get("/reviews")
        assert "Review queue" in r.text and "复核" not in r.text.split("<main>")[1].split("中文")[0]
    finally:
        app.cookies.clear()
    app.cookies.set("techreg_session", office.tokens["inspector"])
    try:
        assert (await app.get("/reviews")).status_code == 403
    finally:
        app.cookies.clear()


async def test_the_cli_lists_the_queue(app, office, settings):
    ref = await _proposed(app, office, 13)
    env = cli_env(TECHREG_DATABASE_URL=settings.database_url, TECHREG_AUDIT_KEY=settings.audit_key)
    result = subprocess.run([sys.executable, "-m", "techreg.cli", "review", "list", "--by",
                             office.usernames["registrar2"]], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if ref in line)
    assert "登记复核" in line and "UTC+08:00" in line
    result = subprocess.run([sys.executable, "-m", "techreg.cli", "review", "list", "--by",
                             office.usernames["registrar2"], "--json"], capture_output=True, text=True, env=env,
                            timeout=120)
    items = {i["ref"]: i for i in json.loads(result.stdout)["items"]}
    assert items[ref]["may_decide"] is True and items[ref]["kind"] == "registration"
    # the proposer may not confirm their own proposal: the listing says why and names who may, as the page does
    result = subprocess.run([sys.executable, "-m", "techreg.cli", "review", "list", "--by",
                             office.usernames["registrar"]], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if ref in line)
    assert "工作日" in lines[at] and "-" not in lines[at].split("（", 1)[1].split("）")[0]
    assert lines[at + 1].strip().startswith("不能办理 / not yours to decide")
    assert lines[at + 2].strip().startswith("可以办理") and office.usernames["registrar2"] in lines[at + 2]


async def test_a_red_line_record_that_came_after_the_proposal_stops_the_confirmation(app, office):
    """一票否决 at registration: the second person's confirmation is the registration, so it checks again."""
    ref = await _proposed(app, office, 7)
    seller = _parties(office, 7)["seller"]["credit_code"]
    r = await app.post("/api/credit/records", headers=office.h("supervisor"), json={
        "source_name": "红线名单.jsonl", "records": [{
            "credit_code": seller, "party_name": "复核测试卖方有限公司", "record_type": "tax_violation",
            "source": "国家税务总局上海市税务局", "source_ref": f"沪税稽罚〔2026〕{office.point}号",
            "valid_from": "2020-01-01"}]})
    assert r.status_code == 200, r.text
    r = await app.post(f"/api/filings/{ref}/reviews/confirm", json={"note": "核对"}, headers=office.h("registrar2"))
    assert r.status_code == 409 and "重大税收违法失信" in r.json()["message"], r.text
    f = (await app.get(f"/api/filings/{ref}", headers=office.h("registrar"))).json()
    assert f["status"] == "proposed" and f["reg_no"] is None


# -- who granted a qualification: the account's trail (account_events) ------------------------------------

async def test_granting_and_withdrawing_a_qualification_records_who_and_when_in_order(app, office, conn):
    name = office.usernames["registrar2"]
    before = await conn.fetchval("SELECT now()")                     # the database's clock, not this process's
    until = (dt.date.today() + dt.timedelta(days=300)).isoformat()
    r = await app.put(f"/api/users/{name}/qualification", headers=office.h("admin"),
                      json={"qualification_expires": until})
    assert r.status_code == 200, r.text
    r = await app.put(f"/api/users/{name}/qualification", headers=office.h("supervisor"),
                      json={"qualification_expires": None})
    assert r.status_code == 200, r.text

    r = await app.get(f"/api/users/{name}/events", headers=office.h("supervisor"))
    assert r.status_code == 200, r.text
    events = r.json()
    assert [(e["action"], e["actor"], e["detail"]) for e in events] == [
        ("created", "system", {"role": "registrar", "point": office.point, "active": True,       # make_office's
                               "qualification_until": (dt.date.today() + dt.timedelta(days=200)).isoformat()}),
        ("qualified", office.usernames["admin"], {"qualification_until": until}),
        ("qualification_cleared", office.usernames["supervisor"], {}),
    ]
    moments = [dt.datetime.fromisoformat(e["at"]) for e in events]
    assert all(m.utcoffset() is not None for m in moments)           # ISO 8601 with its offset
    assert moments[1] >= before and moments[0] <= moments[1] <= moments[2]
    # deactivating and activating the account are recorded too, by the admin who did it
    for active in (False, True):
        r = await app.put(f"/api/users/{name}/active", headers=office.h("admin"), json={"active": active})
        assert r.status_code == 200, r.text
    r = await app.get(f"/api/users/{name}/events", headers=office.h("admin"))
    assert [(e["action"], e["actor"]) for e in r.json()[3:]] == [
        ("deactivated", office.usernames["admin"]), ("activated", office.usernames["admin"])]
    # a registrar may not read who granted what; an unknown account is a 404
    r = await app.get(f"/api/users/{name}/events", headers=office.h("registrar"))
    assert r.status_code == 403
    r = await app.get("/api/users/no-such-user-acct/events", headers=office.h("admin"))
    assert r.status_code == 404 and "不存在" in r.json()["message"]


async def test_the_account_trail_cannot_be_changed_or_removed(office, database_url, conn):
    name = office.usernames["registrar"]
    service = await asyncpg.connect(app_url(database_url))
    try:
        for statement in ("UPDATE account_events SET actor = 'someone-else' WHERE username = $1",
                          "DELETE FROM account_events WHERE username = $1"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await service.execute(statement, name)
            # not even the schema's owner: the trigger refuses it
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await conn.execute(statement, name)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await service.execute("TRUNCATE account_events")
    finally:
        await service.close()
    assert await conn.fetchval("SELECT actor FROM account_events WHERE username = $1", name) == "system"


def test_the_cli_records_its_user_and_reads_the_history_in_words(office, settings):
    env = cli_env(TECHREG_DATABASE_URL=settings.database_url, TECHREG_AUDIT_KEY=settings.audit_key)
    name = office.usernames["registrar2"]
    result = subprocess.run([sys.executable, "-m", "techreg.cli", "user", "qualify", name, "--clear"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    result = subprocess.run([sys.executable, "-m", "techreg.cli", "user", "history", name],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    created, cleared = result.stdout.splitlines()
    assert "创建账户 / account created" in created and "角色 / role: 登记员" in created and "UTC+08:00" in created
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\+08:00  ", cleared), cleared
    assert "撤销登记员资格 / registrar qualification withdrawn" in cleared and "命令行（" in cleared
    assert "cli:" not in result.stdout and "qualification_cleared" not in result.stdout


async def test_the_proposer_is_not_offered_a_recusal_a_colleague_is(app, office):
    ref = await _proposed(app, office, 7)
    html = {who: (await app.get(f"/filings/{ref}", headers={**office.h(who), "Accept": "text/html"})).text
            for who in ("registrar", "registrar2")}
    assert 'id="recusal-form"' not in html["registrar"]           # proposed it: may not decide it anyway
    assert 'id="recusal-form"' in html["registrar2"]
