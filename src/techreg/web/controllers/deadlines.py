import asyncpg
from litestar import Controller, Request, get

from ...config import Settings
from ..auth import requires
from ...registry import deadlines
from ...registry.deadlines import DeadlineList
from ...registry.schema import DeadlineState


class DeadlineController(Controller):
    path = "/api/deadlines"
    tags = ["filings 技术合同登记"]

    @get("/", summary="办理期限：待审查申请的到期日 / decision deadlines of the filings awaiting a decision",
         description="按官方节假日与调休计算的工作日期限（退回补正后重新提交重新起算）；登记员只看本登记点。"
                     "due=overdue 为逾期清单 / working days on the official calendar (holidays and make-up working "
                     "days), restarted on resubmission; registrars see their own point; due=overdue lists the "
                     "overdue",
         guards=[requires("registrar", "supervisor", "admin")])
    async def list_deadlines(self, request: Request, db: asyncpg.Connection, settings: Settings,
                             due: DeadlineState | None = None, point: str | None = None) -> DeadlineList:
        return await deadlines.deadlines(db, settings, request.user, point=point, state=due)
