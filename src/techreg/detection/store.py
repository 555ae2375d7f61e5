"""Flags in PostgreSQL: written by scans, read by pages and the API, exported in the flag format.

A flag is upserted by (filing, kind, detector version); one a newer scan no longer raises is marked
inactive, never deleted, so what an inspector saw stays on record.
"""

import datetime

import asyncpg
import msgspec
import numpy as np

# -- queries -------------------------------------------------------------------------------------------

# The scan's flags arrive in a temporary table by COPY, then are written in set-based statements.
STAGE = """CREATE TEMP TABLE IF NOT EXISTS scan_flags
    (filing_id bigint, kind text, detector text, score float8, reasons text, related text[])"""
# Incremental scans: a flag raised again exactly as stored only gets last_seen / last_run, and leaves the stage.
CONFIRM_STAGED = """
    WITH confirmed AS (
        UPDATE flags g SET last_seen = now(), last_run = $1
        FROM scan_flags s
        WHERE g.active AND g.filing_id = s.filing_id AND g.kind = s.kind AND g.detector = s.detector
          AND abs(g.score - s.score) < 1e-12 AND g.reasons = s.reasons::jsonb AND g.related = s.related
        RETURNING g.filing_id, g.kind, g.detector
    )
    DELETE FROM scan_flags s USING confirmed c
    WHERE s.filing_id = c.filing_id AND s.kind = c.kind AND s.detector = c.detector
"""
UPSERT_STAGED = """
    INSERT INTO flags (filing_id, kind, detector, score, reasons, related, first_run, last_run)
    SELECT filing_id, kind, detector, score, reasons::jsonb, related, $1, $1 FROM scan_flags
    ON CONFLICT (filing_id, kind, detector) DO UPDATE
    SET score = excluded.score, reasons = excluded.reasons, related = excluded.related,
        last_seen = now(), last_run = $1, active = true
"""
# Every flag this run raised carries its id in last_run (confirmed or written): the active flags of judged
# filings without it were not raised again (or came from an older version of the detector) and retire.
# All of them after a full scan; after an incremental one, those of the filings a detector family judged.
RETIRE_ALL_UNRAISED = "UPDATE flags SET active = false WHERE active AND last_run IS DISTINCT FROM $1"
RETIRE_UNRAISED_OF = """
    UPDATE flags SET active = false
    WHERE active AND last_run IS DISTINCT FROM $1 AND filing_id = any($2::bigint[])
      AND split_part(detector, '/', 1) = any($3::text[])
"""
# Filings refused since the last scan keep their flags on record, inactive.
RETIRE_REFUSED = """
    UPDATE flags SET active = false
    WHERE active AND filing_id IN (SELECT id FROM filings WHERE status = 'refused' AND change_seq > $1)
"""
# The flag export format (filing-format.md), one row per active flag.
EXPORT = """
    SELECT f.ref, g.kind, g.score, g.reasons, g.related, g.detector
    FROM flags g JOIN filings f ON f.id = g.filing_id WHERE g.active ORDER BY g.id
"""
FLAG_COLUMNS = "f.ref, g.kind, g.score, g.reasons, g.related, g.detector, g.active, g.first_seen, g.last_seen"
# One filing's flags, active first, strongest first.
OF_FILING = f"""
    SELECT {FLAG_COLUMNS} FROM flags g JOIN filings f ON f.id = g.filing_id
    WHERE g.filing_id = $1 ORDER BY g.active DESC, g.score DESC
"""
# Active flags filtered by minimum score, kind and point, strongest first.
LIST = f"""
    SELECT {FLAG_COLUMNS} FROM flags g JOIN filings f ON f.id = g.filing_id
    WHERE g.active AND g.score >= $1 AND ($2::text IS NULL OR g.kind = $2)
      AND ($3::text IS NULL OR f.point_code = $3)
    ORDER BY g.score DESC, g.id LIMIT $4
"""


# -- writing ---------------------------------------------------------------------------------------------

async def write(conn: asyncpg.Connection, run_id: int, records: list[tuple], *, keep_unchanged: bool) -> int:
    """Write (filing_id, kind, detector, score, reasons json, related refs) records; with `keep_unchanged`
    (incremental scans) a flag raised again exactly as stored is only confirmed. Returns how many flags were
    new or changed (all of them when every flag is rewritten)."""
    await conn.execute(STAGE)
    await conn.execute("TRUNCATE scan_flags")
    await conn.copy_records_to_table("scan_flags", records=records)
    await conn.execute("ANALYZE scan_flags")
    written = len(records)
    if keep_unchanged:
        written -= int((await conn.execute(CONFIRM_STAGED, run_id)).split()[-1])
    await conn.execute(UPSERT_STAGED, run_id)
    return written


