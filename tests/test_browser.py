"""End to end in a real headless Chromium (Debian's package, driven by Playwright): the service runs
as `techreg serve` against a database of its own. With TECHREG_SCREENSHOTS=DIR, screenshots of every page go
to a folder under DIR that the run names at the end."""

import datetime as dt
import io
import json
import os
import re
from pathlib import Path

import pytest_asyncio
from playwright.async_api import expect

from conftest import PASSWORD, SCREENSHOTS, Tab, create_database, filing_body, party_code, running_server
from techreg.audit.schema import CampaignIn
from techreg.audit.service import create_campaign
from techreg.config import load_settings
from techreg.registry.service import today as registration_today
from techreg.db.pool import connect
from techreg.registry.creditcode import make_code
from techreg.registry.importer import import_stream
from techreg.registry.points import PointIn, create_point
from techreg.registry.users import UserIn, create_user, user_named

# screenshots for a person to look at, when asked for (TECHREG_SCREENSHOTS=DIR, a folder per run under it): no test
# reads them, and taking them costs Chromium some 4 s of CPU a run
SHOTS = (Path(os.environ["TECHREG_SCREENSHOTS"]) / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
         if os.environ.get("TECHREG_SCREENSHOTS") else None)
# registration numbers carry the year of registration on the registry's clock: history imported this year
# raises this year's counter, whatever the date the suite runs on
YEAR = registration_today(load_settings()).year
USERS = {"registrar": ("registrar", "310101"), "inspector": ("inspector", None), "supervisor": ("supervisor", None)}


async def prepare(url: str, key: bytes) -> None:
    conn = await connect(url)
    try:
        await create_point(conn, PointIn(code="310101", name="黄浦登记点"))
        for name, (role, point) in USERS.items():
            await create_user(conn, UserIn(username=name, display_name={"registrar": "李娜",
                                           "inspector": "陈刚", "supervisor": "王敏"}[name],
                                           role=role, point_code=point, password=PASSWORD,
                                           qualification_expires=dt.date.today() + dt.timedelta(days=300)),
                              actor="system")
        # registered history: a split in three parts and some ordinary contracts
        filings = []
        for k in range(3):
            filings.append(filing_body(f"HIST-SPLIT-{k}", "310101", status="registered", reg_no=f"{YEAR}310101{k + 1:06d}",
                                       title=f"智慧园区管理平台开发（{'一二三'[k]}期）", contract_no=f"YT-2026-{k + 10}",
                                       amount="4200000.00", tech_amount="4000000.00",
                                       signed_on=f"2026-03-0{k + 1}", performance_start="2026-03-10",
                                       filed_on="2026-03-15"))
        for k in range(3, 12):
            filings.append(filing_body(f"HIST-{k}", "310101", status="registered", reg_no=f"{YEAR}310101{k + 1:06d}",
                                       title=f"数据治理咨询服务{k}", kind="consulting", subkind=None, software=False,
                                       seller={"name": f"上海启明{k}咨询有限公司", "credit_code": party_code(500 + k),
                                               "region": "310101"},
                                       contract_no=f"QM-{k}", signed_on=f"2026-0{1 + k % 8}-1{k % 9}",
                                       performance_start="2026-09-01", filed_on="2026-09-05"))
        data = b"".join(json.dumps(f, ensure_ascii=False).encode() + b"\n" for f in filings)
        await import_stream(conn, io.BytesIO(data), key, actor="setup", source="setup")
        from techreg.detection.scan import run_scan
        settings = load_settings(database_url=url, audit_key=key.decode())
        await run_scan(conn, settings, full=True)
        supervisor = await user_named(conn, "supervisor")
        async with conn.transaction():
            await create_campaign(conn, supervisor, CampaignIn(
                name="2026年11月抽查", registered_from=dt.date(2000, 1, 1), registered_to=dt.date(2100, 1, 1),
                sample_size=5, certainty_cutoff=0.95, control_share=0.2, seed="2026-11-22 公开种子"), settings)
    finally:
        await conn.close()


