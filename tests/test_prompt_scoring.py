"""A filing is scored within seconds of its submission, off the request path, so the registrar sees its
flags before deciding; registering a flagged (or not yet scored) filing from the page needs a confirmation."""

import asyncio
import io
import json
import random
import re

import msgspec
from litestar.testing import AsyncTestClient

from conftest import app_url, filing_body, make_office, new_ref, party_code, told
from techreg.db.pool import connect
from techreg.registry.importer import import_stream
from techreg.web.app import create_app


async def _flags(client, office, ref: str) -> list[dict]:
    r = await client.get(f"/api/filings/{ref}/flags", headers=office.h("registrar"))
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_submitted_duplicate_is_flagged_without_waiting_for_the_nightly_scan(settings, database_url):
    application = create_app(msgspec.structs.replace(settings, score_on_submit="yes"), app_url(database_url))
    async with AsyncTestClient(app=application) as client:
        office = await make_office(database_url)
        # parties of its own: other tests' filings between the suite's usual pair would add flags of their own
        n = random.randrange(10_000_000, 99_999_999)
        first = filing_body(new_ref(), office.point, contract_no="HT-PROMPT-1",
                            seller={"name": "上海提示评分信息技术有限公司", "credit_code": party_code(n), "region": "310101"},
                            buyer={"name": "上海提示评分装备制造有限公司", "credit_code": party_code(n + 1),
                                   "region": "310104"})
        r = await client.post("/api/filings", json=first, headers=office.h("registrar"))
        assert r.status_code == 201, r.text
        # the same contract again, a week later, under another ref: a duplicate registration
        again = dict(first, ref=new_ref(), signed_on="2026-03-01", filed_on="2026-03-22")
        r = await client.post("/api/filings", json=again, headers=office.h("registrar"))
        assert r.status_code == 201, r.text
        flags = []
        for _ in range(150):                    # scored in the background: poll, never a fixed sleep
            flags = await _flags(client, office, again["ref"])
            if flags:
                break
            await asyncio.sleep(0.1)
        assert [f["kind"] for f in flags] == ["duplicate"], flags
        assert application.state.prompt_scanner.scans >= 1

        page = await client.get(f"/filings/{again['ref']}", headers=office.h("registrar"))
        assert 'name="confirm_flags"' in page.text and "1 个异常标记" in page.text
        # registering it from the page without ticking the confirmation is refused, with the reason
        r = await client.post(f"/filings/{again['ref']}/act", data={"action": "register", "approved_amount": "900000"},
                              headers=office.h("registrar"), follow_redirects=False)
        # both refusals at once, beside the tick box and the deductions, the amount typed kept
        assert r.status_code == 200 and "1 个异常标记，请勾选确认后再登记" in r.text and 'value="900000"' in r.text
        assert {"confirm_flags", "deductions"} <= set(re.findall(r'class="field-error" data-field="(\w+)"', r.text))
        assert (await client.get(f"/api/filings/{again['ref']}", headers=office.h("registrar"))).json()["status"] \
            == "submitted"
        r = await client.post(f"/filings/{again['ref']}/act", data={"action": "register", "confirm_flags": "yes",
                                                                  "approved_amount": "1000000.00"},
                              headers=office.h("registrar"), follow_redirects=False)
        assert r.status_code == 303 and "msg" in told(r) and "err" not in told(r)
        # the duplicate scores at least the review score: the registration waits for a second person (复核),
        # whose confirmation registers it
        assert flags[0]["score"] >= settings.review_flag_score
        assert (await client.get(f"/api/filings/{again['ref']}", headers=office.h("registrar"))).json()["status"] \
            == "proposed"
        r = await client.post(f"/api/filings/{again['ref']}/reviews/confirm", headers=office.h("registrar2"))
        assert r.status_code == 200 and r.json()["filing_status"] == "registered", r.text

        # a filing that arrives by import (techreg import --no-scan, the demo) is scored the same way: the import
        # tells the service once its batches are committed
        imported = dict(first, ref=new_ref(), signed_on="2026-03-02", filed_on="2026-03-23")
        conn = await connect(database_url)
        try:
            report = await import_stream(conn, io.BytesIO(json.dumps(imported).encode() + b"\n"),
                                         settings.audit_key.encode(), actor="t", source="prompt")
        finally:
            await conn.close()
        assert report.imported == 1, report.errors
        for _ in range(150):
            flags = await _flags(client, office, imported["ref"])
            if flags:
                break
            await asyncio.sleep(0.1)
        assert [f["kind"] for f in flags] == ["duplicate"], flags


