"""Read filings out of PostgreSQL straight into column arrays.

Two reads, because most detectors need only numbers:
- the numeric columns arrive as one binary COPY whose rows are all the same
  width, so numpy parses the whole stream in one call (no Python object per
  row); dates arrive as day numbers, amounts as float8, text keys as hashes;
- the text columns (reference, contract number, title core and numbering,
  point) are fetched only for the rows the pair detectors judge: every row in
  a full scan, the changed filings' buyers' filings in an incremental one.
"""

import asyncpg
import numpy as np

from .columns import DOMAINS, KINDS, PEER_GROUP_SQL, Columns

_DAY = "- date '1970-01-01'"
# (field, SQL expression, big-endian type in the binary COPY); every expression is NOT NULL.
# title_core, title_marks, contract_key, contract_prefix and contract_seq are generated columns
# (migrations/0004_text_keys.sql, expressions from text.py); parties come as their integer numbers
# and the seller's trade name as a key (0005, copied onto each filing by 0009), so no join is needed
NUMERIC = (
    ("id", "f.id", ">i8"),
    ("change_seq", "f.change_seq", ">i8"),
    ("seller", "f.seller_no", ">i4"),
    ("buyer", "f.buyer_no", ">i4"),
    ("software", "f.software::int4", ">i4"),
    ("amount", "f.amount::float8", ">f8"),
    ("tech_amount", "f.tech_amount::float8", ">f8"),
    ("signed", f"f.signed_on {_DAY}", ">i4"),
    ("perf_start", f"f.performance_start {_DAY}", ">i4"),
    ("perf_end", f"f.performance_end {_DAY}", ">i4"),
    ("filed", f"f.filed_on {_DAY}", ">i4"),
    ("contract_prefix", "hashtext(f.contract_prefix)", ">i4"),
    ("contract_seq", "f.contract_seq", ">i8"),
    ("peer_group", PEER_GROUP_SQL.replace("kind", "f.kind").replace("domain", "f.domain")
     .replace("software", "f.software"), ">i4"),
    ("seller_brand", "f.seller_brand", ">i4"),
    ("contract_hash", "CASE WHEN f.contract_key = '' THEN 0 ELSE hashtext(f.contract_key) END", ">i4"),
    ("core_hash", "hashtext(f.title_core)", ">i4"),
)
TEXT = ("ref", "contract_key", "title_core", "title_marks", "point")
TEXT_FIELDS = "f.id, f.ref, f.contract_key, f.title_core, f.title_marks, f.point_code"

FROM = "FROM filings f"
_SELECT = "SELECT " + ", ".join(sql for _, sql, _ in NUMERIC)
ALL_SQL = f"{_SELECT} {FROM} WHERE f.status <> 'refused' ORDER BY f.id"
# Filings changed since the last scan, and the parties whose filings an incremental scan must read:
# their sellers (history, numbering) and buyers (splits, duplicates), including the parties a
# correction moved a filing away from (from the correction's event). "moved" buyers lost or changed a
# filing (refused or corrected): all their filings are judged again, not only those near a new one.
CHANGED_CTE = """
    changed AS (SELECT id, seller_code, buyer_code, status FROM filings WHERE change_seq > {since}),
    corrections AS (
        SELECT c.buyer_code,
               (e.detail #>> '{{changes,seller,from,credit_code}}')::char(18) AS old_seller,
               (e.detail #>> '{{changes,buyer,from,credit_code}}')::char(18) AS old_buyer
        FROM changed c JOIN filing_events e ON e.filing_id = c.id AND e.action = 'correct'),
    sellers AS (SELECT seller_code AS code FROM changed
                UNION SELECT old_seller FROM corrections WHERE old_seller IS NOT NULL),
    buyers AS (SELECT buyer_code AS code FROM changed
               UNION SELECT old_buyer FROM corrections WHERE old_buyer IS NOT NULL),
    moved AS (SELECT buyer_code AS code FROM changed WHERE status = 'refused'
              UNION SELECT buyer_code FROM corrections
              UNION SELECT old_buyer FROM corrections WHERE old_buyer IS NOT NULL)
"""
# the neighbourhood of the changed filings, found through the party indexes
NEIGHBOURHOOD_SQL = f"""
    WITH {CHANGED_CTE.format(since="$3")}
    {_SELECT} {FROM}
    WHERE f.status <> 'refused'
      AND (f.seller_code = any(ARRAY(SELECT code FROM sellers)) OR f.buyer_code = any(ARRAY(SELECT code FROM buyers)))
    ORDER BY f.id
"""
CHANGED_PARTIES_SQL = f"""
    WITH {CHANGED_CTE.format(since="$1")}
    SELECT ARRAY(SELECT p.party_no FROM parties p JOIN sellers x ON p.credit_code = x.code),
           ARRAY(SELECT p.party_no FROM parties p JOIN buyers x ON p.credit_code = x.code),
           ARRAY(SELECT p.party_no FROM parties p JOIN moved x ON p.credit_code = x.code)
"""
ALL_TEXT_SQL = f"SELECT {TEXT_FIELDS} FROM filings f WHERE f.status <> 'refused' ORDER BY f.id"
SOME_TEXT_SQL = f"SELECT {TEXT_FIELDS} FROM filings f WHERE f.id = any($1::bigint[]) ORDER BY f.id"

