"""Scans: score filings with every detector and store the flags.

A full scan scores every filing; an incremental scan scores the filings
changed since the last successful scan, against the whole history. The flags
of one scan are written in one transaction, so a scan killed midway leaves
nothing half-written; flags are upserted by (filing, kind, detector version)
and a flag a newer scan no longer raises is marked inactive, never deleted.
"""

import datetime
import json
from collections.abc import Callable

import asyncpg
import msgspec
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..config import Settings
from . import backdated, duplicate, large_software, outlier, pairs, split
from .flags import Flags
from .loader import Loaded, load_numbers, load_text
from .peers import PeerTable, from_columns
from .peers import latest_or_fresh as peers_latest_or_fresh
from .peers import to_json as peers_to_json

# above this share of applicable filings, a detector is probably mis-tuned
IMPLAUSIBLE_SHARE = 0.2


class DetectorStats(msgspec.Struct):
    detector: str
    applied: int
    flagged: int
    excluded: int
    warning: str | None = None


class ScanReport(msgspec.Struct):
    run_id: int
    mode: str
    filings_read: int
    filings_scored: int
    flags_active: int
    detectors: list[DetectorStats]


def detector_settings(settings: Settings):
    split_settings = split.SplitSettings(
        lines=(float(settings.large_line), float(settings.delegation_line)), window_days=settings.split_window_days,
        max_span_days=settings.split_max_span_days, title_similarity=settings.split_title_similarity,
        duplicate_window_days=settings.duplicate_window_days)
    return (
        backdated.BackdatedSettings(weak_days=settings.backdated_weak_days, strong_days=settings.backdated_strong_days,
                                    sequence_tolerance_days=settings.backdated_sequence_tolerance_days,
                                    late_filing_days=settings.late_filing_days),
        large_software.LargeSoftwareSettings(large_line=float(settings.large_line),
                                             seller_ratio=settings.software_seller_ratio,
                                             fence_k=settings.software_peer_fence_k),
        split_settings,
    )


def _on_rows(rows: np.ndarray | None, columns, detect) -> Flags:
    """Run `detect` on a subset of the rows (whole groups of it) and map its rows back."""
    if rows is None:
        return detect(columns)
    flags = detect(columns.take(rows))
    flags.rows = rows[flags.rows]
    flags.related = [rows[r] for r in flags.related]
    return flags


def run_detectors(columns, settings: Settings, *, peers: PeerTable | None = None,
                  in_scope: np.ndarray | None = None, model: outlier.OutlierModel | None = None,
                  scopes: dict[str, np.ndarray] | None = None,
                  pair_index: tuple[np.ndarray, np.ndarray] | None = None) -> list[Flags]:
    """Every detector over the columns; with `scopes` (incremental) each only over the rows it judges,
    the pair detectors over the candidate pairs `pair_index` found among all of the buyers' filings."""
    back, large, split_settings = detector_settings(settings)
    peers = peers or from_columns(columns)
    window = pair_window(settings)
    by_seller = np.nonzero(scopes["backdated"])[0] if scopes else None

    def pair_detectors(c, index=None):
        candidate = pairs.candidate_pairs(c, window, index=index)
        return split.detect(c, candidate, split_settings), duplicate.detect(c, candidate, split_settings)

    if scopes is None:
        split_flags, duplicate_flags = pair_detectors(columns)
    else:
        by_pairs = np.nonzero(scopes["split"])[0]
        local = (np.searchsorted(by_pairs, pair_index[0]), np.searchsorted(by_pairs, pair_index[1]))
        split_flags, duplicate_flags = pair_detectors(columns.take(by_pairs), local)
        for flags in (split_flags, duplicate_flags):
            flags.rows = by_pairs[flags.rows]
            flags.related = [by_pairs[r] for r in flags.related]
    results = [
        _on_rows(by_seller, columns, lambda c: backdated.detect(c, back)),
        _on_rows(by_seller, columns, lambda c: large_software.detect(c, large, peers)),
        split_flags,
        duplicate_flags,
    ]
    if model is not None:
        results.append(outlier.detect(columns, model, settings.outlier_share, peers, in_scope))
    return results


