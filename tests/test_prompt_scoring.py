"""A filing is scored within seconds of its submission, off the request path, so the registrar sees its
flags before deciding; registering a flagged (or not yet scored) filing from the page needs a confirmation."""

import asyncio

import msgspec
from litestar.testing import AsyncTestClient

from conftest import app_url, filing_body, make_office, new_ref
from techreg.web.app import create_app


async def _flags(client, office, ref: str) -> list[dict]:
    r = await client.get(f"/api/filings/{ref}/flags", headers=office.h("registrar"))
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_submitted_duplicate_is_flagged_without_waiting_for_the_nightly_scan(settings, database_url):
    application = create_app(msgspec.structs.replace(settings, score_on_submit="yes"), app_url(database_url))
    async with AsyncTestClient(app=application) as client:
        office = await make_office(client, database_url)
        first = filing_body(new_ref(), office.point, contract_no="HT-PROMPT-1")
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
        r = await client.post(f"/filings/{again['ref']}/act", data={"action": "register"},
                              headers=office.h("registrar"), follow_redirects=False)
        assert r.status_code == 303 and "err=" in r.headers["location"]
        assert (await client.get(f"/api/filings/{again['ref']}", headers=office.h("registrar"))).json()["status"] \
            == "submitted"
        r = await client.post(f"/filings/{again['ref']}/act", data={"action": "register", "confirm_flags": "yes"},
                              headers=office.h("registrar"), follow_redirects=False)
        assert r.status_code == 303 and "err=" not in r.headers["location"]
        assert (await client.get(f"/api/filings/{again['ref']}", headers=office.h("registrar"))).json()["status"] \
            == "registered"


async def test_without_prompt_scoring_the_page_says_the_filing_is_not_scored_yet(app, office):
    ref = new_ref()
    assert (await app.post("/api/filings", json=filing_body(ref, office.point),
                           headers=office.h("registrar"))).status_code == 201
    page = await app.get(f"/filings/{ref}", headers=office.h("registrar"))
    assert 'id="scoring"' in page.text and 'hx-trigger="every 2s"' in page.text
    assert "评分尚未完成，仍予登记" in page.text
