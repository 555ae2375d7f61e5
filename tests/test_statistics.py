"""Annual statistics (年度统计, registry/statistics.py): the figures equal a hand count of a small registry, the
workbook reads back with its sheets and totals, the CLI writes it, the dashboard offers it."""

import io
import json
import subprocess
import sys
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from conftest import app_url, cli_env, filing_body, new_ref, unique_point_code
from techreg.config import load_settings
from techreg.db.pool import connect
from techreg.registry.creditcode import make_code
from techreg.registry.importer import import_stream
from techreg.registry.statistics import PARTY_TYPE_BY_PREFIX, annual_statistics, party_type, workbook

YEAR = 2021


def _party(prefix: str, region: str | None, n: int, name: str) -> dict:
    party = {"name": name, "credit_code": make_code(f"{prefix}{region or '310101'}{n:09d}")}
    if region:
        party["region"] = region
    return party


def _dates(filed_on: str) -> dict:
    return {"signed_on": filed_on[:8] + "01", "performance_start": filed_on[:8] + "02",
            "performance_end": "2023-12-31", "filed_on": filed_on}


async def _registry(url: str, audit_key: bytes) -> dict:
    """Six filings of which three count for 2021, each written down here with what it should add up to."""
    point, other_point = unique_point_code(), unique_point_code()
    company, institute, society = (_party("91", "310101", 1, "上海甲科技有限公司"),
                                   _party("12", "110108", 2, "北京某研究所"),
                                   _party("52", None, 3, "某民办研究院"))
    bodies = {
        # development, electronic information, seller enterprise (上海) -> buyer institution (北京), approved 80万
        "dev": filing_body(new_ref("ST"), point, seller=company, buyer=institute, amount="1250000.00",
                           tech_amount="1000000.00", approved_amount="800000.00", status="registered",
                           reg_no=f"{YEAR}{point}000001", **_dates("2021-05-10")),
        # service at the other point, biomedicine, institution (北京) -> enterprise (上海); registered 2021-12-31,
        # which the test sets: imported history has no registration date and counts by its application day
        "svc": filing_body(new_ref("ST"), other_point, kind="service", subkind="service", domain="biomedicine",
                           seller=institute, buyer=company, amount="400000.00", tech_amount="300000.00",
                           status="registered", reg_no=f"{YEAR}{other_point}000001", **_dates("2021-12-20")),
        # consulting, society (no region) -> enterprise; at the declared amount (no approved one: set below)
        "cons": filing_body(new_ref("ST"), point, kind="consulting", subkind=None, domain="biomedicine",
                            seller=society, buyer=company, amount="50000.00", tech_amount="50000.00",
                            status="registered", reg_no=f"{YEAR}{point}000002", **_dates("2021-03-03")),
        # applied for in 2021 but registered on 2022-01-04: a 2022 registration
        "next": filing_body(new_ref("ST"), point, status="registered", reg_no=f"2022{point}000001",
                            seller=company, buyer=institute, **_dates("2021-12-28")),
        # registered in 2021 and revoked since: left out, counted as such
        "revoked": filing_body(new_ref("ST"), point, status="revoked", reg_no=f"{YEAR}{point}000003",
                               seller=company, buyer=institute, **_dates("2021-06-01")),
        # never registered
        "pending": filing_body(new_ref("ST"), point, seller=company, buyer=institute, **_dates("2021-07-01")),
    }
    conn = await connect(url)
    try:
        lines = b"".join(json.dumps(b, ensure_ascii=False).encode() + b"\n" for b in bodies.values())
        report = await import_stream(conn, io.BytesIO(lines), audit_key, actor="test", create_points=True, source="statistics")
        assert report.imported == 6, report.errors
        await conn.execute("UPDATE filings SET registered_on = '2021-12-31' WHERE ref = $1", bodies["svc"]["ref"])
        await conn.execute("UPDATE filings SET registered_on = '2022-01-04' WHERE ref = $1", bodies["next"]["ref"])
        # registered before approved amounts existed (migrations/0018): counted at the declared amount
        await conn.execute("UPDATE filings SET approved_amount = NULL WHERE ref = $1", bodies["cons"]["ref"])
    finally:
        await conn.close()
    return {"point": point, "other_point": other_point}


def _rows(found, by: str) -> dict:
    breakdown = next(b for b in found.breakdowns if b.by == by)
    return {r.code: (r.contracts, r.amount, r.counted_amount, r.declared_only)
            for r in breakdown.rows if r.contracts}, breakdown.total


