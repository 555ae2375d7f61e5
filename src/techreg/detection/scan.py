"""Scans: score filings with every registered detector (detectors.DETECTORS) and store the flags.

A full scan scores every filing; an incremental scan scores the filings changed since the last
successful scan, against the whole history. The flags of one scan are written in one transaction
(store.py), so a scan killed midway leaves nothing half-written. This module only orchestrates:
what to read, which rows each detector judges, and what to hand to the store.
"""

import asyncio
import contextlib
import datetime as dt
import functools
import gc
import logging
from collections.abc import AsyncIterator, Callable

import asyncpg
import msgspec
import numpy as np

from ..config import Settings
from ..db.replica import primary_position, wait_for_replay
from . import outlier, pairs, resident, store
from .base import Context
from .columns import distinct
from .detectors import DETECTORS, load_settings, pair_window, register_kinds
from .flags import Flags
from .loader import DTYPES, UNREADABLE_SQL, Loaded, load_numbers, load_text
from .peers import PeerTable, from_columns
from .peers import latest_or_fresh as peers_latest_or_fresh
from .peers import to_json as peers_to_json

log = logging.getLogger("techreg.scan")
_encode = msgspec.json.Encoder().encode
# above this share of applicable filings, a detector is probably mis-tuned
IMPLAUSIBLE_SHARE = 0.2

# -- queries ---------------------------------------------------------------------------------------------
START_RUN = "INSERT INTO scan_runs (mode) VALUES ($1) RETURNING id"
FAIL_RUN = "UPDATE scan_runs SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1"
# an incremental scan starts where the last successful one (of either mode) stopped: its high-water change_seq
# and its snapshot (loader.changed_since); none yet: from the start
LAST_MARK = ("SELECT high_water, snapshot::text FROM scan_runs WHERE status = 'succeeded'"
             " ORDER BY high_water DESC, id DESC LIMIT 1")
# this scan's mark, in its own snapshot (a repeatable-read transaction: pg_current_snapshot is that snapshot)
HIGH_WATER = "SELECT coalesce(max(change_seq), 0), pg_current_snapshot()::text FROM filings"
RECORD_STATS = ("INSERT INTO scan_detector_stats (run_id, detector, applied, flagged, excluded, warning)"
                " VALUES ($1, $2, $3, $4, $5, $6)")
FINISH_RUN = ("UPDATE scan_runs SET status = 'succeeded', finished_at = now(), filings_read = $2,"
              " filings_scored = $3, high_water = $4, peers = $5, skipped = $6, skipped_refs = $7,"
              " snapshot = $8::text::pg_snapshot WHERE id = $1")
# the active flags, from the tally their triggers keep in the same transaction (migration 0024): counting them
# through the index visits every heap page the scan has just written
COUNT_ACTIVE = "SELECT coalesce(sum(flags), 0)::bigint FROM flag_month_tally"
# The most recent scans, newest first, each with what every detector flagged in it (the jobs page).
RECENT_SCANS = """
    SELECT r.id, r.mode, r.status, r.started_at, r.finished_at, r.filings_read, r.filings_scored,
           coalesce(json_agg(json_build_object('detector', s.detector, 'applied', s.applied, 'flagged', s.flagged,
                                               'excluded', s.excluded, 'warning', s.warning) ORDER BY s.detector)
                    FILTER (WHERE s.detector IS NOT NULL), '[]') AS detectors
    FROM scan_runs r LEFT JOIN scan_detector_stats s ON s.run_id = r.id
    GROUP BY r.id ORDER BY r.id DESC LIMIT $1
"""


class DetectorStats(msgspec.Struct):
    detector: str
    applied: int
    flagged: int
    excluded: int
    warning: str | None = None


class ScanRun(msgspec.Struct):
    """A scan as recorded: its mode, its state and counts, and each detector's figures."""
    id: int
    mode: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    filings_read: int | None
    filings_scored: int | None
    detectors: list[DetectorStats]


async def recent_scans(conn: asyncpg.Connection, limit: int = 20) -> list[ScanRun]:
    return [msgspec.convert(dict(r), ScanRun) for r in await conn.fetch(RECENT_SCANS, limit)]


