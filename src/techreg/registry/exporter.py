"""Export filings back to filing format v1, unchanged in meaning."""

from collections.abc import AsyncIterator

import asyncpg
import msgspec

from .schema import FilingV1, PartyV1

_encoder = msgspec.json.Encoder()

# format v1 has no "returned" and no "proposed": a filing returned for correction, or proposed for
# registration and waiting for its second reviewer, is still pending
_FORMAT_STATUS = {"returned": "submitted", "proposed": "submitted"}

EXPORT_SQL = """
    SELECT ref, contract_no, title, kind, subkind, software, domain,
           seller_code, seller_name, seller_region, buyer_code, buyer_name, buyer_region,
           amount, tech_amount, signed_on, performance_start, performance_end, filed_on,
           point_code, registrar, description, status, reg_no, approved_amount
    FROM filings ORDER BY id
"""


def row_to_v1(r: asyncpg.Record) -> FilingV1:
    return FilingV1(
        ref=r["ref"], contract_no=r["contract_no"], title=r["title"], kind=r["kind"], subkind=r["subkind"],
        software=r["software"], domain=r["domain"],
        seller=PartyV1(r["seller_name"], r["seller_code"], r["seller_region"]),
        buyer=PartyV1(r["buyer_name"], r["buyer_code"], r["buyer_region"]),
        amount=str(r["amount"]), tech_amount=str(r["tech_amount"]), signed_on=r["signed_on"],
        performance_start=r["performance_start"], performance_end=r["performance_end"], filed_on=r["filed_on"],
        point=r["point_code"], registrar=r["registrar"], description=r["description"],
        status=_FORMAT_STATUS.get(r["status"], r["status"]), reg_no=r["reg_no"],
        approved_amount=str(r["approved_amount"]) if r["approved_amount"] is not None else None)


async def export_lines(conn: asyncpg.Connection, batch: int = 5000) -> AsyncIterator[bytes]:
    async with conn.transaction(readonly=True, isolation="repeatable_read"):
        async for r in conn.cursor(EXPORT_SQL, prefetch=batch):
            yield _encoder.encode(row_to_v1(r)) + b"\n"
