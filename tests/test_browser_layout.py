"""What a newcomer sees first, in the real headless Chromium at 1366×768 (a common office screen): the API
docs render with no request leaving this machine; dates, status badges, refs, flag tags and 18-character
credit codes each stay on one line; export buttons are one size everywhere; no chart label is cut off; the
site has its own favicon. Screenshots of each page go with test_browser.py's (TECHREG_SCREENSHOTS=DIR)."""

import datetime as dt
import io
import json
from urllib.parse import urlsplit

import pytest_asyncio
from playwright.async_api import expect

from conftest import PASSWORD, Tab, create_database, filing_body, party_code, running_server
from test_browser import YEAR, prepare, shot
from techreg.audit.schema import CampaignIn
from techreg.audit.service import create_campaign
from techreg.config import load_settings
from techreg.db.pool import connect
from techreg.registry.importer import import_stream
from techreg.registry.users import user_named

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
WIDE = {"width": 1366, "height": 768}

# every element that must not wrap, and the least number of them each page must show (so no check is vacuous)
# … and the menu: a supervisor's many items wrap between items, never inside one (监管看\n板)
ONE_LINE = (".status, td.date, td.ref, .tag, code.credit-code, header.top nav a, header.top .brand, header.top .who,"
            " td.word, th.word")
LINES_JS = """(selector) => [...document.querySelectorAll(selector)].map(el => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
    const style = getComputedStyle(el);
    return {text: el.textContent.trim(), tag: el.tagName, lines: tops.size, height: el.getBoundingClientRect().height,
            line: parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.5,
            pad: parseFloat(style.paddingTop) + parseFloat(style.paddingBottom)};
})"""
# a table's heading or cell that is one short word (登记号, 待检查, 结论; "Status") is never broken into a
# stack of characters however a long title beside it squeezes its column
WORD_CELLS_JS = """() => [...document.querySelectorAll('table th, table td')].filter(el => {
    const text = el.textContent.trim();
    return /^[\\u4e00-\\u9fff]{2,5}$/.test(text) || /^[A-Za-z][A-Za-z.]{1,15}$/.test(text);
}).map(el => {
    // the lines its text runs over (text nodes only: a badge's padding is no line of its own)
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT), tops = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const range = document.createRange();
        range.selectNodeContents(node);
        tops.push(...[...range.getClientRects()].filter(r => r.width > 0).map(r => r.top));
    }
    tops.sort((a, b) => a - b);
    return {text: el.textContent.trim(), tag: el.tagName, lines: tops.filter((t, k) => k === 0 || t - tops[k - 1] > 6).length};
})"""
# the menu is one row: its items side by side, none pushed to a second line
NAV_ROWS_JS = """() => new Set([...document.querySelectorAll('header.top nav a')].map(
    a => Math.round(a.getBoundingClientRect().top))).size"""
# an input, select or button in a table cell stays inside the cell (the deduction rows of the register form)
CELL_INPUTS_JS = """() => [...document.querySelectorAll('td input, td select, td textarea, td button')].map(el => {
    const cell = el.closest('td').getBoundingClientRect(), box = el.getBoundingClientRect();
    return {name: el.name || el.id || el.tagName, left: box.left - cell.left, right: cell.right - box.right,
            width: Math.round(box.width), cell: Math.round(cell.width)};
}).filter(b => b.left < -0.5 || b.right < -0.5)"""
CHART_TEXT_JS = """() => [...document.querySelectorAll('.chart')].map(el => {
    const chart = echarts.getInstanceByDom(el), zr = chart.getZr(), w = zr.getWidth(), h = zr.getHeight();
    const texts = [], outside = [];
    zr.storage.getDisplayList(true).forEach(d => {
        if (d.invisible || d.ignore || !d.style || typeof d.style.text !== 'string' || !d.style.text) return;
        const r = d.getBoundingRect().clone();
        r.applyTransform(d.getComputedTransform());
        texts.push(d.style.text);
        if (r.x < -0.5 || r.y < -0.5 || r.x + r.width > w + 0.5 || r.y + r.height > h + 0.5)
            outside.push([d.style.text, Math.round(r.x), Math.round(r.y), Math.round(r.width)]);
    });
    // a chart with nothing to draw: no series holds a single point
    return {id: el.id, texts, outside, empty: !chart.getOption().series.some(s => (s.data || []).length)};
})"""
LONG_NAME = "中国科学院上海微系统与信息技术研究所技术转移中心有限公司"


