"""Read filings out of PostgreSQL straight into column arrays.

Dates arrive as day numbers and amounts as float8, and text keys (title core,
numbering, contract number) are computed by PostgreSQL, so no Python object is
built per row beyond what asyncpg returns.
"""

import asyncpg
import numpy as np

from .columns import Columns
from .text import BRAND_SQL, CONTRACT_KEY_SQL, TITLE_CORE_SQL, TITLE_MARKS_SQL

FIELDS = f"""
    id, ref, seller_code, buyer_code, kind, domain, software,
    amount::float8, tech_amount::float8,
    (signed_on - date '1970-01-01'), (performance_start - date '1970-01-01'),
    (performance_end - date '1970-01-01'), (filed_on - date '1970-01-01'),
    regexp_replace(contract_no, '[0-9]+[^0-9]*$', ''),
    CASE WHEN length(substring(contract_no from '([0-9]+)[^0-9]*$')) BETWEEN 1 AND 15
         THEN substring(contract_no from '([0-9]+)[^0-9]*$')::bigint ELSE -1 END,
    {CONTRACT_KEY_SQL}, {TITLE_CORE_SQL}, {TITLE_MARKS_SQL}, point_code, change_seq
"""
ALL_SQL = f"SELECT {FIELDS} FROM filings WHERE status <> 'refused' ORDER BY id"
# an incremental scan reads only the filings that share a party with a changed one
NEIGHBOURHOOD_SQL = f"""
    WITH touched AS (
        SELECT seller_code AS code FROM filings WHERE change_seq > $1
        UNION SELECT buyer_code FROM filings WHERE change_seq > $1
    )
    SELECT {FIELDS} FROM filings
    WHERE status <> 'refused'
      AND (seller_code IN (SELECT code FROM touched) OR buyer_code IN (SELECT code FROM touched))
    ORDER BY id
"""
BRANDS_SQL = f"SELECT credit_code, {BRAND_SQL} || '|' || coalesce(region, '') FROM parties WHERE credit_code = any($1)"


class Loaded:
    def __init__(self, ids: np.ndarray, change_seq: np.ndarray, columns: Columns, parties: np.ndarray):
        self.ids, self.change_seq, self.columns, self.parties = ids, change_seq, columns, parties


def _empty() -> Loaded:
    z = np.zeros(0)
    i32, i64, obj = z.astype(np.int32), z.astype(np.int64), z.astype(object)
    return Loaded(i64, i64, Columns(
        ref=obj, seller=i32, buyer=i32, kind=obj, domain=obj, software=z.astype(bool), amount=z, tech_amount=z,
        signed=i32, perf_start=i32, perf_end=i32, filed=i32), obj)


async def load_columns(conn: asyncpg.Connection, *, changed_since: int | None = None) -> Loaded:
    """All filings, or (changed_since given) those sharing a seller or buyer with one changed since then."""
    if changed_since is None:
        rows = await conn.fetch(ALL_SQL)
    else:
        rows = await conn.fetch(NEIGHBOURHOOD_SQL, changed_since)
    if not rows:
        return _empty()
    n = len(rows)
    cols = list(zip(*rows))
    parties, party_codes = np.unique(np.array(cols[2] + cols[3], dtype=object), return_inverse=True)
    seller = party_codes[:n].astype(np.int32)
    return Loaded(np.array(cols[0], np.int64), np.array(cols[19], np.int64), Columns(
        ref=np.array(cols[1], dtype=object), seller=seller, buyer=party_codes[n:].astype(np.int32),
        kind=np.array(cols[4], dtype=object), domain=np.array(cols[5], dtype=object),
        software=np.array(cols[6], dtype=bool),
        amount=np.array(cols[7], dtype=np.float64), tech_amount=np.array(cols[8], dtype=np.float64),
        signed=np.array(cols[9], np.int32), perf_start=np.array(cols[10], np.int32),
        perf_end=np.array(cols[11], np.int32), filed=np.array(cols[12], np.int32),
        contract_prefix=np.array(cols[13], dtype=object), contract_seq=np.array(cols[14], np.int64),
        contract_key=np.array(cols[15], dtype=object), title_core=np.array(cols[16], dtype=object),
        title_marks=np.array(cols[17], dtype=object), point=np.array(cols[18], dtype=object),
        seller_brand=(await _brands(conn, parties))[seller],
    ), parties)


async def _brands(conn: asyncpg.Connection, parties: np.ndarray) -> np.ndarray:
    """Per party (sorted codes): an integer for its trade name and region, -1 when no trade name is left."""
    rows = await conn.fetch(BRANDS_SQL, parties.tolist())
    codes = np.array([r[0] for r in rows], dtype=object)
    keys = np.array([r[1] for r in rows], dtype=object)
    brand = np.full(len(parties), -1, np.int32)
    if len(rows):
        uniq, key_index = np.unique(keys, return_inverse=True)
        at = np.searchsorted(parties, codes)
        named = np.array([not (k.startswith("|") or "?" in k) for k in uniq])[key_index]   # distinct brands only
        brand[at[named]] = key_index[named]
    return brand
