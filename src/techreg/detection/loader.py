"""Read filings out of PostgreSQL straight into column arrays.

Dates arrive as day numbers and amounts as float8, and text keys (title core,
numbering, contract number) are computed by PostgreSQL, so no Python object is
built per row beyond what asyncpg returns.
"""

import asyncpg
import numpy as np

from .columns import Columns
from .columns import DOMAINS, KINDS, PEER_GROUP_SQL

# title_core, title_marks, contract_key, contract_prefix and contract_seq are generated columns
# (migrations/0004_text_keys.sql, expressions from text.py), computed when a filing is written;
# parties come as their integer party_no and the seller's trade name as brand_key (0005), so no
# text is sorted in Python
FIELDS = f"""
    f.id, f.ref, s.party_no, b.party_no, f.kind, f.domain, f.software,
    f.amount::float8, f.tech_amount::float8,
    (f.signed_on - date '1970-01-01'), (f.performance_start - date '1970-01-01'),
    (f.performance_end - date '1970-01-01'), (f.filed_on - date '1970-01-01'),
    hashtext(f.contract_prefix), f.contract_seq, f.contract_key, f.title_core, f.title_marks, f.point_code,
    f.change_seq, {PEER_GROUP_SQL.replace("kind", "f.kind").replace("domain", "f.domain").replace("software", "f.software")},
    s.brand_key, CASE WHEN f.contract_key = '' THEN 0 ELSE hashtext(f.contract_key) END, hashtext(f.title_core)
"""
FROM = "FROM filings f JOIN parties s ON s.credit_code = f.seller_code JOIN parties b ON b.credit_code = f.buyer_code"
ALL_SQL = f"SELECT {FIELDS} {FROM} WHERE f.status <> 'refused' ORDER BY f.id"
# an incremental scan reads the neighbourhood of the changed filings: every filing of their sellers
# (history, numbering) and of their buyers (splits, duplicates), found through the party indexes
NEIGHBOURHOOD_SQL = f"""
    WITH changed AS (SELECT seller_code, buyer_code FROM filings WHERE change_seq > $3)
    SELECT {FIELDS} {FROM}
    WHERE f.status <> 'refused'
      AND (f.seller_code = any(ARRAY(SELECT seller_code FROM changed))
           OR f.buyer_code = any(ARRAY(SELECT buyer_code FROM changed)))
    ORDER BY f.id
"""


class Loaded:
    def __init__(self, ids: np.ndarray, change_seq: np.ndarray, columns: Columns):
        self.ids, self.change_seq, self.columns = ids, change_seq, columns


def _empty() -> Loaded:
    z = np.zeros(0)
    i32, i64, obj = z.astype(np.int32), z.astype(np.int64), z.astype(object)
    return Loaded(i64, i64, Columns(
        ref=obj, seller=i32, buyer=i32, kind=obj, domain=obj, software=z.astype(bool), amount=z, tech_amount=z,
        signed=i32, perf_start=i32, perf_end=i32, filed=i32))


async def load_columns(conn: asyncpg.Connection, *, changed_since: int | None = None) -> Loaded:
    """All filings, or (changed_since given) the neighbourhood of those changed since then."""
    if changed_since is None:
        rows = await conn.fetch(ALL_SQL, KINDS, DOMAINS)
    else:
        rows = await conn.fetch(NEIGHBOURHOOD_SQL, KINDS, DOMAINS, changed_since)
    if not rows:
        return _empty()
    cols = list(zip(*rows))
    return Loaded(np.array(cols[0], np.int64), np.array(cols[19], np.int64), Columns(
        ref=np.array(cols[1], dtype=object), seller=np.array(cols[2], np.int32), buyer=np.array(cols[3], np.int32),
        kind=np.array(cols[4], dtype=object), domain=np.array(cols[5], dtype=object),
        software=np.array(cols[6], dtype=bool),
        amount=np.array(cols[7], dtype=np.float64), tech_amount=np.array(cols[8], dtype=np.float64),
        signed=np.array(cols[9], np.int32), perf_start=np.array(cols[10], np.int32),
        perf_end=np.array(cols[11], np.int32), filed=np.array(cols[12], np.int32),
        contract_prefix=np.array(cols[13], np.int64), contract_seq=np.array(cols[14], np.int64),
        contract_key=np.array(cols[15], dtype=object), title_core=np.array(cols[16], dtype=object),
        title_marks=np.array(cols[17], dtype=object), point=np.array(cols[18], dtype=object),
        peer_group=np.array(cols[20], np.int32), seller_brand=np.array(cols[21], np.int32),
        contract_hash=np.array(cols[22], np.int32), core_hash=np.array(cols[23], np.int32),
    ))