async def retire_unraised(conn: asyncpg.Connection, run_id: int, judged_by_family: dict[str, np.ndarray] | None
                          ) -> None:
    """Active flags of judged filings that this run did not raise again become inactive (kept on record).

    `judged_by_family` maps a detector family (name before the version) to the filing ids it judged, None
    after a full scan (every filing judged); a newer version's flag replaces an older one's.
    """
    if judged_by_family is None:
        await conn.execute(RETIRE_ALL_UNRAISED, run_id)
        return
    families_of: dict[bytes, tuple[np.ndarray, list[str]]] = {}
    for family, ids in judged_by_family.items():      # families of one scope judged the same filings
        key = ids.tobytes()
        families_of.setdefault(key, (ids, []))[1].append(family)
    for ids, families in families_of.values():
        await conn.execute(RETIRE_UNRAISED_OF, run_id, ids.astype(np.int64), families)


async def retire_refused(conn: asyncpg.Connection, since: int) -> None:
    await conn.execute(RETIRE_REFUSED, since)


# -- reading -----------------------------------------------------------------------------------------------

class FlagOut(msgspec.Struct):
    ref: str
    kind: str
    score: float
    reasons: list[str]
    related: list[str]
    detector: str
    active: bool
    first_seen: datetime.datetime
    last_seen: datetime.datetime


async def export_flags(conn: asyncpg.Connection):
    """Flag export format (filing-format.md), one JSON object per active flag."""
    async with conn.transaction(readonly=True):
        async for r in conn.cursor(EXPORT, prefetch=5000):
            yield msgspec.json.encode({"ref": r["ref"], "kind": r["kind"], "score": round(r["score"], 4),
                                       "reasons": r["reasons"], "related": list(r["related"]),
                                       "detector": r["detector"]}) + b"\n"


# Where the filings a flag names as evidence were filed.
POINTS_OF = "SELECT ref, point_code FROM filings WHERE ref = any($1::text[])"
OTHER_POINT_NOTE = ("证据涉及其他登记点的 {n} 份申请，其编号与金额由监督员和检查员查看 / the evidence involves {n} "
                    "filing(s) at other registration points; supervisors and inspectors see their refs and amounts")


async def for_point(conn: asyncpg.Connection, flags: list[FlagOut], point: str | None) -> list[FlagOut]:
    """What a registrar (point given) may see of the evidence: the filings of their own point, and that other
    points' filings are involved — not those filings' refs or the figures that add them in. Supervisors and
    inspectors (point None) see everything."""
    if point is None or not flags:
        return flags
    points = dict(await conn.fetch(POINTS_OF, sorted({r for f in flags for r in f.related})))
    out = []
    for f in flags:
        foreign = [r for r in f.related if points.get(r) != point]
        if foreign:
            f = msgspec.structs.replace(f, related=[r for r in f.related if r not in foreign],
                                        reasons=[OTHER_POINT_NOTE.format(n=len(foreign))])
        out.append(f)
    return out


# Has a scan judged the filing as it stands now? Its last change is at or under the last scan's high water.
SCORED = """
    SELECT f.change_seq <= (SELECT coalesce(max(high_water), 0) FROM scan_runs WHERE status = 'succeeded')
    FROM filings f WHERE f.id = $1
"""


async def is_scored(conn: asyncpg.Connection, filing_id: int) -> bool:
    return bool(await conn.fetchval(SCORED, filing_id))


async def flags_for_filing(conn: asyncpg.Connection, filing_id: int, point: str | None = None) -> list[FlagOut]:
    flags = [msgspec.convert(dict(r), FlagOut) for r in await conn.fetch(OF_FILING, filing_id)]
    return await for_point(conn, flags, point)


async def list_flags(conn: asyncpg.Connection, *, point: str | None, kind: str | None, min_score: float,
                     limit: int) -> list[FlagOut]:
    rows = await conn.fetch(LIST, min_score, kind, point, limit)
    return await for_point(conn, [msgspec.convert(dict(r), FlagOut) for r in rows], point)
