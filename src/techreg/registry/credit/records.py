"""Credit records and their versions: storing what an import or a revocation says, and reading a party's.

A record's identity (`record_key`) is its source with the source's own number for it (`source_ref`); a
record without one is known by its source, party, type and first day. A line that says something new about
a known record (other validity, name, description, even a corrected party) is its next version; a line
that says what the latest version says changes nothing. Nothing is overwritten (the tables refuse it).
"""

import datetime as dt

import asyncpg
import msgspec

from ...errors import InvalidInput, NotFound
from ..creditcode import credit_code_problem
from .schema import CreditRecordV1, Hit, PartyCreditOut, RecordOut, VersionOut

US = "\x1f"
# fields a version carries: a line differing from the latest version in any of them is a new version
VERSION_FIELDS = ("credit_code", "party_name", "record_type", "valid_from", "valid_to", "description")


def record_key(r: CreditRecordV1) -> str:
    if r.source_ref:
        return US.join(("ref", r.source, r.source_ref))
    return US.join(("key", r.source, r.credit_code, r.record_type, r.valid_from.isoformat()))


def same_version(r: CreditRecordV1, latest: asyncpg.Record | dict) -> bool:
    return all(getattr(r, name) == latest[name] for name in VERSION_FIELDS)


# Serialises writers of records: two imports of the same list cannot both add version 2 of one record.
LOCK_RECORDS = "SELECT pg_advisory_xact_lock(hashtext('techreg.credit_records'))"

# The latest version of each of the given records (by key).
LATEST_BY_KEY = """
    SELECT DISTINCT ON (v.record_id) r.record_key, v.record_id, v.version, v.credit_code, v.party_name,
           v.record_type, v.valid_from, v.valid_to, v.description
    FROM credit_records r JOIN credit_record_versions v ON v.record_id = r.id
    WHERE r.record_key = any($1::text[])
    ORDER BY v.record_id, v.version DESC
"""

INSERT_RECORDS = """
    INSERT INTO credit_records (record_key, source, source_ref, origin, filing_id)
    SELECT k, s, sr, $4, NULL FROM unnest($1::text[], $2::text[], $3::text[]) AS t(k, s, sr)
    RETURNING id, record_key
"""

INSERT_VERSIONS = """
    INSERT INTO credit_record_versions (record_id, version, credit_code, party_name, record_type, valid_from,
                                        valid_to, description, imported_from, recorded_by)
    SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[], $6::date[], $7::date[],
                         $8::text[], $9::text[], $10::text[])
"""


async def store(conn: asyncpg.Connection, records: list[tuple[int, CreditRecordV1]], *, actor: str,
                imported_from: str) -> tuple[int, int, int, int]:
    """Store decoded records (line, record) in the caller's transaction: (added, new versions, unchanged,
    repeated). A file that names one record on several lines says the last of them: the earlier ones are
    `repeated` and store nothing, so importing the same file again always changes nothing."""
    await conn.execute(LOCK_RECORDS)
    last: dict[str, CreditRecordV1] = {}
    for _, r in records:
        last[record_key(r)] = r
    repeated = len(records) - len(last)
    latest = {row["record_key"]: row for row in await conn.fetch(LATEST_BY_KEY, sorted(last))}
    new = {key: r for key, r in last.items() if key not in latest}
    changed = {key: r for key, r in last.items() if key in latest and not same_version(r, latest[key])}
    ids = {row["record_key"]: row["id"] for row in await conn.fetch(
        INSERT_RECORDS, list(new), [r.source for r in new.values()], [r.source_ref for r in new.values()],
        "import")} if new else {}
    versions = [(ids[key], 1, r) for key, r in new.items()]
    versions += [(latest[key]["record_id"], latest[key]["version"] + 1, r) for key, r in changed.items()]
    if versions:
        columns = list(zip(*[(record_id, number, r.credit_code, r.party_name, r.record_type, r.valid_from,
                              r.valid_to, r.description, imported_from, actor) for record_id, number, r in versions]))
        await conn.execute(INSERT_VERSIONS, *[list(c) for c in columns])
    return len(new), len(changed), len(last) - len(new) - len(changed), repeated


