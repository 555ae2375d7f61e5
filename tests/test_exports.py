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
