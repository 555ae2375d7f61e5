"""Inspector's queue and item pages; supervisor's dashboard, campaigns and job runs."""

import datetime as dt
from decimal import Decimal

import asyncpg
import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Response, Template

from ..params import DbId
from ...audit import evidence, service as audit
from ...audit.filetypes import ALLOWED_EXTENSIONS
from ...audit.schema import OUTCOME_EN, OUTCOME_ZH, STRATUM_ZH, CampaignIn, ConflictIn, FindingIn, WithdrawIn
from ...config import Settings
from ...errors import Conflict, DomainError, InvalidInput
from ...registry.schema import KIND_ZH
from ...registry.service import STATUS_ZH, readable_refs
from ...scheduling.engine import history, job_list
from ..auth import requires
from ..files import attachment, read_upload
from .common import back, export, page
from .dashboard import dashboard_data
from .trail import TRAIL

STAFF = requires("supervisor", "admin")
QUEUE_COLUMNS = [("id", "事项 item"), ("campaign", "抽查任务 campaign"), ("ref", "申请编号 ref"),
                 ("reg_no", "登记号 reg_no"), ("title", "合同名称 title"), ("due_on", "期限 due"),
                 ("risk", "风险分 risk"), ("flag_kinds", "异常类型 flags"), ("status", "状态 status"),
                 ("outcome", "结论 outcome")]
ITEM_COLUMNS = [("ref", "申请编号 ref"), ("reg_no", "登记号 reg_no"), ("stratum", "层 stratum"),
                ("inclusion_prob", "入样概率 inclusion"), ("risk", "风险分 risk"), ("inspector", "检查员 inspector"),
                ("due_on", "期限 due"), ("status", "状态 status"), ("outcome", "结论 outcome")]
CAMPAIGN_COLUMNS = [("id", "#"), ("name", "名称 name"), ("status", "状态 status"), ("seed", "种子 seed"),
                    ("population_size", "范围 population"), ("items", "样本 items"), ("done", "已完成 done"),
                    ("created_at", "创建 created")]
RUN_COLUMNS = [("id", "#"), ("job", "任务 job"), ("scheduled_for", "时段 slot"), ("trigger", "触发 trigger"),
               ("coalesced", "合并 coalesced"), ("status", "状态 status"), ("started_at", "开始 started"),
               ("finished_at", "结束 finished"), ("counts", "计数 counts"), ("error", "错误 error")]




