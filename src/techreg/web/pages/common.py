"""What every page needs: the user, the language switch, words for codes, flash messages, list export."""

import asyncio
import base64
import csv
import datetime as dt
import io
import tempfile
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Redirect, Response, Stream, Template

from ... import labels
from ...errors import DomainError, InvalidInput
from ...registry import rulebook, users
from ...registry.messages import code_label
from ..deps import streamed_unit_of_work
from .forms import Sent

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

    def yuan(amount, places: int = 2) -> str:   # an amount in yuan: 1,250,000.00 元 / 1,250,000.00 yuan
        if amount is None or amount == "":
            return "—"
        return f"{float(amount):,.{places}f} {'yuan' if language == 'en' else '元'}"

    def paren(text) -> str:                   # an aside in brackets: （软件类） / " (software)"
        return f" ({text})" if language == "en" else f"（{text}）"

    def said(text: str | None) -> str:        # a sentence stored in both languages (evidence): the page's half
        return labels.halves(text)[1 if language == "en" else 0]

    def rules_named(rules_id: str | None) -> str:   # the rules an id names, by their titles (registry/rulebook)
        return rulebook.describe(request.app.state.settings, rules_id)[1 if language == "en" else 0]

    def zone(of: str | None = None) -> str:   # the office's (or a job's) time zone by its name: 北京时间 UTC+08:00
        return labels.zone_name(of or timezone, language)

    def days_left(n) -> str:                  # working days to a deadline; one passed says by how many: 逾期 3
        return labels.days_left(n, language)

    # punctuation between words: Chinese full-width, English with its spaces (an English page never shows "（" or "：")
    marks = ({"colon": ": ", "semi": "; ", "comma": ", ", "dun": ", ", "lp": " (", "rp": ")"} if language == "en"
             else {"colon": "：", "semi": "；", "comma": "，", "dun": "、", "lp": "（", "rp": "）"})

    def schedule(cron: str, zone: str | None = None) -> str:        # a job's schedule as people say it
        return labels.schedule_text(cron, language, zone or timezone)

    return {**marks, "lang": language, "t": t, "label": label, "subkind": subkind, "when": when, "values": values,
            "schedule": schedule,
            "value": value, "days_left": days_left, "detector": detector, "said": said, "zone": zone, "yuan": yuan, "paren": paren,
            "rules_named": rules_named}


async def people(db) -> dict[str, str]:
    """Login name -> display name, for a page that names who did what (its template's `person(username)`)."""
    return await users.display_names(db)


def page(request: Request, template: str, *, sent: Sent | None = None, **context) -> Template:
    """A page in the request's language; `sent` is one of its forms as it came back refused (pages/forms.py): its
    summary heads the page, and the template's `form_of(id)` gives that form its values and errors (an empty Sent
    for the others). `people` (from `people(db)`) lets its template name who acted by their display name:
    person(username)."""
    helpers = words(request)
    names = context.pop("people", None) or {}
    language = helpers["lang"]
    helpers["person"] = lambda username: labels.person(username, names, language)
    helpers["names"] = names
    t = helpers["t"]
    told = read_flash(request)
    flash = t(*told["msg"]) if "msg" in told else None
    error = t(*told["err"]) if "err" in told else None

    def form_of(form_id: str, **how) -> Sent:
        return sent if sent is not None and sent.form == form_id else Sent(form=form_id, **how)
    user = request.scope.get("user")
    shown = [Cookie(key=FLASH_COOKIE, value="", max_age=0, path="/")] if FLASH_COOKIE in request.cookies else None
    return Template(template, context={"user": user, **helpers, "flash": flash, "error": error, "sent": sent,
                                       "form_of": form_of, "who": who_is(user, language) if user else "", **context},
                    cookies=shown)


def who_is(user, language: str) -> str:
    """The header's "who is logged in": the display name and the role, the role said once (an account named
    "登记员 李娜" already says it)."""
    name = user.display_name
    zh, en = labels.pair("role", user.role)
    if zh in name or en.lower() in name.lower():
        return name
    return f"{name} ({en})" if language == "en" else f"{name}（{zh}）"


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


