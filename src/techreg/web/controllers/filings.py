import datetime as dt
from typing import Annotated

import asyncpg
import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import HeaderParameter, Parameter
from litestar.response import Response

from ..auth import requires
from ..files import pdf_response, public_base_url
from ..bodies import Checked
from ..params import OptionalDbId
from ...audit import orders
from ...config import Settings
from ...registry import certificate, idempotency, income, listing, revocation, service
from ...registry.schema import (CertificateOut, DecisionBody, EventOut, FilingCorrection, FilingOut, FilingPage,
                                FilingV1, IncomeCheckIn, IncomeCheckOut, Kind, RegisterBody, RevocationBody, Status)
from ...registry.listing import FilingFilter

# the roles each route needs; which filing, which point and the registrar's standing: registry.access
FILERS = requires("registrar", "admin")
LISTERS = requires("registrar", "supervisor", "admin")
REGISTRARS = requires("registrar")
SUPERVISORS = requires("supervisor")
REGISTRARS_OR_SUPERVISORS = requires("registrar", "supervisor")


class FilingController(Controller):
    path = "/api/filings"
    tags = ["filings 技术合同登记"]

    @post("/", summary="提交登记申请 / file a contract (filing format v1)", status_code=201,
          description="一次答复列出申请中的全部错误（每个字段一条）/ a 400 lists every bad field of the filing at once",
          dto=Checked[FilingV1], return_dto=None, guards=[FILERS])
    async def create(self, request: Request, data: FilingV1, db: asyncpg.Connection, audit_key: bytes,
                     settings: Settings,
                     idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key")] = None,
                     ) -> Response[FilingOut]:
        user = request.user
        if idempotency_key is not None:
            digest = idempotency.request_digest("POST", request.url.path, await request.body())
            replay = await idempotency.claim(db, user.id, idempotency_key, digest)
            if replay is not None:
                status, body = replay
                return Response(msgspec.convert(body, FilingOut), status_code=status,
                                headers={"Idempotent-Replayed": "true"})
        filing = await service.create_filing(db, audit_key, user, data, settings)
        if idempotency_key is not None:
            await idempotency.record(db, user.id, idempotency_key, 201, msgspec.to_builtins(filing))
        return Response(filing, status_code=201, headers={"Location": f"/api/filings/{filing.ref}"})

    @get("/", summary="查询申请列表 / list filings", guards=[LISTERS],
         description="按编号倒序分页：cursor 取下一页，before 取上一页；q 按申请编号、登记号、合同名称、合同编号、卖方或买方名称的"
                     "子串搜索（不区分大小写）；total 为总数，total_capped 为真时表示“超过 total 条” / newest first: "
                     "cursor gives the next page, before the previous one; q matches a substring of the ref, "
                     "registration number, title, contract number, seller's or buyer's name (any case); total counts "
                     "the matches, or with total_capped true says there are more than total")
    async def list_filings(self, request: Request, db: asyncpg.Connection,
                   status: Status | None = None, kind: Kind | None = None, point: str | None = None,
                   software: bool | None = None, seller: str | None = None, buyer: str | None = None,
                   q: str | None = None, signed_from: dt.date | None = None, signed_to: dt.date | None = None,
                   flagged: Annotated[bool | None, Parameter(description="有（true）或没有（false）有效异常标记 / "
                                                                         "carries an active flag (true) or none (false)")]
                   = None,
                   limit: Annotated[int, Parameter(ge=1, le=500)] = 50,
                   cursor: OptionalDbId = None, before: OptionalDbId = None) -> FilingPage:
        flt = FilingFilter(status=status, kind=kind, point=point, software=software, seller=seller, buyer=buyer,
                           q=q, signed_from=signed_from, signed_to=signed_to, flagged=flagged, limit=limit,
                           cursor=cursor, before=before)
        return await listing.list_filings(db, request.user, flt)

    @get("/{ref:str}", summary="查看申请 / read a filing")
    async def read(self, request: Request, ref: str, db: asyncpg.Connection) -> FilingOut:
        return await service.get_filing(db, request.user, ref)

    @patch("/{ref:str}", summary="补正 / correct a submitted or returned filing", dto=Checked[FilingCorrection],
           return_dto=None, guards=[REGISTRARS])
    async def correct(self, request: Request, ref: str, data: FilingCorrection, db: asyncpg.Connection,
                      audit_key: bytes, settings: Settings) -> FilingOut:
        return await service.correct_filing(db, audit_key, request.user, ref, data, settings)

    @get("/{ref:str}/events", summary="操作记录 / the filing's event trail")
    async def events(self, request: Request, ref: str, db: asyncpg.Connection) -> list[EventOut]:
        return await service.filing_events(db, request.user, ref)

    async def _act(self, request: Request, ref: str, action: str, body: DecisionBody | None,
                   db: asyncpg.Connection, audit_key: bytes, settings: Settings) -> FilingOut:
        return await service.transition(db, audit_key, settings, request.user, ref, action, body or DecisionBody())

    @post("/{ref:str}/register", summary="登记：核定技术交易额 / register with the approved technology amount",
          status_code=200, dto=Checked[RegisterBody], return_dto=None, guards=[REGISTRARS],
          description="须给出核定技术交易额（approved_amount ≤ 申报的 tech_amount），核减项目（deductions）合计等于两者之差 / "
                      "needs approved_amount (at most the declared tech_amount); the deductions add up to the difference")
    async def register(self, request: Request, ref: str, db: asyncpg.Connection, audit_key: bytes,
                       settings: Settings, data: RegisterBody | None = None) -> FilingOut:
        return await service.register(db, audit_key, settings, request.user, ref, data)

    @get("/{ref:str}/certificate", summary="登记证明 / the registration certificate (approved amount)")
    async def certificate(self, request: Request, ref: str, db: asyncpg.Connection) -> CertificateOut:
        return await certificate.certificate(db, request.user, ref)

    @get("/{ref:str}/certificate.pdf", summary="登记证明 PDF（含核验码与二维码）/ the printable certificate, PDF",
         description="仅对有效登记出具；已撤销或已注销的登记答复 409 / issued only for a registration in force; "
                     "a revoked or de-registered one answers 409",
         media_type="application/pdf", response_description="登记证明 PDF / the certificate, PDF")
    async def certificate_pdf(self, request: Request, ref: str, db: asyncpg.Connection, audit_key: bytes,
                              settings: Settings) -> Response[bytes]:
        return pdf_response(await certificate.certificate_pdf(db, audit_key, settings, request.user, ref,
                                                              public_base_url(request, settings)))

    @get("/{ref:str}/income-checks", summary="技术性收入核定记录 / the income checks of a registered contract")
    async def income_checks(self, request: Request, ref: str, db: asyncpg.Connection) -> list[IncomeCheckOut]:
        return await income.income_checks(db, request.user, ref)

    @post("/{ref:str}/income-checks", summary="技术性收入核定 / record the technical income received", status_code=201,
          dto=Checked[IncomeCheckIn], return_dto=None, guards=[REGISTRARS_OR_SUPERVISORS])
    async def record_income_check(self, request: Request, ref: str, data: IncomeCheckIn, db: asyncpg.Connection,
                                  audit_key: bytes, settings: Settings) -> IncomeCheckOut:
        return await income.record_income_check(db, audit_key, settings, request.user, ref, data)

    @post("/{ref:str}/refuse", summary="不予登记 / refuse (reason codes required)", status_code=200,
          guards=[REGISTRARS])
    async def refuse(self, request: Request, ref: str, data: DecisionBody, db: asyncpg.Connection,
                     audit_key: bytes, settings: Settings) -> FilingOut:
        return await self._act(request, ref, "refuse", data, db, audit_key, settings)

    @post("/{ref:str}/return", summary="退回补正 / return for correction", status_code=200, guards=[REGISTRARS])
    async def return_(self, request: Request, ref: str, data: DecisionBody, db: asyncpg.Connection,
                      audit_key: bytes, settings: Settings) -> FilingOut:
        return await self._act(request, ref, "return", data, db, audit_key, settings)

    @post("/{ref:str}/resubmit", summary="重新提交 / resubmit after correction", status_code=200, guards=[REGISTRARS])
    async def resubmit(self, request: Request, ref: str, db: asyncpg.Connection, audit_key: bytes,
                       settings: Settings, data: DecisionBody | None = None) -> FilingOut:
        return await self._act(request, ref, "resubmit", data, db, audit_key, settings)

    @post("/{ref:str}/revoke", summary="撤销登记：理由与依据 / revoke on a ground and its basis (supervisor)",
          status_code=200, guards=[SUPERVISORS], dto=Checked[RevocationBody], return_dto=None,
          description="ground：现行规则所列撤销理由之一；basis：依据（生效判决案号、复核决定编号或本系统检查事项编号）/ "
                      "ground: one the rules in force list; basis: a court judgment's case number, a review "
                      "decision's number or one of our audit items")
    async def revoke(self, request: Request, ref: str, data: RevocationBody, db: asyncpg.Connection,
                     audit_key: bytes, settings: Settings) -> FilingOut:
        return await revocation.revoke(db, audit_key, settings, request.user, ref, data)

    @post("/{ref:str}/cancel", summary="注销 / cancel at the party's request", status_code=200,
          guards=[REGISTRARS_OR_SUPERVISORS])
    async def cancel(self, request: Request, ref: str, data: DecisionBody, db: asyncpg.Connection,
                     audit_key: bytes, settings: Settings) -> FilingOut:
        done = await self._act(request, ref, "cancel", data, db, audit_key, settings)
        # a de-registration order on the contract is fulfilled by it, in the same transaction
        await orders.fulfil_by_cancellation(db, audit_key, request.user.username, done.id)
        return done
