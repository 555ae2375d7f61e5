"""The filing list at any size: every filter, search by substring through the gram index, keyset pages in both
directions, a total that never counts the registry row by row, and the filtered rows streamed for exports.

Search (`q`): a filing matches when its ref, registration number, title, contract number, seller's or buyer's
name contains `q`, case-insensitively (ILIKE). The index (migration 0024) holds each filing's two-character
grams; the query's grams narrow the rows, the ILIKE decides.
"""

import datetime as dt
from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
import msgspec
from msgspec import Meta

from . import access
from .schema import FilingOut, FilingPage
from .service import FILING_COLUMNS, filing_from_row
from .users import CurrentUser

# the same expression as the index filings_search (0024), so the planner uses it
SEARCHED_GRAMS = ("search_grams(filing_search_text(f.ref, f.reg_no, f.title, f.contract_no, f.seller_name,"
                  " f.buyer_name))")
# `?` is the query's own text lower-cased; the grams are a necessary condition, costed high (search_grams is
# COST 1000) so a scan evaluates the ILIKE first and computes grams only for the rows that match
GRAMS_MATCH = f"{SEARCHED_GRAMS} @@ search_query(lower(?))"
SUBSTRING_MATCH = ("(f.title ILIKE ? OR f.seller_name ILIKE ? OR f.buyer_name ILIKE ? OR f.contract_no ILIKE ?"
                   " OR f.ref ILIKE ? OR f.reg_no ILIKE ?)")
# A search first reads the newest ids in order, at most this many, testing each row's text (no index): a
# common word fills a page there at once, where the index would hand over every row holding its grams to be
# sorted. What that window does not fill is read through the gram index (the rest is then sparse: fewer than a
# page's matches in this many rows), the planner held to it.
ORDERED_WINDOW = 10_000
# … and goes on reading in order, in windows sized by the matches seen so far, up to this many ids (reading in
# order costs ~0.6 µs a row at 5,000,000 filings, so 300,000 rows take ~170 ms; a word that is common in older
# filings but rare among the newest, like a numbering prefix, made the index hand over 887,000 candidates: 2.3 s)
ORDERED_BUDGET = 300_000
ORDERED_PLAN = "SET LOCAL enable_bitmapscan = off"
INDEXED_PLAN = "SET LOCAL enable_bitmapscan = on; SET LOCAL enable_indexscan = off; SET LOCAL enable_seqscan = off"
USUAL_PLAN = "SET LOCAL enable_bitmapscan = on; SET LOCAL enable_indexscan = on; SET LOCAL enable_seqscan = on"
# a filing carrying an active flag (the flags' unique key, filing first, finds them by filing)
FLAGGED = "EXISTS (SELECT 1 FROM flags g WHERE g.filing_id = f.id AND g.active)"
# beyond this a filtered list says "more than …" instead of counting on
COUNT_CAP = 1000
# the filters the tallies (0024) count exactly
TALLIED = {"point", "status", "kind", "software"}
# id bounds of the registry, by the primary key
ID_BOUNDS = "SELECT min(id), max(id) FROM filings"


class FilingFilter(msgspec.Struct, kw_only=True):
    status: str | None = None
    kind: str | None = None
    point: str | None = None
    software: bool | None = None
    seller: str | None = None
    buyer: str | None = None
    q: str | None = None
    signed_from: dt.date | None = None
    signed_to: dt.date | None = None
    flagged: bool | None = None      # only filings carrying an active flag (True) or none (False)
    limit: Annotated[int, Meta(ge=1, le=500)] = 50
    cursor: int | None = None        # the page after: ids below this one
    before: int | None = None        # the page before: ids above this one


class _Where:
    """Conditions with their $n parameters; `?` in a fragment stands for the value added with it."""

    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.params: list = []

    def add(self, fragment: str, value) -> None:
        self.params.append(value)
        self.conditions.append(fragment.replace("?", f"${len(self.params)}"))

    def sql(self, *extra: str) -> str:
        every = self.conditions + list(extra)
        return ("WHERE " + " AND ".join(every)) if every else ""

    def require(self, fragment: str) -> None:
        """A condition without a value of its own."""
        self.conditions.append(fragment)

    def next_param(self, value) -> str:
        self.params.append(value)
        return f"${len(self.params)}"


def require_reader(user: CurrentUser) -> None:
    """Who may list filings at all (registry/access.py): refused before anything is read or streamed."""
    access.listing_point(user)