@pytest_asyncio.fixture(scope="module")
async def site(server, data_dir, chromium):
    url = await create_database(server[1], "techreg_browser")
    await prepare(url, b"browser-key")
    async with running_server(url, data_dir / "browser", TECHREG_AUDIT_KEY="browser-key",
                              TECHREG_SCORE_ON_SUBMIT="yes") as base:
        tab = Tab(chromium, viewport={"width": 1360, "height": 900}, locale="zh-CN")
        try:
            yield base, tab
        finally:
            await tab.close()


async def shot(page, name: str) -> None:
    if SHOTS is None:
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    SCREENSHOTS.append(path)


async def logged_in(site, who: str):
    """The module's page, started afresh (conftest.Tab), logged in as `who`."""
    base, tab = site
    page = await tab.fresh()
    await page.goto(base + "/login")
    await page.fill("input[name=username]", who)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    return page


async def test_registrar_fixes_a_validation_error_and_registers(site):
    base, _ = site
    page = await logged_in(site, "registrar")
    await expect(page).to_have_url(base + "/filings")
    await shot(page, "01-registrar-filings")
    await page.goto(base + "/filings/new")
    good_code = make_code("91310101MA1FL8XQ0")
    bad_code = good_code[:-1] + ("0" if good_code[-1] != "0" else "1")
    fields = {"ref": "WEB-0001", "contract_no": "HT-WEB-1", "title": "工业互联网平台软件开发合同",
              "seller_name": "上海华信信息技术有限公司", "seller_credit_code": bad_code, "seller_region": "310101",
              "buyer_name": "上海东方装备制造有限公司", "buyer_credit_code": party_code(2), "amount": "1250000.00",
              "tech_amount": "1000000.00", "signed_on": "2026-11-02", "performance_start": "2026-11-10",
              "performance_end": "2027-06-30", "filed_on": "2026-11-20"}
    for name, value in fields.items():
        await page.fill(f"input[name={name}]", value)
    await page.check("input[name=software]")
    # as the registrar types (htmx), the API's own rules already mark the credit code
    await expect(page.locator("#live-check li[data-field=seller_credit_code]")).to_contain_text("未通过校验")
    await page.click("#filing-form button[type=submit]")
    error = page.locator(".field-error[data-field=seller_credit_code]")
    await expect(error).to_contain_text("未通过校验")
    await expect(page.locator("input[name=title]")).to_have_value(fields["title"])    # what was typed is kept
    await expect(page.locator("input[name=software]")).to_be_checked()
    await shot(page, "02-registrar-validation-error")
    await page.fill("input[name=seller_credit_code]", good_code)
    # The registrar presses the button straight from the field: the press blurs the field, its "change" asks the live
    # check, and the answer comes while the button is held down. The answer must not move the button, or the release
    # lands beside it and the submission is silently lost (it did, on CI).
    button = page.locator("#filing-form button[type=submit]")
    await button.scroll_into_view_if_needed()
    before = await button.bounding_box()
    await page.mouse.move(before["x"] + before["width"] / 2, before["y"] + before["height"] / 2)
    await page.mouse.down()
    await expect(page.locator("#live-check .ok")).to_contain_text("符合登记规则")
    assert await button.bounding_box() == before
    await page.mouse.up()
    await expect(page).to_have_url(base + "/filings/WEB-0001")          # the message is not in the address
    await expect(page.locator(".flash.ok[role=status]")).to_have_text("已提交登记申请")     # the page's language only
    await expect(page.locator("#status")).to_have_text("待审查")
    # scored within seconds of the submission, off the request path: the page stops saying so by itself
    await expect(page.locator("#scoring")).to_have_count(0, timeout=30_000)
    await expect(page.locator("#flags .empty")).to_be_visible()          # nothing to confirm: no flags
    await expect(page.locator("#deadline")).to_contain_text("办理期限")      # the decision deadline, working days
    await shot(page, "03-registrar-filing-submitted")
    # registering approves the technology amount: the servers bought for the client are deducted, item by item
    # the box left empty: the server says so in words beside it (no browser tooltip), keeping what was typed
    await page.locator("input[name=d_item]").first.fill("服务器 2 台")
    await page.locator("input[name=d_amount]").first.fill("100000.00")
    await page.click("#register")
    await expect(page.locator("#register-form .field-error[data-field=approved_amount]")).to_contain_text("必填")
    await expect(page.locator("#form-errors")).to_contain_text("登记：有 1 处需要修改")
    await expect(page.locator("#register-form-approved_amount")).to_be_focused()
    await expect(page.locator("input[name=d_item]").first).to_have_value("服务器 2 台")
    await shot(page, "03b-registrar-register-refused")
    # the declared amount beside it, one click away; then 900,000 approved
    await expect(page.locator("#declared-amount")).to_contain_text("1,000,000.00")
    await page.click("#fill-declared")
    await expect(page.locator("#register-form-approved_amount")).to_have_value("1000000.00")
    await page.fill("#register-form-approved_amount", "900000.00")
    await page.click("#register")
    await expect(page.locator("#status")).to_have_text("已登记")
    await expect(page.locator("#approved-amount")).to_contain_text("900,000.00")
    await expect(page.locator("#deductions")).to_contain_text("服务器 2 台")
    await expect(page.locator("#reg-no")).to_have_text(f"{YEAR}310101000013")
    await shot(page, "04-registrar-registered")
    # the list exports as CSV and Excel
    async with page.expect_download() as download:
        await page.goto(base + "/filings")
        await page.click("text=Excel")
    assert (await download.value).suggested_filename.endswith(".xlsx")


