"""Risk per filing: its active flags combined (the filing_risk view, migrations/0003_risk.sql, weights per
detector in detector_kinds), and its parties' credit.

A filing whose seller or buyer had a red-line credit record in force on the day registration was applied for
(registry/credit/records.RED_LINE_FILINGS) carries one more independent signal, of weight
TECHREG_RISK_WEIGHT_CREDIT, combined with the flags as they are with each other (noisy-or):

    risk = 1 − (1 − flag_risk) × (1 − w_credit)      (w_credit only with a red-line party; 0 turns it off)

Campaign sampling (audit/service.py) freezes this risk with the population, so a campaign's draw stays
reproducible from its seed and its frozen risks whatever records arrive later.
"""

import asyncpg
import msgspec

from ..config import Settings
from ..registry.credit.records import RED_LINE_FILINGS


def combined_risk_sql(flag_risk: str, red_line: str, weight: str) -> str:
    """SQL for a filing's risk from its flags' risk (NULL: none), whether a party has a red line, and the weight."""
    return (f"(1 - (1 - coalesce({flag_risk}, 0)) * (1 - CASE WHEN {red_line} "
            f"THEN least(greatest({weight}::float8, 0), 0.999) ELSE 0 END))")


# one filing's flags' risk and whether a party had a red line on its application day ($1 filing, $2 weight)
FILING_RISK = f"""
    SELECT {combined_risk_sql("r.risk", "c.filing_id IS NOT NULL", "$2")} AS risk,
           coalesce(r.flag_count, 0) AS flag_count, coalesce(r.kinds, '{{}}') AS kinds,
           c.filing_id IS NOT NULL AS red_line
    FROM (SELECT $1::bigint AS id) f
    LEFT JOIN filing_risk r ON r.filing_id = f.id
    LEFT JOIN ({RED_LINE_FILINGS}) c ON c.filing_id = f.id
"""


class RiskOut(msgspec.Struct):
    ref: str
    risk: float
    flag_count: int
    kinds: list[str]
    credit_red_line: bool = False    # a party had a red-line record on the day applied for (weighs in `risk`)


def credit_weight(settings: Settings) -> float:
    return settings.risk_weight_credit


async def risk_for_filing(conn: asyncpg.Connection, filing_id: int, ref: str, settings: Settings) -> RiskOut:
    row = await conn.fetchrow(FILING_RISK, filing_id, credit_weight(settings))
    return RiskOut(ref, round(row["risk"], 4), row["flag_count"], list(row["kinds"]), row["red_line"])