def pair_window(settings: Settings) -> int:
    return max(settings.split_window_days, settings.duplicate_window_days)


async def run_scan(conn: asyncpg.Connection, settings: Settings, *, full: bool,
                   progress: Callable[[str], None] = lambda _: None) -> ScanReport:
    mode = "full" if full else "incremental"
    run_id = await conn.fetchval("INSERT INTO scan_runs (mode) VALUES ($1) RETURNING id", mode)
    try:
        report = await _scan(conn, settings, run_id, full, progress)
    except BaseException as exc:
        await conn.execute("UPDATE scan_runs SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1",
                           run_id, f"{type(exc).__name__}: {exc}"[:2000])
        raise
    return report


async def _confirm_unchanged(conn: asyncpg.Connection, run_id: int, records: list[tuple]) -> list[tuple]:
    """Flags raised again exactly as stored only get last_seen/last_run; the rest are returned for writing."""
    existing = await conn.fetch(
        "SELECT id, filing_id, kind, detector, score, reasons, related FROM flags"
        " WHERE active AND filing_id = any($1::bigint[])", list({r[0] for r in records}))
    stored = {(r["filing_id"], r["kind"], r["detector"]): r for r in existing}
    same, changed = [], []
    for record in records:                      # a loop over flags, not filings
        old = stored.get(record[:3])
        if (old is not None and abs(old["score"] - record[3]) < 1e-12 and list(old["related"]) == record[5]
                and old["reasons"] == json.loads(record[4])):
            same.append(old["id"])
        else:
            changed.append(record)
    await conn.execute("UPDATE flags SET last_seen = now(), last_run = $1 WHERE id = any($2::bigint[])", run_id, same)
    return changed


