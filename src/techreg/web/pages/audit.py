"""Inspector's queue and item pages; supervisor's dashboard, campaigns and job runs."""

from decimal import Decimal
from typing import get_args, get_type_hints

import asyncpg
import msgspec
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
from ... import labels
from ...registry.messages import after_label
from ...labels import label
from ...registry.messages import translate_msgspec_error
from ...registry import revocation, statistics
from ...registry.schema import Kind
from ...registry.access import readable_refs
from ...registry.service import today
from ...detection.scan import recent_scans
from ...scheduling.engine import history, job_list
from ..auth import requires
from ..files import attachment, read_upload
from ..replica import READ_DB
from .common import EXPORT_FORMATS, Column, back, choice, export, lang, page, people
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



_CAMPAIGN_NAMES = {"name": ("任务名称", "name"), "seed": ("随机种子", "seed")}
_CAMPAIGN_DEFAULTS = {"certainty_cutoff": "0.9", "control_share": "0.1", "due_days": "30"}


def _campaign_form_problems(form) -> tuple[str, str]:
    """Each field of the campaign form checked on its own against CampaignIn's type, so one answer names
    them all (in words, with the rule broken), and the dates' order besides."""
    hints = get_type_hints(CampaignIn, include_extras=True)
    problems_zh, problems_en, dates = [], [], {}
    for field in ("name", "registered_from", "registered_to", "sample_size", "certainty_cutoff", "control_share",
                  "seed", "due_days"):
        raw = form.get(field) or _CAMPAIGN_DEFAULTS.get(field, "")
        zh_name, en_name = _CAMPAIGN_NAMES.get(field) or labels.pair("campaign_param", field)
        if raw == "":
            problems_zh.append(f"{zh_name}：必填")
            problems_en.append(f"{en_name}: required")
            continue
        try:
            value = msgspec.convert(raw, hints[field], strict=False)
            if field.startswith("registered_"):
                dates[field] = value
        except msgspec.ValidationError as exc:
            problem = translate_msgspec_error(f"{exc} - at `$.{field}`")
            problems_zh.append(f"{zh_name}：{after_label(field, problem.message)}")
            problems_en.append(f"{en_name}: {after_label(field, problem.message_en, 'en')}")
    if len(dates) == 2 and dates["registered_from"] > dates["registered_to"]:
        problems_zh.append("登记日期起不能晚于登记日期止")
        problems_en.append("registered from must not be after registered to")
    return "；".join(problems_zh) or "内容无效", "; ".join(problems_en) or "invalid"

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
        detail = await audit.item_detail(db, request.user, item_id)
        is_split = any(f.kind == "split" and f.active for f in detail.flags)
        # the lines are read against the approved amounts where there are any (核定技术交易额)
        own = detail.filing.approved_amount if detail.filing.approved_amount is not None else detail.filing.tech_amount
        total = (own + sum((Decimal(r.approved_amount or r.tech_amount) for r in detail.related), Decimal(0))
                 if is_split else None)
        cited = [r for f in detail.flags for r in f.related] + [r.ref for r in detail.related]
        rules = revocation.rules_now(settings)
        return page(request, "item.html", people=await people(db), d=detail, outcomes=get_args(Outcome), split_total=total,
                    grounds=rules.revocation_grounds, rules=rules,
                    suggested_ground=await revocation.suggested_ground(db, detail.filing.id),
                    lines=[settings.large_line, settings.delegation_line],
                    readable=await readable_refs(db, request.user, cited),
                    accept=",".join(ALLOWED_EXTENSIONS), max_mb=evidence.size_label(settings.evidence_max_bytes),
                    order=await orders.of_item(db, item_id), **TRAIL)

    @post("/queue/{item_id:int}/finding", guards=[INSPECTOR])
    async def finding(self, request: Request, item_id: DbId, db: asyncpg.Connection, audit_key: bytes,
                      settings: Settings) -> Redirect:
        form = await request.form()
        try:
            raw = {"outcome": form.get("outcome", ""), "reasons": _lines(form.get("reasons", "")),
                   "notes": form.get("notes", "") or ""}
            if form.get("ground") and raw["outcome"] == "revoked":      # the ground only revoking findings carry
                raw["ground"] = form.get("ground")
            body = msgspec.convert(raw, FindingIn)
            async with db.transaction():
                await audit.record_finding(db, audit_key, settings, request.user, item_id, body)
        except msgspec.ValidationError as exc:
            problem = translate_msgspec_error(str(exc))
            return back(f"/queue/{item_id}", err=(f"结论填写有误：{problem.message}",
                                                  f"the finding is incomplete: {problem.message_en}"))
        except (Conflict, InvalidInput) as exc:   # refusals (403/404) propagate as error pages
            return back(f"/queue/{item_id}", err=exc)
        return back(f"/queue/{item_id}", msg=("检查结论已记录", "finding recorded"))

    # the limit is the setting's, checked against Content-Length before the body is read (files.read_upload)
    @post("/queue/{item_id:int}/evidence", request_max_body_size=None, guards=[INSPECTOR])
    async def add_evidence(self, request: Request, item_id: DbId, db: asyncpg.Connection,
                           settings: Settings) -> Redirect:
        try:
            await evidence.may_add(db, request.user, item_id)
            upload = await read_upload(request, settings)
            async with db.transaction():
                added = await evidence.add(db, request.user, settings, item_id, upload)
        except DomainError as exc:
            if exc.status_code in (401, 403, 404):     # refusals propagate as error pages
                raise
            return back(f"/queue/{item_id}", err=exc)
        return back(f"/queue/{item_id}", msg=(f"证据文件 {added.file_name} 已上传",
                                              f"evidence file {added.file_name} uploaded"))

    @get("/queue/{item_id:int}/evidence/{file_id:int}", guards=[INSPECTOR_OR_STAFF])
    async def download_evidence(self, request: Request, item_id: DbId, file_id: DbId,
                                db: asyncpg.Connection) -> Response:
        return attachment(*await evidence.download(db, request.user, item_id, file_id))

    @post("/queue/{item_id:int}/evidence/{file_id:int}/withdraw", guards=[INSPECTOR])
    async def withdraw_evidence(self, request: Request, item_id: DbId, file_id: DbId,
                                db: asyncpg.Connection) -> Redirect:
        form = await request.form()
        try:
            body = msgspec.convert({"reason": form.get("reason", "")}, WithdrawIn)
            async with db.transaction():
                withdrawn = await evidence.withdraw(db, request.user, item_id, file_id, body)
        except msgspec.ValidationError:
            return back(f"/queue/{item_id}", err=("请说明撤回的理由", "say why the file is withdrawn"))
        except (Conflict, InvalidInput) as exc:   # refusals (403/404) propagate as error pages
            return back(f"/queue/{item_id}", err=exc)
        return back(f"/queue/{item_id}", msg=(f"证据文件 {withdrawn.file_name} 已撤回（留档）",
                                              f"evidence file {withdrawn.file_name} withdrawn (kept on record)"))

    @post("/queue/{item_id:int}/conflict", guards=[INSPECTOR])
    async def conflict(self, request: Request, item_id: DbId, db: asyncpg.Connection) -> Redirect:
        form = await request.form()
        try:
            body = msgspec.convert({"reason": form.get("reason", ""), "party": form.get("party") or None}, ConflictIn)
            async with db.transaction():
                await audit.declare_conflict(db, request.user, item_id, body)
        except msgspec.ValidationError:
            return back(f"/queue/{item_id}", err=("请填写回避理由", "give the reason for the conflict"))
        except (Conflict, InvalidInput) as exc:   # refusals (403/404) propagate as error pages
            return back(f"/queue/{item_id}", err=exc)
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
        rows = await audit.list_campaigns(db)
        if format:
            return export(request, rows, CAMPAIGN_COLUMNS, format, "campaigns")
        return page(request, "campaigns.html", campaigns=rows, kinds=get_args(Kind), today=today(settings))

    @post("/campaigns", guards=[SUPERVISOR])
    async def create_campaign(self, request: Request, db: asyncpg.Connection, settings: Settings) -> Redirect:
        form = await request.form()
        kinds = form.getall("kinds", [])
        try:
            body = msgspec.convert({
                "name": form.get("name", ""), "registered_from": form.get("registered_from", ""),
                "registered_to": form.get("registered_to", ""), "kinds": list(kinds),
                "points": [p.strip() for p in (form.get("points") or "").split(",") if p.strip()],
                "software_only": bool(form.get("software_only")), "sample_size": form.get("sample_size", ""),
                "certainty_cutoff": form.get("certainty_cutoff", "0.9"),
                "control_share": form.get("control_share", "0.1"), "seed": form.get("seed", ""),
                "due_days": form.get("due_days", "30")}, CampaignIn, strict=False)
            async with db.transaction():
                campaign = await audit.create_campaign(db, request.user, body, settings)
        except msgspec.ValidationError:
            zh, en = _campaign_form_problems(form)      # every bad field, by its name, not only the first
            return back("/campaigns", err=(f"参数有误：{zh}", f"invalid parameters: {en}"))
        except (Conflict, InvalidInput) as exc:   # refusals (403/404) propagate as error pages
            return back("/campaigns", err=exc)
        return back(f"/campaigns/{campaign.id}", msg=("抽查任务已创建", "campaign created"))

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
