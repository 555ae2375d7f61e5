"""Orders issued by findings (责令整改 / 责令注销) and the enforcement list (执法企业名录)."""

import datetime as dt
import json
from typing import get_args
from zoneinfo import ZoneInfo

import asyncpg
import msgspec
from litestar import Controller, Request, get, post
from litestar.response import Redirect, Response, Template

from ..auth import requires
from ..files import attachment, read_upload
from ..params import DbId
from ..replica import READ_DB
from ...audit import enforcement, evidence, orders
from ...audit.filetypes import ALLOWED_EXTENSIONS
from ...audit.orders import CloseIn, OrderFilter, OrderKind, OrderNote
from ...config import Settings
from ...errors import Conflict, DomainError, InvalidInput
from ...labels import label
from ...registry.fieldcheck import decode_checked
from ...registry.messages import FilingRejected
from .common import EXPORT_FORMATS, Column, back, choice, export, lang, page, people
from .forms import Sent, inputs, problems, sent, upload_refused
from .trail import TRAIL, order_step_text

STAFF = requires("supervisor", "admin")
READERS = requires("registrar", "inspector", "supervisor", "admin")
RESPONDERS = requires("registrar", "supervisor")
ORDER_COLUMNS = [Column("id", header="order"), Column("kind", "order_kind", "order_kind"),
                 Column("status", "order_status", "order_status"), Column("ref"), Column("reg_no"), Column("title"),
                 Column("seller_code"), Column("seller_name"), Column("counted_amount"), Column("campaign"),
                 Column("issued_on"), Column("working_days"), Column("due_on"), Column("overdue"),
                 Column("working_days_left"), Column("documents"), Column("escalated_on")]
ENFORCEMENT_COLUMNS = [Column(c, header=c) for c in enforcement.COLUMNS]


def _lines(text: str | None) -> str:
    return (text or "").strip()


async def order_page(request: Request, db: asyncpg.Connection, settings: Settings, order_id: int,
                     sent: Sent | None = None) -> Template:
    """An order's page; `sent`: one of its forms as it came back refused, shown again as typed."""
    detail = await orders.get_order(db, settings, request.user, order_id)
    return page(request, "order.html", sent=sent, people=await people(db), d=detail, accept=",".join(ALLOWED_EXTENSIONS),
                max_mb=evidence.size_label(settings.evidence_max_bytes), step_text=order_step_text, **TRAIL)


