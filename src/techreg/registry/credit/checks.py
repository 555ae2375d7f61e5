"""The red-line check of a filing's two parties (一票否决).

At submission the parties are checked against the records in force on the day registration was applied for
(filed_on), and what was found is kept with the filing: the registrar sees it, the submission stands. At
registration they are checked again against the records in force on the registration day: a party with one
is refused registration, naming the party, the record's type and its source, unless a supervisor has
recorded in writing, on the filing's event trail, why these very records do not stand in the way.
"""

import datetime as dt

import asyncpg
import msgspec

from ... import labels
from ...errors import Conflict, Forbidden, InvalidInput, NotFound
from ..events import append_event
from ..schema import FilingOut
from ..users import CurrentUser
from .records import hits_on
from .schema import FilingCreditOut, Hit, Override, OverrideIn, SubmissionCheck

# awaiting a decision: the red lines still stand in the way (a proposal's confirmation checks them again)
PENDING = ("submitted", "returned", "proposed")

RECORD_SUBMISSION_CHECK = """
    INSERT INTO credit_checks (filing_id, stage, checked_on, hits, actor) VALUES ($1, 'submission', $2, $3, $4)
"""
LAST_SUBMISSION_CHECK = """
    SELECT checked_on, hits, at FROM credit_checks WHERE filing_id = $1 AND stage = 'submission'
    ORDER BY id DESC LIMIT 1
"""
# the overrides on a filing's trail (action credit_override), oldest first
OVERRIDES = """
    SELECT seq, at, actor, detail FROM filing_events WHERE filing_id = $1 AND action = 'credit_override' ORDER BY seq
"""
FILING_FOR_OVERRIDE = """
    SELECT id, ref, status, seller_code::text, seller_name, buyer_code::text, buyer_name, event_count,
           last_event_hash
    FROM filings WHERE ref = $1 FOR UPDATE
"""


def _parties(filing) -> dict[str, str]:
    if isinstance(filing, FilingOut):
        return {"seller": filing.seller.credit_code, "buyer": filing.buyer.credit_code}
    return {"seller": str(filing["seller_code"]), "buyer": str(filing["buyer_code"])}


def _names(filing) -> dict[str, str]:
    if isinstance(filing, FilingOut):
        return {"seller": filing.seller.name, "buyer": filing.buyer.name}
    return {"seller": filing["seller_name"], "buyer": filing["buyer_name"]}


async def check_at_submission(conn: asyncpg.Connection, filing: FilingOut, actor: str) -> list[Hit]:
    """Both parties against the records in force on the day applied for; kept with the filing either way."""
    hits = await hits_on(conn, _parties(filing), filing.filed_on)
    await conn.execute(RECORD_SUBMISSION_CHECK, filing.id, filing.filed_on,
                       [{"side": h.side, "record_id": h.record_id, "version_id": h.version_id} for h in hits], actor)
    return hits


async def overrides_of(conn: asyncpg.Connection, filing_id: int) -> list[Override]:
    return [Override(seq=r["seq"], at=r["at"], actor=r["actor"], records=list(r["detail"].get("records", [])),
                     reasons=r["detail"].get("note", "")) for r in await conn.fetch(OVERRIDES, filing_id)]


def _mark(hits: list[Hit], overrides: list[Override]) -> list[Hit]:
    covered = {record for o in overrides for record in o.records}
    return [msgspec.structs.replace(h, overridden=h.record_id in covered) for h in hits]


def refusal(hits: list[Hit], names: dict[str, str]) -> Conflict:
    """登记被一票否决: each party with the record's type, source and validity, in both languages."""
    zh, en = [], []
    for h in hits:
        side_zh, side_en = labels.pair("field", h.side)
        type_zh, type_en = labels.pair("credit_record_type", h.record_type)
        until_zh = f"至 {h.valid_to}" if h.valid_to else "起，未解除"
        until_en = f"to {h.valid_to}" if h.valid_to else "on, not lifted"
        ref = f"，{h.source_ref}" if h.source_ref else ""
        zh.append(f"{side_zh}{names[h.side]}（{h.credit_code}）有红线记录「{type_zh}」（来源：{h.source}{ref}；"
                  f"{h.valid_from} {until_zh}）")
        en.append(f"the {side_en} {names[h.side]} ({h.credit_code}) has a red-line record \"{type_en}\" (source: "
                  f"{h.source}{', ' + h.source_ref if h.source_ref else ''}; {h.valid_from} {until_en})")
    return Conflict("；".join(zh) + "。一票否决，不予登记；确有理由的，须由监督员书面说明理由同意后方可登记",
                    "; ".join(en) + ". One-vote veto: registration refused; a supervisor may override it with "
                    "written reasons", credit_hits=msgspec.to_builtins(hits))


