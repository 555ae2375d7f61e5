import asyncpg
from litestar import Controller, Request, get, post

from ...config import Settings
from ...registry import review
from ...registry.review_schema import (ConfirmIn, RecusalIn, RequestDecisionIn, ReviewKind, ReviewOut, ReviewQueue,
                                       ReviewRequestIn, SendBackIn, SupervisionDecisionIn, SupervisionIn)
from ...registry.schema import DeadlineState
from ..auth import requires
from ..bodies import Checked

MAY_READ_QUEUE = requires("registrar", "supervisor", "admin")


class ReviewQueueController(Controller):
    path = "/api/reviews"
    tags = ["review 复核"]

    @get("/", summary="复核队列：待复核事项及其期限 / the review queue: open reviews with their deadlines",
         guards=[MAY_READ_QUEUE],
         description="登记员只看本登记点；按到期日排序；due=overdue 为逾期 / registrars see their own point; soonest "
                     "due first; due=overdue lists the overdue. may_decide: whether you may decide it now")
    async def queue(self, request: Request, db: asyncpg.Connection, settings: Settings, kind: ReviewKind | None = None,
                    due: DeadlineState | None = None, point: str | None = None) -> ReviewQueue:
        return await review.review_queue(db, settings, request.user, kind=kind, point=point, state=due)


class FilingReviewController(Controller):
    path = "/api/filings/{ref:str}/reviews"
    tags = ["review 复核"]

    @get("/", summary="该申请的复核记录 / the filing's reviews, the latest first")
    async def list_reviews(self, request: Request, ref: str, db: asyncpg.Connection,
                           settings: Settings) -> list[ReviewOut]:
        return await review.filing_reviews(db, settings, request.user, ref)

    @post("/confirm", status_code=200, dto=Checked[ConfirmIn], return_dto=None,
          summary="复核确认并登记 / confirm a proposed registration: the second person registers it",
          description="大额或高风险标记的申请，登记员「登记」后为拟登记待复核；须由提请人以外、与当事人无关联、持有效登记员资格的"
                      "本登记点登记员或监督员确认 / a large or highly flagged filing a registrar registered waits as "
                      "proposed; a qualified registrar of the point or supervisor, not the proposer and with no "
                      "declared tie to a party, confirms it")
    async def confirm(self, request: Request, ref: str, db: asyncpg.Connection, audit_key: bytes,
                      settings: Settings, data: ConfirmIn | None = None) -> ReviewOut:
        return await review.confirm(db, audit_key, settings, request.user, ref, data or ConfirmIn())

    @post("/send-back", status_code=200, dto=Checked[SendBackIn], return_dto=None, summary="复核退回 / send a proposed registration back, with reasons")
    async def send_back(self, request: Request, ref: str, data: SendBackIn, db: asyncpg.Connection,
                        audit_key: bytes, settings: Settings) -> ReviewOut:
        return await review.send_back(db, audit_key, settings, request.user, ref, data)

    @post("/request", status_code=201, dto=Checked[ReviewRequestIn], return_dto=None,
          summary="记录当事人的复核申请 / record a party's request for review of a refusal or a return",
          description="须在决定后 TECHREG_REVIEW_REQUEST_DAYS 个工作日内申请，逾期答复 400 并写明期限 / within "
                      "TECHREG_REVIEW_REQUEST_DAYS working days after the decision; a late request is a 400 naming "
                      "the period")
    async def request_review(self, request: Request, ref: str, data: ReviewRequestIn, db: asyncpg.Connection,
                             audit_key: bytes, settings: Settings) -> ReviewOut:
        return await review.request_review(db, audit_key, settings, request.user, ref, data)

    @post("/request/decision", status_code=200, dto=Checked[RequestDecisionIn], return_dto=None,
          summary="复核决定：维持、撤销原决定或退回补正 / decide a party's request: uphold, overturn or return")
    async def decide_request(self, request: Request, ref: str, data: RequestDecisionIn, db: asyncpg.Connection,
                             audit_key: bytes, settings: Settings) -> ReviewOut:
        return await review.decide_request(db, audit_key, settings, request.user, ref, data)

    @post("/supervision", status_code=201, dto=Checked[SupervisionIn], return_dto=None, summary="启动监督复核 / open a supervisory review of a registered filing")
    async def open_supervision(self, request: Request, ref: str, data: SupervisionIn, db: asyncpg.Connection,
                               audit_key: bytes, settings: Settings) -> ReviewOut:
        return await review.open_supervision(db, audit_key, settings, request.user, ref, data)

    @post("/supervision/decision", status_code=200, dto=Checked[SupervisionDecisionIn], return_dto=None,
          summary="监督复核结论：确认、更正或撤销 / decide a supervisory review: confirm, correct or revoke")
    async def decide_supervision(self, request: Request, ref: str, data: SupervisionDecisionIn,
                                 db: asyncpg.Connection, audit_key: bytes, settings: Settings) -> ReviewOut:
        return await review.decide_supervision(db, audit_key, settings, request.user, ref, data)

    @post("/recusal", status_code=200, dto=Checked[RecusalIn], return_dto=None,
          summary="复核回避 / step aside from the open review (naming a party records a standing tie)")
    async def recuse(self, request: Request, ref: str, data: RecusalIn, db: asyncpg.Connection, audit_key: bytes,
                     settings: Settings) -> ReviewOut:
        return await review.recuse(db, audit_key, settings, request.user, ref, data)