async def prepare_more(url: str, key: bytes) -> None:
    """Beside the shared set-up: long party names, every status a registrar meets in the list, long field names."""
    filings = [filing_body(f"LAYOUT-{status}", "310101", status=status, title=f"工业互联网标识解析二级节点建设技术服务合同（{status}）",
                           seller={"name": LONG_NAME, "credit_code": party_code(900 + k), "region": "310101"},
                           buyer={"name": "上海东方装备制造集团股份有限公司（浦东新区分公司）", "credit_code": party_code(950 + k)},
                           **({"reg_no": f"{YEAR}310101{900000 + k:06d}"} if status != "refused" else {}))
               for k, status in enumerate(("refused", "revoked", "cancelled"))]
    # the longest field name (城市建设与社会发展) is the widest label the dashboard draws
    filings += [filing_body(f"LAYOUT-{domain}", "310101", domain=domain, kind="service", subkind="service",
                            software=False, title="海绵城市监测数据分析技术服务",
                            seller={"name": LONG_NAME, "credit_code": party_code(980), "region": "310101"})
                for domain in ("urban_social", "advanced_manufacturing")]
    # one awaiting a decision: the register form and its deduction rows
    filings.append(filing_body("LAYOUT-submitted", "310101", title=LONG_NAME + "技术开发合同"))
    conn = await connect(url)
    try:
        data = b"".join(json.dumps(f, ensure_ascii=False).encode() + b"\n" for f in filings)
        await import_stream(conn, io.BytesIO(data), key, actor="setup", source="setup")
        # a campaign with a long name: the inspector's queue gives its column the room the outcome needs
        settings = load_settings(database_url=url, audit_key=key.decode())
        async with conn.transaction():
            await create_campaign(conn, await user_named(conn, "supervisor"), CampaignIn(
                name="2026年第四季度技术合同双随机抽查（浦东新区软件类大额合同专项）", registered_from=dt.date(2000, 1, 1),
                registered_to=dt.date(2100, 1, 1), sample_size=6, certainty_cutoff=0.95, control_share=0.2,
                seed="layout-long-name"), settings)
    finally:
        await conn.close()


@pytest_asyncio.fixture(scope="module")
async def site(server, data_dir, chromium):
    url = await create_database(server[1], "techreg_layout")
    await prepare(url, b"layout-key")
    await prepare_more(url, b"layout-key")
    async with running_server(url, data_dir / "layout", TECHREG_AUDIT_KEY="layout-key") as base:
        tab = Tab(chromium, viewport=WIDE, locale="zh-CN")
        try:
            yield base, tab
        finally:
            await tab.close()


async def wide_page(site, who: str | None = None):
    """The module's page at 1366×768, started afresh (conftest.Tab), logged in as `who` if given."""
    base, tab = site
    page = await tab.fresh()
    if who:
        await page.goto(base + "/login")
        await page.fill("input[name=username]", who)
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_load_state()
    return page