class ScanReport(msgspec.Struct):
    run_id: int
    mode: str
    filings_read: int
    filings_scored: int
    flags_active: int
    detectors: list[DetectorStats]
    skipped: int = 0                       # filings left out: dates no scan can compute with
    skipped_refs: list[str] = []
    read_from: str = "primary"             # where the filings were read: "primary", or "replica" (db/replica.py)


def run_detectors(columns, settings: Settings | None = None, *, peers: PeerTable | None = None,
                  in_scope: np.ndarray | None = None, model: outlier.OutlierModel | None = None,
                  scopes: dict[str, np.ndarray] | None = None,
                  pair_index: tuple[np.ndarray, np.ndarray] | None = None,
                  detector_settings: dict | None = None, detectors=DETECTORS) -> list[Flags]:
    """Every registered detector (or those given) over the columns; with `scopes` (incremental) each only over
    the rows its SCOPE says it must judge, the pair detectors over the candidate pairs `pair_index` found among
    all of the buyers' filings."""
    detector_settings = detector_settings or load_settings()
    ctx = Context(columns, detector_settings, peers or from_columns(columns), model, in_scope,
                  pair_window(detector_settings), pair_index if scopes is None else None)
    # each scope's sub-context is built once and shared by the detectors of that scope (one pair search)
    contexts: dict[str, tuple[Context, np.ndarray | None]] = {}

    def context_for(scope: str) -> tuple[Context, np.ndarray | None]:
        if scopes is None or scope == "changed":
            return ctx, None
        if scope not in contexts:
            rows = np.nonzero(scopes[scope])[0]
            local = None
            if scope == "pairs":
                local = (np.searchsorted(rows, pair_index[0]), np.searchsorted(rows, pair_index[1]))
            contexts[scope] = (ctx.take(rows, local), rows)
        return contexts[scope]

    results = []
    for detector in detectors:
        sub, rows = context_for(detector.SCOPE)
        flags = detector.detect(sub)
        if rows is not None:                          # back to the rows of the whole read
            flags.rows = rows[flags.rows]
            flags.related = [rows[r] for r in flags.related]
        results.append(flags)
    return results


# One scan at a time across the registry (scheduled, manual, prompt, CLI): two scans writing the same
# flags would undo each other's work. Inside a caller's transaction (a scheduled job) the lock is the
# transaction's; otherwise it is held for the scan and released, before the scan's own snapshot is taken.
SCAN_LOCK_XACT = "SELECT pg_advisory_xact_lock(hashtextextended('techreg-scan', 0))"
SCAN_LOCK = "SELECT pg_advisory_lock(hashtextextended('techreg-scan', 0))"
SCAN_UNLOCK = "SELECT pg_advisory_unlock(hashtextextended('techreg-scan', 0))"


async def run_scan(conn: asyncpg.Connection, settings: Settings, *, full: bool,
                   progress: Callable[[str], None] = lambda _: None,
                   replica: asyncpg.Connection | None = None) -> ScanReport:
    """Score and store flags on `conn` (the primary). With `replica` (db/replica.py), the filings are read there
    once it has replayed past the primary's position at the scan's start; the flags are written on `conn`."""
    nested = conn.is_in_transaction()
    await conn.execute(SCAN_LOCK_XACT if nested else SCAN_LOCK)
    # A scan allocates millions of objects that form no cycles (text columns, records, flag rows); the
    # collector's full passes over them cost seconds on a large registry and free nothing, so it waits.
    collecting = gc.isenabled()
    gc.disable()
    try:
        mode = "full" if full else "incremental"
        run_id = await conn.fetchval(START_RUN, mode)
        try:
            report = await _scan(conn, settings, run_id, full, progress, replica)
        except BaseException as exc:
            await conn.execute(FAIL_RUN, run_id, f"{type(exc).__name__}: {exc}"[:2000])
            raise
        return report
    finally:
        if collecting:
            gc.enable()
        if not nested:
            await conn.execute(SCAN_UNLOCK)


