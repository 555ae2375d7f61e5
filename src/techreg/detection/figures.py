"""Figures of detection for pages: active flags by month first seen and kind, from their running count
(migration 0024: triggers on flags keep it in the flags' own transaction) or counted from scratch (tests,
repair)."""

import asyncpg

FLAGS_BY_MONTH = """
    SELECT to_char(month, 'YYYY-MM') AS month, kind, flags AS n FROM flag_month_tally WHERE flags > 0 ORDER BY 1, 2
"""
FLAGS_BY_MONTH_FROM_SCRATCH = """
    SELECT to_char(date_trunc('month', first_seen AT TIME ZONE 'UTC'), 'YYYY-MM') AS month, kind, count(*) AS n
    FROM flags WHERE active GROUP BY 1, 2 ORDER BY 1, 2
"""


async def flags_by_month(conn: asyncpg.Connection, *, from_scratch: bool = False) -> list[asyncpg.Record]:
    if from_scratch:
        return await conn.fetch(FLAGS_BY_MONTH_FROM_SCRATCH)
    return await conn.fetch(FLAGS_BY_MONTH)