async def test_api_docs_render_without_leaving_this_machine(site):
    base, tab = site
    context = await tab.browser.new_context(viewport=WIDE)      # its own: it watches and stops requests
    requests, failed, console = [], [], []
    context.on("request", lambda r: requests.append(r.url))
    context.on("requestfailed", lambda r: failed.append(r.url))
    # anything bound elsewhere is recorded above and refused here: the page must not need it
    await context.route(lambda url: urlsplit(url).hostname not in LOCAL_HOSTS, lambda route: route.abort())
    page = await context.new_page()
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.set_default_timeout(15000)
    operations = sum(len(item) for item in json.loads(
        await (await page.request.get(base + "/schema/openapi.json")).text())["paths"].values())
    await page.goto(base + "/schema")
    await expect(page.locator(".opblock")).to_have_count(operations)
    await expect(page.locator(".opblock-summary-path", has_text="/api/filings").first).to_be_visible()
    await expect(page.locator("button.authorize")).to_be_visible()             # the declared security schemes
    await shot(page, "20-api-docs")
    await page.locator(".opblock-summary-path").filter(has_text="/api/auth/login").first.click()   # open one
    await expect(page.locator(".opblock-body").first).to_be_visible()
    outside = [url for url in requests if urlsplit(url).hostname not in LOCAL_HOSTS and not url.startswith("data:")]
    assert operations > 30
    assert not outside, outside
    assert not failed, failed
    assert not console, console
    assert any("/static/vendor/swagger-ui/swagger-ui-bundle.js" in url for url in requests)
    icons = await page.eval_on_selector_all("link[rel=icon]", "els => els.map(e => e.href)")
    assert icons and all(urlsplit(href).hostname in LOCAL_HOSTS for href in icons)
    await context.close()


async def _no_wrapping(page, name: str, least: dict[str, int]) -> None:
    await shot(page, name)
    found = await page.evaluate(LINES_JS, ONE_LINE)
    # a badge or a code is one line high; a table cell is as high as its row, so its text lines are counted
    wrapped = [f for f in found if f["lines"] > 1 or (f["tag"] != "TD" and f["height"] > f["line"] * 1.5 + f["pad"])]
    assert not wrapped, (name, wrapped[:5])
    broken = [w for w in await page.evaluate(WORD_CELLS_JS) if w["lines"] > 1]
    assert not broken, (name, "a one-word heading or cell broken into lines", broken[:5])
    assert await page.evaluate(NAV_ROWS_JS) <= 1, (name, "the menu wraps to a second row")
    assert not (spilled := await page.evaluate(CELL_INPUTS_JS)), (name, "an input wider than its cell", spilled[:5])
    for selector, count in least.items():
        assert await page.locator(selector).count() >= count, (name, selector)


async def test_pages_at_1366_keep_dates_badges_and_codes_on_one_line(site):
    base, _ = site
    page = await wide_page(site, "registrar")
    await page.goto(base + "/filings")
    await _no_wrapping(page, "21-wide-filings", {".status": 15, "td.date": 15, "td.ref": 15})
    statuses = set(await page.locator("#filings .status").all_inner_texts())
    assert {"不予登记", "已撤销", "已注销", "已登记"} <= statuses
    # only filings awaiting a decision: no registration number yet, so nothing but its heading widens that column
    await page.goto(base + "/filings?status=submitted")
    await _no_wrapping(page, "21-wide-filings-submitted", {".status": 1, "td.date": 1})
    await page.goto(base + "/filings/LAYOUT-revoked")
    await _no_wrapping(page, "22-wide-filing", {"code.credit-code": 2, ".status": 1, "td.date": 1})
    await page.goto(base + "/filings/LAYOUT-submitted")             # the register form: its deduction rows
    await _no_wrapping(page, "22-wide-register", {"table.deductions input": 6, "table.deductions select": 3})

    page = await wide_page(site, "inspector")
    await page.goto(base + "/queue")
    await _no_wrapping(page, "23-wide-queue", {"td.date": 1, ".tag": 1})
    await page.locator("#queue tbody tr a").first.click()
    await expect(page.locator("h1")).to_contain_text("检查事项")
    await _no_wrapping(page, "24-wide-item", {"code.credit-code": 2, ".status": 1})

    page = await wide_page(site, "supervisor")
    for path, name, least in (("/campaigns", "25-wide-campaigns", {".status": 1}),
                              ("/campaigns/1", "26-wide-campaign", {".status": 1, "td.date": 5, "td.ref": 5}),
                              ("/jobs", "27-wide-jobs", {"td.date": 6, "#scans td.word": 2})):
        await page.goto(base + path)
        await _no_wrapping(page, name, least)
    who = await page.locator("header .who").inner_text()
    assert who.count("监督员") == 1 and "王敏" in who, who                 # the role in words, once; the name


