"""The certificate end to end in Chromium (Debian's package, driven by Playwright, as tests/test_browser.py):
a registrar downloads the PDF from the filing page, and anyone, logged in or not, checks it on /verify with
the number and the code printed on it, and compares the facts the page states with the paper; a wrong code shows
"no match" and nothing else. The trail still verifies (`techreg audit verify`) afterwards."""

import datetime as dt
import io
import json
import re
import shutil
import subprocess
import sys

import pytest_asyncio
from playwright.async_api import expect

from conftest import PASSWORD, Tab, cli_env, create_database, filing_body, party_code, running_server
from test_browser import YEAR, shot
from techreg.db.pool import connect
from techreg.registry.importer import import_stream
from techreg.registry.points import PointIn, create_point
from techreg.registry.users import UserIn, create_user

KEY = "browser-certificate-key"
REF = "CERT-WEB-1"
REG_NO = f"{YEAR}310101000001"
SELLER = "上海证明浏览器测试科技有限公司"


@pytest_asyncio.fixture(scope="module")
async def site(server, data_dir, chromium):
    url = await create_database(server[1], "techreg_browser_cert")
    conn = await connect(url)
    try:
        await create_point(conn, PointIn(code="310101", name="黄浦登记点"))
        await create_user(conn, UserIn(username="registrar", display_name="李娜", role="registrar",
                                       point_code="310101", password=PASSWORD,
                                       qualification_expires=dt.date.today() + dt.timedelta(days=300)), actor="system")
        row = filing_body(REF, "310101", status="registered", reg_no=REG_NO, registrar="registrar",
                          seller={"name": SELLER, "credit_code": party_code(301), "region": "310101"})
        await import_stream(conn, io.BytesIO(json.dumps(row, ensure_ascii=False).encode() + b"\n"), KEY.encode(),
                            actor="setup", source="setup")
    finally:
        await conn.close()
    async with running_server(url, data_dir / "browser-cert", TECHREG_AUDIT_KEY=KEY) as base:
        tab = Tab(chromium, viewport={"width": 1360, "height": 900}, locale="zh-CN", accept_downloads=True)
        try:
            yield base, tab, url
        finally:
            await tab.close()


async def test_download_the_certificate_and_verify_it_in_public(site, tmp_path):
    base, tab, url = site
    page = await tab.fresh()
    await page.goto(base + "/login")
    await page.fill("input[name=username]", "registrar")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page).to_have_url(base + "/filings")

    # from the filing page: the PDF, as the registrar hands it to the party
    await page.goto(f"{base}/filings/{REF}")
    async with page.expect_download() as download:
        await page.click("#certificate-pdf-link")
    pdf = tmp_path / "downloaded.pdf"
    await (await download.value).save_as(str(pdf))
    assert (await download.value).suggested_filename == f"certificate-{REG_NO}.pdf"
    text = subprocess.run([shutil.which("pdftotext") or "pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "技术合同登记证明" in text and REG_NO in text and SELLER in text
    # the registrar by name, never by the login name; no time zone's code
    assert re.search(r"登记员\s+李娜", text) and "Asia/" not in text, text
    printed = re.search(r"核验码\s.*?([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", text, re.S).group(1)
    assert f"{base}/verify" in text
    # the certificate page shows the same code and offers the same file
    await page.click("#certificate-link")
    await expect(page.locator("#cert-code")).to_have_text(printed)
    await expect(page.locator("#certificate tr", has_text="登记员").locator("td")).to_have_text("李娜")
    await shot(page, "cert-01-certificate-page")

    # anyone, not logged in (the page afresh: no session), with what is printed on the paper
    page = await tab.fresh()
    await page.goto(base + "/verify")
    await page.fill("#verify-reg-no", REG_NO)
    await page.fill("#verify-code", printed.lower().replace("-", " "))
    await page.click("#verify-submit")
    await expect(page.locator("#verify-standing")).to_have_text("有效")
    # what the paper states, as it states it: a tax officer compares them line by line
    flat = re.sub(r"\s+", "", text)
    for fact in ("#verify-title", "#verify-seller", "#verify-buyer", "#verify-amount", "#verify-approved",
                 "#verify-registered-on", "#verify-point"):
        shown = (await page.locator(fact).inner_text()).replace("统一社会信用代码", "").split()
        assert shown and all(part in flat for part in shown), (fact, shown)
    await expect(page.locator("#verify-seller")).to_contain_text(SELLER)
    await expect(page.locator("#verify-approved")).to_have_text("1,000,000.00 元")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\+08:00",
                        await page.locator("#verify-checked-at").inner_text())          # the time, labelled
    await shot(page, "cert-02-verify-valid")
    await page.fill("#verify-code", "ABCD-EFGH-JKMN")
    await page.click("#verify-submit")
    await expect(page.locator("#verify-result")).to_contain_text("不匹配")
    assert await page.locator("#verify-standing").count() == 0 and await page.locator("#verify-facts").count() == 0
    assert SELLER not in await page.content() and "元" not in await page.locator("main").inner_text()
    await shot(page, "cert-03-verify-wrong-code")
    # the QR code's address opens the same answer
    await page.goto(f"{base}/verify?reg_no={REG_NO}&code={printed}")
    await expect(page.locator("#verify-standing")).to_have_text("有效")

    r = subprocess.run([sys.executable, "-m", "techreg.cli", "audit", "verify"], capture_output=True, text=True,
                       timeout=180, env=cli_env(TECHREG_DATABASE_URL=url, TECHREG_AUDIT_KEY=KEY,
                                                TECHREG_AUDIT_CHECKPOINTS=str(tmp_path / "none.jsonl")))
    assert r.returncode == 0, r.stdout + r.stderr
