"""Risk per filing: its active flags combined (the filing_risk view, migrations/0003_risk.sql)."""

import asyncpg
import msgspec


class RiskOut(msgspec.Struct):
    ref: str
    risk: float
    flag_count: int
    kinds: list[str]


async def risk_for_filing(conn: asyncpg.Connection, filing_id: int, ref: str) -> RiskOut:
    row = await conn.fetchrow("SELECT risk, flag_count, kinds FROM filing_risk WHERE filing_id = $1", filing_id)
    if row is None:
        return RiskOut(ref, 0.0, 0, [])
    return RiskOut(ref, round(row["risk"], 4), row["flag_count"], list(row["kinds"]))
