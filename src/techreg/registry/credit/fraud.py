"""A registration revoked for fraud (弄虚作假、骗取登记) becomes a credit record of its seller, and the records
this registry made are exported for the national credit database (docs/credit-format.md, export v1).

The record's source is this registry (TECHREG_CREDIT_SOURCE), its number the registration number, its first
day the day of the revocation; it stands for TECHREG_CREDIT_FRAUD_YEARS years (0: until lifted) and so is a
red line for the seller's next filings here as well.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable

import asyncpg
import msgspec

from ...config import Settings
from .records import LOCK_RECORDS, US
from .schema import ExportedRecord

# the revocation grounds that mean fraud (registry.schema.RevocationReason)
FRAUD_GROUNDS = frozenset({"fraudulent"})

INSERT_REGISTRY_RECORD = """
    INSERT INTO credit_records (record_key, source, source_ref, origin, filing_id)
    VALUES ($1, $2, $3, 'registry', $4)
    ON CONFLICT (record_key) DO NOTHING
    RETURNING id
"""
INSERT_FIRST_VERSION = """
    INSERT INTO credit_record_versions (record_id, version, credit_code, party_name, record_type, valid_from,
                                        valid_to, description, imported_from, recorded_by)
    VALUES ($1, 1, $2, $3, 'fraudulent_registration', $4, $5, $6, 'revocation', $7)
"""


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years) - dt.timedelta(days=1)
    except ValueError:                       # 29 February
        return day.replace(year=day.year + years, day=28)


async def record_fraud_revocation(conn: asyncpg.Connection, filing: asyncpg.Record, *, reasons: Iterable[str],
                                  note: str, actor: str, on: dt.date, settings: Settings) -> dict:
    """When a registration is revoked on a ground that means fraud, its seller gets a credit record; returns
    what the revoke event records of it ({} when the grounds are not fraud)."""
    if not FRAUD_GROUNDS.intersection(reasons):
        return {}
    number = filing["reg_no"] or filing["ref"]
    await conn.execute(LOCK_RECORDS)
    record_id = await conn.fetchval(INSERT_REGISTRY_RECORD, US.join(("ref", settings.credit_source, number)),
                                    settings.credit_source, number, filing["id"])
    if record_id is None:                    # one record per registration
        return {}
    valid_to = _years_later(on, settings.credit_fraud_years) if settings.credit_fraud_years > 0 else None
    # written once in both languages (pages show their half: labels.halves); the note as the person wrote it
    description = (f"登记号 {number}（{filing['ref']}）因弄虚作假、骗取登记被撤销" + (f"：{note}" if note else "")
                   + f" / registration no. {number} ({filing['ref']}) revoked: obtained by fraud"
                   + (f": {note}" if note else ""))
    await conn.execute(INSERT_FIRST_VERSION, record_id, str(filing["seller_code"]), filing["seller_name"], on,
                       valid_to, description, actor)
    return {"credit_record": record_id}


# The current version of every record this registry made, with the filing and the grounds it was revoked on.
REGISTRY_RECORDS = """
    WITH latest AS (
        SELECT DISTINCT ON (v.record_id) v.* FROM credit_record_versions v
        JOIN credit_records r ON r.id = v.record_id AND r.origin = 'registry'
        ORDER BY v.record_id, v.version DESC
    )
    SELECT l.record_id, l.version, l.credit_code, l.party_name, l.record_type, r.source, r.source_ref,
           l.valid_from, l.valid_to, l.description, f.ref AS filing_ref, f.reg_no, l.recorded_at,
           coalesce((SELECT array(SELECT jsonb_array_elements_text(e.detail -> 'reasons'))
                     FROM filing_events e WHERE e.filing_id = f.id AND e.action = 'revoke'
                     ORDER BY e.seq DESC LIMIT 1), '{}') AS reasons
    FROM latest l JOIN credit_records r ON r.id = l.record_id JOIN filings f ON f.id = r.filing_id
    WHERE $1::timestamptz IS NULL OR l.recorded_at >= $1::timestamptz
    ORDER BY l.record_id
"""


async def registry_records(conn: asyncpg.Connection, since: dt.datetime | None = None) -> list[ExportedRecord]:
    """The records this registry made (their latest versions), those recorded since a moment when given."""
    return [msgspec.convert(dict(r), ExportedRecord) for r in await conn.fetch(REGISTRY_RECORDS, since)]


_encoder = msgspec.json.Encoder()
EXPORT_COLUMNS = tuple(f.encode_name for f in msgspec.structs.fields(ExportedRecord))


def jsonl(records: list[ExportedRecord]) -> bytes:
    return b"".join(_encoder.encode(r) + b"\n" for r in records)


def csv_bytes(records: list[ExportedRecord]) -> bytes:
    """The same fields as JSON Lines, one column each (reasons joined by `;`), UTF-8 with BOM, ISO dates."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for r in msgspec.to_builtins(records):
        writer.writerow(["" if r[c] is None else ";".join(r[c]) if c == "reasons" else r[c] for c in EXPORT_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode()