# one row of a binary COPY: field count, then each field as (length, value)
ROW_TYPE = np.dtype([("fields", ">i2")] + [(name, [("length", ">i4"), ("value", t)]) for name, _, t in NUMERIC])
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


class CopyFormatError(RuntimeError):
    pass


class Loaded:
    def __init__(self, ids: np.ndarray, change_seq: np.ndarray, columns: Columns,
                 changed_parties: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None):
        self.ids, self.change_seq, self.columns = ids, change_seq, columns
        # incremental scans: party numbers of the changed filings' sellers, buyers, and "moved" buyers
        self.changed_sellers, self.changed_buyers, self.moved_buyers = changed_parties or (None, None, None)


def parse_binary_copy(data: bytes) -> np.ndarray:
    """The rows of a binary COPY of NUMERIC, checked field by field (a NULL or a wrong width is an error)."""
    if not data.startswith(COPY_SIGNATURE):
        raise CopyFormatError("not a binary COPY stream")
    extension = int.from_bytes(data[15:19], "big")
    body = memoryview(data)[19 + extension:]
    if bytes(body[-2:]) != b"\xff\xff":
        raise CopyFormatError("binary COPY stream without its trailer")
    body = body[:-2]
    if len(body) % ROW_TYPE.itemsize:
        raise CopyFormatError("binary COPY rows of unexpected width (a NULL or a changed column type)")
    rows = np.frombuffer(body, ROW_TYPE)
    if len(rows) and (rows["fields"] != len(NUMERIC)).any():
        raise CopyFormatError("binary COPY rows with an unexpected number of fields")
    for name, _, t in NUMERIC:
        if len(rows) and (rows[name]["length"] != np.dtype(t).itemsize).any():
            raise CopyFormatError(f"column {name}: NULL or unexpected width in the binary COPY")
    return rows


async def _copy(conn: asyncpg.Connection, sql: str, *args) -> np.ndarray:
    chunks: list[bytes] = []

    async def collect(chunk: bytes) -> None:
        chunks.append(chunk)

    await conn.copy_from_query(sql, *args, output=collect, format="binary")
    return parse_binary_copy(b"".join(chunks))


def _native(rows: np.ndarray, name: str, dtype) -> np.ndarray:
    return rows[name]["value"].astype(dtype)


async def load_numbers(conn: asyncpg.Connection, *, changed_since: int | None = None) -> Loaded:
    """All filings, or (changed_since given) the neighbourhood of those changed since; text columns left blank."""
    if changed_since is None:
        rows = await _copy(conn, ALL_SQL, KINDS, DOMAINS)
        changed_parties = None
    else:
        rows = await _copy(conn, NEIGHBOURHOOD_SQL, KINDS, DOMAINS, changed_since)
        changed_parties = tuple(np.array(numbers, np.int32)
                                for numbers in await conn.fetchrow(CHANGED_PARTIES_SQL, changed_since))
    n = len(rows)
    peer_group = _native(rows, "peer_group", np.int32)
    blank = np.full(n, "", dtype=object)
    columns = Columns(
        ref=blank.copy(), seller=_native(rows, "seller", np.int32), buyer=_native(rows, "buyer", np.int32),
        # kind and field come back from the peer group code (kind·32 + field·2 + software, from 1)
        kind=np.array(KINDS, dtype=object)[np.maximum(peer_group // 32 - 1, 0)] if n else blank.copy(),
        domain=np.array(DOMAINS, dtype=object)[np.maximum(peer_group % 32 // 2 - 1, 0)] if n else blank.copy(),
        software=_native(rows, "software", bool),
        amount=_native(rows, "amount", np.float64), tech_amount=_native(rows, "tech_amount", np.float64),
        signed=_native(rows, "signed", np.int32), perf_start=_native(rows, "perf_start", np.int32),
        perf_end=_native(rows, "perf_end", np.int32), filed=_native(rows, "filed", np.int32),
        contract_prefix=_native(rows, "contract_prefix", np.int64), contract_seq=_native(rows, "contract_seq", np.int64),
        peer_group=peer_group, seller_brand=_native(rows, "seller_brand", np.int32),
        contract_hash=_native(rows, "contract_hash", np.int32), core_hash=_native(rows, "core_hash", np.int32),
    )
    return Loaded(_native(rows, "id", np.int64), _native(rows, "change_seq", np.int64), columns, changed_parties)


async def load_text(conn: asyncpg.Connection, loaded: Loaded, rows: np.ndarray | None = None) -> None:
    """Fill the text columns of `rows` (all rows when None) in place; other rows keep blanks."""
    if rows is None:
        records = await conn.fetch(ALL_TEXT_SQL)
        rows = np.arange(len(loaded.ids))
    else:
        records = await conn.fetch(SOME_TEXT_SQL, loaded.ids[rows])
    if not records:
        return
    values = list(zip(*records))
    found = np.array(values[0], np.int64)
    if not np.array_equal(found, loaded.ids[rows]):     # both reads share one snapshot; anything else is a bug
        raise RuntimeError("text columns read for other filings than the numeric ones")
    for k, name in enumerate(TEXT, start=1):
        getattr(loaded.columns, name)[rows] = np.array(values[k], dtype=object)


async def load_columns(conn: asyncpg.Connection) -> Loaded:
    """Every filing that is not refused, with every column (training, evaluation)."""
    loaded = await load_numbers(conn)
    await load_text(conn, loaded)
    return loaded
