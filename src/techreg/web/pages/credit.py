"""Credit pages: the records home (import, look-up, export), a party with its records, the batch check, and
the supervisor's written override on a filing."""

import json

import asyncpg
import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Response, Template

from ... import labels
from ...config import Settings
from ...errors import Conflict, InvalidInput
from ...registry import service
from ...registry.fieldcheck import decode_checked
from ...registry.messages import FilingRejected
from ...registry.credit import importer, records
from ...registry.credit.checks import override
from ...registry.credit.schema import BatchScope, OverrideIn
from ..auth import requires
from ..controllers.credit import run_batch
from .common import EXPORT_FORMATS, Column, back, choice, export, lang, page, people
from .forms import inputs, problems, sent, upload_refused
from .registry import filing_page

STAFF = requires("supervisor", "admin")
UPLOAD_LIMIT = 50 * 1024 * 1024
# the batch report's export: one row per hit, the filing's columns repeated
CHECK_COLUMNS = [Column("ref"), Column("reg_no"), Column("title"), Column("status", "status"),
                 Column("point_code", header="point"), Column("relevant_date"),
                 Column("recommendation", "credit_recommendation"), Column("side", "field"),
                 Column("credit_code"), Column("party_name"), Column("record_type", "credit_record_type"),
                 Column("source"), Column("source_ref"), Column("valid_from"), Column("valid_to")]


def _scope(year: str | None, point: str | None, campaign: str | None, as_of: str | None) -> BatchScope:
    """The check's form fields, each refused with its name when it is not what it should be."""
    raw = {"year": year, "point": point, "campaign": campaign, "as_of": as_of}
    values = {k: v.strip() for k, v in raw.items() if v and v.strip()}
    for name in ("year", "campaign"):
        if name in values:
            if not values[name].isdigit():
                raise InvalidInput(f"{'年度' if name == 'year' else '抽查任务编号'}（{name}）须为数字",
                                   f"{name} must be a number", errors=[{"field": name}])
            values[name] = int(values[name])
    try:
        return msgspec.convert(values, BatchScope, strict=False)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"核查范围有误：{exc}", f"bad scope: {exc}") from None


class CreditPages(Controller):
    include_in_schema = False

    @get("/credit", guards=[STAFF])
    async def home(self, request: Request, code: str | None = None) -> Template | Redirect:
        """The records home; `code` (the look-up form) opens that party's page."""
        if code and code.strip():
            return Redirect(f"/parties/{code.strip().upper()}", status_code=303)
        return page(request, "credit.html", report=None)

    @post("/credit/import", guards=[STAFF], request_max_body_size=UPLOAD_LIMIT)
    async def import_file(self, request: Request, db: asyncpg.Connection) -> Template | Redirect:
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            return page(request, "credit.html", report=None, sent=upload_refused(
                "credit-import", InvalidInput("请选择要导入的 JSONL 或 CSV 文件", "choose a JSONL or CSV file to import",
                                              field="file"), title=("导入", "Import")))
        try:
            content = await upload.read()
        finally:
            await upload.close()
        name = upload.filename or "upload"
        report = await importer.import_content(db, content, importer.format_of(name, content),
                                               actor=request.user.username, source_name=name)
        return page(request, "credit.html", report=report, file_name=name)

    @get("/parties/{credit_code:str}")
    async def party(self, request: Request, credit_code: str, db: asyncpg.Connection, settings: Settings) -> Template:
        found = await records.party_credit(db, credit_code, service.today(settings))
        return page(request, "party.html", p=found, people=await people(db))

    @get("/credit/check", guards=[STAFF])
    async def check(self, request: Request, db: asyncpg.Connection, settings: Settings, year: str | None = None,
                    point: str | None = None, campaign: str | None = None, as_of: str | None = None,
                    format: str | None = None) -> Template | Response:
        format = choice("format", "导出格式", format, EXPORT_FORMATS)
        asked = any(v for v in (year, point, campaign, as_of))
        scope = _scope(year, point, campaign, as_of)
        report = await run_batch(db, request.user, settings, scope) if asked or format else None
        if format and report is not None:
            rows = [{**msgspec.structs.asdict(i), "point_code": i.point, **msgspec.structs.asdict(h)}
                    for i in report.items for h in i.hits]
            return export(request, rows, CHECK_COLUMNS, format, "credit-check")
        chart = None
        if report is not None:              # the charts' words in the page's language
            language = lang(request)
            chart = {"rec_names": [labels.label("credit_recommendation", c, language) for c in report.recommendations],
                     "rec_counts": list(report.recommendations.values()),
                     "type_names": [labels.label("credit_record_type", c, language) for c in report.by_record_type],
                     "type_counts": list(report.by_record_type.values())}
        return page(request, "credit_check.html", report=report, chart=chart,
                    form={"year": year or "", "point": point or "", "campaign": campaign or "", "as_of": as_of or ""},
                    today=service.today(settings))

    @post("/filings/{ref:str}/credit-override", guards=[requires("supervisor")])
    async def override(self, request: Request, ref: str, db: asyncpg.Connection, audit_key: bytes,
                       settings: Settings) -> Template | Redirect:
        form = await request.form()
        try:
            body = decode_checked(json.dumps({"reasons": (form.get("reasons") or "").strip()}, ensure_ascii=False),
                                  OverrideIn)
            async with db.transaction():
                await override(db, audit_key, request.user, ref, body, service.today(settings))
        except (Conflict, InvalidInput, FilingRejected) as exc:
            return await filing_page(request, db, settings, ref, sent(
                "credit-override-form", form, problems(exc, inputs(["reasons"])),
                title=("书面同意登记", "Override in writing")))
        return back(f"/filings/{ref}", msg=("已记录书面同意，登记员可以登记", "override recorded: the registrar may register"))