def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class AuditPages(Controller):
    include_in_schema = False

    @get("/queue")
    async def queue(self, request: Request, db: asyncpg.Connection, status: str | None = "open",
                    format: str | None = None) -> Template | Response:
        items = await audit.queue(db, request.user, status=status or None)
        if format in ("csv", "xlsx"):
            return export([msgspec.to_builtins(i) for i in items], QUEUE_COLUMNS, format, "audit-queue")
        return page(request, "queue.html", items=items, status=status or "", outcome_zh=OUTCOME_ZH,
                    today=dt.date.today())

    @get("/queue/{item_id:int}")
    async def item(self, request: Request, item_id: DbId, db: asyncpg.Connection, settings: Settings) -> Template:
        detail = await audit.item_detail(db, request.user, item_id)
        is_split = any(f.kind == "split" and f.active for f in detail.flags)
        total = (detail.filing.tech_amount + sum((Decimal(r.tech_amount) for r in detail.related), Decimal(0))
                 if is_split else None)
        cited = [r for f in detail.flags for r in f.related] + [r.ref for r in detail.related]
        return page(request, "item.html", d=detail, outcome_zh=OUTCOME_ZH, outcome_en=OUTCOME_EN,
                    stratum_zh=STRATUM_ZH, status_zh=STATUS_ZH, kind_zh=KIND_ZH, split_total=total,
                    lines=[settings.large_line, settings.delegation_line],
                    readable=await readable_refs(db, request.user, cited),
                    accept=",".join(ALLOWED_EXTENSIONS), max_mb=evidence.size_label(settings.evidence_max_bytes),
                    **TRAIL)

    @post("/queue/{item_id:int}/finding")
    async def finding(self, request: Request, item_id: DbId, db: asyncpg.Connection, audit_key: bytes,
                      settings: Settings) -> Redirect:
        form = await request.form()
        try:
            body = msgspec.convert({"outcome": form.get("outcome", ""), "reasons": _lines(form.get("reasons", "")),
                                    "notes": form.get("notes", "") or ""}, FindingIn)
            async with db.transaction():
                await audit.record_finding(db, audit_key, settings, request.user, item_id, body)
        except msgspec.ValidationError as exc:
            return back(f"/queue/{item_id}", err=f"结论填写有误：{exc} / the finding is incomplete")
        except (Conflict, InvalidInput) as exc:   # refusals (403/404) propagate as error pages
            return back(f"/queue/{item_id}", err=f"{exc.message} / {exc.message_en}")
        return back(f"/queue/{item_id}", msg="检查结论已记录 / finding recorded")

    # the limit is the setting's, checked against Content-Length before the body is read (files.read_upload)
    @post("/queue/{item_id:int}/evidence", request_max_body_size=None)
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
            return back(f"/queue/{item_id}", err=f"{exc.message} / {exc.message_en}")
        return back(f"/queue/{item_id}", msg=f"证据文件 {added.file_name} 已上传 / evidence file uploaded")

    @get("/queue/{item_id:int}/evidence/{file_id:int}")
    async def download_evidence(self, request: Request, item_id: DbId, file_id: DbId,
                                db: asyncpg.Connection) -> Response:
        return attachment(*await evidence.download(db, request.user, item_id, file_id))

    @post("/queue/{item_id:int}/evidence/{file_id:int}/withdraw")
    async def withdraw_evidence(self, request: Request, item_id: DbId, file_id: DbId,
                                db: asyncpg.Connection) -> Redirect:
        form = await request.form()
        try:
            body = msgspec.convert({"reason": form.get("reason", "")}, WithdrawIn)
            async with db.transaction():
                withdrawn = await evidence.withdraw(db, request.user, item_id, file_id, body)
        except msgspec.ValidationError:
            return back(f"/queue/{item_id}", err="请说明撤回的理由 / say why the file is withdrawn")
        except (Conflict, InvalidInput) as exc:   # refusals (403/404) propagate as error pages
            return back(f"/queue/{item_id}", err=f"{exc.message} / {exc.message_en}")
        return back(f"/queue/{item_id}", msg=f"证据文件 {withdrawn.file_name} 已撤回（留档）/ evidence file withdrawn")

    @post("/queue/{item_id:int}/conflict")
    async def conflict(self, request: Request, item_id: DbId, db: asyncpg.Connection) -> Redirect:
        form = await request.form()
        try:
            body = msgspec.convert({"reason": form.get("reason", ""), "party": form.get("party") or None}, ConflictIn)
            async with db.transaction():
                await audit.declare_conflict(db, request.user, item_id, body)
        except msgspec.ValidationError:
            return back(f"/queue/{item_id}", err="请填写回避理由 / give the reason for the conflict")
        except (Conflict, InvalidInput) as exc:   # refusals (403/404) propagate as error pages
            return back(f"/queue/{item_id}", err=f"{exc.message} / {exc.message_en}")
        return back("/queue", msg=f"已申请回避，事项 #{item_id} 已重新分配 / item reassigned")

    @get("/dashboard", guards=[STAFF])
    async def dashboard(self, request: Request, db: asyncpg.Connection) -> Template:
        return page(request, "dashboard.html", data=await dashboard_data(db),
                    estimates=await audit.recent_estimates(db))

    @get("/campaigns")
    async def campaigns(self, request: Request, db: asyncpg.Connection,
                        format: str | None = None) -> Template | Response:
        rows = await audit.list_campaigns(db, request.user)
        if format in ("csv", "xlsx"):
            return export(rows, CAMPAIGN_COLUMNS, format, "campaigns")
        return page(request, "campaigns.html", campaigns=rows,
                    kinds=list(KIND_ZH), kind_zh=KIND_ZH, today=dt.date.today())

    @post("/campaigns", guards=[requires("supervisor")])
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
        except msgspec.ValidationError as exc:
            return back("/campaigns", err=f"参数有误：{exc} / invalid parameters")
        except (Conflict, InvalidInput) as exc:   # refusals (403/404) propagate as error pages
            return back("/campaigns", err=f"{exc.message} / {exc.message_en}")
        return back(f"/campaigns/{campaign.id}", msg="抽查任务已创建 / campaign created")

    @get("/campaigns/{campaign_id:int}")
    async def campaign(self, request: Request, campaign_id: DbId, db: asyncpg.Connection,
                       format: str | None = None) -> Template | Response:
        c = await audit.get_campaign(db, request.user, campaign_id)
        if format in ("csv", "xlsx"):
            return export([msgspec.to_builtins(i) for i in c.items], ITEM_COLUMNS, format, f"campaign-{campaign_id}")
        estimate = await audit.estimate(db, campaign_id) if c.status != "draft" else None
        return page(request, "campaign.html", c=c, estimate=estimate, stratum_zh=STRATUM_ZH, outcome_zh=OUTCOME_ZH)

    @post("/campaigns/{campaign_id:int}/confirm")
    async def confirm(self, request: Request, campaign_id: DbId, db: asyncpg.Connection, settings: Settings) -> Redirect:
        try:
            async with db.transaction():
                await audit.confirm_campaign(db, request.user, campaign_id, settings)
        except (Conflict, InvalidInput) as exc:   # refusals (403/404) propagate as error pages
            return back(f"/campaigns/{campaign_id}", err=f"{exc.message} / {exc.message_en}")
        return back(f"/campaigns/{campaign_id}", msg="已确认并抽取 / confirmed and drawn")

    @get("/jobs", guards=[STAFF])
    async def jobs(self, request: Request, db: asyncpg.Connection, settings: Settings,
                   format: str | None = None) -> Template | Response:
        runs = await history(db, None, 200)
        if format in ("csv", "xlsx"):
            return export([msgspec.to_builtins(r) for r in runs], RUN_COLUMNS, format, "job-runs")
        scans = await db.fetch("""
            SELECT r.id, r.mode, r.status, r.started_at, r.finished_at, r.filings_read, r.filings_scored,
                   coalesce(json_agg(json_build_object('detector', s.detector, 'flagged', s.flagged,
                            'applied', s.applied, 'warning', s.warning) ORDER BY s.detector)
                            FILTER (WHERE s.detector IS NOT NULL), '[]') AS detectors
            FROM scan_runs r LEFT JOIN scan_detector_stats s ON s.run_id = r.id
            GROUP BY r.id ORDER BY r.id DESC LIMIT 20""")
        return page(request, "jobs.html", jobs=await job_list(db, settings), runs=runs[:50], scans=scans)

    @post("/jobs/{name:str}/run", guards=[STAFF])
    async def run_job(self, request: Request, name: str, state: State) -> Redirect:
        try:
            run = await state.engine.start_now(name, request.user.username)
        except (Conflict, InvalidInput) as exc:   # refusals (403/404) propagate as error pages
            return back("/jobs", err=f"{exc.message} / {exc.message_en}")
        return back("/jobs", msg=f"任务 {name} 已启动（运行 #{run.id}）/ started")