async def test_one_submit_shows_every_error_and_the_subkind_follows_the_kind(site):
    base, _ = site
    page = await logged_in(site, "registrar")
    await page.goto(base + "/filings/new")
    subkind = page.locator("#f-subkind")
    await expect(subkind.locator("option")).to_have_text(["不细分", "委托开发", "合作开发"])
    await page.select_option("#f-kind", "transfer")
    await expect(subkind.locator("option")).to_have_text(["不细分", "专利权转让", "专利申请权转让", "技术秘密转让",
                                                          "其他技术转让"])
    await page.select_option("#f-subkind", "patent_application")
    await page.select_option("#f-kind", "license")          # not a license subkind: back to none
    await expect(subkind.locator("option")).to_have_text(["不细分", "专利实施许可", "技术秘密使用许可", "其他技术许可"])
    await expect(subkind).to_have_value("")
    await page.select_option("#f-kind", "consulting")
    await expect(subkind.locator("option")).to_have_text(["不细分"])
    await expect(subkind).to_be_disabled()
    await page.select_option("#f-kind", "development")
    await page.select_option("#f-subkind", "cooperative")
    good_code = make_code("91310101MA1FL8XQ1")
    fields = {"ref": "WEB-ERR-1", "contract_no": "", "title": "", "seller_name": "上海华信信息技术有限公司",
              "seller_credit_code": good_code[:-1] + ("0" if good_code[-1] != "0" else "1"),
              "buyer_name": "上海东方装备制造有限公司", "buyer_credit_code": party_code(3), "amount": "12.345",
              "tech_amount": "100.00", "signed_on": "2026-03-01", "performance_start": "2026-06-01",
              "performance_end": "2026-05-01", "filed_on": "2026-03-05"}
    for name, value in fields.items():
        await page.fill(f"input[name={name}]", value)
    await page.click("#filing-form button[type=submit]")      # once
    bad = ["contract_no", "title", "seller_credit_code", "amount", "performance_end"]
    await expect(page.locator(".error-summary li")).to_have_count(len(bad))
    for name in bad:
        await expect(page.locator(f".field-error[data-field={name}]")).to_be_visible()
    await expect(page.locator(".error-summary li").nth(2)).to_contain_text("卖方统一社会信用代码：")
    await expect(page.locator("#form-errors")).not_to_contain_text("seller_credit_code")
    await expect(page.locator("input[name=seller_name]")).to_have_value(fields["seller_name"])   # kept
    await expect(page.locator("input[name=amount]")).to_have_value("12.345")
    await expect(subkind).to_have_value("cooperative")
    await shot(page, "02b-registrar-every-error-at-once")


