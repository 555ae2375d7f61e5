"""Four eyes at registration (复核): the two places the workflow (service.transition) hands over to review.

- `second_look`: why a registration needs a second qualified person: the declared technology amount is at
  or above TECHREG_LARGE_LINE (the declared one: approving an amount under the line is exactly what a second
  person should see), or the filing carries an active flag scoring at least TECHREG_REVIEW_FLAG_SCORE. A
  filing not scored yet has no flags to see; the filing page already asks the registrar to say they
  registered it unscored.
- `propose`: instead of registering, the filing becomes "proposed" and a review waits in the queue; the
  second person's confirmation registers it (registry/review.py).
- `require_no_open_review`: while a party's request or a supervisor's review is open, the filing's state
  moves only by that review's decision.

Kept apart from review.py so the workflow module imports nothing that imports it.
"""

from decimal import Decimal

import asyncpg

from ..config import Settings
from ..errors import Conflict
from ..labels import pair
from .events import append_event, now

# The active flags of a filing scoring at least the review score (the detectors' table, read as it is).
HIGH_FLAGS = """
    SELECT kind, max(score) AS score FROM flags WHERE filing_id = $1 AND active AND score >= $2
    GROUP BY kind ORDER BY max(score) DESC, kind
"""
# A review waiting for its decision, with what it reviews.
OPEN_REVIEW = "SELECT id, kind FROM reviews WHERE filing_id = $1 AND status = 'open'"
OPEN_PROPOSAL = """
    INSERT INTO reviews (filing_id, kind, subject_seq, subject_action, subject_actor, subject_status, opened_by,
                         opened_at, opened_seq, proposal)
    VALUES ($1, 'registration', $2, 'propose', $3, 'proposed', $3, $5, $2, $4)
    RETURNING id
"""
# the registrar who proposed it is the filing's registrar, as registering would have made them
PROPOSE = "UPDATE filings SET status = 'proposed', registrar = $2 WHERE id = $1"


async def second_look(conn: asyncpg.Connection, settings: Settings, row: asyncpg.Record) -> dict | None:
    """Why registering this filing needs a second person (large, high flags), or None."""
    large = row["tech_amount"] >= settings.large_line
    flags = [{"kind": r["kind"], "score": round(float(r["score"]), 4)}
             for r in await conn.fetch(HIGH_FLAGS, row["id"], settings.review_flag_score)]
    if not (large or flags):
        return None
    return {"large": large, "large_line": f"{Decimal(settings.large_line):.2f}", "flags": flags,
            "flag_score": settings.review_flag_score}


async def propose(conn: asyncpg.Connection, key: bytes, actor: str, row: asyncpg.Record, detail: dict,
                  triggers: dict) -> None:
    """The registrar's registration becomes a proposal: the approval and the triggers are on the chain and in
    the review queue. The caller holds the row lock."""
    seq = row["event_count"] + 1
    if await conn.fetchval(OPEN_REVIEW, row["id"]):
        raise Conflict("该申请已有待办的复核", "the filing already has an open review")
    at = now()
    review_id = await conn.fetchval(OPEN_PROPOSAL, row["id"], seq, actor, {**detail, "triggers": triggers}, at)
    await conn.execute(PROPOSE, row["id"], actor)
    await append_event(conn, key, filing_id=row["id"], ref=row["ref"], event_count=row["event_count"],
                       last_hash=row["last_event_hash"], actor=actor, action="propose",
                       from_status=row["status"], to_status="proposed",
                       detail={**detail, "triggers": triggers, "review": review_id}, at=at)


async def require_no_open_review(conn: asyncpg.Connection, row: asyncpg.Record, action: str,
                                 via: str | None) -> None:
    """409 while a party's request or a supervisor's review of this filing waits for its decision."""
    if via == "review":
        return
    review = await conn.fetchrow(OPEN_REVIEW, row["id"])
    if review is None or review["kind"] == "registration":     # a proposal's own state already stops the rest
        return
    action_zh, action_en = pair("action", action)
    kind_zh, kind_en = pair("review_kind", review["kind"])
    raise Conflict(f"该申请的{kind_zh}尚未决定，不能{action_zh}：请先作出复核决定",
                   f"cannot {action_en}: the filing's {kind_en} awaits its decision; decide the review first",
                   review=review["id"])
