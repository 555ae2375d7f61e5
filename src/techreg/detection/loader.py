"""Read filings out of PostgreSQL straight into column arrays.

Two reads, because most detectors need only numbers:
- the numeric columns come from filing_facts, a narrow trigger-kept copy, as
  one binary COPY whose rows are all the same width, so numpy parses the whole
  stream in one call (no Python object per row); dates arrive as day numbers,
  amounts as float8, parties as numbers, text keys as hashes;
- the text columns (reference, contract number, title core and numbering,
  point) are fetched only for the rows the pair detectors judge: every row in
  a full scan, the filings reachable from a changed one in an incremental one.
"""

import asyncpg
import numpy as np

from ..registry.correction import BUYER_BEFORE_SQL, CORRECT, SELLER_BEFORE_SQL
from .columns import DOMAINS, KINDS, Columns

_DAY = "- date '1970-01-01'"
# (field, SQL expression over filing_facts, big-endian type in the binary COPY); every one NOT NULL.
# filing_facts (migrations/0009_filing_facts.sql) is the narrow copy of what detectors read, kept by
# triggers: parties as numbers, the seller's trade name as a key, text keys (0004) as hashes, amounts as float8
# and the peer group as its code (0028), so the read converts nothing per row
NUMERIC = (
    ("id", "x.id", ">i8"),
    ("seller", "x.seller_no", ">i4"),
    ("buyer", "x.buyer_no", ">i4"),
    ("software", "x.software::int4", ">i4"),
    ("amount", "x.amount", ">f8"),
    ("tech_amount", "x.tech_amount", ">f8"),
    ("signed", f"x.signed_on {_DAY}", ">i4"),
    ("perf_start", f"x.performance_start {_DAY}", ">i4"),
    ("perf_end", f"x.performance_end {_DAY}", ">i4"),
    ("filed", f"x.filed_on {_DAY}", ">i4"),
    ("contract_prefix", "x.contract_prefix_hash", ">i4"),
    ("contract_seq", "x.contract_seq", ">i8"),
    ("peer_group", "x.peer_group", ">i4"),
    ("seller_brand", "x.seller_brand", ">i4"),
    ("contract_hash", "x.contract_hash", ">i4"),
    ("core_hash", "x.core_hash", ">i4"),
)
TEXT = ("ref", "contract_key", "title_core", "title_marks", "title_subject", "part_marks", "point")
TEXT_FIELDS = ("f.id, f.ref, f.contract_key, f.title_core, f.title_marks, f.title_subject, f.title_part_marks,"
               " f.point_code")

# dates a scan can compute with: a row outside this fence (infinity, year 0001) is left out and reported,
# never allowed to stop the scan of everything else (migrations/0013 keeps new ones out altogether)
READABLE = " AND ".join(f"x.{d} BETWEEN DATE '1900-01-01' AND DATE '2999-12-31'"
                        for d in ("signed_on", "performance_start", "performance_end", "filed_on"))
_SELECT = ("SELECT " + ", ".join(sql for _, sql, _ in NUMERIC)
           + f" FROM filing_facts x WHERE NOT x.refused AND {READABLE}")


def changed_since(seq: str = "$1", snapshot: str = "$2") -> str:
    """Filings (aliased f) changed since a scan's mark: above its high-water change_seq, or written by a
    transaction its snapshot could not see (open then, committed since: a sequence number is taken when a row is
    written, not when it commits; migration 0029). A mark without a snapshot (NULL) is the high water alone."""
    mark = f"{snapshot}::text::pg_snapshot"          # given as text (pg_current_snapshot()::text)
    return (f"(f.change_seq > {seq} OR (f.change_xid >= pg_snapshot_xmin({mark})"
            f" AND NOT pg_visible_in_snapshot(f.change_xid, {mark})))")


