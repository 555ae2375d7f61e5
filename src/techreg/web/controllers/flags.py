from typing import Annotated

import asyncpg
from litestar import Controller, Request, get
from litestar.params import Parameter

from ...detection.access import evidence_point, listing_point
from ...detection.detectors import FlagKind
from ...detection.risk import RiskOut, risk_for_filing
from ...detection.store import FlagOut, flags_for_filing, list_flags
from ...registry import service
from ..auth import requires


class FlagController(Controller):
    path = "/api"
    tags = ["flags 异常标记"]

    @get("/filings/{ref:str}/flags", summary="申请的异常标记 / a filing's flags with evidence")
    async def filing_flags(self, request: Request, ref: str, db: asyncpg.Connection) -> list[FlagOut]:
        filing = await service.get_filing(db, request.user, ref)  # same visibility as the filing
        return await flags_for_filing(db, filing.id, evidence_point(request.user))

    @get("/filings/{ref:str}/risk", summary="申请的风险分 / a filing's risk score, its flags combined")
    async def filing_risk(self, request: Request, ref: str, db: asyncpg.Connection) -> RiskOut:
        filing = await service.get_filing(db, request.user, ref)
        return await risk_for_filing(db, filing.id, ref)

    @get("/flags", summary="异常标记列表 / active flags, filtered", guards=[requires("registrar", "supervisor", "admin")])
    async def flags(self, request: Request, db: asyncpg.Connection, kind: FlagKind | None = None,
                    min_score: Annotated[float, Parameter(ge=0, le=1)] = 0.0,
                    limit: Annotated[int, Parameter(ge=1, le=1000)] = 100) -> list[FlagOut]:
        return await list_flags(db, point=listing_point(request.user), kind=kind, min_score=min_score, limit=limit)
