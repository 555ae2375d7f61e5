"""The append-only, hash-chained event trail of every filing.

Each filing has its own chain: event n stores HMAC(key, canonical(event n) + the digest of the filing's
fields after it + hash of event n-1), and the filing row stores the chain's length and head. The
database refuses UPDATE and DELETE on events; `verify` finds what a superuser changed anyway: an altered
event (hash mismatch), a removed event (sequence gap or broken link, or a head that no longer matches),
an inserted event (no valid HMAC without the key, which lives outside the database), and a filing row
changed behind the trail's back (its fields no longer match the state its last event committed to).
What a per-filing chain cannot see — a filing removed with all its events, or its last events removed
and its head rolled back — the registry-wide checkpoints reveal (checkpoints.py).
"""

import datetime as dt
import hashlib
from decimal import Decimal
import hmac
from collections.abc import Callable

import asyncpg
import msgspec

_encoder = msgspec.json.Encoder(order="sorted")


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


# The digest of a filing's fields, kept by PostgreSQL as the generated column filings.state_digest
# (migrations/0014, 0018) and computed the same way here for events written before the row exists (create,
# import). Dates as days since 2000-01-01 and amounts with two decimals keep the SQL expression immutable.
# The approved amount (0018) is appended only when there is one: digests written before it stay valid.
STATE_DIGEST_SQL = ("sha256(utf8_bytes(" + 'ref || chr(31) || contract_no || chr(31) || title || chr(31) || kind || chr(31) || coalesce(subkind,'
                    " '') || chr(31) || software::text || chr(31) || domain || chr(31) || seller_code::text || chr(31) ||"
                    " seller_name || chr(31) || coalesce(seller_region::text, '') || chr(31) || buyer_code::text || chr(3"
                    "1) || buyer_name || chr(31) || coalesce(buyer_region::text, '') || chr(31) || amount::text || chr(31"
                    ") || tech_amount::text || chr(31) || (signed_on - DATE '2000-01-01')::text || chr(31) || (performanc"
                    "e_start - DATE '2000-01-01')::text || chr(31) || (performance_end - DATE '2000-01-01')::text || chr("
                    "31) || (filed_on - DATE '2000-01-01')::text || chr(31) || point_code || chr(31) || coalesce(registra"
                    "r, '') || chr(31) || coalesce(description, '') || chr(31) || status || chr(31) || coalesce(reg_no, '"
                    "') || chr(31) || coalesce((registered_on - DATE '2000-01-01')::text, '') || coalesce(chr(31) || appr"
                    "oved_amount::text, '')" + "))")
_EPOCH = dt.date(2000, 1, 1)


def state_digest(*, ref: str, contract_no: str, title: str, kind: str, subkind: str | None, software: bool,
                 domain: str, seller_code: str, seller_name: str, seller_region: str | None, buyer_code: str,
                 buyer_name: str, buyer_region: str | None, amount, tech_amount, signed_on: dt.date,
                 performance_start: dt.date, performance_end: dt.date, filed_on: dt.date, point_code: str,
                 registrar: str | None, description: str | None, status: str, reg_no: str | None,
                 registered_on: dt.date | None, approved_amount=None) -> bytes:
    """The same digest as STATE_DIGEST_SQL, for a filing about to be written."""
    parts = [ref, contract_no, title, kind, subkind or "", "true" if software else "false", domain, seller_code,
             seller_name, seller_region or "", buyer_code, buyer_name, buyer_region or "", f"{amount:.2f}",
             f"{tech_amount:.2f}", *(str((d - _EPOCH).days) for d in (signed_on, performance_start,
                                                                      performance_end, filed_on)),
             point_code, registrar or "", description or "", status, reg_no or "",
             str((registered_on - _EPOCH).days) if registered_on else ""]
    if approved_amount is not None:
        parts.append(f"{approved_amount:.2f}")
    return hashlib.sha256("\x1f".join(parts).encode()).digest()


def filing_state(f, *, status: str, registrar: str | None, reg_no: str | None = None,
                 registered_on=None, approved_amount=None) -> bytes:
    """The digest of the row this filing becomes (events.STATE_DIGEST_SQL computes the same in SQL)."""
    return state_digest(ref=f.ref, contract_no=f.contract_no, title=f.title, kind=f.kind, subkind=f.subkind,
                        software=f.software, domain=f.domain, seller_code=f.seller.credit_code,
                        seller_name=f.seller.name, seller_region=f.seller.region, buyer_code=f.buyer.credit_code,
                        buyer_name=f.buyer.name, buyer_region=f.buyer.region, amount=Decimal(f.amount),
                        tech_amount=Decimal(f.tech_amount), signed_on=f.signed_on,
                        performance_start=f.performance_start, performance_end=f.performance_end,
                        filed_on=f.filed_on, point_code=f.point, registrar=registrar, description=f.description,
                        status=status, reg_no=reg_no, registered_on=registered_on, approved_amount=approved_amount)


