"""Exports a person opens in a spreadsheet: text stays text, never a formula that runs."""

import csv
import io

from openpyxl import load_workbook

from conftest import filing_body, new_ref

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
