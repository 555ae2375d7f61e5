"""What every page needs: the user, the language switch, flash messages, list export."""

import csv
import datetime as dt
import io
from decimal import Decimal

from litestar import Request
from litestar.response import Redirect, Response, Template

from ...detection.detectors import DETECTORS
from .trail import local_time

LANG_COOKIE = "techreg_lang"
# flag kinds are named where the detectors are registered (detection.detectors.DETECTORS)
FLAG_KIND_ZH = {d.KIND: d.LABEL[0] for d in DETECTORS}


def lang(request: Request) -> str:
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "zh"


def page(request: Request, template: str, **context) -> Template:
    language = lang(request)

    def t(zh: str, en: str) -> str:         # Chinese first; English when switched
        return en if language == "en" else zh

    timezone = request.app.state.settings.timezone

    def when(value: dt.datetime | None) -> str:      # times a person reads: the office's zone, labelled
        return local_time(value, timezone)

    user = request.scope.get("user")
    return Template(template, context={"user": user, "lang": language, "t": t, "when": when, "flag_zh": FLAG_KIND_ZH,
                                       "flash": request.query_params.get("msg"),
                                       "error": request.query_params.get("err"), **context})


def back(url: str, msg: str | None = None, err: str | None = None) -> Redirect:
    from urllib.parse import urlencode
    query = urlencode({k: v for k, v in (("msg", msg), ("err", err)) if v})
    return Redirect(url + (("&" if "?" in url else "?") + query if query else ""), status_code=303)


# a spreadsheet runs a cell that starts with one of these as a formula (=cmd|' /C calc'!A0, =HYPERLINK(…))
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    if isinstance(value, (dt.date, dt.datetime, Decimal)):
        return str(value)
    return value


def _csv_text(value):
    """Text a person typed goes into CSV with a leading apostrophe where a spreadsheet would run it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export(rows: list[dict], columns: list[tuple[str, str]], fmt: str, name: str) -> Response:
    """A list as CSV (UTF-8 with BOM, so Excel reads the Chinese) or as an Excel workbook."""
    headers = [label for _, label in columns]
    table = [[_cell(r.get(key)) for key, _ in columns] for r in rows]
    stamp = dt.date.today().isoformat()
    if fmt == "xlsx":
        from openpyxl import Workbook
        book = Workbook()
        sheet = book.active
        sheet.title = name[:31]
        sheet.append(headers)
        for row in table:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:      # text stays text: never a live formula
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        for col in sheet.columns:
            sheet.column_dimensions[col[0].column_letter].width = 18
        out = io.BytesIO()
        book.save(out)
        return Response(out.getvalue(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.xlsx"'})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows([[_csv_text(v) for v in row] for row in table])
    return Response(("\ufeff" + out.getvalue()).encode(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.csv"'})