async def check_at_registration(conn: asyncpg.Connection, row: asyncpg.Record, day: dt.date) -> dict:
    """Before a registration is granted: a Conflict naming every red-line record in force on `day` that no
    supervisor has overridden; otherwise what the register event records of the check (nothing when clean)."""
    hits = _mark(await hits_on(conn, _parties(row), day), await overrides_of(conn, row["id"]))
    standing = [h for h in hits if not h.overridden]
    if standing:
        raise refusal(standing, _names(row))
    if not hits:
        return {}
    return {"credit_overridden": sorted({h.record_id for h in hits})}


async def filing_credit(conn: asyncpg.Connection, filing: FilingOut, today: dt.date) -> FilingCreditOut:
    """The red-line check of a filing the caller may read: at submission, and now (or on its registration day)."""
    last = await conn.fetchrow(LAST_SUBMISSION_CHECK, filing.id)
    day = filing.registered_on if filing.registered_on and filing.status not in PENDING else today
    overrides = await overrides_of(conn, filing.id)
    hits = _mark(await hits_on(conn, _parties(filing), day), overrides)
    submission = None
    if last is not None:
        found = {(h["side"], h["record_id"]) for h in last["hits"]}
        at_filing = await hits_on(conn, _parties(filing), last["checked_on"])
        submission = SubmissionCheck(checked_on=last["checked_on"], at=last["at"],
                                     hits=[h for h in at_filing if (h.side, h.record_id) in found])
    return FilingCreditOut(ref=filing.ref, submission=submission, checked_on=day, hits=hits, overrides=overrides,
                           blocks_registration=filing.status in PENDING and any(not h.overridden for h in hits))


async def override(conn: asyncpg.Connection, key: bytes, user: CurrentUser, ref: str, body: OverrideIn,
                   today: dt.date) -> Override:
    """A supervisor's written reasons to register despite the red-line records standing today: recorded on
    the filing's event trail, covering exactly those records."""
    if user.role != "supervisor":
        raise Forbidden("只有监督员可以书面同意登记红线当事人的申请",
                        "only a supervisor may override a red-line record in writing")
    row = await conn.fetchrow(FILING_FOR_OVERRIDE, ref)
    if row is None:
        raise NotFound(f"申请 {ref} 不存在或无权查看", f"filing {ref} not found or not visible to you")
    if row["status"] not in PENDING:
        status_zh, status_en = labels.pair("status", row["status"])
        raise Conflict(f"当前状态为「{status_zh}」，只有尚未登记的申请（待审查、退回补正、拟登记待复核）可以书面同意登记",
                       f"only a filing awaiting a decision can be overridden; this one is {status_en}",
                       status=row["status"])
    hits = _mark(await hits_on(conn, _parties(row), today), await overrides_of(conn, row["id"]))
    standing = sorted({h.record_id for h in hits if not h.overridden})
    if not standing:
        raise Conflict("该申请当事人没有未经同意的有效红线记录，无需书面同意",
                       "no red-line record stands in this filing's way: there is nothing to override")
    reasons = body.reasons.strip()
    if len(reasons) < 10:
        raise InvalidInput("书面理由至少10个字", "the written reasons need 10 characters or more",
                           errors=[{"field": "reasons", "message": "书面理由至少10个字",
                                    "message_en": "10 characters or more"}])
    detail = {"records": standing, "note": reasons}
    seq = row["event_count"] + 1
    await append_event(conn, key, filing_id=row["id"], ref=ref, event_count=row["event_count"],
                       last_hash=row["last_event_hash"], actor=user.username, action="credit_override",
                       from_status=row["status"], to_status=row["status"], detail=detail)
    [done] = [o for o in await overrides_of(conn, row["id"]) if o.seq == seq]
    return done
