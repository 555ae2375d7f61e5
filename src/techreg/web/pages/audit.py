"""Inspector's queue and item pages; supervisor's dashboard, campaigns and job runs."""

import json
import re
from decimal import Decimal
from typing import get_args

import asyncpg
import msgspec
import numpy as np
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Response, Template

from ..params import DbId
from ...audit import evidence, orders, service as audit
from ...audit.dashboard import dashboard_data
from ...audit.filetypes import ALLOWED_EXTENSIONS
from ...audit.schema import CampaignIn, ConflictIn, FindingIn, Outcome, WithdrawIn
from ...config import Settings
from ...errors import Conflict, DomainError, InvalidInput
from ...registry.fieldcheck import decode_checked
from ...registry.messages import FilingRejected
from ...labels import label
from ...registry import revocation, statistics
from ...registry.schema import FieldError, Kind
from ...registry.access import readable_refs
from ...registry.service import today
from ...detection import split
from ...detection.scan import recent_scans
from ...scheduling.engine import history, job_list
from ..auth import requires
from ..files import attachment, read_upload
from ..replica import READ_DB
from .common import EXPORT_FORMATS, Column, back, choice, export, lang, page, people
from .forms import FormError, Sent, decode_form, field_errors, inputs, merged, problems, sent, upload_refused
from .trail import TRAIL, system_reason

STAFF = requires("supervisor", "admin")
SUPERVISOR = requires("supervisor")
INSPECTOR = requires("inspector")
INSPECTOR_OR_STAFF = requires("inspector", "supervisor", "admin")      # which items: audit.access.item_for
# the exports: the page's columns, headed and worded as the page is (techreg.labels)
QUEUE_COLUMNS = [Column("id", header="item"), Column("campaign"), Column("ref"), Column("reg_no"), Column("title"),
                 Column("due_on"), Column("risk"), Column("flag_kinds", "flag"), Column("status", "item_status"),
                 Column("outcome", "outcome")]
ITEM_COLUMNS = [Column("ref"), Column("reg_no"), Column("stratum", "stratum"), Column("inclusion_prob"),
                Column("risk"), Column("inspector"), Column("due_on"), Column("status", "item_status"),
                Column("outcome", "outcome")]
CAMPAIGN_COLUMNS = [Column("id"), Column("name"), Column("status", "campaign_status"), Column("seed"),
                    Column("population_size"), Column("items"), Column("done"), Column("created_at", "time")]
RUN_COLUMNS = [Column("id"), Column("job", "job"), Column("scheduled_for", "time"), Column("trigger", "trigger"),
               Column("coalesced"), Column("status", "run_status"), Column("started_at", "time"),
               Column("finished_at", "time"), Column("counts", "counts"), Column("error", "system_reason")]



def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]



FINDING_FIELDS = ("outcome", "ground", "reasons", "notes", "confirm_revocation")   # the finding form's inputs, in order
# the campaign form's inputs, in its order, named as the form names them
CAMPAIGN_FIELDS = ("name", "registered_from", "registered_to", "kinds", "points", "software_only", "sample_size",
                   "certainty_cutoff", "control_share", "seed", "due_days")
CAMPAIGN_WORDS = {"name": ("任务名称", "name"), "seed": ("公开随机种子", "published seed")}


def _campaign_dates(values) -> list[FieldError]:
    """The period's order, said beside its end (CampaignIn checks it too, but in one sentence for the API)."""
    start, end = values.get("registered_from"), values.get("registered_to")
    if start is not None and end is not None and start > end:
        return [FieldError("registered_to", "登记日期止不能早于登记日期起", "registered to must not be before registered from")]
    return []


def _campaign_raw(form) -> dict:
    """The campaign form as typed: text, the kinds ticked, the points split at commas (also 、 and ，)."""
    raw = {name: (form.get(name) or "").strip() for name in CAMPAIGN_FIELDS
           if name not in ("kinds", "points", "software_only")}
    raw["kinds"] = list(form.getall("kinds", []))
    raw["points"] = [p for p in re.split(r"[,，、\s]+", form.get("points") or "") if p]
    raw["software_only"] = bool(form.get("software_only"))
    return raw


async def campaigns_page(request: Request, db: asyncpg.Connection, settings: Settings,
                         sent: Sent | None = None) -> Template:
    """The campaigns and, for a supervisor, the form of a new one (`sent`: as it came back refused)."""
    return page(request, "campaigns.html", sent=sent, campaigns=await audit.list_campaigns(db), kinds=get_args(Kind),
                today=today(settings))