async def test_without_prompt_scoring_the_page_says_the_filing_is_not_scored_yet(app, office):
    ref = new_ref()
    assert (await app.post("/api/filings", json=filing_body(ref, office.point),
                           headers=office.h("registrar"))).status_code == 201
    page = await app.get(f"/filings/{ref}", headers=office.h("registrar"))
    # nothing in this service scores it within seconds: the page says when it will be, and does not poll
    assert 'id="not-scored"' in page.text and "下一次异常检测" in page.text
    assert 'id="scoring"' not in page.text and "正在评分" not in page.text and "hx-trigger" not in page.text
    assert "评分尚未完成，仍予登记" in page.text


async def test_a_returned_filing_is_corrected_and_resubmitted_from_the_page(app, office):
    ref = new_ref()
    body = filing_body(ref, office.point)
    assert (await app.post("/api/filings", json=body, headers=office.h("registrar"))).status_code == 201
    r = await app.post(f"/api/filings/{ref}/return", json={"reasons": [], "note": "合同名称有误"},
                       headers=office.h("registrar"))
    assert r.status_code == 200, r.text
    page = await app.get(f"/filings/{ref}", headers=office.h("registrar"))
    assert f'href="/filings/{ref}/correct"' in page.text and "补正并重新提交" in page.text
    form = await app.get(f"/filings/{ref}/correct", headers=office.h("registrar"))
    assert form.status_code == 200 and body["title"] in form.text and f'action="/filings/{ref}/correct"' in form.text
    assert "保存补正并重新提交" in form.text and "提交申请</button>" not in form.text    # says what it does
    fields = {"contract_no": body["contract_no"], "title": "工业互联网平台软件开发合同（修订）", "kind": "development",
              "subkind": "commissioned", "software": "on", "domain": "electronic_information",
              "seller_name": body["seller"]["name"], "seller_credit_code": body["seller"]["credit_code"],
              "seller_region": "310101", "buyer_name": body["buyer"]["name"],
              "buyer_credit_code": body["buyer"]["credit_code"], "buyer_region": "310104",
              "amount": "-5", "tech_amount": body["tech_amount"], "signed_on": body["signed_on"],
              "performance_start": body["performance_start"], "performance_end": body["performance_end"],
              "filed_on": body["filed_on"]}
    bad = await app.post(f"/filings/{ref}/correct", data=fields, headers=office.h("registrar"))
    assert bad.status_code == 200 and 'data-field="amount"' in bad.text       # named, nothing changed
    assert (await app.get(f"/api/filings/{ref}", headers=office.h("registrar"))).json()["status"] == "returned"
    fields["amount"] = body["amount"]
    done = await app.post(f"/filings/{ref}/correct", data=fields, headers=office.h("registrar"),
                          follow_redirects=False)
    assert done.status_code == 303 and "msg" in told(done) and "err" not in told(done)
    now = (await app.get(f"/api/filings/{ref}", headers=office.h("registrar"))).json()
    assert now["status"] == "submitted" and now["title"].endswith("（修订）")
    events = (await app.get(f"/api/filings/{ref}/events", headers=office.h("registrar"))).json()
    assert [e["action"] for e in events][-2:] == ["correct", "resubmit"]