class OrderPages(Controller):
    include_in_schema = False

    @get("/orders", guards=[READERS], dependencies=READ_DB)
    async def orders(self, request: Request, db: asyncpg.Connection, settings: Settings, status: str | None = None,
                     kind: str | None = None, format: str | None = None) -> Template | Response:
        status = choice("status", "状态", status, get_args(OrderFilter))
        kind = choice("kind", "责令类别", kind, get_args(OrderKind))
        format = choice("format", "导出格式", format, EXPORT_FORMATS)
        found = await orders.list_orders(db, settings, request.user, status=status, kind=kind)
        if format:
            return export(request, [msgspec.structs.asdict(o) for o in found.items], ORDER_COLUMNS, format, "orders")
        escalations = (await orders.recent_escalations(db)
                       if request.user.role in ("supervisor", "admin") else [])
        return page(request, "orders.html", found=found, status=status or "", kind=kind or "",
                    filters=get_args(OrderFilter), kinds=get_args(OrderKind), escalations=escalations)

    @get("/orders/{order_id:int}", guards=[READERS])
    async def order(self, request: Request, order_id: DbId, db: asyncpg.Connection, settings: Settings) -> Template:
        return await order_page(request, db, settings, order_id)

    # the limit is the setting's, checked against Content-Length before the body is read (files.read_upload)
    @post("/orders/{order_id:int}/documents", guards=[RESPONDERS], request_max_body_size=None)
    async def add_document(self, request: Request, order_id: DbId, db: asyncpg.Connection, audit_key: bytes,
                           settings: Settings) -> Template | Redirect:
        try:
            await orders.may_respond(db, settings, request.user, order_id)
            upload = await read_upload(request, settings)
            async with db.transaction():
                added = await orders.add_document(db, audit_key, settings, request.user, order_id, upload)
        except DomainError as exc:
            if exc.status_code in (401, 403, 404):     # refusals propagate as error pages
                raise
            return await order_page(request, db, settings, order_id, upload_refused(
                "document-form", exc, ids="document", title=("记录答复", "Record a response")))
        return back(f"/orders/{order_id}", msg=(f"答复文件 {added.file_name} 已记录", f"document {added.file_name} recorded"))

    @get("/orders/{order_id:int}/documents/{document_id:int}", guards=[READERS])
    async def download(self, request: Request, order_id: DbId, document_id: DbId, db: asyncpg.Connection) -> Response:
        return attachment(*await orders.download(db, request.user, order_id, document_id))

    @post("/orders/{order_id:int}/deregistration", guards=[RESPONDERS])
    async def deregistration(self, request: Request, order_id: DbId, db: asyncpg.Connection, audit_key: bytes,
                             settings: Settings) -> Template | Redirect:
        form = await request.form()
        try:
            body = decode_checked(json.dumps({"note": _lines(form.get("note"))}, ensure_ascii=False), OrderNote)
            async with db.transaction():
                await orders.record_deregistration(db, audit_key, settings, request.user, order_id, body)
        except (Conflict, InvalidInput, FilingRejected) as exc:   # refusals (403/404) propagate as error pages
            return await order_page(request, db, settings, order_id, sent(
                "deregistration-form", form, problems(exc, inputs(["note"])), title=("记录已注销", "De-registration")))
        return back(f"/orders/{order_id}", msg=("已注销登记，注销令已履行", "de-registered: the order is fulfilled"))

    @post("/orders/{order_id:int}/close", guards=[requires("supervisor")])
    async def close(self, request: Request, order_id: DbId, db: asyncpg.Connection, audit_key: bytes,
                    settings: Settings) -> Redirect:
        return await self._supervise(request, order_id, db, audit_key, settings, orders.close,
                                     ("责令事项已关闭", "order closed"))

    @post("/orders/{order_id:int}/reopen", guards=[requires("supervisor")])
    async def reopen(self, request: Request, order_id: DbId, db: asyncpg.Connection, audit_key: bytes,
                     settings: Settings) -> Template | Redirect:
        return await self._supervise(request, order_id, db, audit_key, settings, orders.reopen,
                                     ("责令事项已重新开启，期限重新计算", "order reopened with a new deadline"))

    async def _supervise(self, request, order_id, db, audit_key, settings, step, done) -> Template | Redirect:
        form = await request.form()
        form_id, title = (("close-form", ("关闭", "Close")) if step is orders.close
                          else ("reopen-form", ("重新开启", "Reopen")))
        try:
            body = decode_checked(json.dumps({"note": _lines(form.get("note"))}, ensure_ascii=False), CloseIn)
            async with db.transaction():
                await step(db, audit_key, settings, request.user, order_id, body)
        except (Conflict, InvalidInput, FilingRejected) as exc:   # refusals (403/404) propagate as error pages
            return await order_page(request, db, settings, order_id, sent(
                form_id, form, problems(exc, inputs(["note"], {"note": ("理由", "reason")})), title=title))
        return back(f"/orders/{order_id}", msg=done)

    @get("/enforcement", guards=[STAFF], dependencies=READ_DB)
    async def enforcement(self, request: Request, db: asyncpg.Connection, settings: Settings,
                          campaign: str | None = None, format: str | None = None) -> Template | Response:
        format = choice("format", "导出格式", format, EXPORT_FORMATS)
        campaign_id = _campaign(campaign)
        if format == "xlsx":            # every view in one workbook: overall, the campaigns, each campaign
            made_at = dt.datetime.now(dt.timezone.utc)
            content = await enforcement.full_workbook(db, settings, lang(request), made_at=made_at)
            stamp = made_at.astimezone(ZoneInfo(settings.timezone)).date().isoformat()
            return Response(content, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            headers={"Content-Disposition": f'attachment; filename="enforcement-{stamp}.xlsx"'})
        found = await enforcement.enforcement_list(db, settings, campaign=campaign_id)
        if format == "csv":
            return export(request, [msgspec.structs.asdict(r) for r in found.enterprises], ENFORCEMENT_COLUMNS, "csv",
                          "enforcement" + (f"-{campaign_id}" if campaign_id else ""), header_group="enforcement")
        language = lang(request)
        top = found.enterprises[:15]
        chart = {"names": [r.name for r in top],
                 "series": [{"name": label("enforcement", f"{k}_amount", language),
                             "data": [float(getattr(r, f"{k}_amount")) for r in top]}
                            for k in ("revoked", "rectification", "deregistration", "overdue")],
                 "campaigns": [c.campaign for c in found.campaigns if c.contracts],
                 "campaign_series": [{"name": label("enforcement", k, language),
                                      "data": [getattr(c, k) for c in found.campaigns if c.contracts]}
                                     for k in ("revoked", "ordered", "overdue")]}
        return page(request, "enforcement.html", found=found, chart=chart, basis=enforcement.AMOUNT_BASIS)


def _campaign(raw: str | None) -> int | None:
    """The campaign a view is limited to: empty for all; anything but a campaign number is a 400 naming it."""
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) < 2**63:
        raise InvalidInput(f"抽查任务（campaign）取值无效：'{raw}'，应为抽查任务编号",
                           f"campaign: invalid value '{raw}'; a campaign number is expected", field="campaign")
    return int(raw)
