"""The append-only, hash-chained event trail of every filing.

Each filing has its own chain: event n stores HMAC(key, canonical(event n) +
hash of event n-1), and the filing row stores the chain's length and head. The
database refuses UPDATE and DELETE on events; `verify` finds what a superuser
changed anyway: an altered row (hash mismatch), a removed row (sequence gap or
broken link, or a head that no longer matches), an inserted row (no valid HMAC
without the key, which lives outside the database).
"""

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable

import asyncpg
import msgspec

_encoder = msgspec.json.Encoder(order="sorted")


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


def event_hash(key: bytes, ref: str, seq: int, at: dt.datetime, actor: str, action: str,
               from_status: str | None, to_status: str | None, detail: dict,
               prev_hash: bytes | None) -> bytes:
    payload = _encoder.encode([
        ref, seq, _iso(at), actor, action, from_status, to_status, detail,
        prev_hash.hex() if prev_hash else None,
    ])
    return hmac.new(key, payload, hashlib.sha256).digest()


def now() -> dt.datetime:
    # microsecond precision survives the round trip through timestamptz
    return dt.datetime.now(dt.timezone.utc)


async def append_event(conn: asyncpg.Connection, key: bytes, *, filing_id: int, ref: str,
                       event_count: int, last_hash: bytes | None, actor: str, action: str,
                       from_status: str | None, to_status: str | None, detail: dict | None = None,
                       at: dt.datetime | None = None) -> bytes:
    """Append one event; the caller holds the filing row lock (FOR UPDATE)."""
    detail = detail or {}
    at = at or now()
    seq = event_count + 1
    digest = event_hash(key, ref, seq, at, actor, action, from_status, to_status, detail, last_hash)
    await conn.execute(
        """
        INSERT INTO filing_events (filing_id, seq, at, actor, action, from_status, to_status, detail, prev_hash, hash)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        """,
        filing_id, seq, at, actor, action, from_status, to_status, detail, last_hash, digest,
    )
    await conn.execute(
        "UPDATE filings SET event_count = $2, last_event_hash = $3, updated_at = $4,"
        " change_seq = nextval('filings_change_seq') WHERE id = $1",
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

    def close_filing() -> None:
        if current is None:
            return
        seen = expect_seq - 1
        if seen != head_count or (head_count and prev != head_hash):
            breaks.append(ChainBreak(ref, None, seen + 1 if seen < head_count else None,
                                     f"filing records {head_count} events but the chain has {seen}"
                                     f" (events removed or added at the end) / 登记记录的事件数与事件链不符"))

    async with conn.transaction(readonly=True, isolation="repeatable_read"):
        async for row in conn.cursor(CHAIN_SQL, prefetch=5000):
            if row["filing_id"] != current:
                close_filing()
                current, ref = row["filing_id"], row["ref"]
                expect_seq, prev = 1, None
                head_count, head_hash = row["event_count"], row["last_event_hash"]
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
                                    row["from_status"], row["to_status"], row["detail"], row["prev_hash"])
            if not hmac.compare_digest(recomputed, row["hash"]):
                breaks.append(ChainBreak(ref, row["id"], row["seq"],
                                         "content does not match its hash (row altered or forged) / 事件内容与哈希不符"))
            expect_seq, prev = row["seq"] + 1, row["hash"]
            if len(breaks) >= max_breaks:
                break
        close_filing()
    return VerifyReport(filings, events, breaks)


CHAIN_SQL = """
    SELECT f.id AS filing_id, f.ref, f.event_count, f.last_event_hash,
           e.id, e.seq, e.at, e.actor, e.action, e.from_status, e.to_status, e.detail, e.prev_hash, e.hash
    FROM filings f LEFT JOIN filing_events e ON e.filing_id = f.id
    ORDER BY f.id, e.seq, e.id
"""