async def test_export_buttons_are_one_size_everywhere(site):
    base, _ = site
    boxes = []
    for who, paths in (("registrar", ["/filings"]), ("inspector", ["/queue"]),
                       ("supervisor", ["/campaigns", "/campaigns/1", "/jobs"])):
        page = await wide_page(site, who)
        for path in paths:
            await page.goto(base + path)
            buttons = page.locator("a.button.export")
            await expect(buttons).to_have_count(2)
            for k in range(2):
                box = await buttons.nth(k).bounding_box()
                font = await buttons.nth(k).evaluate("el => getComputedStyle(el).fontSize")
                boxes.append((path, await buttons.nth(k).inner_text(), round(box["width"], 1), round(box["height"], 1), font))
    assert len(boxes) == 10
    assert len({(w, h, font) for _, _, w, h, font in boxes}) == 1, boxes


async def test_dashboard_chart_labels_are_not_cut_off(site):
    base, _ = site
    for language in ("zh", "en"):
        page = await wide_page(site, "supervisor")
        if language == "en":
            await page.goto(base + "/lang/en")
        await page.goto(base + "/dashboard")
        # the supervisor's menu, the longest, on one row in both languages
        assert await page.evaluate(NAV_ROWS_JS) == 1, (language, "the supervisor's menu wraps")
        await expect(page.locator(".chart[data-drawn=true]")).to_have_count(6)
        charts = {c["id"]: c for c in await page.evaluate(CHART_TEXT_JS)}
        assert len(charts) == 6
        nothing = {"zh": "暂无数据", "en": "no data yet"}[language]
        for chart in charts.values():
            assert chart["texts"], chart["id"]
            assert not chart["outside"], (language, chart["id"], chart["outside"])
            # a chart with nothing to draw says so, never an empty box; one with figures does not
            assert (nothing in chart["texts"]) == chart["empty"], (language, chart["id"], chart["texts"])
        assert charts["chart-confirm"]["empty"]          # no finding recorded here: no confirmation rate to draw
        data = json.loads(await page.locator("#dashboard-data").text_content())
        # every category is named (none hidden to make room), whole or shortened with an ellipsis
        for chart_id, key in (("chart-domains", "domains"), ("chart-campaigns", "campaigns"),
                              ("chart-confirm", "detectors")):
            for name in data[key]:
                assert any(text == name or (text.endswith("...") and name.startswith(text[:-3]))
                           for text in charts[chart_id]["texts"]), (chart_id, name, charts[chart_id]["texts"])
        await shot(page, f"28-wide-dashboard-{language}")


async def test_the_site_has_its_own_favicon(site):
    base, _ = site
    page = await wide_page(site)
    await page.goto(base + "/login")
    hrefs = await page.eval_on_selector_all("link[rel=icon]", "els => els.map(e => [e.getAttribute('href'), e.type])")
    assert ["/static/favicon.svg", "image/svg+xml"] in hrefs
    svg = await page.request.get(base + "/static/favicon.svg")
    assert svg.status == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert (await svg.text()).lstrip().startswith("<svg")
    ico = await page.request.get(base + "/favicon.ico")
    assert ico.status == 200 and ico.headers["content-type"] == "image/x-icon"
    assert (await ico.body())[:4] == b"\x00\x00\x01\x00"                       # an ICO, as the name says
    # the browser draws it: the decoded icon has the size it declares
    size = await page.evaluate("""async () => { const img = new Image(); img.src = '/static/favicon.svg';
        await img.decode(); return [img.naturalWidth, img.naturalHeight]; }""")
    assert size[0] > 0 and size[0] == size[1]
