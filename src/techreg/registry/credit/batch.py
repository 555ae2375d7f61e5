"""The batch credit check of a set of filings (a year, a point, a campaign's sample), as the commission runs
it before granting anything: every filing's two parties against the red-line records, and what to do with
each filing concerned.

Which day a record must be in force on: for a filing awaiting a decision (or refused), the day of the check
(`as_of`); for one registered (or since revoked or cancelled), its registration day (the day applied for,
for back-filled history that carries no registration day): was the red line there when it was granted?
"""

import datetime as dt

import asyncpg

from ...errors import Forbidden
from ..users import CurrentUser
from .checks import PENDING, overrides_of
from .schema import BatchItem, BatchReport, BatchScope, Hit

# the scope's filter: literal fragments only, every value a parameter ($2 on; $1 is the day of the check)
# The filings a batch covers: a year of application, a point, a set of references (a campaign's sample);
# a NULL parameter leaves its condition out. $1 is the check date, $2-$4 the scope.
SCOPE_WHERE = """
    WHERE ($2::int IS NULL OR (f.filed_on >= make_date($2::int, 1, 1) AND f.filed_on < make_date($2::int + 1, 1, 1)))
      AND ($3::text IS NULL OR f.point_code = $3::text)
      AND ($4::text[] IS NULL OR f.ref = any($4::text[]))
"""
HITS_SQL = """
    WITH scope AS (
        SELECT f.id, f.ref, f.title, f.status, f.point_code, f.reg_no, f.registered_on,
               f.seller_code::text AS seller_code, f.seller_name, f.buyer_code::text AS buyer_code, f.buyer_name,
               CASE WHEN f.status IN ('submitted', 'returned', 'refused') THEN $1::date
                    ELSE coalesce(f.registered_on, f.filed_on) END AS relevant_date
        FROM filings f """ + SCOPE_WHERE + """
    ), latest AS (
        SELECT DISTINCT ON (record_id) * FROM credit_record_versions ORDER BY record_id, version DESC
    )
    SELECT s.id, s.ref, s.title, s.status, s.point_code, s.reg_no, s.registered_on, s.relevant_date,
           p.side, l.record_id, l.id AS version_id, l.credit_code, l.party_name, l.record_type, l.valid_from,
           l.valid_to, r.source, r.source_ref
    FROM scope s
    CROSS JOIN LATERAL (VALUES ('seller', s.seller_code), ('buyer', s.buyer_code)) AS p(side, code)
    JOIN latest l ON l.credit_code = p.code AND l.valid_from <= s.relevant_date
                 AND (l.valid_to IS NULL OR l.valid_to >= s.relevant_date)
    JOIN credit_records r ON r.id = l.record_id
    ORDER BY s.id, p.side DESC, l.record_id
"""
# How many filings the batch covers (same parameters as HITS_SQL; the check date is given but not needed).
COUNT_SQL = "SELECT count(*) FROM filings f" + SCOPE_WHERE + " AND $1::date IS NOT NULL"

# the order a report lists its filings in: what needs doing first
ORDER = ("refuse", "review_revocation", "override_on_record", "no_action")


def recommend(status: str, hits: list[Hit]) -> str:
    if all(h.overridden for h in hits) and status in (*PENDING, "registered"):
        return "override_on_record"
    if status in PENDING:
        return "refuse"
    if status == "registered":
        return "review_revocation"
    return "no_action"


async def batch_check(conn: asyncpg.Connection, user: CurrentUser, scope: BatchScope, as_of: dt.date,
                      refs: list[str] | None = None) -> BatchReport:
    """The report of one batch: `refs` narrows it to a set of filings (a campaign's sample)."""
    if user.role not in ("supervisor", "admin"):
        raise Forbidden("只有监督员和管理员可以批量信用核查", "only supervisors and administrators run batch credit checks")
    params = (as_of, scope.year, scope.point, refs)
    checked = await conn.fetchval(COUNT_SQL, *params)
    rows = await conn.fetch(HITS_SQL, *params)
    by_filing: dict[int, list] = {}
    for r in rows:
        by_filing.setdefault(r["id"], []).append(r)
    items = []
    for filing_id, found in by_filing.items():
        covered = {record for o in await overrides_of(conn, filing_id) for record in o.records}
        first = found[0]
        hits = [Hit(side=r["side"], credit_code=r["credit_code"], party_name=r["party_name"], record_id=r["record_id"],
                    version_id=r["version_id"], record_type=r["record_type"], source=r["source"],
                    source_ref=r["source_ref"], valid_from=r["valid_from"], valid_to=r["valid_to"],
                    overridden=r["record_id"] in covered) for r in found]
        items.append(BatchItem(ref=first["ref"], title=first["title"], status=first["status"],
                               point=first["point_code"], reg_no=first["reg_no"],
                               registered_on=first["registered_on"], relevant_date=first["relevant_date"],
                               recommendation=recommend(first["status"], hits), hits=hits))
    items.sort(key=lambda i: (ORDER.index(i.recommendation), i.ref))
    units: dict[str, set[str]] = {}
    for i in items:
        for h in i.hits:
            units.setdefault(h.record_type, set()).add(h.credit_code)
    recommendations = {code: sum(i.recommendation == code for i in items) for code in ORDER}
    return BatchReport(scope=scope, as_of=as_of, filings_checked=checked, filings_hit=len(items),
                       units_hit=len({h.credit_code for i in items for h in i.hits}),
                       recommendations=recommendations,
                       by_record_type={t: len(codes) for t, codes in sorted(units.items())}, items=items)