# The filings a scan had to leave out, counted, with the first references for the report: of every filing
# on a full scan ($1 = 0), of those changed since the last scan on an incremental one (older ones were
# reported by the scan that read them; this keeps an incremental scan from reading the whole table).
UNREADABLE_SQL = f"""
    SELECT count(*), coalesce((array_agg(f.ref ORDER BY f.id))[1:20], '{{}}')
    FROM filings f JOIN filing_facts x ON x.id = f.id
    WHERE {changed_since()} AND NOT x.refused AND NOT ({READABLE})
"""
ALL_SQL = f"{_SELECT} ORDER BY x.id"
# the numbers of the filings changed since a mark that still count (a worker's kept numbers catch up: resident.py)
CHANGED_NUMBERS_SQL = f"{_SELECT} AND x.id IN (SELECT f.id FROM filings f WHERE {changed_since()})"
# the neighbourhood of the changed filings: every filing of their sellers and of their buyers, in no order
# (put in id order by numpy: PostgreSQL's sort of a parallel bitmap scan costs more)
NEIGHBOURHOOD_SQL = f"{_SELECT} AND (x.seller_no = any($1::int[]) OR x.buyer_no = any($2::int[]))"
# Filings changed since the last scan, and the parties whose filings an incremental scan must read:
# their sellers (history, numbering) and buyers (splits, duplicates), including the parties a
# correction moved a filing away from (its event's detail: registry/correction.py). "Moved" buyers lost or
# changed a filing (refused or corrected): all their filings are judged again, not only those near a changed one.
# Party numbers come from filing_facts by id (kept in the filing's own transaction): joining parties by credit
# code made PostgreSQL hash the whole parties table, twice, for a few thousand changed filings.
CHANGED_SQL = f"""
    WITH changed AS (
        SELECT f.id, f.status, x.seller_no, x.buyer_no
        FROM filings f JOIN filing_facts x ON x.id = f.id
        WHERE {changed_since()}
    ), corrections AS (
        SELECT c.buyer_no, s.party_no AS old_seller, b.party_no AS old_buyer
        FROM changed c JOIN filing_events e ON e.filing_id = c.id AND e.action = '{CORRECT}'
        LEFT JOIN parties s ON s.credit_code = {SELLER_BEFORE_SQL}::char(18)
        LEFT JOIN parties b ON b.credit_code = {BUYER_BEFORE_SQL}::char(18)
    )
    SELECT ARRAY(SELECT id FROM changed WHERE status <> 'refused'),
           ARRAY(SELECT seller_no FROM changed UNION SELECT old_seller FROM corrections WHERE old_seller IS NOT NULL),
           ARRAY(SELECT buyer_no FROM changed UNION SELECT old_buyer FROM corrections WHERE old_buyer IS NOT NULL),
           ARRAY(SELECT buyer_no FROM changed WHERE status = 'refused' UNION SELECT buyer_no FROM corrections
                 UNION SELECT old_buyer FROM corrections WHERE old_buyer IS NOT NULL)
"""
ALL_TEXT_SQL = f"SELECT {TEXT_FIELDS} FROM filings f WHERE f.status <> 'refused' ORDER BY f.id"
# in no order: numpy puts them in id order (PostgreSQL sorting a third of the registry's wide rows took longer)
SOME_TEXT_SQL = f"SELECT {TEXT_FIELDS} FROM filings f WHERE f.id = any($1::bigint[])"

# one row of a binary COPY: field count, then each field as (length, value)
ROW_TYPE = np.dtype([("fields", ">i2")] + [(name, [("length", ">i4"), ("value", t)]) for name, _, t in NUMERIC])
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


class CopyFormatError(RuntimeError):
    pass


class Loaded:
    def __init__(self, ids: np.ndarray, changed: np.ndarray, columns: Columns,
                 changed_parties: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None):
        self.ids, self.changed, self.columns = ids, changed, columns
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
    if len(body) % ROW_TYPE.itemsize or not _fits(rows := np.frombuffer(body, ROW_TYPE)):
        raise CopyFormatError(_first_misfit(bytes(body)))
    return rows


def _fits(rows: np.ndarray) -> bool:
    """Every row has every field, none NULL, each of the width ROW_TYPE expects."""
    return bool((rows["fields"] == len(NUMERIC)).all()) and all(
        (rows[name]["length"] == np.dtype(t).itemsize).all() for name, _, t in NUMERIC)


def _first_misfit(body: bytes) -> str:
    """Walk the rows (error path only) to name the first field that is NULL or of another width."""
    at, row = 0, 0
    while at + 2 <= len(body):
        fields = int.from_bytes(body[at:at + 2], "big", signed=True)
        if fields != len(NUMERIC):
            return f"row {row + 1}: {fields} fields instead of {len(NUMERIC)} in the binary COPY"
        at += 2
        for name, _, t in NUMERIC:
            length = int.from_bytes(body[at:at + 4], "big", signed=True)
            if length != np.dtype(t).itemsize:
                what = "NULL" if length == -1 else f"{length} bytes instead of {np.dtype(t).itemsize}"
                return f"column {name}, row {row + 1}: {what} in the binary COPY"
            at += 4 + length
        row += 1
    return "binary COPY rows of unexpected width"


