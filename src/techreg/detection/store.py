"""Flags in PostgreSQL: written by scans, read by pages and the API, exported in the flag format.

A flag is upserted by (filing, kind, detector version); one a newer scan no longer raises is marked
inactive, never deleted, so what an inspector saw stays on record.
"""

import datetime
import re

import asyncpg
import msgspec
import numpy as np

from .columns import distinct
from .loader import READABLE, changed_since
from .split import ROUND_STEPS

# -- queries -------------------------------------------------------------------------------------------

# Flags of the given filings that are active now: compared with a rescan's, so unchanged ones are only confirmed.
ACTIVE_OF_FILINGS = """
    SELECT id, filing_id, kind, detector, score, reasons, related FROM flags
    WHERE active AND filing_id = any($1::bigint[])
"""
# The kinds of flag each of the given filings carries now (a list page's column), the strongest first.
KINDS_OF_FILINGS = """
    SELECT filing_id, array_agg(kind ORDER BY score DESC) AS kinds FROM flags
    WHERE active AND filing_id = any($1::bigint[]) GROUP BY filing_id
"""
# A flag raised again exactly as stored: only its last_seen / last_run move.
CONFIRM = "UPDATE flags SET last_seen = now(), last_run = $1 WHERE id = any($2::bigint[])"
# The scan's flags arrive in a temporary table by COPY, then are upserted in one statement.
STAGE = """CREATE TEMP TABLE IF NOT EXISTS scan_flags
    (filing_id bigint, kind text, detector text, score float8, reasons text, related text[])"""