def _scopes(loaded: Loaded, changed: np.ndarray,
            window_days: int) -> tuple[dict[str, np.ndarray], tuple[np.ndarray, np.ndarray] | None]:
    """Which rows each detector scope can judge with complete evidence, and the candidate pairs.

    An incremental scan reads every filing of the changed filings' sellers and buyers. A filing of one
    of those sellers has its seller's whole history loaded, so the "seller" scope judges all of them.
    A split or duplicate verdict depends only on the filings a filing reaches through candidate pairs
    (same buyer, within the window, same or sister seller): those reachable from a changed filing are
    judged, the rest cannot have changed. Buyers that lost a filing (refused, corrected) are judged whole.
    """
    c = loaded.columns
    if loaded.changed_sellers is None:                  # full scan: everything, and every candidate pair
        everything = np.ones(len(c), bool)
        return {"seller": everything, "pairs": everything, "changed": everything}, pairs.index_pairs(c, window_days)
    # membership by lookup table (kind="table"): party numbers and rows are small integers
    by_seller = np.isin(c.seller, loaded.changed_sellers, kind="table")
    buyer_mask = np.isin(c.buyer, loaded.changed_buyers, kind="table")
    by_buyer = np.nonzero(buyer_mask)[0]
    a, b = pairs.index_pairs(c, window_days, rows=by_buyer)     # all of those buyers' filings, as a full scan
    n = len(c)
    from scipy.sparse import coo_matrix                    # with the first scan: pages that list scans
    from scipy.sparse.csgraph import connected_components  # start without scipy

    graph = coo_matrix((np.ones(len(a), np.int8), (a, b)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    seeds = changed | np.isin(c.buyer, loaded.moved_buyers, kind="table")
    by_pairs = np.isin(component, distinct(component[seeds]), kind="table") & buyer_mask
    keep = by_pairs[a]                                  # both ends of a pair are in one component
    return {"seller": by_seller, "pairs": by_pairs, "changed": changed}, (a[keep], b[keep])


def _load_model(stats: list) -> outlier.OutlierModel | None:
    try:
        return outlier.load()
    except outlier.ModelError as exc:     # a model we cannot trust is skipped, loudly, not used
        stats.append(DetectorStats("outlier", 0, 0, 0, str(exc)))
        return None


def _records(results: list[Flags], loaded: Loaded, scopes: dict, in_scope: np.ndarray,
             stats: list[DetectorStats]) -> list[tuple]:
    """Rows for the store: flags on judged filings, or whose evidence includes a changed one."""
    records = []
    refs = loaded.columns.ref
    for flags, detector in zip(results, DETECTORS):
        scope = scopes[detector.SCOPE]
        share = len(flags) / flags.applied if flags.applied else 0.0
        warning = None
        if share > IMPLAUSIBLE_SHARE:
            warning = (f"标记比例 {share:.0%} 过高，请检查阈值 / flags {share:.0%} of applicable filings: "
                       f"implausibly many, check the settings")
        stats.append(DetectorStats(flags.detector, flags.applied, len(flags), flags.excluded, warning))
        if not len(flags):
            continue
        # the related rows of every flag as one array (flag k's are flat[ends[k-1]:ends[k]]), so membership
        # and references are looked up once for all, not flag by flag
        ends = np.cumsum([len(r) for r in flags.related])
        flat = np.concatenate(flags.related).astype(np.int64)
        owner = np.repeat(np.arange(len(flags)), np.diff(np.r_[0, ends]))
        evidence_changed = np.bincount(owner, weights=in_scope[flat], minlength=len(flags)) > 0
        keep = np.nonzero(scope[flags.rows] | evidence_changed)[0]
        ids = loaded.ids[flags.rows].tolist()
        scores = np.clip(flags.scores, 0, 1).astype(float).tolist()
        related_refs = refs[flat].astype(str).tolist()
        starts = np.r_[0, ends[:-1]].tolist()
        ends = ends.tolist()
        for k in keep.tolist():                    # a loop over flags, not filings
            records.append((ids[k], flags.kind, flags.detector, scores[k], _encode(flags.reasons[k]).decode(),
                            related_refs[starts[k]:ends[k]]))
    return records


REFS_OF = "SELECT id, ref FROM filings WHERE id = any($1::bigint[])"


async def _fill_related_refs(conn: asyncpg.Connection, loaded: Loaded, results: list[Flags]) -> None:
    """An incremental scan reads text only where the pair detectors need it; the filings other flags
    name as evidence (a seller's other contracts) get their references here, in one query (a flag's own
    filing is written by id, so its reference is not needed)."""
    refs = loaded.columns.ref
    wanted = distinct(np.concatenate([np.zeros(0, np.int64)] + [np.concatenate(f.related)
                                                                for f in results if len(f)]))
    missing = wanted[refs[wanted] == ""] if len(wanted) else wanted
    if len(missing):
        found = dict(await conn.fetch(REFS_OF, loaded.ids[missing].tolist()))
        refs[missing] = np.array([found[i] for i in loaded.ids[missing]], dtype=object)


# Only the pair detectors read titles; the others judge numbers alone.
NUMBERS_ONLY = tuple(d for d in DETECTORS if d.SCOPE != "pairs")
WITH_TITLES = tuple(d for d in DETECTORS if d.SCOPE == "pairs")


def _in_registry_order(*parts: tuple[tuple, list[Flags]]) -> list[Flags]:
    by_detector = {d: flags for detectors, results in parts for d, flags in zip(detectors, results)}
    return [by_detector[d] for d in DETECTORS]


async def _judge_all(source: asyncpg.Connection, loaded: Loaded, pair_index: tuple[np.ndarray, np.ndarray],
                     judge: Callable[..., list[Flags]]) -> list[Flags]:
    """A full scan: the titles of every filing in a candidate pair (found from numbers), then every detector on
    a thread (the event loop stays free: a scan in `techreg serve` scores submissions). One after the other, not
    side by side: the registry's titles and the detectors' working arrays at once would raise the scan's peak."""
    await load_text(source, loaded, distinct(np.concatenate(pair_index)))
    results = await asyncio.to_thread(judge)
    await _fill_related_refs(source, loaded, results)
    return results


async def _judge_some(conn: asyncpg.Connection, source: asyncpg.Connection, loaded: Loaded, scopes: dict,
                      judged_ids: np.ndarray, judge: Callable[..., list[Flags]]) -> tuple[list[Flags], list]:
    """An incremental scan, PostgreSQL and numpy side by side on two cores: the detectors that judge numbers run
    on a thread while the pair scope's titles and the stored flags of the judged filings are read; then the pair
    detectors run while the references named by the first ones' evidence are read. The connection serves one
    query at a time, the thread never touches it. (The first detectors read no text column: titles arriving
    meanwhile change nothing they compute.)"""
    numbers = asyncio.ensure_future(asyncio.to_thread(judge, detectors=NUMBERS_ONLY))
    try:
        await load_text(source, loaded, np.nonzero(scopes["pairs"])[0])
        stored = await store.active_of(conn, judged_ids)
    finally:
        first = await numbers
    titles = asyncio.ensure_future(asyncio.to_thread(judge, detectors=WITH_TITLES))
    try:
        await _fill_related_refs(source, loaded, first)
    finally:
        second = await titles
    await _fill_related_refs(source, loaded, second)          # their evidence lies in the pair scope, read above
    return _in_registry_order((NUMBERS_ONLY, first), (WITH_TITLES, second)), stored


@contextlib.asynccontextmanager
async def _reading(conn: asyncpg.Connection, replica: asyncpg.Connection | None, settings: Settings,
                   progress: Callable[[str], None]) -> AsyncIterator[tuple[asyncpg.Connection, str]]:
    """Where a scan reads its filings: the replica, in one read-only snapshot, once it has replayed past the
    primary's position now (taken under the scan lock, so it lies after every filing committed before the scan
    and after the last scan's high-water mark: an incremental scan misses nothing); the primary, in the scan's
    own snapshot, when there is no replica or it does not catch up within TECHREG_READ_REPLAY_WAIT seconds."""
    if replica is not None:
        position = await primary_position(conn)
        progress("等待只读副本 / waiting for the read replica to replay up to " + position)
        try:
            caught_up = await wait_for_replay(replica, position, settings.read_replay_wait)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:   # the replica went away
            log.warning("read replica failed (%s): the scan reads on the primary", exc)
            caught_up = None
        if caught_up:
            async with replica.transaction(isolation="repeatable_read", readonly=True):
                yield replica, "replica"
            return
        if caught_up is False:
            log.warning("read replica not at %s within %.0f s: the scan reads on the primary", position,
                        settings.read_replay_wait)
    yield conn, "primary"


async def _scan(conn, settings, run_id, full, progress, replica=None) -> ScanReport:
    detector_settings = load_settings()
    window = pair_window(detector_settings)
    # one snapshot for every read; inside a caller's transaction (a scheduled job) a savepoint of it
    async with conn.transaction(isolation=None if conn.is_in_transaction() else "repeatable_read"):
        await register_kinds(conn)
        async with _reading(conn, replica, settings, progress) as (source, read_from):
            since = (0, None) if full else tuple(await source.fetchrow(LAST_MARK) or (0, None))
            high_water, snapshot = await source.fetchrow(HIGH_WATER)
            progress("读取 / reading filings" + ("" if full else " changed since the last scan, with their parties' history"))
            keeping = settings.scan_keep_numbers == "yes"
            database = await resident.identity(source) if keeping else None
            if full:
                loaded = await load_numbers(source)
                peers = from_columns(loaded.columns)
            else:
                kept = (await resident.brought_up_to_date(source, database, (high_water, snapshot)) if keeping
                        else None)
                loaded = await load_numbers(source, since=since, kept=kept)
                peers = await peers_latest_or_fresh(source)
            in_scope = loaded.changed
            scopes, pair_index = _scopes(loaded, in_scope, window)
            progress(f"检测 / scoring {int(in_scope.sum())} of {len(loaded.ids)} filings read")
            stats: list[DetectorStats] = []
            model = _load_model(stats)
            judge = functools.partial(run_detectors, loaded.columns, peers=peers, in_scope=in_scope, model=model,
                                      scopes=None if full else scopes, pair_index=pair_index,
                                      detector_settings=detector_settings)
            if full:
                results, stored = await _judge_all(source, loaded, pair_index, judge), None
            else:
                judged = {d.KIND: loaded.ids[scopes[d.SCOPE]] for d in DETECTORS}
                judged_ids = distinct(np.concatenate(list(judged.values())))
                results, stored = await _judge_some(conn, source, loaded, scopes, judged_ids, judge)
            skipped, skipped_refs = await source.fetchrow(UNREADABLE_SQL, *since)
        # the writes, on the primary; the flags table is written by scans alone, under the scan lock
        records = _records(results, loaded, scopes, in_scope, stats)
        if not full:       # what this run raises, before the unchanged ones are only confirmed
            raised = {(record[0], record[2]) for record in records}
            # a flag kept because its evidence changed may sit on a filing no scope judged: its stored rows too
            flagged = distinct(np.array([record[0] for record in records], np.int64))
            stored += await store.active_of(conn, flagged[~np.isin(flagged, judged_ids)])
            records = await store.confirm_unchanged(conn, run_id, records, stored)
        progress(f"写入 / writing {len(records)} new or changed flags")
        await store.write(conn, run_id, records)
        # flags of judged filings that this run no longer raises (or that an older version of the
        # detector raised) stay on record, inactive; so do those of filings refused since the last scan
        if full:
            await store.retire_all_unraised(conn, run_id, [flags.detector.split("/")[0] for flags in results])
        else:
            await store.retire_unraised(conn, {flags.detector.split("/")[0]: judged[d.KIND]
                                               for flags, d in zip(results, DETECTORS)}, raised, stored)
        await store.retire_refused(conn, since)
        await conn.executemany(RECORD_STATS, [(run_id, s.detector, s.applied, s.flagged, s.excluded, s.warning)
                                              for s in stats])
        if skipped:
            log.warning("scan #%d left out %d filing(s) with dates outside 1900-2999: %s", run_id, skipped,
                        ", ".join(skipped_refs))
        await conn.execute(FINISH_RUN, run_id, len(loaded.ids), int(in_scope.sum()), high_water,
                           peers_to_json(peers) if full else None, skipped, list(skipped_refs), snapshot)
        active = await conn.fetchval(COUNT_ACTIVE)
    if full and keeping:          # for the incremental scans to come, once this one's peak is past
        resident.keep(database, (high_water, snapshot), {"id": loaded.ids, **{name: getattr(loaded.columns, name)
                                                                 for name in DTYPES if name != "id"}})
    return ScanReport(run_id, "full" if full else "incremental", len(loaded.ids), int(in_scope.sum()), active, stats,
                      skipped, list(skipped_refs), read_from)
