"""Peer groups (kind × field × software or not): how large filings of each group usually are.

A full scan computes them from the arrays; an incremental scan, which reads
only the neighbourhood of the changed filings, asks PostgreSQL for the same
quartiles over the whole registry, so both see the same peers.
"""

import asyncpg
import numpy as np

from .columns import DOMAINS, KINDS, PEER_GROUP_SQL, Columns

PEER_SQL = f"""
    SELECT {PEER_GROUP_SQL} AS key, count(*) AS n,
           percentile_cont(array[0.25, 0.5, 0.75])
               WITHIN GROUP (ORDER BY ln(1 + coalesce(x.approved_amount, x.tech_amount)::float8)) AS q
    FROM filings x WHERE x.status <> 'refused' GROUP BY 1
"""


class PeerTable(dict):
    """peer group code -> (count, q1, median, q3) of log(1 + technology amount), the approved one where there is
    one (as filing_facts gives it to a full scan)."""

    def per_row(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        uniq, inverse = np.unique(keys, return_inverse=True)
        stats = np.array([self.get(int(k), (0, np.nan, np.nan, np.nan)) for k in uniq],
                         dtype=np.float64).reshape(-1, 4)
        rows = stats[inverse]
        return rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]


def peer_keys(c: Columns) -> np.ndarray:
    return c.peer_group


def from_columns(c: Columns) -> PeerTable:
    keys = peer_keys(c)
    logs = np.log1p(c.tech_amount)
    uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.r_[0, np.cumsum(counts)]
    table = PeerTable()
    for g, key in enumerate(uniq):                 # a loop over peer groups (a few dozen), not rows
        q1, q2, q3 = np.percentile(logs[order[bounds[g]:bounds[g + 1]]], [25, 50, 75])
        table[int(key)] = (int(counts[g]), q1, q2, q3)
    return table


async def from_database(conn: asyncpg.Connection) -> PeerTable:
    return PeerTable({r["key"]: (r["n"], *r["q"]) for r in await conn.fetch(PEER_SQL, KINDS, DOMAINS)})


def to_json(table: PeerTable) -> dict:
    return {str(k): list(v) for k, v in table.items()}


async def latest_or_fresh(conn: asyncpg.Connection, max_change: float = 0.05) -> PeerTable:
    """The last full scan's peer table while fewer than `max_change` of the filings changed since; else fresh."""
    row = await conn.fetchrow("SELECT peers, filings_read, high_water FROM scan_runs WHERE status = 'succeeded'"
                              " AND mode = 'full' AND peers IS NOT NULL ORDER BY id DESC LIMIT 1")
    if row and row["filings_read"]:
        changed = await conn.fetchval("SELECT count(*) FROM filings WHERE change_seq > $1", row["high_water"])
        if changed <= max_change * row["filings_read"]:
            return PeerTable({int(k): tuple(v) for k, v in row["peers"].items()})
    return await from_database(conn)
