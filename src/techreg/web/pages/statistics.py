"""Annual statistics (年度统计): the year a supervisor picks on the dashboard, as tables and as the Excel workbook."""

import datetime as dt

import asyncpg
from litestar import Controller, Request, get
from litestar.response import Response, Template

from ..auth import requires
from ..controllers.statistics import workbook_response, year_and_format
from ..replica import READ_DB
from ...config import Settings
from ...registry import statistics
from ...registry.service import today
from .common import choice, lang, page

STAFF = requires("supervisor", "admin")


class StatisticsPages(Controller):
    include_in_schema = False

    @get("/statistics", guards=[STAFF], dependencies=READ_DB)
    async def annual(self, request: Request, db: asyncpg.Connection, settings: Settings,
                     year: str | None = None, format: str | None = None) -> Template | Response:
        format = choice("format", "导出格式", format, ("xlsx",))
        number = year_and_format(year)[0] if year else today(settings).year
        if format == "xlsx":
            return workbook_response(await statistics.annual_workbook(
                db, settings, number, lang(request), made_at=dt.datetime.now(dt.timezone.utc)), number)
        return page(request, "statistics.html", found=await statistics.annual_statistics(db, settings, number),
                    years=await statistics.statistics_years(db, settings), wan=statistics.WAN,
                    basis=statistics.AMOUNT_BASIS, counted=statistics.counted(settings.timezone))