UPSERT_STAGED = """
    INSERT INTO flags (filing_id, kind, detector, score, reasons, related, first_run, last_run)
    SELECT filing_id, kind, detector, score, reasons::jsonb, related, $1, $1 FROM scan_flags
    ON CONFLICT (filing_id, kind, detector) DO UPDATE
    SET score = excluded.score, reasons = excluded.reasons, related = excluded.related,
        last_seen = now(), last_run = $1, active = true
"""
RETIRE = "UPDATE flags SET active = false WHERE id = any($1::bigint[])"
# After a full scan every flag it raised was written with its run in last_run: the other active flags of the
# detector families it ran, on the filings it read, were not raised again (one statement, not 10⁵ rows fetched).
RETIRE_ALL_UNRAISED = f"""
    UPDATE flags g SET active = false
    WHERE g.active AND g.last_run IS DISTINCT FROM $1 AND split_part(g.detector, '/', 1) = any($2::text[])
      AND EXISTS (SELECT 1 FROM filing_facts x WHERE x.id = g.filing_id AND NOT x.refused AND {READABLE})
"""
# Filings refused since the last scan keep their flags on record, inactive.
RETIRE_REFUSED = f"""
    UPDATE flags SET active = false
    WHERE active AND filing_id IN (SELECT f.id FROM filings f WHERE f.status = 'refused' AND {changed_since()})
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

async def active_of(conn: asyncpg.Connection, filing_ids: np.ndarray) -> list[asyncpg.Record]:
    """The active flags of the given filings (an incremental scan's judged ones), read once for comparing
    with what the scan raises (`confirm_unchanged`) and for retiring what it no longer raises."""
    return await conn.fetch(ACTIVE_OF_FILINGS, filing_ids.tolist()) if len(filing_ids) else []


async def confirm_unchanged(conn: asyncpg.Connection, run_id: int, records: list[tuple],
                            stored_rows: list[asyncpg.Record]) -> list[tuple]:
    """Flags raised again exactly as stored only get last_seen/last_run; the rest are returned for writing.
    `stored_rows` (`active_of`) must cover every filing the records are about."""
    stored = {(r["filing_id"], r["kind"], r["detector"]): r for r in stored_rows}
    same, changed = [], []
    encode = msgspec.json.Encoder().encode
    for record in records:                      # a loop over flags, not filings
        old = stored.get(record[:3])
        # the stored reasons encoded as the scan encodes its own (one compact JSON per list of strings)
        if (old is not None and abs(old["score"] - record[3]) < 1e-12 and list(old["related"]) == record[5]
                and encode(old["reasons"]).decode() == record[4]):
            same.append(old["id"])
        else:
            changed.append(record)
    await conn.execute(CONFIRM, run_id, same)
    return changed


async def write(conn: asyncpg.Connection, run_id: int, records: list[tuple]) -> None:
    """Upsert (filing_id, kind, detector, score, reasons json, related refs) records."""
    await conn.execute(STAGE)
    await conn.execute("TRUNCATE scan_flags")
    await conn.copy_records_to_table("scan_flags", records=records)
    await conn.execute(UPSERT_STAGED, run_id)


async def retire_unraised(conn: asyncpg.Connection, judged_by_family: dict[str, np.ndarray],
                          raised: set[tuple[int, str]], stored_rows: list[asyncpg.Record]) -> None:
    """Active flags of judged filings that this run did not raise again become inactive (kept on record).

    `judged_by_family` maps a detector family (name before the version) to the filing ids it judged;
    a newer version's flag replaces an older one's. `stored_rows` are the active flags of the judged filings
    (`active_of`, read before this run wrote anything). Worked out on arrays, not row by row.
    """
    if not stored_rows:
        return
    rows = stored_rows
    flag_id = np.fromiter((r["id"] for r in rows), np.int64, len(rows))
    filing = np.fromiter((r["filing_id"] for r in rows), np.int64, len(rows))
    detectors, detector_code = np.unique(np.array([r["detector"] for r in rows], dtype=object).astype(str),
                                         return_inverse=True)
    family = np.array([d.split("/")[0] for d in detectors])[detector_code]
    judged = np.zeros(len(rows), bool)
    for name, ids in judged_by_family.items():
        judged |= (family == name) & np.isin(filing, ids, kind="table")
    code = {d: k for k, d in enumerate(detectors)}
    raised_keys = np.array([f * len(detectors) + code[d] for f, d in raised if d in code], np.int64)
    again = np.isin(filing * len(detectors) + detector_code, raised_keys, kind="table")
    await conn.execute(RETIRE, flag_id[judged & ~again].tolist())


async def retire_all_unraised(conn: asyncpg.Connection, run_id: int, families: list[str]) -> None:
    """After a full scan (which writes every flag it raises): `retire_unraised` for every filing it read."""
    await conn.execute(RETIRE_ALL_UNRAISED, run_id, families)


async def retire_refused(conn: asyncpg.Connection, since: tuple[int, str | None]) -> None:
    await conn.execute(RETIRE_REFUSED, *since)


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


# an amount in a reason (1,871,010.00 or 500000): a sum, unless it is a round line (split.ROUND_STEPS × 10^k yuan)
AMOUNT = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{5,}(?:\.\d+)?")


def _is_line(figure: str) -> bool:
    value = float(figure.replace(",", ""))
    if value <= 0 or value != int(value):
        return False
    return str(int(value)).rstrip("0") in {str(step) for step in ROUND_STEPS}


def _says_nothing_of(reason: str, foreign: list[str]) -> bool:
    """A reason a registrar may read beside another point's filing: it names none of that point's filings and
    no figure but round lines (a sum or a part's amount would add that filing's amount in)."""
    return not any(ref in reason for ref in foreign) and all(_is_line(m) for m in AMOUNT.findall(reason))


async def for_point(conn: asyncpg.Connection, flags: list[FlagOut], point: str | None) -> list[FlagOut]:
    """What a registrar (point given) may see of the evidence: the filings of their own point, that other
    points' filings are involved, and every reason that says nothing of them — not those filings' refs or the
    figures that add them in. Supervisors and inspectors (point None) see everything."""
    if point is None or not flags:
        return flags
    points = dict(await conn.fetch(POINTS_OF, sorted({r for f in flags for r in f.related})))
    out = []
    for f in flags:
        foreign = [r for r in f.related if points.get(r) != point]
        if foreign:
            kept = [r for r in f.reasons if _says_nothing_of(r, foreign)]
            f = msgspec.structs.replace(f, related=[r for r in f.related if r not in foreign],
                                        reasons=[OTHER_POINT_NOTE.format(n=len(foreign)), *kept])
        out.append(f)
    return out


# Has a scan judged the filing as it stands now? Its last change is not one the last scan's mark leaves to the next.
SCORED = f"""
    SELECT NOT coalesce({changed_since("coalesce(m.high_water, 0)", "m.snapshot")}, false)
    FROM filings f LEFT JOIN LATERAL (
        SELECT high_water, snapshot::text AS snapshot FROM scan_runs WHERE status = 'succeeded'
        ORDER BY high_water DESC, id DESC LIMIT 1) m ON true
    WHERE f.id = $1
"""


async def is_scored(conn: asyncpg.Connection, filing_id: int) -> bool:
    return bool(await conn.fetchval(SCORED, filing_id))


async def kinds_of(conn: asyncpg.Connection, filing_ids: list[int]) -> dict[int, list[str]]:
    """The kinds of flag each filing carries now; a filing without any is left out."""
    return {r["filing_id"]: list(r["kinds"]) for r in await conn.fetch(KINDS_OF_FILINGS, filing_ids)}


async def flags_for_filing(conn: asyncpg.Connection, filing_id: int, point: str | None = None) -> list[FlagOut]:
    flags = [msgspec.convert(dict(r), FlagOut) for r in await conn.fetch(OF_FILING, filing_id)]
    return await for_point(conn, flags, point)


async def list_flags(conn: asyncpg.Connection, *, point: str | None, kind: str | None, min_score: float,
                     limit: int) -> list[FlagOut]:
    rows = await conn.fetch(LIST, min_score, kind, point, limit)
    return await for_point(conn, [msgspec.convert(dict(r), FlagOut) for r in rows], point)
