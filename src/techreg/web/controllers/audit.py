import asyncpg
from litestar import Controller, Request, get, post
from litestar.response import Response, Template

from ..params import DbId
from ...audit import access, evidence, service
from ...audit.schema import (CampaignIn, CampaignOut, ConflictIn, DetectorEvaluation,
                             Estimate, EvidenceOut, FindingIn, ItemDetail, ItemOut, PublicCampaign, QueueItem,
                             QueueStatus, VerifyOut, WithdrawIn)
from ...config import Settings
from ..auth import anonymous_limit, requires
from ..files import UploadOperation, attachment, read_upload
from ..pages.common import page


SUPERVISOR = requires("supervisor")
STAFF = requires("supervisor", "admin")
INSPECTOR = requires("inspector")
INSPECTOR_OR_STAFF = requires("inspector", "supervisor", "admin")      # which items: audit.access.item_for


class CampaignController(Controller):
    path = "/api/campaigns"
    tags = ["campaigns 双随机抽查"]

    @post("/", summary="创建抽查任务（冻结范围并抽取）/ create a campaign: freeze, draw, assign", status_code=201,
          guards=[SUPERVISOR])
    async def create(self, request: Request, data: CampaignIn, db: asyncpg.Connection,
                     settings: Settings) -> CampaignOut:
        return await service.create_campaign(db, request.user, data, settings)

    @get("/", summary="抽查任务列表 / campaigns", guards=[STAFF])
    async def list_campaigns(self, request: Request, db: asyncpg.Connection) -> list[dict]:
        return await service.list_campaigns(db)

    @get("/{campaign_id:int}", summary="抽查任务详情 / a campaign with its items", guards=[STAFF])
    async def show(self, request: Request, campaign_id: DbId, db: asyncpg.Connection) -> CampaignOut:
        return await service.get_campaign(db, campaign_id)

    @post("/{campaign_id:int}/confirm", summary="确认草稿（冻结并抽取）/ confirm a draft", status_code=200,
          guards=[SUPERVISOR])
    async def confirm(self, request: Request, campaign_id: DbId, db: asyncpg.Connection,
                      settings: Settings) -> CampaignOut:
        return await service.confirm_campaign(db, request.user, campaign_id, settings)

    @get("/{campaign_id:int}/estimate", summary="违规率估计（HT）/ Horvitz–Thompson violation-rate estimate",
         guards=[STAFF])
    async def estimate(self, request: Request, campaign_id: DbId, db: asyncpg.Connection) -> Estimate:
        return await service.estimate(db, campaign_id)

    @get("/evaluation", summary="检测器确认率 / per detector: flags confirmed or cleared by findings", guards=[STAFF])
    async def evaluation(self, request: Request, db: asyncpg.Connection) -> list[DetectorEvaluation]:
        return await service.evaluate_flags(db)


VERIFY_TTL = 600.0     # seconds a recomputation is reused: the frozen population and the seed cannot change


async def verified(request: Request, db: asyncpg.Connection, campaign_id: int) -> VerifyOut:
    """The recomputation of a frozen campaign, reused while the stored sample is unchanged (it is seconds
    of work over a large population, and the same answer every time); an item changed behind the
    system's back changes the fingerprint and is recomputed at once."""
    import time

    cache = request.app.state.verify_cache
    key = (campaign_id, await service.sample_fingerprint(db, campaign_id))
    hit = cache.get(key)
    if hit and hit[1] > time.monotonic():
        return hit[0]
    result = await service.verify_campaign(db, campaign_id)
    if len(cache) > 1000:
        cache.clear()
    cache[key] = (result, time.monotonic() + VERIFY_TTL)
    return result