# The records (latest version) about any of the given parties, with the filing a registry record came from;
# a record whose latest version names another party (a corrected code) is no longer the party's.
LATEST_FOR_PARTIES = """
    WITH latest AS (
        SELECT DISTINCT ON (v.record_id) v.*
        FROM credit_record_versions v
        WHERE v.record_id IN (SELECT record_id FROM credit_record_versions WHERE credit_code = any($1::text[]))
        ORDER BY v.record_id, v.version DESC
    )
    SELECT l.id AS version_id, l.record_id, l.version, l.credit_code, l.party_name, l.record_type, l.valid_from,
           l.valid_to, l.description, l.imported_from, l.recorded_by, l.recorded_at,
           r.source, r.source_ref, r.origin, f.ref AS filing_ref
    FROM latest l JOIN credit_records r ON r.id = l.record_id LEFT JOIN filings f ON f.id = r.filing_id
    WHERE l.credit_code = any($1::text[])
    ORDER BY l.valid_from DESC, l.record_id
"""

# every version of the given records, oldest first
VERSIONS_OF = """
    SELECT id, record_id, version, credit_code, party_name, record_type, valid_from, valid_to, description,
           imported_from, recorded_by, recorded_at
    FROM credit_record_versions WHERE record_id = any($1::bigint[]) ORDER BY record_id, version
"""


def in_force(valid_from: dt.date, valid_to: dt.date | None, day: dt.date) -> bool:
    return valid_from <= day and (valid_to is None or day <= valid_to)


async def hits_on(conn: asyncpg.Connection, parties: dict[str, str], day: dt.date) -> list[Hit]:
    """The records in force on `day` about the parties (side -> credit code), seller first."""
    rows = await conn.fetch(LATEST_FOR_PARTIES, sorted(set(parties.values())))
    hits = []
    for side, code in parties.items():
        for r in rows:
            if r["credit_code"] == code and in_force(r["valid_from"], r["valid_to"], day):
                hits.append(Hit(side=side, credit_code=code, party_name=r["party_name"], record_id=r["record_id"],
                                version_id=r["version_id"], record_type=r["record_type"], source=r["source"],
                                source_ref=r["source_ref"], valid_from=r["valid_from"], valid_to=r["valid_to"]))
    return hits


PARTY = "SELECT name, region::text FROM parties WHERE credit_code = $1"
# how many filings name the party, on either side (the two indexes of filings by party)
PARTY_FILINGS = """
    SELECT (SELECT count(*) FROM filings WHERE seller_code = $1) AS as_seller,
           (SELECT count(*) FROM filings WHERE buyer_code = $1) AS as_buyer
"""


def check_code(code: str) -> None:
    if problem := credit_code_problem(code):
        raise InvalidInput(f"统一社会信用代码 {code[:40]} 无效：{problem[0]}", f"credit code {code[:40]} is invalid: {problem[1]}",
                           errors=[{"field": "credit_code", "message": problem[0], "message_en": problem[1]}])


async def party_credit(conn: asyncpg.Connection, code: str, day: dt.date) -> PartyCreditOut:
    """A party by its credit code: its name, how many filings name it, and its records with their history."""
    check_code(code)
    party = await conn.fetchrow(PARTY, code)
    rows = await conn.fetch(LATEST_FOR_PARTIES, [code])
    if party is None and not rows:
        raise NotFound(f"没有统一社会信用代码为 {code} 的当事人或信用记录",
                       f"no party and no credit record with the credit code {code}")
    counts = await conn.fetchrow(PARTY_FILINGS, code)
    history: dict[int, list[VersionOut]] = {}
    for v in await conn.fetch(VERSIONS_OF, [r["record_id"] for r in rows]):
        history.setdefault(v["record_id"], []).append(msgspec.convert(dict(v), VersionOut))
    records = []
    for r in rows:
        current = next(v for v in history[r["record_id"]] if v.id == r["version_id"])
        records.append(RecordOut(id=r["record_id"], source=r["source"], source_ref=r["source_ref"],
                                 origin=r["origin"], filing_ref=r["filing_ref"], current=current,
                                 valid_on=in_force(r["valid_from"], r["valid_to"], day),
                                 history=history[r["record_id"]]))
    return PartyCreditOut(credit_code=code, name=party["name"] if party else (rows[0]["party_name"] if rows else None),
                          region=party["region"] if party else None,
                          filings=counts["as_seller"] + counts["as_buyer"], filings_as_seller=counts["as_seller"],
                          filings_as_buyer=counts["as_buyer"], checked_on=day,
                          red_line=any(r.valid_on for r in records), records=records)
