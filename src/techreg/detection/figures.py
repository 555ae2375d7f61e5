"""Figures of detection for pages: active flags by month first seen and kind, from their running count
(migration 0024: triggers on flags keep it in the flags' own transaction) or counted from scratch (tests,
repair); the recent scans with their detectors' counts."""

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


# The newest 20 scans with each detector's counts (the jobs page).
RECENT_SCANS = """
    SELECT r.id, r.mode, r.status, r.started_at, r.finished_at, r.filings_read, r.filings_scored,
           coalesce(json_agg(json_build_object('detector', s.detector, 'flagged', s.flagged,
                    'applied', s.applied, 'warning', s.warning) ORDER BY s.detector)
                    FILTER (WHERE s.detector IS NOT NULL), '[]') AS detectors
    FROM scan_runs r LEFT JOIN scan_detector_stats s ON s.run_id = r.id
    GROUP BY r.id ORDER BY r.id DESC LIMIT 20
"""


async def recent_scans(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(RECENT_SCANS)
