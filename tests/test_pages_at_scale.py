"""Pages at scale (issue #14, item 3) on small data: the gram-indexed search finds exactly what a plain
substring filter finds, keyset pages neither repeat nor skip, the dashboard's running counts equal a count
from scratch after every kind of change, and the list's export is streamed, complete and filtered."""

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from conftest import APPROVE, REVOKE, filing_body, new_ref, party_code
from techreg.audit.dashboard import dashboard_data
from techreg.db.pool import connect
from techreg.registry import listing, tally
from techreg.registry.importer import import_stream
from techreg.registry.listing import FilingFilter
from techreg.registry.users import user_named

# titles and names with Chinese, Latin in both cases, digits and the characters LIKE and tsquery treat specially
TITLES = ["智慧园区管理平台技术开发合同", "工业设备预测性维护系统技术服务", "ERP系统二次开发 Part 2", "erp 接口开发（一期）",
          "100%国产化改造_第3阶段", "O'Brien 算法许可 a\\b", "风电功率预测模型:A&B|C", "鲸", "冷链物流调度系统-1标段",
          "医学影像辅助诊断软件", "5G基站节能算法", "质量追溯区块链平台 v2.0"]
NAMES = ["上海华信达信息技术有限公司", "北京蓝鲸数据科技股份有限公司", "杭州ABC智能科技有限公司", "深圳启明星辰网络科技有限公司"]
QUERIES = ["技", "鲸", "术开", "技术开发", "开发合同", "e", "E", "erp", "ERP系统", "2", "5g", "100%", "%", "_", "_第3",
           "'", "o'brien", "\\", "a\\b", ":a&b", "|", "（一期）", "有限公司", "信息技术", "数据科技", "abc智能", "同\n上",
           "合同上海", "无此合同名称", "v2.0", "-1标", " ", "HT-", "SRCH-"]


async def _import(conn, key: bytes, rows: list[dict]) -> None:
    report = await import_stream(conn, io.BytesIO(b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n"
                                                           for r in rows)), key, actor="t", source="t")
    assert report.imported == len(rows), report


async def _supervisor(conn, office):
    return await user_named(conn, office.usernames["supervisor"])