async def test_inspector_records_a_revoking_finding(site):
    base, _ = site
    page = await logged_in(site, "inspector")
    await expect(page).to_have_url(base + "/queue")
    rows = page.locator("#queue tbody tr")
    await expect(rows.first).to_be_visible()
    await shot(page, "05-inspector-queue")
    # the three-part split of the set-up is drawn for certain (risk above the cut-off)
    split_row = page.locator("#queue tbody tr", has=page.locator(".tag[data-kind=split]")).first
    await split_row.locator("a").click()
    await expect(page.locator("h1")).to_contain_text("检查事项")
    await shot(page, "06-inspector-item")
    await expect(page.locator("#split-total")).to_have_text("12,000,000.00")
    # the evidence is a file, uploaded from the item page, and comes back as a download link
    scan = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
    await page.set_input_files("#evidence-file", files=[{"name": "合同扫描件.pdf", "mimeType": "application/pdf",
                                                          "buffer": scan}])
    await page.fill("#evidence-form input[name=note]", "现场核查取得")
    await page.click("#upload-evidence")
    await expect(page.locator(".flash.ok[role=status]")).to_contain_text("已上传")
    link = page.locator("#evidence-files a", has_text="合同扫描件.pdf")
    await expect(link).to_be_visible()
    async with page.expect_download() as download:
        await link.click()
    assert (await download.value).suggested_filename == "合同扫描件.pdf"
    assert Path(await (await download.value).path()).read_bytes() == scan
    # revoking without a ground or a reason: both said at once, what was chosen and typed kept
    await page.select_option("#finding-form-outcome", "revoked")
    await page.fill("textarea[name=notes]", "卖方负责人确认按期拆分签订")
    await page.click("#record-finding")
    await expect(page.locator("#finding-form .field-error[data-field=ground]")).to_contain_text("撤销理由")
    await expect(page.locator("#finding-form .field-error[data-field=reasons]")).to_contain_text("不能为空")
    # one click does not revoke: the box that says what it does must be ticked
    await expect(page.locator("#finding-form .field-error[data-field=confirm_revocation]")).to_contain_text("勾选确认")
    await expect(page.locator("#finding-form-outcome")).to_have_value("revoked")
    await expect(page.locator("textarea[name=notes]")).to_have_value("卖方负责人确认按期拆分签订")
    await shot(page, "06b-inspector-finding-refused")
    await page.select_option("#finding-form-ground", "fraudulent")
    await page.fill("textarea[name=reasons]", "三份合同为同一项目拆分，合计超过大额线")
    await page.check("input[name=confirm_revocation]")
    await page.click("#record-finding")
    await expect(page.locator(".flash.ok[role=status]")).to_contain_text("检查结论已记录")
    await expect(page.locator("#filing-status")).to_have_text("已撤销")
    # the finding comes back on the page: outcome, notes and the evidence it rests on
    await expect(page.locator("#finding-outcome")).to_have_text("撤销登记")
    await expect(page.locator("#finding-ground")).to_contain_text("合同虚假")           # the ground it names
    await expect(page.locator("#finding-notes")).to_have_text("卖方负责人确认按期拆分签订")
    await expect(page.locator("#finding-evidence")).to_contain_text("合同扫描件.pdf")
    await expect(page.locator("#item-record")).to_contain_text("上传证据文件 合同扫描件.pdf")
    await shot(page, "07-inspector-finding-recorded")


