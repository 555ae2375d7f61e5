import datetime as dt
import re
from typing import Literal

import asyncpg
import msgspec
from litestar import Controller, Request, get
from litestar.response import Response

from ..auth import requires
from ...config import Settings
from ...errors import InvalidInput
from ...registry import statistics

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_YEAR = re.compile(r"(\d{4})(\.xlsx)?")


def year_and_format(text: str) -> tuple[int, bool]:
    """"2026" or "2026.xlsx": the year, and whether the workbook is asked for; anything else a 400 naming it."""
    found = _YEAR.fullmatch(text)
    if found is None:
        raise InvalidInput(f"统计年度“{text[:20]}”无效：应为四位年份，如 2026 或 2026.xlsx",
                           f"year \"{text[:20]}\" is invalid: four digits, e.g. 2026 or 2026.xlsx")
    return int(found.group(1)), found.group(2) is not None


def workbook_response(content: bytes, year: int) -> Response:
    return Response(content, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="statistics-{year}.xlsx"'})


class StatisticsController(Controller):
    path = "/api/statistics"
    tags = ["filings 技术合同登记"]
    guards = [requires("supervisor", "admin")]

    @get("/{year:str}", media_type="application/json",
         summary="年度统计（YEAR 或 YEAR.xlsx）/ annual statistics of registered contracts (YEAR, or YEAR.xlsx for Excel)",
         description="当年登记且现仍有效的技术合同，按合同类别、技术领域、买卖双方所在省份、登记点、买卖双方类型统计合同数、"
                     "合同成交额与核定技术交易额（未核定的按申报额，另列）；JSON 金额单位为元，Excel 为万元 / the year's "
                     "registered contracts in force, counted and summed by kind, field, the parties' provinces, point "
                     "and the parties' types; amounts in yuan (JSON) or 10,000 yuan (Excel; lang=en for English)")
    async def annual(self, request: Request, year: str, db: asyncpg.Connection, settings: Settings,
                     lang: Literal["zh", "en"] = "zh") -> Response:
        number, xlsx = year_and_format(year)
        if xlsx:
            return workbook_response(await statistics.annual_workbook(db, settings, number, lang,
                                                                      made_at=dt.datetime.now(dt.timezone.utc)), number)
        return Response(msgspec.json.encode(await statistics.annual_statistics(db, settings, number)),
                        media_type="application/json")