def event_hash(key: bytes, ref: str, seq: int, at: dt.datetime, actor: str, action: str,
               from_status: str | None, to_status: str | None, detail: dict,
               prev_hash: bytes | None, state: bytes | None = None) -> bytes:
    fields = [ref, seq, _iso(at), actor, action, from_status, to_status, detail,
              prev_hash.hex() if prev_hash else None]
    if state is not None:               # events before migrations/0014 carry no state
        fields.append(state.hex())
    return hmac.new(key, _encoder.encode(fields), hashlib.sha256).digest()


def now() -> dt.datetime:
    # microsecond precision survives the round trip through timestamptz
    return dt.datetime.now(dt.timezone.utc)


async def append_event(conn: asyncpg.Connection, key: bytes, *, filing_id: int, ref: str,
                       event_count: int, last_hash: bytes | None, actor: str, action: str,
                       from_status: str | None, to_status: str | None, detail: dict | None = None,
                       at: dt.datetime | None = None) -> bytes:
    """Append one event, committing to the filing's fields as they now are; the caller has written its
    change to the filing and holds the row lock (FOR UPDATE)."""
    detail = detail or {}
    at = at or now()
    seq = event_count + 1
    state = await conn.fetchval("SELECT state_digest FROM filings WHERE id = $1", filing_id)
    digest = event_hash(key, ref, seq, at, actor, action, from_status, to_status, detail, last_hash, state)
    await conn.execute(
        """
        INSERT INTO filing_events (filing_id, seq, at, actor, action, from_status, to_status, detail, prev_hash, hash,
                                   state_digest)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        """,
        filing_id, seq, at, actor, action, from_status, to_status, detail, last_hash, digest, state,
    )
    await conn.execute(
        "UPDATE filings SET event_count = $2, last_event_hash = $3, updated_at = $4,"
        " change_seq = nextval('filings_change_seq'), change_xid = pg_current_xact_id() WHERE id = $1",
        filing_id, seq, digest, at,
    )
    return digest


class ChainBreak(msgspec.Struct):
    filing_ref: str
    event_id: int | None
    seq: int | None
    problem: str


class VerifyReport(msgspec.Struct):
    filings: int
    events: int
    breaks: list[ChainBreak]

    @property
    def ok(self) -> bool:
        return not self.breaks


async def verify_chain(conn: asyncpg.Connection, key: bytes, *, max_breaks: int = 100,
                       progress: Callable[[int], None] | None = None) -> VerifyReport:
    """Recompute every chain in filing order; report breaks, first one first."""
    breaks: list[ChainBreak] = []
    filings = events = 0
    current: int | None = None
    ref = ""
    expect_seq, prev, head_count, head_hash = 1, None, 0, None
    current_state = last_state = None

    def close_filing() -> None:
        if current is None:
            return
        seen = expect_seq - 1
        if seen != head_count or (head_count and prev != head_hash):
            breaks.append(ChainBreak(ref, None, seen + 1 if seen < head_count else None,
                                     f"filing records {head_count} events but the chain has {seen}"
                                     f" (events removed or added at the end) / 登记记录的事件数与事件链不符"))
        elif last_state is not None and last_state != current_state:
            breaks.append(ChainBreak(ref, None, seen,
                                     "the filing's fields changed after its last event (amount, title, status, "
                                     "number…) / 登记记录的内容在最后一次操作之后被改动"))

    async with conn.transaction(readonly=True, isolation="repeatable_read"):
        async for row in conn.cursor(CHAIN_SQL, prefetch=5000):
            if row["filing_id"] != current:
                close_filing()
                current, ref = row["filing_id"], row["ref"]
                expect_seq, prev = 1, None
                head_count, head_hash = row["event_count"], row["last_event_hash"]
                current_state, last_state = row["current_state"], None
                filings += 1
                if progress and filings % 100_000 == 0:
                    progress(filings)
            if row["id"] is None:
                continue
            events += 1
            if row["seq"] != expect_seq:
                breaks.append(ChainBreak(ref, row["id"], row["seq"],
                                         f"sequence jumps from {expect_seq - 1} to {row['seq']} (row removed or inserted)"
                                         f" / 事件序号不连续"))
            elif row["prev_hash"] != prev:
                breaks.append(ChainBreak(ref, row["id"], row["seq"],
                                         "link to the previous event is broken / 与前一事件的链接断开"))
            recomputed = event_hash(key, ref, row["seq"], row["at"], row["actor"], row["action"],
                                    row["from_status"], row["to_status"], row["detail"], row["prev_hash"],
                                    row["state_digest"])
            last_state = row["state_digest"]
            if not hmac.compare_digest(recomputed, row["hash"]):
                breaks.append(ChainBreak(ref, row["id"], row["seq"],
                                         "content does not match its hash (row altered or forged) / 事件内容与哈希不符"))
            expect_seq, prev = row["seq"] + 1, row["hash"]
            if len(breaks) >= max_breaks:
                break
        close_filing()
    return VerifyReport(filings, events, breaks)


CHAIN_SQL = """
    SELECT f.id AS filing_id, f.ref, f.event_count, f.last_event_hash, f.state_digest AS current_state,
           e.id, e.seq, e.at, e.actor, e.action, e.from_status, e.to_status, e.detail, e.prev_hash, e.hash,
           e.state_digest
    FROM filings f LEFT JOIN filing_events e ON e.filing_id = f.id
    ORDER BY f.id, e.seq, e.id
"""