def _pattern(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def _plain_substring(conn, q: str, refs: list[str]) -> list[int]:
    """What a plain substring filter (no index, no grams) finds among `refs`, newest first."""
    return [r["id"] for r in await conn.fetch("""
        SELECT id FROM filings WHERE ref = any($2::text[]) AND (title ILIKE $1 OR seller_name ILIKE $1
            OR buyer_name ILIKE $1 OR contract_no ILIKE $1 OR ref ILIKE $1 OR reg_no ILIKE $1)
        ORDER BY id DESC""", _pattern(q), refs)]


async def _searched(conn, user, q: str, marker: str) -> list[int]:
    """Every page of a search, followed by its cursors (the marker's point keeps other tests' filings out)."""
    ids, flt = [], FilingFilter(q=q, point=marker, limit=7)
    while True:
        page = await listing.list_filings(conn, user, flt)
        ids += [f.id for f in page.items]
        if page.next_cursor is None:
            return ids
        flt = FilingFilter(q=q, point=marker, limit=7, cursor=page.next_cursor)


@pytest.fixture
def small_windows(monkeypatch):
    """Searches read only the newest 5 ids in order, so small data is found through the gram index as well."""
    monkeypatch.setattr(listing, "ORDERED_WINDOW", 5)


async def test_search_finds_exactly_what_a_substring_filter_finds(app, office, database_url, audit_key,
                                                                  small_windows):
    rows = [filing_body(f"SRCH-{new_ref()}", office.point, title=title, contract_no=f"HT-{k:03d}x",
                        seller={"name": NAMES[k % 4], "credit_code": party_code(810000 + k % 4), "region": "310101"},
                        buyer={"name": NAMES[(k + 1) % 4], "credit_code": party_code(820000 + k % 4),
                               "region": "310104"})
            for k, title in enumerate(TITLES * 3)]
    conn = await connect(database_url)
    try:
        await _import(conn, audit_key, rows)
        refs = [r["ref"] for r in rows]
        user = await _supervisor(conn, office)
        for forced in (False, True):
            async with conn.transaction():
                if forced:      # the index path itself: no sequential or plain index scans on filings
                    await conn.execute("SET LOCAL enable_seqscan = off")
                    await conn.execute("SET LOCAL enable_indexscan = off")
                    plan = "\n".join(r[0] for r in await conn.fetch(
                        f"EXPLAIN SELECT 1 FROM filings f WHERE {listing.GRAMS_MATCH.replace('?', '$1')}", "技术"))
                    assert "filings_search" in plan, plan
                for q in QUERIES:
                    want = await _plain_substring(conn, q, refs)
                    assert await _searched(conn, user, q, office.point) == want, (q, forced)
                    exported = [f.id async for f in listing.filing_rows(conn, user, FilingFilter(q=q, point=office.point))]
                    assert exported == want, q
                    # the count, from the newest ids, the oldest and the index between, exact below the cap …
                    counted = await listing.count_filings(conn, user, FilingFilter(q=q, point=office.point))
                    assert counted == (len(want), False), (q, forced, counted, len(want))
                    # … and "more than" above it, whichever part of the registry reached it
                    for cap in (1, 2, 4):
                        with pytest.MonkeyPatch.context() as patch:
                            patch.setattr(listing, "COUNT_CAP", cap)
                            counted = await listing.count_filings(conn, user, FilingFilter(q=q, point=office.point))
                        assert counted == ((cap, True) if len(want) > cap else (len(want), False)), (q, cap, counted)
        # the cases the test is about are really there: one character, Latin in another case, no match at all
        assert await _plain_substring(conn, "鲸", refs) and await _plain_substring(conn, "E", refs)
        assert not await _plain_substring(conn, "合同上海", refs)
    finally:
        await conn.close()


async def test_a_corrected_title_is_found_by_its_new_words_and_no_longer_by_its_old(app, office, database_url):
    ref = new_ref("SRCHC")
    r = await app.post("/api/filings", json=filing_body(ref, office.point, title="旧名称鹦鹉螺系统开发"),
                       headers=office.h("registrar"))
    assert r.status_code == 201, r.text
    found = lambda q: app.get("/api/filings", params={"q": q}, headers=office.h("registrar"))  # noqa: E731
    assert [f["ref"] for f in (await found("鹦鹉螺")).json()["items"]] == [ref]
    r = await app.patch(f"/api/filings/{ref}", json={"title": "新名称玳瑁平台开发"}, headers=office.h("registrar"))
    assert r.status_code == 200, r.text
    assert (await found("鹦鹉螺")).json()["items"] == []
    assert [f["ref"] for f in (await found("玳瑁")).json()["items"]] == [ref]


async def test_pages_neither_repeat_nor_skip_forwards_or_backwards(app, office, database_url, audit_key,
                                                                   small_windows, monkeypatch):
    # 23 filings alike in everything a person sees (title, parties, dates): only the id orders them
    rows = [filing_body(f"PAGE-{new_ref()}", office.point, title="同名合同分页测试") for _ in range(23)]
    conn = await connect(database_url)
    try:
        await _import(conn, audit_key, rows)
        user = await _supervisor(conn, office)
        every = [r["id"] for r in await conn.fetch(
            "SELECT id FROM filings WHERE point_code = $1 ORDER BY id DESC", office.point)]
        for q in (None, "分页测试"):
            base = {"point": office.point, "q": q, "limit": 5}
            pages, flt = [], FilingFilter(**base)
            while True:
                page = await listing.list_filings(conn, user, flt)
                pages.append(page)
                if page.next_cursor is None:
                    break
                flt = FilingFilter(**base, cursor=page.next_cursor)
            assert [f.id for p in pages for f in p.items] == every, q
            assert pages[0].prev_cursor is None and all(p.prev_cursor for p in pages[1:])
            assert [len(p.items) for p in pages] == [5, 5, 5, 5, 3]
            # back from the last page by the previous-page anchors: the same pages, in reverse
            back, page = [pages[-1]], pages[-1]
            while page.prev_cursor is not None:
                page = await listing.list_filings(conn, user, FilingFilter(**base, before=page.prev_cursor))
                back.append(page)
            assert [[f.id for f in p.items] for p in reversed(back)] == [[f.id for f in p.items] for p in pages]
            assert back[-1].next_cursor == pages[0].next_cursor
            assert {(p.total, p.total_capped) for p in pages} == {(23, False)}
        # beyond the cap a filtered list says "more than": counted no further
        monkeypatch.setattr(listing, "COUNT_CAP", 10)
        capped = await listing.list_filings(conn, user, FilingFilter(point=office.point, q="分页测试"))
        assert (capped.total, capped.total_capped) == (10, True)
        # a filter the tallies keep is counted exactly, the cap notwithstanding
        exact = await listing.list_filings(conn, user, FilingFilter(point=office.point, status="submitted"))
        assert (exact.total, exact.total_capped) == (len(every), False)
    finally:
        await conn.close()


async def test_the_page_links_the_previous_and_next_pages_and_says_how_many(app, office):
    for _ in range(3):
        r = await app.post("/api/filings", json=filing_body(new_ref("PL"), office.point), headers=office.h("registrar"))
        assert r.status_code == 201
    r = await app.get("/api/filings", params={"limit": 2}, headers=office.h("registrar"))
    body = r.json()
    assert body["total"] == 3 and body["total_capped"] is False and body["prev_cursor"] is None
    second = await app.get("/api/filings", params={"limit": 2, "cursor": body["next_cursor"]},
                           headers=office.h("registrar"))
    assert second.json()["prev_cursor"] == second.json()["items"][0]["id"]
    page = await app.get("/filings", params={"cursor": body["next_cursor"]}, headers=office.h("registrar"))
    assert page.status_code == 200
    assert 'rel="prev"' in page.text and "共 3 件符合条件" in page.text
    # each row names its contract number under the title, so a search by contract number shows why a row matched
    listed = second.json()["items"][0]
    assert f'<small class="note contract-no" title="合同编号">{listed["contract_no"]}</small>' in page.text
    bad = await app.get("/filings", params={"signed_from": "2026-02-30"}, headers=office.h("registrar"))
    assert bad.status_code == 400 and "signed_from" in bad.text
    dated = await app.get("/api/filings", params={"signed_from": "2026-03-01", "signed_to": "2026-03-01"},
                          headers=office.h("registrar"))
    assert dated.json()["total"] == 3


async def _assert_tallies_right(conn) -> None:
    assert await tally.differences(conn) == []
    for language in ("zh", "en"):
        assert await dashboard_data(conn, language) == await dashboard_data(conn, language, from_scratch=True)


async def test_the_dashboard_equals_a_count_from_scratch_after_every_kind_of_change(app, office, database_url,
                                                                                   audit_key, settings):
    from techreg.detection.scan import run_scan

    conn = await connect(database_url)
    try:
        await _assert_tallies_right(conn)
        refs = [new_ref("DASH") for _ in range(5)]
        # a seller of its own: the revocation below (for fraud) gives its seller a red-line record
        seller = {"name": "上海仪表盘测试有限公司", "credit_code": party_code(840000 + int(office.point[-4:])),
                  "region": "310101"}
        for ref in refs:                                                                   # submit
            r = await app.post("/api/filings", json=filing_body(ref, office.point, seller=seller),
                               headers=office.h("registrar"))
            assert r.status_code == 201
            await _assert_tallies_right(conn)
        steps = [(refs[0], "register", "registrar", {"approved_amount": "800000.00",
                                                      "deductions": [{"item": "设备", "category": "equipment",
                                                                      "amount": "200000.00"}]}),
                 (refs[1], "register", "registrar", APPROVE),
                 (refs[1], "revoke", "supervisor", REVOKE),
                 (refs[2], "refuse", "registrar", {"reasons": ["other"], "note": "不予登记"}),
                 (refs[3], "return", "registrar", {"reasons": [], "note": "补正"})]
        for ref, action, who, body in steps:
            r = await app.post(f"/api/filings/{ref}/{action}", json=body, headers=office.h(who))
            assert r.status_code == 200, (action, r.text)
            await _assert_tallies_right(conn)
        r = await app.patch(f"/api/filings/{refs[3]}", json={"kind": "service", "subkind": "service", "domain": "environment",
                                                            "filed_on": "2026-04-20"},
                            headers=office.h("registrar"))                                 # correct
        assert r.status_code == 200, r.text
        await _assert_tallies_right(conn)
        r = await app.post(f"/api/filings/{refs[3]}/resubmit", json={}, headers=office.h("registrar"))
        assert r.status_code == 200, r.text
        await _assert_tallies_right(conn)
        await _import(conn, audit_key, [filing_body(new_ref("DASHI"), office.point, status="registered",   # import
                                                    reg_no=None, filed_on="2025-07-01", signed_on="2025-06-01",
                                                    performance_start="2025-06-10", performance_end="2025-12-31")
                                        for _ in range(3)])
        await _assert_tallies_right(conn)
        await run_scan(conn, settings, full=False)                                          # flags
        await _assert_tallies_right(conn)
        await conn.execute("UPDATE flag_month_tally SET flags = flags + 7")                 # damaged, repaired
        await conn.execute("UPDATE filing_tally SET filings = filings + 1")
        assert await tally.differences(conn)
        await tally.rebuild(conn)
        await _assert_tallies_right(conn)
    finally:
        await conn.close()


async def test_the_export_is_streamed_complete_ordered_and_filtered(app, office, database_url, audit_key):
    marker = new_ref("EXS")
    rows = [filing_body(f"{marker}-{k:04d}", office.point, title=f"流式导出{marker}",
                        kind="development" if k % 3 else "service", subkind="commissioned" if k % 3 else "service")
            for k in range(2500)]
    conn = await connect(database_url)
    try:
        await _import(conn, audit_key, rows)
        want = [r["ref"] for r in await conn.fetch(
            "SELECT ref FROM filings WHERE title = $1 AND kind = 'development' ORDER BY id DESC", f"流式导出{marker}")]
    finally:
        await conn.close()
    assert len(want) == 2500 - 834
    params = {"q": marker, "kind": "development"}
    async with app.stream("GET", "/filings", params={**params, "format": "csv"}, headers=office.h("supervisor")) as r:
        assert r.status_code == 200
        assert "content-length" not in r.headers          # streamed: the length is not known up front
        chunks = [c async for c in r.aiter_bytes()]
    body = b"".join(chunks)
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row[0] for row in table[1:]] == want           # every row, newest first, the filter applied
    assert table[0][0] == "申请编号"
    xlsx = await app.get("/filings", params={**params, "format": "xlsx"}, headers=office.h("supervisor"))
    assert xlsx.status_code == 200 and "content-length" not in xlsx.headers
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == want
    # an inspector reads filings through the queue: refused before anything is streamed
    refused = await app.get("/filings", params={"format": "csv"}, headers=office.h("inspector"))
    assert refused.status_code == 403