def date_param(name: str, label: str | tuple[str, str], value: str | None) -> dt.date | None:
    """A page's date filter (YYYY-MM-DD, as a date input sends it): empty means none; anything else that is not
    a date answers 400 naming the filter in words (`label`: Chinese, or Chinese and English)."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        zh, en = label if isinstance(label, tuple) else (label, name)
        raise InvalidInput(f"{zh}不是有效日期：“{value}”，应写作 YYYY-MM-DD（如 2026-01-31）",
                           f"{en} is not a date: “{value}” (write YYYY-MM-DD, e.g. 2026-01-31)",
                           errors=[{"field": name, "message": f"{zh}不是有效日期",
                                    "message_en": "not a date (YYYY-MM-DD)"}]) from None


# What the service just did ("已提交登记申请") travels to the next page in a cookie it sets, shown once and then
# cleared: never in the address, where a link could make a page, /verify included, say what the service did not
FLASH_COOKIE = "techreg_flash"
FLASH_SECONDS = 120
FLASH_LONGEST = 1000            # characters of each message (a cookie holds ~4 KB)


def back(url: str, msg: Message | None = None, err: Message | None = None) -> Redirect:
    """Back to a page with a message (Chinese, English) or a service's error: the page shows the one in its
    language, once."""
    told = {key: [part[:FLASH_LONGEST] for part in message]
            for key, message in (("msg", _halves(msg)), ("err", _halves(err))) if message}
    cookies = [Cookie(key=FLASH_COOKIE, value=base64.urlsafe_b64encode(msgspec.json.encode(told)).decode(),
                      path="/", httponly=True, samesite="lax", max_age=FLASH_SECONDS)] if told else None
    return Redirect(url, status_code=303, cookies=cookies)


def read_flash(request: Request) -> dict[str, tuple[str, str]]:
    """The message `back` left for this page: {"msg"|"err": (Chinese, English)}; nothing when there is none or it
    is not one (a cookie is the browser's to change)."""
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return {}
    try:
        told = msgspec.json.decode(base64.urlsafe_b64decode(raw.encode()), type=dict[str, tuple[str, str]])
    except (ValueError, msgspec.DecodeError):
        return {}
    return {key: value for key, value in told.items() if key in ("msg", "err")}


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


# Excel keeps amounts and days as numbers and dates, so a person can add them up, filter and sort them
MONEY_FORMAT = "#,##0.00"
DAY_FORMAT = "yyyy-mm-dd"


def _excel_value(value, words: str | None, language: str, timezone: str):
    """As _cell, but an amount stays a number and a day a date (a moment keeps its labelled zone as text)."""
    if words is None and (isinstance(value, Decimal) or (isinstance(value, dt.date) and not isinstance(value, dt.datetime))):
        return value
    return _cell(value, words, language, timezone)


def _excel_format(value) -> str | None:
    if isinstance(value, Decimal):
        return MONEY_FORMAT
    if isinstance(value, dt.date):
        return DAY_FORMAT
    return None


def _csv_text(value):
    """Text a person typed goes into CSV with a leading apostrophe where a spreadsheet would run it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def sheet_title(name: str, language: str) -> str:
    """An export's sheet in words (export_sheet), a number the name ends in kept: campaign-3 -> 抽查任务 3."""
    base, _, number = name.rpartition("-")
    if base and number.isdigit() and labels.is_known("export_sheet", base):
        return f"{labels.label('export_sheet', base, language)} {number}"[:31]
    return labels.label("export_sheet", name, language)[:31]


def export(request: Request, rows: list[dict], columns: list[Column], fmt: str, name: str, *,
           header_group: str = "field") -> Response:
    """A list as CSV (UTF-8 with BOM, so Excel reads the Chinese) or as an Excel workbook, in the page's
    language: the same headers and words as the page (the headers from `header_group`), times in the office's
    zone with their offset."""
    language, timezone = lang(request), request.app.state.settings.timezone
    headers = [labels.label(header_group, c.header or c.key, language) for c in columns]
    value = _excel_value if fmt == "xlsx" else _cell
    table = [[value(r.get(c.key), c.words, language, timezone) for c in columns] for r in rows]
    stamp = dt.datetime.now(ZoneInfo(timezone)).date().isoformat()
    if fmt == "xlsx":
        from openpyxl import Workbook
        book = Workbook()
        sheet = book.active
        sheet.title = sheet_title(name, language)
        sheet.append(headers)
        for row in table:
            sheet.append(row)
            for cell, original in zip(sheet[sheet.max_row], row):
                if isinstance(cell.value, str):    # text stays text: never a live formula
                    cell.data_type = "s"
                elif number_format := _excel_format(original):
                    cell.number_format = number_format
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


# rows formatted and written per batch while a streamed export runs
EXPORT_BATCH = 2000
# an Excel sheet holds 1,048,576 rows: a longer export goes on in the next sheet, headed again
SHEET_ROWS = 1_048_575
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_stream(request: Request, rows: Callable[[object], AsyncIterator[dict]], columns: list[Column], fmt: str,
                  name: str) -> Stream:
    """A list of any length as export() writes it, streamed in constant memory: `rows(conn)` yields the rows
    from a server-side cursor on the request's connection (taken when the body starts). CSV goes out batch by
    batch; Excel is written row by row by openpyxl's write-only workbook into a temporary file (in a worker
    thread), then sent in chunks."""
    language, timezone = lang(request), request.app.state.settings.timezone
    headers = [labels.label("field", c.header or c.key, language) for c in columns]
    stamp = dt.datetime.now(ZoneInfo(timezone)).date().isoformat()

    value = _excel_value if fmt == "xlsx" else _cell

    async def batches() -> AsyncIterator[list[list]]:
        async with streamed_unit_of_work(request) as conn:
            batch = []
            async for r in rows(conn):
                batch.append([value(r.get(c.key), c.words, language, timezone) for c in columns])
                if len(batch) >= EXPORT_BATCH:
                    yield batch
                    batch = []
            if batch:
                yield batch

    async def csv_body() -> AsyncIterator[bytes]:
        out = io.StringIO()
        csv.writer(out).writerow(headers)
        yield ("\ufeff" + out.getvalue()).encode()
        async for batch in batches():
            out = io.StringIO()
            csv.writer(out).writerows([[_csv_text(v) for v in row] for row in batch])
            yield out.getvalue().encode()

    async def xlsx_body() -> AsyncIterator[bytes]:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.utils import get_column_letter

        book = Workbook(write_only=True)
        current = {"sheet": None, "rows": 0}

        def new_sheet() -> None:
            number = len(book.worksheets) + 1
            title = sheet_title(name, language)
            sheet = book.create_sheet(title if number == 1 else f"{title[:25]} {number}")
            for k in range(1, len(headers) + 1):
                sheet.column_dimensions[get_column_letter(k)].width = 18
            sheet.append(headers)
            current["sheet"], current["rows"] = sheet, 0

        def cell(value):
            if isinstance(value, str):
                text = WriteOnlyCell(current["sheet"], value=value)
                text.data_type = "s"               # text stays text: never a live formula
                return text
            if number_format := _excel_format(value):
                typed = WriteOnlyCell(current["sheet"], value=value)
                typed.number_format = number_format
                return typed
            return value

        def write(batch: list[list]) -> None:
            for row in batch:
                if current["rows"] >= SHEET_ROWS:
                    new_sheet()
                current["sheet"].append([cell(v) for v in row])
                current["rows"] += 1

        with tempfile.TemporaryFile() as file:
            await asyncio.to_thread(new_sheet)
            async for batch in batches():
                await asyncio.to_thread(write, batch)
            await asyncio.to_thread(book.save, file)
            file.seek(0)
            while chunk := await asyncio.to_thread(file.read, 1 << 16):
                yield chunk

    if fmt == "xlsx":
        return Stream(xlsx_body(), media_type=XLSX_TYPE,
                      headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.xlsx"'})
    return Stream(csv_body(), media_type="text/csv; charset=utf-8",
                  headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.csv"'})