async def _copy(conn: asyncpg.Connection, sql: str, *args) -> np.ndarray:
    chunks: list[bytes] = []

    async def collect(chunk: bytes) -> None:
        chunks.append(chunk)

    # sql-lint: callers pass ALL_SQL or NEIGHBOURHOOD_SQL; values go as arguments (quoted by the server)
    await conn.copy_from_query(sql, *args, output=collect, format="binary")
    return parse_binary_copy(b"".join(chunks))


# native dtype of each numeric column (the Columns field of the same name; "id" is Loaded.ids)
DTYPES = {"id": np.int64, "seller": np.int32, "buyer": np.int32, "software": bool, "amount": np.float64,
          "tech_amount": np.float64, "signed": np.int32, "perf_start": np.int32, "perf_end": np.int32,
          "filed": np.int32, "contract_prefix": np.int64, "contract_seq": np.int64, "peer_group": np.int32,
          "seller_brand": np.int32, "contract_hash": np.int32, "core_hash": np.int32}


async def load_numbers(conn: asyncpg.Connection, *, since: tuple[int, str | None] | None = None,
                       kept=None) -> Loaded:
    """All filings, or (`since` a scan's mark: high water, snapshot) the neighbourhood of those changed since;
    text columns left blank.
    With `kept` (resident.py: a worker's numbers, up to date with this snapshot) the neighbourhood comes from it."""
    if since is None:
        rows = await _copy(conn, ALL_SQL)
        return _loaded({name: rows[name]["value"].astype(dtype) for name, dtype in DTYPES.items()}, None, None)
    changed_ids, *parties = (np.array(values, np.int64) for values in await conn.fetchrow(CHANGED_SQL, *since))
    sellers, buyers, moved = (p.astype(np.int32) for p in parties)
    if kept is not None:
        from .resident import neighbourhood

        values = neighbourhood(kept, sellers, buyers)
    else:
        rows = await _copy(conn, NEIGHBOURHOOD_SQL, sellers.tolist(), buyers.tolist())
        # in id order: the full read is sorted by PostgreSQL, the neighbourhood here, column by column
        order = np.argsort(rows["id"]["value"])
        values = {name: rows[name]["value"][order].astype(dtype) for name, dtype in DTYPES.items()}
    return _loaded(values, changed_ids, (sellers, buyers, moved))


def _loaded(values: dict[str, np.ndarray], changed_ids: np.ndarray | None, changed_parties) -> Loaded:
    """Loaded columns from native numeric ones (DTYPES) in id order; text columns blank."""
    ids, peer_group = values["id"], values["peer_group"]
    n = len(ids)
    changed = np.ones(n, bool) if changed_ids is None else np.isin(ids, changed_ids, kind="table")
    blank = np.full(n, "", dtype=object)
    numbers = {name: column for name, column in values.items() if name != "id"}
    columns = Columns(
        ref=blank.copy(), **numbers,
        # kind and field come back from the peer group code (kind·32 + field·2 + software, from 1)
        kind=np.array(KINDS, dtype=object)[np.maximum(peer_group // 32 - 1, 0)] if n else blank.copy(),
        domain=np.array(DOMAINS, dtype=object)[np.maximum(peer_group % 32 // 2 - 1, 0)] if n else blank.copy(),
    )
    return Loaded(ids, changed, columns, changed_parties)


async def load_text(conn: asyncpg.Connection, loaded: Loaded, rows: np.ndarray | None = None) -> None:
    """Fill the text columns of `rows` (all rows when None) in place; other rows keep blanks."""
    if rows is None:
        records = await conn.fetch(ALL_TEXT_SQL)
        rows = np.arange(len(loaded.ids))
    else:
        records = await conn.fetch(SOME_TEXT_SQL, loaded.ids[rows].tolist())
    if not records:
        return
    values = list(zip(*records))
    found = np.array(values[0], np.int64)
    order = np.argsort(found)
    if not np.array_equal(found[order], loaded.ids[rows]):   # both reads share one snapshot; anything else is a bug
        raise RuntimeError("text columns read for other filings than the numeric ones")
    for k, name in enumerate(TEXT, start=1):
        getattr(loaded.columns, name)[rows] = np.array(values[k], dtype=object)[order]


async def load_columns(conn: asyncpg.Connection) -> Loaded:
    """Every filing that is not refused, with every column (training, evaluation)."""
    loaded = await load_numbers(conn)
    await load_text(conn, loaded)
    return loaded