def test_the_cli_checks_and_rebuilds_the_tallies(empty_database):
    import subprocess
    import sys

    from conftest import cli_env

    env = cli_env(TECHREG_DATABASE_URL=empty_database, TECHREG_AUDIT_KEY="k")

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "techreg.cli", "tallies", *args], capture_output=True, text=True,
                              env=env, timeout=120)

    assert cli("check").returncode == 0

    async def damage():
        conn = await connect(empty_database)
        await conn.execute("INSERT INTO filing_month_tally VALUES ('2026-01-01', 'registered', 4, 100)")
        await conn.close()
    import asyncio
    asyncio.run(damage())
    checked = cli("check")
    assert checked.returncode == 2 and "filing_month_tally" in checked.stdout
    assert cli("rebuild").returncode == 0
    assert cli("check").returncode == 0


# every two-character substring and the last character alone, one row per character (0024's definition)
GRAMS_ONE_BY_ONE = "array_to_tsvector(array(SELECT substr($1, i, 2) FROM generate_series(1, length($1)) i))"


async def test_the_grams_are_every_pair_of_characters_and_the_last_alone(database_url):
    """0027 computes the index's grams without a row per character: the same tsvector for every text, also for
    texts holding its separator (chr(1)), newlines, quotes and backslashes, of odd and even length."""
    texts = ["", "a", "ab", "abc", "\n", "\n\n\n", "aaaa", "a b", "  ", "\\&", "a\\1b", "x\x01y", "\x01", "\x01\x01a",
             "'\\:*&|!()  é中文字", "鲸\n", "同\n上\n"] + [t.lower() for t in TITLES + NAMES + QUERIES]
    texts += [a + "\n" + b + "\n" for a in TITLES for b in NAMES]
    conn = await connect(database_url)
    try:
        for text in texts:
            got, want = await conn.fetchrow(f"SELECT search_grams($1), {GRAMS_ONE_BY_ONE}", text)
            assert got == want, text
        # and for every filing of the test database, through the index's own expression
        differ = await conn.fetchval(
            "SELECT count(*) FROM (SELECT filing_search_text(ref, reg_no, title, contract_no, seller_name,"
            " buyer_name) AS t FROM filings) f WHERE search_grams(t) <> "
            + GRAMS_ONE_BY_ONE.replace("$1", "f.t"))
        assert differ == 0
    finally:
        await conn.close()
