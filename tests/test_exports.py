"""Exports a person opens in a spreadsheet: text stays text, never a formula that runs."""

import csv
import io

from openpyxl import load_workbook

from conftest import filing_body, new_ref
from techreg import labels

HOSTILE = ["=cmd|' /C calc'!A0", "=HYPERLINK(\"http://evil.example\",\"点此\")", "+1+1", "-2+3", "@SUM(A1)",
           "\t=1+1"]


async def test_csv_and_excel_exports_keep_hostile_titles_as_text(app, office):
    refs = []
    for title in HOSTILE:
        ref = new_ref("FX")
        r = await app.post("/api/filings", json=filing_body(ref, office.point, title=title), headers=office.h("registrar"))
        assert r.status_code == 201, r.text
        refs.append(ref)
    csv_body = await app.get("/filings", params={"format": "csv"}, headers=office.h("registrar"))
    assert csv_body.status_code == 200
    rows = list(csv.reader(io.StringIO(csv_body.content.decode("utf-8-sig"))))
    cells = {cell for row in rows for cell in row}
    for title in HOSTILE:
        assert "'" + title in cells and title not in cells
    # each party with its credit code, as a tax office reads a list
    header = rows[0]
    mine = next(row for row in rows if row[0] == refs[0])
    body = filing_body(refs[0], office.point)
    assert mine[header.index("卖方统一社会信用代码")] == body["seller"]["credit_code"]
    assert mine[header.index("买方统一社会信用代码")] == body["buyer"]["credit_code"]
    xlsx = await app.get("/filings", params={"format": "xlsx"}, headers=office.h("registrar"))
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    found = {c.value: c.data_type for row in sheet.iter_rows() for c in row if c.value in HOSTILE}
    assert set(found) == set(HOSTILE) and set(found.values()) == {"s"}


async def test_the_export_holds_every_matching_filing_not_one_page(app, office):
    import json as _json

    from conftest import party_code
    from techreg.registry.importer import import_stream

    marker = new_ref("MANY")
    lines = [filing_body(f"{marker}-{k:04d}", office.point, title=f"导出测试合同{marker}",
                         seller={"name": "上海导出测试有限公司", "credit_code": party_code(700000 + k), "region": "310101"})
             for k in range(620)]
    from techreg.db.pool import connect
    conn = await connect(app.app.state.settings.database_url)
    try:
        report = await import_stream(conn, io.BytesIO(b"".join(_json.dumps(x).encode() + b"\n" for x in lines)),
                                     app.app.state.audit_key, actor="t", source="t")
        assert report.imported == 620
    finally:
        await conn.close()
    body = await app.get("/filings", params={"format": "csv", "q": marker}, headers=office.h("registrar"))
    rows = list(csv.reader(io.StringIO(body.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 620


async def test_excel_keeps_amounts_numbers_and_days_dates_that_add_up(app, office):
    import datetime as dt
    from decimal import Decimal

    refs = [new_ref("SUM") for _ in range(3)]
    for ref, amount in zip(refs, ("1250000.00", "80000.50", "3.25")):
        r = await app.post("/api/filings", json=filing_body(ref, office.point, amount=amount, tech_amount=amount),
                           headers=office.h("registrar"))
        assert r.status_code == 201, r.text
    # the filing list (streamed, write-only workbook)
    xlsx = await app.get("/filings", params={"format": "xlsx"}, headers=office.h("registrar"))
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    header = [c.value for c in sheet[1]]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2) if row[0].value in refs}
    assert set(rows) == set(refs)
    amount = header.index(labels.label("field", "amount", "zh"))
    cells = [rows[ref][amount] for ref in refs]
    assert all(c.data_type == "n" and c.number_format == "#,##0.00" for c in cells), [(c.value, c.data_type) for c in cells]
    assert sum(Decimal(str(c.value)) for c in cells) == Decimal("1330003.75")
    signed = header.index(labels.label("field", "signed_on", "zh"))
    assert rows[refs[0]][signed].is_date and rows[refs[0]][signed].value.date() == dt.date(2026, 3, 1)
    # a list written whole (the decision deadlines): the filing day is a date too
    xlsx = await app.get("/deadlines", params={"format": "xlsx"}, headers=office.h("registrar"))
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    header = [c.value for c in sheet[1]]
    filed = header.index(labels.label("field", "filed_on", "zh"))
    ours = [row for row in sheet.iter_rows(min_row=2) if row[0].value in refs]
    assert len(ours) == 3
    assert all(row[filed].is_date and row[filed].value.date() == dt.date(2026, 3, 15) for row in ours)
    # CSV keeps the plain figures
    body = await app.get("/filings", params={"format": "csv"}, headers=office.h("registrar"))
    table = list(csv.reader(io.StringIO(body.content.decode("utf-8-sig"))))
    assert {row[amount] for row in table[1:] if row[0] in refs} == {"1250000.00", "80000.50", "3.25"}