async def item_page(request: Request, db: asyncpg.Connection, settings: Settings, item_id: int,
                    sent: Sent | None = None) -> Template:
    """An audit item's page; `sent`: one of its forms (the finding, a conflict, a withdrawal) as it came back
    refused, shown again as typed with every error."""
    detail = await audit.item_detail(db, request.user, item_id)
    is_split = any(f.kind == "split" and f.active for f in detail.flags)
    # the lines are read against the approved amounts where there are any (核定技术交易额)
    own = detail.filing.approved_amount if detail.filing.approved_amount is not None else detail.filing.tech_amount
    # the parts are the split flag's own (the related table also holds what other flags cite)
    split_refs = {ref for f in detail.flags if f.kind == "split" and f.active for ref in f.related}
    parts = [own, *(Decimal(r.approved_amount or r.tech_amount) for r in detail.related if r.ref in split_refs)]
    total = sum(parts, Decimal(0)) if is_split else None
    # the lines the sum is read against: the configured ones, and the round figure just above the biggest part
    # that the split detector also reads splitters as aiming under (detection/split.py)
    lines = [settings.large_line, settings.delegation_line]
    if is_split:
        lines = sorted({*lines, float(split.round_figure_above(np.array([float(max(parts))]))[0])})
    cited = [r for f in detail.flags for r in f.related] + [r.ref for r in detail.related]
    rules = revocation.rules_now(settings)
    return page(request, "item.html", sent=sent, people=await people(db), d=detail, outcomes=get_args(Outcome), split_total=total,
                grounds=rules.revocation_grounds, rules=rules,
                suggested_ground=await revocation.suggested_ground(db, detail.filing.id),
                lines=lines, biggest_part=max(parts),
                readable=await readable_refs(db, request.user, cited),
                accept=",".join(ALLOWED_EXTENSIONS), max_mb=evidence.size_label(settings.evidence_max_bytes),
                order=await orders.of_item(db, item_id), **TRAIL)