def test_the_party_type_comes_from_the_credit_code_authority_and_type():
    assert party_type("91") == "enterprise" and party_type("92") == "individual_business"
    assert party_type("12") == "public_institution" and party_type("A1") == "public_institution"
    assert party_type("11") == "government" and party_type("51") == party_type("53") == "social_organisation"
    assert party_type("Y1") == "other" and party_type("59") == "other" and party_type("N2") == "rural_collective"
    assert set(PARTY_TYPE_BY_PREFIX.values()) < set(__import__("techreg").labels.CATALOGUE["party_type"])


async def test_the_figures_equal_a_hand_count(empty_database, settings, audit_key):
    world = await _registry(empty_database, audit_key)
    point, other = world["point"], world["other_point"]
    conn = await connect(empty_database)
    try:
        found = await annual_statistics(conn, settings, YEAR)
        next_year = await annual_statistics(conn, settings, 2022)
    finally:
        await conn.close()
    d = Decimal
    # dev + svc + cons: contract amounts 1,250,000 + 400,000 + 50,000; approved 800,000 + 300,000 (history taken
    # at its declared amount when imported) + 50,000 (declared, no approval)
    assert (found.total.contracts, found.total.amount, found.total.counted_amount) == (3, d("1700000"), d("1150000"))
    assert (found.total.declared_only, found.total.declared_amount) == (1, d("50000"))
    assert found.left_out == {"revoked": 1, "cancelled": 0}
    assert _rows(found, "kind")[0] == {"development": (1, d("1250000"), d("800000"), 0),
                                       "service": (1, d("400000"), d("300000"), 0),
                                       "consulting": (1, d("50000"), d("50000"), 1)}
    assert _rows(found, "domain")[0] == {"electronic_information": (1, d("1250000"), d("800000"), 0),
                                         "biomedicine": (2, d("450000"), d("350000"), 1)}
    assert _rows(found, "seller_region")[0] == {"31": (1, d("1250000"), d("800000"), 0),
                                                "11": (1, d("400000"), d("300000"), 0),
                                                "none": (1, d("50000"), d("50000"), 1)}
    assert _rows(found, "buyer_region")[0] == {"11": (1, d("1250000"), d("800000"), 0),
                                               "31": (2, d("450000"), d("350000"), 1)}
    assert _rows(found, "point")[0] == {point: (2, d("1300000"), d("850000"), 1),
                                        other: (1, d("400000"), d("300000"), 0)}
    assert _rows(found, "seller_type")[0] == {"enterprise": (1, d("1250000"), d("800000"), 0),
                                              "public_institution": (1, d("400000"), d("300000"), 0),
                                              "social_organisation": (1, d("50000"), d("50000"), 1)}
    assert _rows(found, "buyer_type")[0] == {"public_institution": (1, d("1250000"), d("800000"), 0),
                                             "enterprise": (2, d("450000"), d("350000"), 1)}
    for b in found.breakdowns:                 # every breakdown partitions the same contracts
        assert (b.total.contracts, b.total.amount, b.total.counted_amount) == (3, d("1700000"), d("1150000")), b.by
    names = {r.code: r.name for b in found.breakdowns for r in b.rows}
    assert names["31"] == "上海市" and names["none"] == "未填报地区" and names["development"] == "技术开发"
    assert names["public_institution"] == "事业单位" and names[point] == f"测试登记点 {point}" or names[point] == point
    assert (next_year.total.contracts, next_year.total.amount) == (1, d("1250000"))