def _scopes(loaded: Loaded, changed: np.ndarray,
            window_days: int) -> tuple[dict[str, np.ndarray], tuple[np.ndarray, np.ndarray] | None]:
    """Which rows each detector can judge with complete evidence, and (incremental) the candidate pairs.

    An incremental scan reads every filing of the changed filings' sellers and
    buyers. A filing of one of those sellers has its seller's whole history
    loaded, so back-dating and large software are judged for all of them. A
    split or duplicate verdict depends only on the filings a filing reaches
    through candidate pairs (same buyer, within the window, same or sister
    seller): those reachable from a changed filing are judged, the rest cannot
    have changed. Buyers that lost a filing (refused, corrected) are judged whole.
    """
    c = loaded.columns
    if loaded.changed_sellers is None:                  # full scan: everything
        everything = np.ones(len(c), bool)
        return {"backdated": everything, "large_software": everything, "split": everything,
                "duplicate": everything, "outlier": everything}, None
    by_seller = np.isin(c.seller, loaded.changed_sellers)
    buyer_mask = np.isin(c.buyer, loaded.changed_buyers)
    by_buyer = np.nonzero(buyer_mask)[0]
    a, b = pairs.index_pairs(c.take(by_buyer), window_days)     # all of those buyers' filings, as a full scan
    a, b = by_buyer[a], by_buyer[b]
    n = len(c)
    graph = coo_matrix((np.ones(len(a), np.int8), (a, b)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    seeds = changed | np.isin(c.buyer, loaded.moved_buyers)
    by_pairs = np.isin(component, np.unique(component[seeds])) & buyer_mask
    keep = by_pairs[a]                                  # both ends of a pair are in one component
    return ({"backdated": by_seller, "large_software": by_seller, "split": by_pairs, "duplicate": by_pairs,
             "outlier": changed}, (a[keep], b[keep]))


async def _retire_unraised(conn: asyncpg.Connection, loaded: Loaded, scopes: dict[str, np.ndarray],
                           results: list[Flags], raised: set[tuple[int, str]]) -> None:
    """Active flags of filings this run judged that it did not raise again become inactive (kept on record).

    Judged means: in the scope of that detector family (a newer version replaces an older one's flag).
    Worked out from the active flags, which are few next to the filings, instead of a join in SQL.
    """
    active = await conn.fetch("SELECT id, filing_id, detector FROM flags WHERE active")
    if not active:
        return
    flag_id, filing_id, detector = (list(column) for column in zip(*active))
    family = np.array([d.split("/")[0] for d in detector])
    filing = np.array(filing_id, np.int64)
    judged = np.zeros(len(active), bool)
    for flags in results:
        judged |= (family == flags.detector.split("/")[0]) & np.isin(filing, loaded.ids[scopes[flags.kind]])
    retire = [flag_id[k] for k in np.nonzero(judged)[0] if (filing_id[k], detector[k]) not in raised]
    await conn.execute("UPDATE flags SET active = false WHERE id = any($1::bigint[])", retire)


def _load_model(stats: list) -> outlier.OutlierModel | None:
    try:
        return outlier.load()
    except outlier.ModelError as exc:     # a model we cannot trust is skipped, loudly, not used
        stats.append(DetectorStats("outlier", 0, 0, 0, str(exc)))
        return None


async def _scan(conn, settings, run_id, full, progress) -> ScanReport:
    # one snapshot for every read; inside a caller's transaction (a scheduled job) a savepoint of it
    async with conn.transaction(isolation=None if conn.is_in_transaction() else "repeatable_read"):
        since = 0
        if not full:
            since = await conn.fetchval(
                "SELECT coalesce(max(high_water), 0) FROM scan_runs WHERE status = 'succeeded'")
        high_water = await conn.fetchval("SELECT coalesce(max(change_seq), 0) FROM filings")
        progress("读取 / reading filings" + ("" if full else " changed since the last scan, with their parties' history"))
        if full:
            loaded = await load_numbers(conn)
            await load_text(conn, loaded)
            peers = from_columns(loaded.columns)
        else:
            loaded = await load_numbers(conn, changed_since=since)
            peers = await peers_latest_or_fresh(conn)
        in_scope = loaded.changed
        scopes, pair_index = _scopes(loaded, in_scope, pair_window(settings))
        if not full:                              # only the pair detectors read text
            await load_text(conn, loaded, np.nonzero(scopes["split"])[0])
        progress(f"检测 / scoring {int(in_scope.sum())} of {len(loaded.ids)} filings read")
        stats: list[DetectorStats] = []
        model = _load_model(stats)
        results = run_detectors(loaded.columns, settings, peers=peers, in_scope=in_scope, model=model,
                                scopes=None if full else scopes, pair_index=pair_index)
        records = []
        refs = loaded.columns.ref
        for flags in results:
            scope = scopes[flags.kind]
            keep = [k for k, row in enumerate(flags.rows)
                    if scope[row] or (len(flags.related[k]) and in_scope[flags.related[k]].any())]
            share = len(flags) / flags.applied if flags.applied else 0.0
            warning = None
            if share > IMPLAUSIBLE_SHARE:
                warning = (f"标记比例 {share:.0%} 过高，请检查阈值 / flags {share:.0%} of applicable filings: "
                           f"implausibly many, check the settings")
            stats.append(DetectorStats(flags.detector, flags.applied, len(flags), flags.excluded, warning))
            for k in keep:
                row = flags.rows[k]
                records.append((int(loaded.ids[row]), flags.kind, flags.detector, float(min(max(flags.scores[k], 0), 1)),
                                json.dumps(flags.reasons[k], ensure_ascii=False),
                                [str(refs[r]) for r in flags.related[k]]))
        raised = {(record[0], record[2]) for record in records}
        if not full:
            records = await _confirm_unchanged(conn, run_id, records)
        progress(f"写入 / writing {len(records)} new or changed flags")
        await conn.execute("""CREATE TEMP TABLE IF NOT EXISTS scan_flags
            (filing_id bigint, kind text, detector text, score float8, reasons text, related text[])""")
        await conn.execute("TRUNCATE scan_flags")
        await conn.copy_records_to_table("scan_flags", records=records)
        await conn.execute("""
            INSERT INTO flags (filing_id, kind, detector, score, reasons, related, first_run, last_run)
            SELECT filing_id, kind, detector, score, reasons::jsonb, related, $1, $1 FROM scan_flags
            ON CONFLICT (filing_id, kind, detector) DO UPDATE
            SET score = excluded.score, reasons = excluded.reasons, related = excluded.related,
                last_seen = now(), last_run = $1, active = true
        """, run_id)
        # flags of judged filings that this run no longer raises (or that an older version of the
        # detector raised) stay on record, inactive; so do those of filings refused since the last scan
        await _retire_unraised(conn, loaded, scopes, results, raised)
        await conn.execute("""
            UPDATE flags SET active = false
            WHERE active AND filing_id IN (SELECT id FROM filings WHERE status = 'refused' AND change_seq > $1)
        """, since)
        await conn.executemany(
            "INSERT INTO scan_detector_stats (run_id, detector, applied, flagged, excluded, warning)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            [(run_id, s.detector, s.applied, s.flagged, s.excluded, s.warning) for s in stats])
        await conn.execute(
            "UPDATE scan_runs SET status = 'succeeded', finished_at = now(), filings_read = $2,"
            " filings_scored = $3, high_water = $4, peers = $5 WHERE id = $1",
            run_id, len(loaded.ids), int(in_scope.sum()), high_water, peers_to_json(peers) if full else None)
        active = await conn.fetchval("SELECT count(*) FROM flags WHERE active")
    return ScanReport(run_id, "full" if full else "incremental", len(loaded.ids), int(in_scope.sum()), active, stats)


EXPORT_SQL = """
    SELECT f.ref, g.kind, g.score, g.reasons, g.related, g.detector
    FROM flags g JOIN filings f ON f.id = g.filing_id WHERE g.active ORDER BY g.id
"""


async def export_flags(conn: asyncpg.Connection):
    """Flag export format (filing-format.md), one JSON object per active flag."""
    async with conn.transaction(readonly=True):
        async for r in conn.cursor(EXPORT_SQL, prefetch=5000):
            yield msgspec.json.encode({"ref": r["ref"], "kind": r["kind"], "score": round(r["score"], 4),
                                       "reasons": r["reasons"], "related": list(r["related"]),
                                       "detector": r["detector"]}) + b"\n"


class FlagOut(msgspec.Struct):
    ref: str
    kind: str
    score: float
    reasons: list[str]
    related: list[str]
    detector: str
    active: bool
    first_seen: "datetime.datetime"
    last_seen: "datetime.datetime"


FLAG_COLUMNS = """f.ref, g.kind, g.score, g.reasons, g.related, g.detector, g.active, g.first_seen, g.last_seen"""


async def flags_for_filing(conn: asyncpg.Connection, filing_id: int) -> list[FlagOut]:
    rows = await conn.fetch(f"SELECT {FLAG_COLUMNS} FROM flags g JOIN filings f ON f.id = g.filing_id"
                            " WHERE g.filing_id = $1 ORDER BY g.active DESC, g.score DESC", filing_id)
    return [msgspec.convert(dict(r), FlagOut) for r in rows]


async def list_flags(conn: asyncpg.Connection, *, point: str | None, kind: str | None, min_score: float,
                     limit: int) -> list[FlagOut]:
    rows = await conn.fetch(
        f"SELECT {FLAG_COLUMNS} FROM flags g JOIN filings f ON f.id = g.filing_id"
        " WHERE g.active AND g.score >= $1 AND ($2::text IS NULL OR g.kind = $2)"
        " AND ($3::text IS NULL OR f.point_code = $3) ORDER BY g.score DESC, g.id LIMIT $4",
        min_score, kind, point, limit)
    return [msgspec.convert(dict(r), FlagOut) for r in rows]