class AuditPages(Controller):
    include_in_schema = False

    @get("/queue", guards=[INSPECTOR], dependencies=READ_DB)
    async def queue(self, request: Request, db: asyncpg.Connection, settings: Settings, status: str | None = "open",
                    format: str | None = None) -> Template | Response:
        status = choice("status", "状态", status, ("open", "done"))          # empty: all
        format = choice("format", "导出格式", format, EXPORT_FORMATS)
        items = await audit.queue(db, request.user, status=status)
        if format:
            return export(request, [msgspec.structs.asdict(i) for i in items], QUEUE_COLUMNS, format, "audit-queue")
        return page(request, "queue.html", items=items, status=status or "", today=today(settings))

    @get("/queue/{item_id:int}", guards=[INSPECTOR_OR_STAFF])
    async def item(self, request: Request, item_id: DbId, db: asyncpg.Connection, settings: Settings) -> Template:
        return await item_page(request, db, settings, item_id)

    @post("/queue/{item_id:int}/finding", guards=[INSPECTOR])
    async def finding(self, request: Request, item_id: DbId, db: asyncpg.Connection, audit_key: bytes,
                      settings: Settings) -> Template | Redirect:
        """检查结论: the outcome, the ground of a revoking one, the reasons; every error at once."""
        form = await request.form()
        raw = {"outcome": form.get("outcome", ""), "reasons": _lines(form.get("reasons", "")),
               "notes": form.get("notes", "") or ""}
        if form.get("ground") and raw["outcome"] == "revoked":      # the ground only revoking findings carry
            raw["ground"] = form.get("ground")
        find = inputs(FINDING_FIELDS)
        try:
            try:
                body = decode_checked(json.dumps(raw, ensure_ascii=False), FindingIn)
                errors = []
            except FilingRejected as exc:
                body, errors = None, problems(exc, find)
            errors = merged(errors, field_errors(await audit.finding_problems(db, request.user, item_id, raw["outcome"],
                                                                              raw.get("ground")), find))
            if raw["outcome"] == "revoked" and form.get("confirm_revocation") != "yes":     # one click must not revoke
                errors = merged(errors, [FormError("confirm_revocation", "确认撤销", "confirm the revocation",
                                                   "撤销登记须勾选确认", "tick to confirm the revocation")])
            if not errors:
                async with db.transaction():
                    await audit.record_finding(db, audit_key, settings, request.user, item_id, body)
        except (Conflict, InvalidInput) as exc:   # refusals (403/404) propagate as error pages
            errors = problems(exc, find)
        if errors:
            return await item_page(request, db, settings, item_id, sent("finding-form", form, errors, order=FINDING_FIELDS,
                                                                        title=("检查结论", "Finding")))
        return back(f"/queue/{item_id}", msg=("检查结论已记录", "finding recorded"))

    # the limit is the setting's, checked against Content-Length before the body is read (files.read_upload)
    @post("/queue/{item_id:int}/evidence", request_max_body_size=None, guards=[INSPECTOR])
    async def add_evidence(self, request: Request, item_id: DbId, db: asyncpg.Connection,
                           settings: Settings) -> Template | Redirect:
        try:
            await evidence.may_add(db, request.user, item_id)
            upload = await read_upload(request, settings)
            async with db.transaction():
                added = await evidence.add(db, request.user, settings, item_id, upload)
        except DomainError as exc:
            if exc.status_code in (401, 403, 404):     # refusals propagate as error pages
                raise
            return await item_page(request, db, settings, item_id, upload_refused(
                "evidence-form", exc, ids="evidence", title=("上传证据文件", "Evidence upload")))
        return back(f"/queue/{item_id}", msg=(f"证据文件 {added.file_name} 已上传",
                                              f"evidence file {added.file_name} uploaded"))

    @get("/queue/{item_id:int}/evidence/{file_id:int}", guards=[INSPECTOR_OR_STAFF])
    async def download_evidence(self, request: Request, item_id: DbId, file_id: DbId,
                                db: asyncpg.Connection) -> Response:
        return attachment(*await evidence.download(db, request.user, item_id, file_id))

    @post("/queue/{item_id:int}/evidence/{file_id:int}/withdraw", guards=[INSPECTOR])
    async def withdraw_evidence(self, request: Request, item_id: DbId, file_id: DbId, db: asyncpg.Connection,
                                settings: Settings) -> Template | Redirect:
        form = await request.form()
        try:
            body = decode_checked(json.dumps({"reason": (form.get("reason") or "").strip()}, ensure_ascii=False),
                                  WithdrawIn)
            async with db.transaction():
                withdrawn = await evidence.withdraw(db, request.user, item_id, file_id, body)
        except (Conflict, InvalidInput, FilingRejected) as exc:   # refusals (403/404) propagate as error pages
            return await item_page(request, db, settings, item_id, sent(
                f"withdraw-{file_id}", form, problems(exc, inputs(["reason"])), title=("撤回证据文件", "Withdraw a file")))
        return back(f"/queue/{item_id}", msg=(f"证据文件 {withdrawn.file_name} 已撤回（留档）",
                                              f"evidence file {withdrawn.file_name} withdrawn (kept on record)"))

    @post("/queue/{item_id:int}/conflict", guards=[INSPECTOR])
    async def conflict(self, request: Request, item_id: DbId, db: asyncpg.Connection,
                       settings: Settings) -> Template | Redirect:
        form = await request.form()
        raw = {"reason": (form.get("reason") or "").strip()}
        if (party := (form.get("party") or "").strip().upper()):
            raw["party"] = party
        try:
            body = decode_checked(json.dumps(raw, ensure_ascii=False), ConflictIn)
            async with db.transaction():
                await audit.declare_conflict(db, request.user, item_id, body)
        except (Conflict, InvalidInput, FilingRejected) as exc:   # refusals (403/404) propagate as error pages
            return await item_page(request, db, settings, item_id, sent(
                "conflict-form", form, problems(exc, inputs(["reason", "party"])), title=("申请回避", "Declare a conflict")))
        return back("/queue", msg=(f"已申请回避，事项 #{item_id} 已重新分配", f"conflict declared: item #{item_id} reassigned"))

    @get("/dashboard", guards=[STAFF], dependencies=READ_DB)
    async def dashboard(self, request: Request, db: asyncpg.Connection, settings: Settings) -> Template:
        return page(request, "dashboard.html", data=await dashboard_data(db, lang(request)),
                    estimates=await audit.recent_estimates(db),
                    orders=await orders.list_orders(db, settings, request.user),
                    escalations=await orders.recent_escalations(db, 5),
                    statistics_years=await statistics.statistics_years(db, settings))

    @get("/campaigns", guards=[STAFF], dependencies=READ_DB)
    async def campaigns(self, request: Request, db: asyncpg.Connection, settings: Settings,
                        format: str | None = None) -> Template | Response:
        format = choice("format", "导出格式", format, EXPORT_FORMATS)
        if format:
            return export(request, await audit.list_campaigns(db), CAMPAIGN_COLUMNS, format, "campaigns")
        return await campaigns_page(request, db, settings)

    @post("/campaigns", guards=[SUPERVISOR])
    async def create_campaign(self, request: Request, db: asyncpg.Connection,
                              settings: Settings) -> Template | Redirect:
        """A new campaign: every bad field at once, then the scope's own checks (points that exist, a population
        that is not empty); refused, the form comes back as it was filled in."""
        form = await request.form()
        raw, find = _campaign_raw(form), inputs(CAMPAIGN_FIELDS, CAMPAIGN_WORDS)
        try:
            body = decode_form(CampaignIn, raw, rules=_campaign_dates)
        except FilingRejected as exc:            # the scope's points said with the fields' errors
            errors = merged(problems(exc, find), field_errors(await audit.scope_problems(db, raw["points"]), find))
        else:
            try:
                async with db.transaction():
                    campaign = await audit.create_campaign(db, request.user, body, settings)
                return back(f"/campaigns/{campaign.id}", msg=("抽查任务已创建", "campaign created"))
            except (Conflict, InvalidInput) as exc:   # refusals (403/404) propagate as error pages
                errors = problems(exc, find)
        return await campaigns_page(request, db, settings, sent("campaign-form", form, errors, order=CAMPAIGN_FIELDS,
                                                                title=("新建抽查任务", "New campaign")))

    @get("/campaigns/{campaign_id:int}", guards=[STAFF])
    async def campaign(self, request: Request, campaign_id: DbId, db: asyncpg.Connection,
                       format: str | None = None) -> Template | Response:
        format = choice("format", "导出格式", format, EXPORT_FORMATS)
        c = await audit.get_campaign(db, campaign_id)
        names = await people(db)
        if format:                  # inspectors by their names, as the page shows them
            return export(request, [{**msgspec.structs.asdict(i), "inspector": names.get(i.inspector, i.inspector)}
                                    for i in c.items], ITEM_COLUMNS, format, f"campaign-{campaign_id}")
        estimate = await audit.estimate(db, campaign_id) if c.status != "draft" else None
        return page(request, "campaign.html", c=c, estimate=estimate, people=names)

    @post("/campaigns/{campaign_id:int}/confirm", guards=[SUPERVISOR])
    async def confirm(self, request: Request, campaign_id: DbId, db: asyncpg.Connection, settings: Settings) -> Redirect:
        try:
            async with db.transaction():
                await audit.confirm_campaign(db, request.user, campaign_id, settings)
        except (Conflict, InvalidInput) as exc:   # refusals (403/404) propagate as error pages
            return back(f"/campaigns/{campaign_id}", err=exc)
        return back(f"/campaigns/{campaign_id}", msg=("已确认并抽取", "confirmed and drawn"))

    @get("/jobs", guards=[STAFF])
    async def jobs(self, request: Request, db: asyncpg.Connection, settings: Settings,
                   format: str | None = None) -> Template | Response:
        format = choice("format", "导出格式", format, EXPORT_FORMATS)
        runs = await history(db, None, 200)
        if format:
            return export(request, [msgspec.structs.asdict(r) for r in runs], RUN_COLUMNS, format, "job-runs")
        return page(request, "jobs.html", jobs=await job_list(db, settings), runs=runs[:50],
                    scans=await recent_scans(db, 20),
                    system_reason=system_reason)

    @post("/jobs/{name:str}/run", guards=[STAFF])
    async def run_job(self, request: Request, name: str, state: State) -> Redirect:
        try:
            run = await state.engine.start_now(name, request.user.username)
        except (Conflict, InvalidInput) as exc:   # refusals (403/404) propagate as error pages
            return back("/jobs", err=exc)
        job_zh, job_en = (label("job", name), label("job", name, "en"))
        return back("/jobs", msg=(f"任务「{job_zh}」已启动（运行 #{run.id}）", f"job '{job_en}' started (run #{run.id})"))
