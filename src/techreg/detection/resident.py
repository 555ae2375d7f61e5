"""The registry's detector numbers kept by a long-running worker between its scans.

An incremental scan judges the changed filings against their parties' whole history, so it reads every
filing of their sellers and buyers: at 1,000,000 filings, 190,000 rows for 5,000 new ones, most of its time.
A worker (`techreg worker`, scheduled scans) keeps the numbers its last full scan read and brings them up to
date with the filings changed since, read the way the scan reads its own changes (by change_seq), so the
neighbourhood comes out of memory: the same rows, the same values, in the same order as NEIGHBOURHOOD_SQL.

Kept for one database at a time (the cluster's system identifier and the database's oid: a restored or
recreated database is another one); a scan on a snapshot older than the kept numbers (a lagging replica) reads
PostgreSQL instead. Numbers only (~80 bytes a filing, ~100 MB at 1,000,000); titles are read per scan, for the
few filings that need them. TECHREG_SCAN_KEEP_NUMBERS=no turns it off.
"""

from dataclasses import dataclass

import asyncpg
import numpy as np

from .loader import CHANGED_NUMBERS_SQL, DTYPES, READABLE, _copy, changed_since

# which database this is: a copy restored elsewhere, or one dropped and created again, has another identity
IDENTITY = ("SELECT (SELECT system_identifier FROM pg_control_system()),"
            " (SELECT oid FROM pg_database WHERE datname = current_database())")
# filings changed since a mark that no longer count for the detectors (refused, or dates no scan can use)
GONE_SINCE = f"""
    SELECT f.id FROM filings f JOIN filing_facts x ON x.id = f.id
    WHERE {changed_since()} AND (x.refused OR NOT ({READABLE}))
"""


@dataclass
class Kept:
    identity: tuple
    mark: tuple                   # (high water, snapshot) of the scan whose snapshot the arrays are
    values: dict[str, np.ndarray]  # the loader's columns, "id" ascending; capacity beyond `size` is spare
    live: np.ndarray              # False: refused since, or its dates unusable
    size: int

    @property
    def ids(self) -> np.ndarray:
        return self.values["id"]


_kept: Kept | None = None


async def identity(conn: asyncpg.Connection) -> tuple:
    return tuple(await conn.fetchrow(IDENTITY))


def keep(identity_: tuple, mark: tuple, values: dict[str, np.ndarray]) -> None:
    """Keep a full scan's numbers (copied, with room for the filings to come)."""
    global _kept
    n = len(values["id"])
    room = n + max(n // 4, 4096)
    _kept = Kept(identity_, mark, {k: _grown(v, room) for k, v in values.items()},
                 _grown(np.ones(n, bool), room), n)


def forget() -> None:
    global _kept
    _kept = None


def _grown(values: np.ndarray, capacity: int) -> np.ndarray:
    out = np.zeros(capacity, values.dtype)
    out[:len(values)] = values
    return out


async def brought_up_to_date(conn: asyncpg.Connection, identity_: tuple, mark: tuple) -> Kept | None:
    """The kept numbers as of `mark` (high water, snapshot: this scan's), or None when there are none for this
    database or they are newer than this snapshot (a lagging replica): the scan then reads from PostgreSQL."""
    kept = _kept
    if kept is None or kept.identity != identity_ or kept.mark[0] > mark[0]:
        return None
    if kept.mark == mark:
        return kept
    changed = await _copy(conn, CHANGED_NUMBERS_SQL, *kept.mark)
    gone = np.array([r[0] for r in await conn.fetch(GONE_SINCE, *kept.mark)], np.int64)
    # (catching up reads each changed filing once; the neighbourhood it replaces, each of its parties' filings)
    _apply(kept, {name: changed[name]["value"].astype(dtype) for name, dtype in DTYPES.items()}, gone)
    kept.mark = mark
    return kept


def _apply(kept: Kept, changed: dict[str, np.ndarray], gone: np.ndarray) -> None:
    n = kept.size
    ids = kept.ids[:n]
    order = np.argsort(changed["id"])
    changed = {name: column[order] for name, column in changed.items()}
    at = np.searchsorted(ids, changed["id"])
    known = (at < n) & (ids[np.minimum(at, n - 1)] == changed["id"])
    for name, column in kept.values.items():                       # corrected, registered, approved...
        column[at[known]] = changed[name][known]
    kept.live[at[known]] = True
    new = ~known
    if new.any():
        _insert(kept, {name: column[new] for name, column in changed.items()})
        ids = kept.ids[:kept.size]
    if len(gone):                                                   # refused since: out of every read
        at = np.searchsorted(ids, gone)
        hit = (at < kept.size) & (ids[np.minimum(at, kept.size - 1)] == gone)
        kept.live[at[hit]] = False


def _insert(kept: Kept, rows: dict[str, np.ndarray]) -> None:
    """New filings: appended where their ids come after every kept one (the usual case), else merged in."""
    n, m = kept.size, len(rows["id"])
    if n + m > len(kept.ids):                                       # out of room: grow by a quarter
        room = n + m + max((n + m) // 4, 4096)
        kept.live = _grown(kept.live[:n], room)
        kept.values = {k: _grown(v[:n], room) for k, v in kept.values.items()}
    if n == 0 or rows["id"][0] > kept.ids[n - 1]:                  # rows come sorted by id
        for name, column in kept.values.items():
            column[n:n + m] = rows[name]
        kept.live[n:n + m] = True
    else:                                                           # an id below the last kept one
        order = np.argsort(np.r_[kept.ids[:n], rows["id"]], kind="stable")
        for name, column in kept.values.items():
            column[:n + m] = np.r_[column[:n], rows[name]][order]
        kept.live[:n + m] = np.r_[kept.live[:n], np.ones(m, bool)][order]
    kept.size = n + m


def neighbourhood(kept: Kept, sellers: np.ndarray, buyers: np.ndarray) -> dict[str, np.ndarray]:
    """The kept rows NEIGHBOURHOOD_SQL reads: every counting filing of these sellers or buyers, in id order."""
    n = kept.size
    v = kept.values
    rows = np.nonzero(kept.live[:n] & (_member(v["seller"][:n], sellers) | _member(v["buyer"][:n], buyers)))[0]
    return {name: column[rows] for name, column in v.items()}


def _member(values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    return np.isin(values, wanted.astype(values.dtype), kind="table") if len(wanted) else np.zeros(len(values), bool)