async def test_supervisor_dashboard_draws_its_charts(site):
    base, _ = site
    page = await logged_in(site, "supervisor")
    await expect(page).to_have_url(base + "/dashboard")
    charts = page.locator(".chart[data-drawn=true]")
    await expect(charts).to_have_count(6)
    await expect(page.locator(".chart canvas")).to_have_count(6)
    series = await page.evaluate("""() => [...document.querySelectorAll('.chart')].map(
        el => echarts.getInstanceByDom(el).getOption().series.length)""")
    assert min(series) >= 1
    months = await page.evaluate("() => echarts.getInstanceByDom(document.getElementById('chart-months'))"
                                 ".getOption().series[0].data.length")
    assert months >= 1
    # flags by month as stacked bars (stacked lines read as running totals); a confirmation rate names its findings
    kinds = await page.evaluate("() => echarts.getInstanceByDom(document.getElementById('chart-flags'))"
                                ".getOption().series.map(s => [s.type, s.stack])")
    assert kinds and all(k == ["bar", "flags"] for k in kinds), kinds
    rated = await page.evaluate("() => echarts.getInstanceByDom(document.getElementById('chart-confirm'))"
                                ".getOption().xAxis[0].data")
    assert all(re.search(r"（\d+ 件）$", name) for name in rated), rated     # (the inspector's finding, run first)
    await shot(page, "08-supervisor-dashboard")
    for path, name in (("/campaigns", "09-supervisor-campaigns"), ("/campaigns/1", "10-supervisor-campaign"),
                       ("/jobs", "11-supervisor-jobs"), ("/public/campaigns/1", "12-public-campaign")):
        await page.goto(base + path)
        await expect(page.locator("h1")).to_be_visible()
        await shot(page, name)
    await page.click("#recompute")                                 # the public page recomputes on request
    await expect(page.locator("#check-result")).to_contain_text("一致")
    # English as a switch
    await page.goto(base + "/dashboard")
    await page.click("a.lang")
    await expect(page.locator("h1")).to_have_text("Dashboard")
    await shot(page, "13-supervisor-dashboard-english")


async def test_an_order_from_a_finding_and_the_enforcement_list_with_its_chart(site):
    """An inspector's 责令注销 issues an order shown with its deadline; the supervisor reads it in the orders list
    and the enforcement list, whose chart draws the enterprise."""
    base, _ = site
    page = await logged_in(site, "inspector")
    await expect(page).to_have_url(base + "/queue")
    await page.locator("#queue tbody tr a").first.click()
    await expect(page.locator("h1")).to_contain_text("检查事项")
    await page.select_option("#finding-form-outcome", "deregistration_ordered")
    await page.fill("textarea[name=reasons]", "合同实际为设备采购，应予注销")
    await page.click("#record-finding")
    await expect(page.locator(".flash.ok[role=status]")).to_contain_text("检查结论已记录")
    await expect(page.locator("#finding-order")).to_contain_text("责令注销")
    await page.locator("#finding-order a").click()
    await expect(page.locator("#order-status")).to_have_text("待答复")
    await expect(page.locator("#order-deadline")).to_contain_text("15 个工作日")
    await expect(page.locator("#order-steps")).to_contain_text("下达责令")
    await shot(page, "14-inspector-order")
    page = await logged_in(site, "supervisor")
    await page.goto(base + "/orders")
    await expect(page.locator("#orders tbody tr").first).to_contain_text("责令注销")
    await page.goto(base + "/enforcement")
    await expect(page.locator("h1")).to_contain_text("执法企业名录")
    await expect(page.locator("#enforcement tbody tr").first).to_be_visible()
    await expect(page.locator("#chart-enterprises[data-drawn=true] canvas")).to_have_count(1)
    drawn = await page.evaluate("() => echarts.getInstanceByDom(document.getElementById('chart-enterprises'))"
                                ".getOption().series.map(s => s.data.length)")
    assert len(drawn) == 4 and min(drawn) >= 1
    await shot(page, "15-supervisor-enforcement")