class PublicCampaignController(Controller):
    """The published record: open to anyone, no log-in (一公开), limited per source address."""
    tags = ["public 公示"]
    guards = [anonymous_limit]

    @get("/api/public/campaigns/{public_no:int}", summary="抽查公示记录（按公示编号）/ a campaign's public record, by its public number")
    async def record(self, public_no: DbId, db: asyncpg.Connection) -> PublicCampaign:
        return await service.public_record(db, public_no)

    @get("/api/public/campaigns/{public_no:int}/verify", summary="复核抽样 / recompute the sample from the seed")
    async def verify(self, request: Request, public_no: DbId, db: asyncpg.Connection) -> VerifyOut:
        return await verified(request, db, await access.published_campaign(db, public_no))

    @get("/public/campaigns/{public_no:int}", summary="抽查公示页面 / public campaign page", include_in_schema=False)
    async def page(self, request: Request, public_no: DbId, db: asyncpg.Connection) -> Template:
        record = await service.public_record(db, public_no)
        return page(request, "public_campaign.html", c=record)

    @get("/public/campaigns/{public_no:int}/check", include_in_schema=False)
    async def check(self, request: Request, public_no: DbId, db: asyncpg.Connection) -> Template:
        """The recomputation, on request only: over a large population it takes seconds, not a page view's share."""
        campaign_id = await access.published_campaign(db, public_no)
        return page(request, "campaign_check.html", check=await verified(request, db, campaign_id))


class AuditController(Controller):
    path = "/api/audit"
    tags = ["audit 检查"]

    @get("/queue", summary="我的检查队列 / my audit queue (by due date, then risk)", guards=[INSPECTOR])
    async def queue(self, request: Request, db: asyncpg.Connection, status: QueueStatus = "open") -> list[QueueItem]:
        return await service.queue(db, request.user, status=None if status == "all" else status)

    @get("/items/{item_id:int}", summary="检查事项 / an item: filing, flags with evidence, related filings, trail",
         guards=[INSPECTOR_OR_STAFF])
    async def item(self, request: Request, item_id: DbId, db: asyncpg.Connection) -> ItemDetail:
        return await service.item_detail(db, request.user, item_id)

    @post("/items/{item_id:int}/finding", summary="记录检查结论 / record a finding", status_code=201,
          guards=[INSPECTOR])
    async def finding(self, request: Request, item_id: DbId, data: FindingIn, db: asyncpg.Connection,
                      audit_key: bytes, settings: Settings) -> ItemOut:
        return await service.record_finding(db, audit_key, settings, request.user, item_id, data)

    @post("/items/{item_id:int}/conflict", summary="申请回避 / declare a conflict: the item is reassigned",
          status_code=200, guards=[INSPECTOR])
    async def conflict(self, request: Request, item_id: DbId, data: ConflictIn, db: asyncpg.Connection) -> ItemOut:
        return await service.declare_conflict(db, request.user, item_id, data)

    # the size limit is the setting's (TECHREG_EVIDENCE_MAX_BYTES), checked against Content-Length before reading
    @post("/items/{item_id:int}/evidence", status_code=201, request_max_body_size=None, operation_class=UploadOperation,
          guards=[INSPECTOR],
          summary="上传证据文件（multipart/form-data：file，可选 note）/ upload an evidence file "
                  "(multipart/form-data: file, optional note)",
          description="检查员在事项结论前上传；PDF、图片、Office 文档、纯文本/CSV、ZIP，按内容识别类型；上限见 "
                      "TECHREG_EVIDENCE_MAX_BYTES（默认 20 MB）。The item's inspector, while it is open. The type is "
                      "told from the content and must agree with the name's extension; programs and web pages are "
                      "refused (400), files over the limit 413, a body that is not multipart 415.")
    async def add_evidence(self, request: Request, item_id: DbId, db: asyncpg.Connection,
                           settings: Settings) -> EvidenceOut:
        await evidence.may_add(db, request.user, item_id)          # who may, before a byte is read
        return await evidence.add(db, request.user, settings, item_id, await read_upload(request, settings))

    @get("/items/{item_id:int}/evidence/{file_id:int}", media_type="application/octet-stream", guards=[INSPECTOR_OR_STAFF],
         summary="下载证据文件（附件）/ download an evidence file (as an attachment)")
    async def download_evidence(self, request: Request, item_id: DbId, file_id: DbId,
                                db: asyncpg.Connection) -> Response:
        return attachment(*await evidence.download(db, request.user, item_id, file_id))

    @post("/items/{item_id:int}/evidence/{file_id:int}/withdraw", status_code=200, guards=[INSPECTOR],
          summary="撤回证据文件（留档，不删除）/ withdraw an evidence file (kept on record, never deleted)")
    async def withdraw_evidence(self, request: Request, item_id: DbId, file_id: DbId, data: WithdrawIn,
                                db: asyncpg.Connection) -> EvidenceOut:
        return await evidence.withdraw(db, request.user, item_id, file_id, data)