def _where(user: CurrentUser, flt: FilingFilter) -> _Where:
    w = _Where()
    point = access.listing_point(user)
    if point is not None:
        w.add("f.point_code = ?", point)
    if flt.point:
        w.add("f.point_code = ?", flt.point)
    if flt.status:
        w.add("f.status = ?", flt.status)
    if flt.kind:
        w.add("f.kind = ?", flt.kind)
    if flt.software is not None:
        w.add("f.software = ?", flt.software)
    if flt.seller:
        w.add("f.seller_code = ?", flt.seller)
    if flt.buyer:
        w.add("f.buyer_code = ?", flt.buyer)
    if flt.signed_from:
        w.add("f.signed_on >= ?", flt.signed_from)
    if flt.signed_to:
        w.add("f.signed_on <= ?", flt.signed_to)
    if flt.flagged is not None:
        w.require(("" if flt.flagged else "NOT ") + FLAGGED)
    if flt.q:
        w.add(SUBSTRING_MATCH, "%" + flt.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        w.add(GRAMS_MATCH, flt.q)
    return w


async def _custom_plans(conn: asyncpg.Connection) -> None:
    """Each list query planned for its own values: a generic plan cannot tell a rare word from a common one."""
    await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")


async def _planned(conn: asyncpg.Connection, indexed: bool, query, sql: str, params: list):
    """`query(sql, *params)` with the planner held to reading in id order or to the gram index."""
    await conn.execute(INDEXED_PLAN if indexed else ORDERED_PLAN)
    result = await query(sql, *params)
    await conn.execute(USUAL_PLAN)      # (after an error the transaction is over, and its settings with it)
    return result


async def _scan(conn: asyncpg.Connection, user: CurrentUser, flt: FilingFilter, *, below: int | None,
                above: int | None, need: int, columns: str = FILING_COLUMNS) -> list[asyncpg.Record]:
    """Up to `need` matching filings next to an anchor: below it newest first (`below`), or above it oldest
    first (`above`); neither: the newest. A search reads ORDERED_WINDOW ids in order, then the index."""
    upward = above is not None
    order = "ASC" if upward else "DESC"
    if not flt.q:
        w = _where(user, flt)
        bound = (f"f.id > {w.next_param(above)}" if upward else
                 f"f.id < {w.next_param(below)}" if below is not None else None)
        limit = w.next_param(need)
        # sql-lint: composed only of the literal fragments above; every value is a $n parameter
        return await conn.fetch(f"SELECT {columns} FROM filings f {w.sql(*[b for b in [bound] if b])}"
                                f" ORDER BY f.id {order} LIMIT {limit}", *w.params)
    low, high = await conn.fetchrow(ID_BOUNDS)
    if low is None:
        return []
    edge = above if upward else (below if below is not None else high + 1)
    found: list[asyncpg.Record] = []

    def ended(at: int) -> bool:
        return at >= high if upward else at <= low

    async def read(indexed: bool, bounds_of, limit: int) -> list[asyncpg.Record]:
        w = _where(user, flt)
        bounds = bounds_of(w)
        # sql-lint: composed only of the literal fragments above; every value is a $n parameter
        sql = f"SELECT {columns} FROM filings f {w.sql(*bounds)} ORDER BY f.id {order} LIMIT {w.next_param(limit)}"
        return await _planned(conn, indexed, conn.fetch, sql, w.params)

    # in order, window by window, while the matches seen so far say the rest of the page is near
    window, scanned = ORDERED_WINDOW, 0
    while len(found) < need and not ended(edge) and scanned < ORDERED_BUDGET:
        start, stop = (edge, edge + window) if upward else (edge - window, edge)
        got = await read(False, lambda w: [f"f.id > {w.next_param(start)}", f"f.id <= {w.next_param(stop)}"]
                         if upward else [f"f.id >= {w.next_param(start)}", f"f.id < {w.next_param(stop)}"],
                         need - len(found))
        found += got
        scanned += window
        edge = stop if upward else start
        if not got:
            break                             # sparse here: the index finds the rest sooner
        rows_needed = int((need - len(found)) * scanned / len(found) * 1.5) + 1
        if rows_needed > ORDERED_BUDGET - scanned:
            break                             # too far off in order: the index
        window = rows_needed
    # the rest through the gram index
    if len(found) < need and not ended(edge):
        found += await read(True, lambda w: [f"f.id > {w.next_param(edge)}" if upward
                                                     else f"f.id < {w.next_param(edge)}"], need - len(found))
    return found



async def count_filings(conn: asyncpg.Connection, user: CurrentUser, flt: FilingFilter) -> tuple[int, bool]:
    """(total, capped): exact from the tallies when only tallied filters are set; otherwise counted up to
    COUNT_CAP, and `capped` says there are more."""
    used = {name for name in ("point", "status", "kind", "software", "seller", "buyer", "q", "signed_from",
                              "signed_to", "flagged") if getattr(flt, name) not in (None, "")}
    if used <= TALLIED:
        w = _where(user, flt)
        # the exact count from the tallies, which carry the same column names as filings
        # sql-lint: composed only of the literal fragments of _where; every value is a $n parameter
        return await conn.fetchval(f"SELECT coalesce(sum(f.filings), 0)::bigint FROM filing_tally f {w.sql()}",
                                   *w.params), False
    if not flt.q:
        w = _where(user, flt)
        cap = w.next_param(COUNT_CAP + 1)
        # sql-lint: composed only of the literal fragments of _where; every value is a $n parameter
        n = await conn.fetchval(f"SELECT count(*) FROM (SELECT 1 FROM filings f {w.sql()} LIMIT {cap}) s", *w.params)
        return (COUNT_CAP, True) if n > COUNT_CAP else (n, False)
    # a search: counted in id order from the newest ids, then from the oldest (words cluster in time: a numbering
    # prefix of older years, a seller's name), window by window while the matches say the cap is near; only what
    # lies between goes through the index, which for a common word would first gather hundreds of thousands of
    # candidates (~200 ms at 5,000,000)
    low, high = await conn.fetchrow(ID_BOUNDS)
    if high is None:
        return 0, False

    async def count(indexed: bool, lo: int, hi: int, cap: int) -> int:
        w = _where(user, flt)
        w.add("f.id >= ?", lo)
        w.add("f.id < ?", hi)
        limit = w.next_param(cap)
        # sql-lint: composed only of the literal fragments of _where; every value is a $n parameter
        sql = f"SELECT count(*) FROM (SELECT 1 FROM filings f {w.sql()} LIMIT {limit}) s"
        return await _planned(conn, indexed, conn.fetchval, sql, w.params)

    async def walk(near: int, far: int, n: int, budget: int) -> tuple[int, int, int]:
        """Count in order from id `near` towards `far`; (the count so far, where the walk stopped, ids read)."""
        step = 1 if far > near else -1
        edge, window, read, here = near, ORDERED_WINDOW, 0, 0
        while (far - edge) * step > 0 and read < budget:
            beyond = edge + step * min(window, (far - edge) * step)
            more = await count(False, min(edge, beyond), max(edge, beyond), COUNT_CAP + 1 - n)
            n, here, read, edge = n + more, here + more, read + abs(beyond - edge), beyond
            if n > COUNT_CAP or more == 0:
                break                         # capped, or sparse here: the index counts the rest sooner
            rows_needed = int((COUNT_CAP + 1 - n) * read / here * 1.5) + 1
            if rows_needed > budget - read:
                break
            window = rows_needed
        return n, edge, read

    n, top, read = await walk(high + 1, low, 0, ORDERED_BUDGET)
    if n <= COUNT_CAP:
        n, bottom, _ = await walk(low, top, n, ORDERED_BUDGET - read)
        if n <= COUNT_CAP and bottom < top:
            n += await count(True, bottom, top, COUNT_CAP + 1 - n)
    return (COUNT_CAP, True) if n > COUNT_CAP else (n, False)


async def list_filings(conn: asyncpg.Connection, user: CurrentUser, flt: FilingFilter) -> FilingPage:
    """One page, newest first: after `cursor`, before `before`, or the first; with the anchors of the pages
    on either side (None at an end) and the total (capped, see count_filings)."""
    require_reader(user)
    await _custom_plans(conn)
    n = flt.limit
    if flt.before is not None:
        rows = await _scan(conn, user, flt, below=None, above=flt.before, need=n + 1)
        more_before = len(rows) > n
        rows = list(reversed(rows[:n]))
        items = [filing_from_row(r) for r in rows]
        anchor = items[-1].id if items else flt.before + 1
        more_after = bool(await _scan(conn, user, flt, below=anchor, above=None, need=1, columns="f.id"))
    else:
        rows = await _scan(conn, user, flt, below=flt.cursor, above=None, need=n + 1)
        more_after = len(rows) > n
        items = [filing_from_row(r) for r in rows[:n]]
        if flt.cursor is None:
            more_before = False
        else:
            anchor = items[0].id if items else flt.cursor - 1
            more_before = bool(await _scan(conn, user, flt, below=None, above=anchor, need=1, columns="f.id"))
    total, capped = await count_filings(conn, user, flt)
    return FilingPage(items=items, next_cursor=items[-1].id if more_after and items else None,
                      prev_cursor=items[0].id if more_before and items else None, total=total, total_capped=capped)


async def filing_rows(conn: asyncpg.Connection, user: CurrentUser, flt: FilingFilter,
                      batch: int = 2000) -> AsyncIterator[FilingOut]:
    """Every filing the filter matches, newest first, read through a server-side cursor `batch` rows at a
    time (exports: constant memory at any size, on the caller's one connection)."""
    require_reader(user)
    w = _where(user, flt)
    async with conn.transaction():       # a cursor lives in a transaction (a savepoint in a request's)
        await _custom_plans(conn)
        # sql-lint: composed only of the literal fragments of _where; every value is a $n parameter
        async for row in conn.cursor(f"SELECT {FILING_COLUMNS} FROM filings f {w.sql()} ORDER BY f.id DESC",
                                     *w.params, prefetch=batch):
            yield filing_from_row(row)
