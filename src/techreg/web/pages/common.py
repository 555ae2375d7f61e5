"""What every page needs: the user, the language switch, words for codes, flash messages, list export."""

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import NamedTuple
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Request
from litestar.response import Redirect, Response, Template

from ... import labels
from ...errors import DomainError, InvalidInput
from ...registry.messages import code_label

LANG_COOKIE = "techreg_lang"


def lang(request: Request) -> str:
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "zh"


def words(request: Request) -> dict:
    """The helpers a template writes with, in the page's language and the office's time zone:
    t("中文", "English"); label(group, code) for a stored code (techreg.labels); when(moment) for a time."""
    language = lang(request)
    timezone = request.app.state.settings.timezone

    def t(zh: str, en: str) -> str:         # Chinese first; English when switched
        return en if language == "en" else zh

    def label(group: str, code, default: str | None = None) -> str:
        return labels.label(group, code, language, default=default)

    def subkind(kind: str, code: str | None) -> str:
        return labels.subkind(kind, code, language)

    def when(value: dt.datetime | None, seconds: bool = False) -> str:  # the office's zone, labelled
        return labels.local_time(value, timezone, seconds=seconds)

    def values(group: str, mapping) -> str:   # a stored dictionary (counts, parameters) in words
        return labels.values_text(group, mapping, language, timezone=timezone)

    def value(item, group: str | None = None) -> str:
        return labels.value_text(item, language, group=group, timezone=timezone)

    def detector(name: str) -> str:           # a detector and its version: 合同拆分 2.0
        return labels.detector_text(name, language)

    return {"lang": language, "t": t, "label": label, "subkind": subkind, "when": when, "values": values,
            "value": value, "detector": detector}


def page(request: Request, template: str, **context) -> Template:
    helpers = words(request)
    query = request.query_params
    t = helpers["t"]
    flash = t(query["msg"], query.get("msg_en") or query["msg"]) if query.get("msg") else None
    error = t(query["err"], query.get("err_en") or query["err"]) if query.get("err") else None
    return Template(template, context={"user": request.scope.get("user"), **helpers, "flash": flash, "error": error,
                                       **context})


Message = tuple[str, str] | DomainError


def _halves(message: Message | None) -> tuple[str, str] | None:
    if message is None:
        return None
    if isinstance(message, DomainError):
        return message.message, message.message_en
    if isinstance(message, str):          # always both languages: a page shows the one it speaks
        raise TypeError("a page message is (Chinese, English), not one string")
    zh, en = message
    return zh, en


EXPORT_FORMATS = ("csv", "xlsx")


def choice(name: str, label: str, value: str | None, allowed) -> str | None:
    """A page's filter as a select sends it: empty means any; anything else must be one of `allowed`, or the
    page answers 400 naming the parameter and the values it takes, each with its word (as the API does)."""
    if not value:
        return None
    allowed = tuple(allowed)
    if value not in allowed:
        def named(language: str) -> str:
            words = [(code, code_label(code, language)) for code in allowed]
            sep, open_, close = ("、", "（", "）") if language == "zh" else (", ", " (", ")")
            return sep.join(f"{code}{open_}{word}{close}" if word != code else code for code, word in words)
        raise InvalidInput(f"{label}（{name}）取值无效：'{value}'，可选值：{named('zh')}",
                           f"{name}: invalid value '{value}'; allowed: {named('en')}",
                           errors=[{"field": name, "message": f"{label}取值无效", "message_en": "invalid value",
                                    "allowed": list(allowed)}])
    return value


def back(url: str, msg: Message | None = None, err: Message | None = None) -> Redirect:
    """Back to a page with a message (Chinese, English) or a service's error: the page shows the one in its
    language."""
    params = {}
    for key, message in (("msg", _halves(msg)), ("err", _halves(err))):
        if message:
            params[key], params[f"{key}_en"] = message
    query = urlencode(params)
    return Redirect(url + (("&" if "?" in url else "?") + query if query else ""), status_code=303)


# a spreadsheet runs a cell that starts with one of these as a formula (=cmd|' /C calc'!A0, =HYPERLINK(…))
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Column(NamedTuple):
    """One column of an export: the row's key, the catalogue group its codes are words of ("time" for a
    moment, "counts" for a job run's counts, None for plain values), its header (labels "field"; the key)."""
    key: str
    words: str | None = None
    header: str | None = None


def _cell(value, words: str | None, language: str, timezone: str):
    if value is None:
        return ""
    if words == "time":
        return labels.local_time(value, timezone)
    if words == "counts":
        return labels.values_text("count", value, language)
    if words == "system_reason":
        return labels.recorded(value)[1 if language == "en" else 0]
    if words == "subkind":
        return labels.subkind(value[0], value[1], language) if value[1] else ""
    if isinstance(value, (list, tuple)):
        return ("、" if language != "en" else ", ").join(str(_cell(v, words, language, timezone)) for v in value)
    if isinstance(value, bool):
        return labels.label("yes_no", "true" if value else "false", language)
    if words is not None:
        return labels.label(words, value, language)
    if isinstance(value, dt.datetime):
        return labels.local_time(value, timezone)
    if isinstance(value, (dt.date, Decimal)):
        return str(value)
    return value


def _csv_text(value):
    """Text a person typed goes into CSV with a leading apostrophe where a spreadsheet would run it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export(request: Request, rows: list[dict], columns: list[Column], fmt: str, name: str, *,
           header_group: str = "field") -> Response:
    """A list as CSV (UTF-8 with BOM, so Excel reads the Chinese) or as an Excel workbook, in the page's
    language: the same headers and words as the page (the headers from `header_group`), times in the office's
    zone with their offset."""
    language, timezone = lang(request), request.app.state.settings.timezone
    headers = [labels.label(header_group, c.header or c.key, language) for c in columns]
    table = [[_cell(r.get(c.key), c.words, language, timezone) for c in columns] for r in rows]
    stamp = dt.datetime.now(ZoneInfo(timezone)).date().isoformat()
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