async def test_the_workbook_reads_back_with_its_sheets_and_totals(empty_database, settings, audit_key):
    import datetime as dt

    await _registry(empty_database, audit_key)
    conn = await connect(empty_database)
    try:
        found = await annual_statistics(conn, settings, YEAR)
    finally:
        await conn.close()
    made_at = dt.datetime(2022, 1, 5, 2, 0, tzinfo=dt.timezone.utc)
    book = load_workbook(io.BytesIO(workbook(found, "zh", settings.timezone, made_at)))
    assert book.sheetnames == ["合同类别", "技术领域", "卖方地区", "买方地区", "登记点", "卖方类型", "买方类型", "说明"]
    for name in book.sheetnames[:-1]:
        sheet = book[name]
        assert sheet["A1"].value.startswith("2021年技术合同登记年度统计")
        assert "2021" in sheet["A2"].value and sheet["D2"].value == "金额单位：万元"
        assert [c.value for c in sheet[4]][:5] == ["序号", "代码", "名称", "合同数（项）", "合同成交额（万元）"]
        assert [c.value for c in sheet[5]] == ["甲", "乙", "丙", 1, 2, 3, 4, 5]      # 栏次
        total = [c.value for c in sheet[sheet.max_row]]
        assert total[2] == "合计" and total[3] == 3
        assert total[4] == pytest.approx(170.0) and total[5] == pytest.approx(115.0)
        assert total[6] == 1 and total[7] == pytest.approx(5.0)
        assert sheet.cell(sheet.max_row, 5).number_format == "#,##0.00"
        assert sheet.cell(sheet.max_row, 4).data_type == "n"
        body = list(sheet.iter_rows(min_row=6, max_row=sheet.max_row - 1, values_only=True))
        assert sum(r[3] for r in body) == 3 and sum(r[4] for r in body) == pytest.approx(170.0)
        for r in range(6, sheet.max_row):
            assert sheet.cell(r, 3).data_type == "s"
            code = sheet.cell(r, 2)
            assert code.value is None or code.data_type == "s"    # codes as text (a region "11" stays "11")
    region = book["卖方地区"]
    assert [c.value for c in region[6]][:4] == [1, "11", "北京市", 1]
    assert [c.value for c in book["卖方类型"][7]][1:4] == ["12、A1", "事业单位", 1]
    assert [c.value for c in book["合同类别"][6]][1:4] == [None, "技术开发", 1]
    notes = "\n".join(str(c.value) for row in book["说明"].iter_rows() for c in row if c.value is not None)
    assert "申请登记日期" in notes and "已撤销 1" in notes and "核定技术交易额" in notes and "2022-01-05 10:00" in notes
    assert "企业：91" in notes and "事业单位：12、A1" in notes
    english = load_workbook(io.BytesIO(workbook(found, "en", settings.timezone, made_at)))
    assert english.sheetnames[0] == "Kind" and english.sheetnames[-1] == "Notes"
    assert [c.value for c in english["Seller type"][4]][:4] == ["No.", "Code", "Name", "Contracts"]
    assert [c.value for c in english["Seller type"][7]][1:4] == ["12、A1", "public institution", 1]
    assert english["Kind"].cell(english["Kind"].max_row, 4).value == 3


async def test_the_cli_writes_the_workbook_and_says_what_is_wrong(empty_database, audit_key, tmp_path):
    await _registry(empty_database, audit_key)
    out = tmp_path / "统计.xlsx"
    env = cli_env(TECHREG_DATABASE_URL=app_url(empty_database))
    done = subprocess.run([sys.executable, "-m", "techreg.cli", "statistics", str(YEAR), "-o", str(out)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "3 项" in done.stdout
    book = load_workbook(out)
    assert book["合同类别"].cell(book["合同类别"].max_row, 4).value == 3
    bad = subprocess.run([sys.executable, "-m", "techreg.cli", "statistics", "1850"], capture_output=True,
                         text=True, env=env, timeout=120)
    assert bad.returncode != 0 and "统计年度 1850 无效" in bad.stderr and "Traceback" not in bad.stderr


async def test_the_api_and_the_dashboard_button(empty_database, settings, audit_key):
    from litestar.testing import AsyncTestClient

    from conftest import make_office
    from techreg.web.app import create_app

    await _registry(empty_database, audit_key)
    own = load_settings(data_dir=settings.data_dir, database_url=empty_database, audit_key="test-audit-key",
                        login_attempts_per_minute=1000)
    async with AsyncTestClient(app=create_app(own, app_url(empty_database))) as client:
        office = await make_office(empty_database)
        r = await client.get(f"/api/statistics/{YEAR}", headers=office.h("supervisor"))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total"]["contracts"] == 3 and body["total"]["counted_amount"] == "1150000.00"
        assert [b["by"] for b in body["breakdowns"]][0] == "kind"
        r = await client.get(f"/api/statistics/{YEAR}.xlsx", headers=office.h("admin"))
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
        assert load_workbook(io.BytesIO(r.content))["卖方类型"].max_row > 5
        for bad in ("21", "2021.csv", "1850"):
            r = await client.get(f"/api/statistics/{bad}", headers=office.h("supervisor"))
            assert r.status_code == 400 and "统计年度" in r.json()["detail"], (bad, r.text)
        assert (await client.get(f"/api/statistics/{YEAR}", headers=office.h("registrar"))).status_code == 403
        client.cookies.clear()
        login = await client.post("/api/auth/login", json={"username": office.usernames["supervisor"],
                                                            "password": __import__("conftest").PASSWORD})
        assert login.status_code == 200
        page = await client.get("/dashboard")
        assert page.status_code == 200
        assert 'action="/statistics"' in page.text and '<option value="2021">2021年</option>' in page.text
        assert "下载年度统计（Excel）" in page.text
        r = await client.get("/statistics", params={"year": str(YEAR), "format": "xlsx"})
        assert r.status_code == 200 and "statistics-2021.xlsx" in r.headers["content-disposition"]
        shown = await client.get("/statistics", params={"year": str(YEAR)})
        assert shown.status_code == 200 and "按卖方类型" in shown.text and "事业单位" in shown.text
        assert "170.00" in shown.text and "115.00" in shown.text
        assert (await client.get("/statistics", params={"year": "abcd"})).status_code == 400
