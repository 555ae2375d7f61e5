"""The review queue (复核) in a real headless Chromium: a registrar registers a large contract, which only
proposes it; a supervisor holding a registrar qualification finds it on /reviews and confirms it from the
filing page. The pages speak Chinese first and label their times with the zone."""

import datetime as dt
import io
import json
import re

import pytest_asyncio
from playwright.async_api import expect

from conftest import PASSWORD, Tab, create_database, filing_body, running_server
from test_browser import shot
from techreg.db.pool import connect
from techreg.registry.importer import import_stream
from techreg.registry.points import PointIn, create_point
from techreg.registry.users import UserIn, create_user

REF = "REVIEW-BIG-1"
# a time a person reads: the day, the minute and the zone (labels.times: "2026-11-24 16:05 UTC+08:00")
LABELLED_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC[+-]\d{2}:\d{2}")
RAW_CODES = re.compile(r"\b(proposed|registered|registration|confirmed|open|decided|registrar|supervisor)\b")


async def _prepare(url: str, key: bytes) -> None:
    conn = await connect(url)
    try:
        await create_point(conn, PointIn(code="310101", name="黄浦登记点"))
        valid = dt.date.today() + dt.timedelta(days=300)
        await create_user(conn, UserIn(username="lina", display_name="李娜", role="registrar",
                                       point_code="310101", password=PASSWORD, qualification_expires=valid),
                          actor="system")
        # a supervisor who also holds a registrar qualification: a second qualified person
        await create_user(conn, UserIn(username="wangmin", display_name="王敏", role="supervisor",
                                       point_code=None, password=PASSWORD, qualification_expires=valid), actor="system")
        big = filing_body(REF, "310101", title="智能制造执行系统开发合同", amount="6500000.00",
                          tech_amount="6000000.00")
        data = json.dumps(big, ensure_ascii=False).encode() + b"\n"
        assert (await import_stream(conn, io.BytesIO(data), key, actor="setup", source="setup")).imported == 1
    finally:
        await conn.close()


@pytest_asyncio.fixture(scope="module")
async def site(server, data_dir, chromium):
    url = await create_database(server[1], "techreg_browser_review")
    await _prepare(url, b"browser-review-key")
    async with running_server(url, data_dir / "browser-review", TECHREG_AUDIT_KEY="browser-review-key",
                              TECHREG_SCORE_ON_SUBMIT="no") as base:
        tab = Tab(chromium, viewport={"width": 1360, "height": 900}, locale="zh-CN")
        try:
            yield base, tab
        finally:
            await tab.close()


async def _logged_in(site, who: str):
    """The module's page, started afresh (conftest.Tab), logged in as `who`."""
    base, tab = site
    page = await tab.fresh()
    await page.goto(base + "/login")
    await page.fill("input[name=username]", who)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator("input[name=password]")).to_have_count(0)
    return page


async def _chinese_first(page) -> str:
    """The page's visible text, after checking it is a Chinese page with no raw English code in it."""
    assert (await page.evaluate("document.documentElement.lang")).startswith("zh")
    text = await page.inner_text("main") if await page.locator("main").count() else await page.inner_text("body")
    assert not RAW_CODES.search(text), RAW_CODES.search(text).group()
    return text


async def test_a_large_registration_is_proposed_and_a_qualified_supervisor_confirms_it(site):
    base, _ = site
    page = await _logged_in(site, "lina")
    await page.goto(f"{base}/filings/{REF}")
    await expect(page.locator("#status")).to_have_text("待审查")
    await page.fill("#register-form-approved_amount", "6000000.00")
    await page.check("#register-form-confirm_flags")                                 # imported, not scored yet: said so
    await page.click("#register")
    # at the large line registering only proposes: it waits for a second person
    await expect(page.locator("#status")).to_have_text("拟登记待复核")
    review = page.locator("#review")
    await expect(review).to_contain_text("登记复核（四眼）")
    await expect(review).to_contain_text("待复核")
    await expect(page.locator("#confirm")).to_have_count(0)          # not by the one who proposed it
    # ... and the page says why, what the second person must hold, and who that is, by name
    await expect(review.locator(".why-not")).to_contain_text("您不能办理：复核须由他人进行")
    await expect(review.locator(".who-decides")).to_contain_text("持有效登记员资格")
    await expect(review.locator(".deciders")).to_have_text("王敏")              # by name, not login
    assert LABELLED_TIME.search(await review.inner_text())
    await _chinese_first(page)
    await shot(page, "review-01-proposed-who-may-confirm")
    await page.goto(base + "/reviews")
    row = page.locator("#reviews tbody tr", has_text=REF)
    await expect(row).to_contain_text("否")                           # "mine to decide": no
    why = page.locator("#reviews tbody tr.why-not")
    await expect(why).to_contain_text("您不能办理：复核须由他人进行")
    await expect(why).to_contain_text("可以办理的人：王敏")
    await shot(page, "review-02-queue-why-not")

    page = await _logged_in(site, "wangmin")
    await page.goto(base + "/reviews")
    await expect(page.locator("h1")).to_contain_text("复核队列")
    row = page.locator("#reviews tbody tr", has_text=REF)
    await expect(row).to_contain_text("登记复核（四眼）")
    await expect(row).to_contain_text("大额")
    await expect(row).to_contain_text("李娜")                         # who proposed it, by name
    await expect(row).not_to_contain_text("lina")                     # … never by the login name
    await expect(row.locator("td").last).to_have_text("是")            # a qualified second person
    await expect(page.locator("#reviews tbody tr.why-not")).to_have_count(0)
    assert LABELLED_TIME.search(await row.locator(".time").inner_text())
    text = await _chinese_first(page)
    assert text.index("复核队列") < len(text) // 4                      # the heading leads, in Chinese
    await row.locator(f"a[href='/filings/{REF}#review']").click()
    await expect(page).to_have_url(re.compile(rf"/filings/{REF}"))
    await expect(page.locator("#review")).to_contain_text("拟核定技术交易额")
    await expect(page.locator("#review")).to_contain_text("6,000,000.00")
    await page.fill("#confirm-form input[name=note]", "核定额与合同一致")
    await page.click("#confirm")
    await expect(page.locator("#status")).to_have_text("已登记")
    await expect(page.locator("#review .outcome")).to_have_text("确认")
    await expect(page.locator("#reg-no")).to_contain_text("310101")
    decided = await page.locator("#review").inner_text()
    assert "王敏" in decided and "wangmin" not in decided             # who decided, by name
    assert len(LABELLED_TIME.findall(decided)) >= 2                     # opened and decided, each with its zone
    await _chinese_first(page)
    await page.goto(base + "/reviews")
    await expect(page.locator("#reviews tbody tr", has_text=REF)).to_have_count(0)   # nothing left to confirm
