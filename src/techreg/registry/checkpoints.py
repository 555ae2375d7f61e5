"""Registry-wide checkpoints of the event trail, kept outside the database.

A per-filing chain cannot show that a whole filing was removed with its events, or that its last events
were removed and its head rolled back. A checkpoint can: every so often (the `audit_checkpoint` job,
`techreg audit checkpoint`) the events written since the previous checkpoint — by id, which only grows —
are folded into one HMAC chained to the previous checkpoint's, and a line {seq, at, from_id, to_id,
count, digest, prev} is appended to a file the operator keeps (TECHREG_AUDIT_CHECKPOINTS; point it at
append-only storage or ship it to a log). Verification recomputes every segment from the database: a
removed, altered or inserted event in any checkpointed range changes its count or digest. Events newer
than the last checkpoint are covered by the next one; the job's schedule bounds that window.

Events younger than SETTLE are left for the next checkpoint, so a transaction still in flight when the
ids were handed out cannot commit into a range already sealed.
"""

import datetime as dt
import hashlib
import hmac
import json
from pathlib import Path

import asyncpg
import msgspec

SETTLE = dt.timedelta(minutes=1)

# The newest event old enough to be sealed, and the events of one range, in id order.
SEAL_UP_TO = "SELECT coalesce(max(id), 0) FROM filing_events WHERE id > $1 AND at < now() - $2::interval"
RANGE = "SELECT id, hash FROM filing_events WHERE id > $1 AND id <= $2 ORDER BY id"


class Checkpoint(msgspec.Struct):
    seq: int
    at: str
    from_id: int               # exclusive
    to_id: int                 # inclusive
    count: int
    digest: str
    prev: str


class CheckpointBreak(msgspec.Struct):
    seq: int
    problem: str


def _fold(key: bytes, prev: str, rows) -> tuple[int, str]:
    mac = hmac.new(key, bytes.fromhex(prev), hashlib.sha256)
    count = 0
    for row in rows:
        mac.update(row["id"].to_bytes(8, "big") + row["hash"])
        count += 1
    return count, mac.hexdigest()


def read(path: Path) -> list[Checkpoint]:
    if not path.exists():
        return []
    return [msgspec.convert(json.loads(line), Checkpoint) for line in path.read_text().splitlines() if line.strip()]


async def write(conn: asyncpg.Connection, key: bytes, path: Path, settle: dt.timedelta = SETTLE) -> Checkpoint | None:
    """Seal the events written since the last checkpoint; None when there is nothing new to seal."""
    done = read(path)
    last = done[-1] if done else Checkpoint(0, "", 0, 0, 0, "00" * 32, "")
    # one snapshot for the range and its events; inside a caller's transaction (the scheduled job, which
    # runs it under repeatable read) a savepoint of that one
    nested = conn.is_in_transaction()
    async with conn.transaction(isolation=None if nested else "repeatable_read", readonly=not nested):
        up_to = await conn.fetchval(SEAL_UP_TO, last.to_id, settle)
        if up_to <= last.to_id:
            return None
        count, digest = _fold(key, last.digest, await conn.fetch(RANGE, last.to_id, up_to))
    checkpoint = Checkpoint(last.seq + 1, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                            last.to_id, up_to, count, digest, last.digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        f.write(msgspec.json.encode(checkpoint).decode() + "\n")
        f.flush()
    return checkpoint


async def verify(conn: asyncpg.Connection, key: bytes, path: Path) -> list[CheckpointBreak]:
    """Recompute every sealed range; a difference names the checkpoint whose range changed."""
    breaks, prev = [], "00" * 32
    for c in read(path):
        if c.prev != prev:
            breaks.append(CheckpointBreak(c.seq, "checkpoint file edited: the chain of checkpoints is broken"
                                                 " / 检查点文件被改动"))
        count, digest = _fold(key, c.prev, await conn.fetch(RANGE, c.from_id, c.to_id))
        if count != c.count:
            breaks.append(CheckpointBreak(c.seq, f"events {c.from_id + 1}–{c.to_id}: {c.count} sealed, {count} in the"
                                                 f" database (events or whole filings removed or added)"
                                                 f" / 已封存的事件数与数据库不符"))
        elif not hmac.compare_digest(digest, c.digest):
            breaks.append(CheckpointBreak(c.seq, f"events {c.from_id + 1}–{c.to_id} differ from what was sealed"
                                                 f" / 已封存的事件被改动"))
        prev = c.digest
    return breaks
