"""Read filings out of PostgreSQL straight into column arrays."""

import asyncpg
import numpy as np

from .columns import Columns

# dates as day numbers and amounts as float8 so no Python date/Decimal objects are built per row
LOAD_SQL = """
    SELECT id, ref, seller_code, buyer_code, kind, domain, software,
           amount::float8 AS amount, tech_amount::float8 AS tech_amount,
           (signed_on - date '1970-01-01') AS signed, (performance_start - date '1970-01-01') AS perf_start,
           (performance_end - date '1970-01-01') AS perf_end, (filed_on - date '1970-01-01') AS filed,
           regexp_replace(contract_no, '[0-9]+[^0-9]*$', '') AS contract_prefix,
           CASE WHEN length(substring(contract_no from '([0-9]+)[^0-9]*$')) BETWEEN 1 AND 15
                THEN substring(contract_no from '([0-9]+)[^0-9]*$')::bigint ELSE -1 END AS contract_seq,
           change_seq
    FROM filings
    WHERE status <> 'refused'
    ORDER BY id
"""


class Loaded:
    def __init__(self, ids: np.ndarray, change_seq: np.ndarray, columns: Columns):
        self.ids, self.change_seq, self.columns = ids, change_seq, columns


async def load_columns(conn: asyncpg.Connection) -> Loaded:
    rows = await conn.fetch(LOAD_SQL)
    n = len(rows)
    if n == 0:
        empty = np.zeros(0)
        return Loaded(empty.astype(np.int64), empty.astype(np.int64), Columns(
            ref=empty.astype(object), seller=empty.astype(np.int32), buyer=empty.astype(np.int32),
            kind=empty.astype(object), domain=empty.astype(object), software=empty.astype(bool),
            amount=empty, tech_amount=empty, signed=empty.astype(np.int32), perf_start=empty.astype(np.int32),
            perf_end=empty.astype(np.int32), filed=empty.astype(np.int32), contract_prefix=empty.astype(object),
            contract_seq=empty.astype(np.int64)))
    cols = list(zip(*rows))
    parties, party_codes = np.unique(np.array(cols[2] + cols[3], dtype=object), return_inverse=True)
    columns = Columns(
        ref=np.array(cols[1], dtype=object),
        seller=party_codes[:n].astype(np.int32), buyer=party_codes[n:].astype(np.int32),
        kind=np.array(cols[4], dtype=object), domain=np.array(cols[5], dtype=object),
        software=np.array(cols[6], dtype=bool),
        amount=np.array(cols[7], dtype=np.float64), tech_amount=np.array(cols[8], dtype=np.float64),
        signed=np.array(cols[9], np.int32), perf_start=np.array(cols[10], np.int32),
        perf_end=np.array(cols[11], np.int32), filed=np.array(cols[12], np.int32),
        contract_prefix=np.array(cols[13], dtype=object), contract_seq=np.array(cols[14], np.int64),
    )
    return Loaded(np.array(cols[0], np.int64), np.array(cols[15], np.int64), columns)
