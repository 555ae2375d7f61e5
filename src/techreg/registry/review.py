"""Review (复核, the office's 技术合同复核管理办法): a second look, by someone other than the first registrar, at
registrations that matter, at refusals and returns a party disputes, and at registered contracts a supervisor
questions. Who may do what: review_access.py.

- **Registration (four eyes)**: registering a large or highly flagged filing only proposes it
  (review_gate.py); a second qualified person confirms it, which registers it (number, certificate, with
  the proposer and the confirmer on the trail), or sends it back with reasons. Due by the filing's own
  decision deadline (registry/deadlines.py).
- **A party's request**: a party asks for review of a refusal or a return within TECHREG_REVIEW_REQUEST_DAYS
  working days after it (official calendar, the decision day not counted); a registrar or supervisor records
  the request with the day the party asked. Someone other than the original registrar upholds it, overturns
  it (the filing awaits a decision again, its clock restarted) or returns the filing for correction.
- **Supervision**: a supervisor opens a review of a registered filing; it ends confirmed, corrected (the
  changed fields on the trail) or revoked (the registry's own revocation, via the review).

Party requests and supervisory reviews are due TECHREG_REVIEW_DAYS working days after their opening. Every
step is an event on the filing's chain; the reviews table is the queue and the record.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from ..config import Settings
from ..errors import Conflict, InvalidInput
from ..labels import codes, pair
from . import access as registry_access
from . import review_access as access
from .changes import notify_changed
from .credit.checks import check_at_registration
from .deadlines import RESTARTED, due_date
from .events import append_event, now
from .regno import issue_number
from .review_schema import (ConfirmIn, Decider, ProposalOut, RecusalIn, RequestDecisionIn, ReviewOut, ReviewQueue,
                            ReviewRequestIn, Sentence, SendBackIn, SupervisionDecisionIn, SupervisionIn)
from .rulebook import rules_by_id
from .rules import FilingRejected, rule_errors
from . import revocation
from .schema import FieldError, FilingV1, RevocationBasis, RevocationBody
from .service import _as_v1, _load, filing_from_row, today, upsert_parties
from .users import CurrentUser, display_names
from .workdays import WorkCalendar, work_calendar

# A review with its filing: what deciding it and showing it need, and when the filing's decision clock last
# started again (a proposal is due by the filing's own deadline).
REVIEW_COLUMNS = f"""
    r.id, r.kind, r.status, r.subject_seq, r.subject_action, r.subject_actor, r.subject_status, r.opened_by,
    r.opened_at, r.requested_on, r.party, r.grounds, r.proposal, r.outcome, r.reasons, r.note, r.decided_by,
    r.decided_at, f.id AS filing_id, f.ref, f.title, f.point_code, f.status AS filing_status, f.reg_no, f.filed_on,
    f.tech_amount, f.seller_code, f.buyer_code, f.registrar, {RESTARTED} AS restarted_at, f.rules_version,
    ARRAY(SELECT u.username FROM review_recusals x JOIN users u ON u.id = x.user_id
          WHERE x.review_id = r.id ORDER BY x.at, u.username) AS recused
"""
# The open reviews, of one point or all, of one kind or all.
QUEUE_SQL = f"""
    SELECT {REVIEW_COLUMNS} FROM reviews r JOIN filings f ON f.id = r.filing_id
    WHERE r.status = 'open' AND ($1::text IS NULL OR f.point_code = $1) AND ($2::text IS NULL OR r.kind = $2)
    ORDER BY r.id
"""
# Every review of one filing, the latest first.
FILING_REVIEWS_SQL = f"""
    SELECT {REVIEW_COLUMNS} FROM reviews r JOIN filings f ON f.id = r.filing_id WHERE r.filing_id = $1
    ORDER BY r.id DESC
"""
# The filing's open review, locked while it is decided (the filing row is locked first, always).
OPEN_REVIEW_SQL = f"""
    SELECT {REVIEW_COLUMNS} FROM reviews r JOIN filings f ON f.id = r.filing_id
    WHERE r.filing_id = $1 AND r.status = 'open' FOR UPDATE OF r
"""
ONE_REVIEW_SQL = f"SELECT {REVIEW_COLUMNS} FROM reviews r JOIN filings f ON f.id = r.filing_id WHERE r.id = $1"
# The decision that left the filing in its current state (a refusal, a return, a review's decision).
LAST_DECISION = """
    SELECT seq, at, actor, action FROM filing_events
    WHERE filing_id = $1 AND to_status = $2 AND from_status IS DISTINCT FROM to_status
    ORDER BY seq DESC LIMIT 1
"""
REQUEST_EXISTS = "SELECT 1 FROM reviews WHERE filing_id = $1 AND subject_seq = $2 AND kind = 'party_request'"
ANY_OPEN = "SELECT id FROM reviews WHERE filing_id = $1 AND status = 'open'"
OPEN_REQUEST = """
    INSERT INTO reviews (filing_id, kind, subject_seq, subject_action, subject_actor, subject_status, opened_by,
                         opened_at, opened_seq, requested_on, party, grounds)
    VALUES ($1, 'party_request', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id
"""
OPEN_SUPERVISION = """
    INSERT INTO reviews (filing_id, kind, subject_seq, subject_action, subject_actor, subject_status, opened_by,
                         opened_at, opened_seq, grounds)
    VALUES ($1, 'supervision', $2, $3, $4, 'registered', $5, $6, $7, $8) RETURNING id
"""
CLOSE_REVIEW = """
    UPDATE reviews SET status = 'decided', outcome = $2, reasons = $3, note = $4, decided_by = $5, decided_at = $6,
                       decision_seq = $7
    WHERE id = $1
"""
RECORD_RECUSAL = "INSERT INTO review_recusals (review_id, user_id, reason) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
REGISTER_CONFIRMED = """
    UPDATE filings SET status = 'registered', reg_no = $2, registered_on = $3, approved_amount = $4 WHERE id = $1
"""
SET_STATUS = "UPDATE filings SET status = $2 WHERE id = $1"
EVENT_COUNT = "SELECT event_count FROM filings WHERE id = $1"
CHAIN_HEAD = "SELECT event_count, last_event_hash FROM filings WHERE id = $1"
CORRECT_REGISTERED = """
    UPDATE filings SET contract_no=$2, title=$3, kind=$4, subkind=$5, software=$6, domain=$7,
        seller_code=$8, seller_name=$9, seller_region=$10, buyer_code=$11, buyer_name=$12, buyer_region=$13,
        amount=$14, tech_amount=$15, signed_on=$16, performance_start=$17, performance_end=$18, filed_on=$19,
        description=$20, approved_amount=$21
    WHERE id = $1
"""
# the fields a supervisory review may correct: the correctable ones (service._CORRECTABLE), the parties, and
# the approved amount
CORRECTABLE = ("contract_no", "title", "kind", "subkind", "software", "domain", "amount", "tech_amount", "signed_on",
               "performance_start", "performance_end", "filed_on", "description", "seller", "buyer")
REQUEST_OUTCOMES = {"uphold": "upheld", "overturn": "overturned", "return": "returned"}


# -- reading ---------------------------------------------------------------------------------------------

def _due(row, calendar: WorkCalendar, settings: Settings, zone: ZoneInfo) -> dt.date:
    """A proposal is due by the filing's own decision deadline; any other review TECHREG_REVIEW_DAYS working
    days after it was opened."""
    if row["kind"] == "registration":
        restarted = row["restarted_at"]
        clock_from = restarted.astimezone(zone).date() if restarted else row["filed_on"]
        rules = rules_by_id(settings, row["rules_version"], row["filed_on"])    # the rules it was accepted under
        return due_date(calendar, rules, clock_from, row["tech_amount"])[0]
    return calendar.add_workdays(row["opened_at"].astimezone(zone).date(), settings.review_days)[0]


def _proposal(raw: dict | None) -> ProposalOut | None:
    if not raw:
        return None
    triggers = raw.get("triggers") or {}
    return msgspec.convert({"approved_amount": raw["approved_amount"],
                            "declared_tech_amount": raw["declared_tech_amount"],
                            "deductions": raw.get("deductions") or [], "large": triggers.get("large", False),
                            "large_line": triggers.get("large_line", "0"), "flags": triggers.get("flags") or [],
                            "flag_score": triggers.get("flag_score", 0.0)}, ProposalOut, strict=False)


def _sentence(words: tuple[str, str] | None) -> Sentence | None:
    return Sentence(*words) if words else None


def _out(row, user: CurrentUser, s: access.Standing, calendar: WorkCalendar, settings: Settings,
         on: dt.date, deciders: dict[int, list[CurrentUser]], names: dict[str, str]) -> ReviewOut:
    zone = ZoneInfo(settings.timezone)
    due = _due(row, calendar, settings, zone)
    state = left = None
    if row["status"] == "open":
        if on > due:
            state, left = "overdue", -calendar.workdays_between(due, on)
        else:
            left = calendar.workdays_between(on, due)
            state = "due_soon" if left <= settings.deadline_warn_days else "pending"
    reasons = row["reasons"] or []
    open_ = row["status"] == "open"
    why_not = access.refusal(user, s, row) if open_ else None
    who = deciders.get(row["id"], [])
    return ReviewOut(
        id=row["id"], kind=row["kind"], status=row["status"], ref=row["ref"], title=row["title"],
        point=row["point_code"], filing_status=row["filing_status"], reg_no=row["reg_no"],
        subject_action=row["subject_action"], subject_actor=row["subject_actor"], subject_seq=row["subject_seq"],
        opened_by=row["opened_by"], opened_at=row["opened_at"], requested_on=row["requested_on"],
        requested_by=row["party"], grounds=row["grounds"], proposal=_proposal(row["proposal"]), due_on=due,
        deadline_state=state, working_days_left=left, outcome=row["outcome"], reasons=row["note"],
        revocation_reasons=list(reasons), decided_by=row["decided_by"], decided_at=row["decided_at"],
        recused=list(row["recused"]),
        may_decide=open_ and why_not is None, why_not=_sentence(why_not),
        who_decides=_sentence(access.who_decides(row, names)) if open_ else None,
        deciders=[Decider(u.username, u.display_name, u.role) for u in who[:access.DECIDERS_SHOWN]],
        decider_count=len(who), how_to_qualify=_sentence(access.how_to_qualify(row)) if open_ and not who else None)


async def review_queue(conn: asyncpg.Connection, settings: Settings, user: CurrentUser, *, kind: str | None = None,
                       point: str | None = None, state: str | None = None, on: dt.date | None = None,
                       names: dict[str, str] | None = None) -> ReviewQueue:
    """The open reviews with their deadlines, soonest first: a registrar's own point's, anyone's for
    supervisors and administrators; `state` keeps one deadline state (overdue, due_soon). `names` (login name ->
    display name): given by a caller that has read them already."""
    access.require_reader(user)
    if user.role == "registrar":
        point = user.point_code
    rows = await conn.fetch(QUEUE_SQL, point, kind)
    s = await access.standing(conn, settings, user, [r["id"] for r in rows])
    who = await access.deciders(conn, settings, rows)
    calendar, on = work_calendar(settings), on or today(settings)
    names = names if names is not None else await display_names(conn)
    every = [_out(r, user, s, calendar, settings, on, who, names) for r in rows]
    counts = {c: 0 for c in codes("deadline_state")}
    for r in every:
        counts[r.deadline_state] += 1
    items = sorted((r for r in every if state is None or r.deadline_state == state), key=lambda r: (r.due_on, r.id))
    return ReviewQueue(today=on, counts=counts, items=items)


async def filing_reviews(conn: asyncpg.Connection, settings: Settings, user: CurrentUser, ref: str,
                         names: dict[str, str] | None = None) -> list[ReviewOut]:
    """The reviews of one filing, the latest first, to whoever may read the filing (`names` as review_queue's)."""
    row = await _load(conn, user, ref, lock=False)
    rows = await conn.fetch(FILING_REVIEWS_SQL, row["id"])
    s = await access.standing(conn, settings, user, [r["id"] for r in rows])
    who = await access.deciders(conn, settings, rows)
    calendar, on = work_calendar(settings), today(settings)
    if names is None:
        names = await display_names(conn) if rows else {}
    return [_out(r, user, s, calendar, settings, on, who, names) for r in rows]


async def _answer(conn: asyncpg.Connection, settings: Settings, user: CurrentUser, review_id: int) -> ReviewOut:
    row = await conn.fetchrow(ONE_REVIEW_SQL, review_id)
    s = await access.standing(conn, settings, user, [review_id])
    who = await access.deciders(conn, settings, [row])
    return _out(row, user, s, work_calendar(settings), settings, today(settings), who, await display_names(conn))


# -- steps -----------------------------------------------------------------------------------------------

async def _step(conn: asyncpg.Connection, key: bytes, row, actor: str, action: str, to_status: str, detail: dict,
                at: dt.datetime) -> int:
    """Append the step's event (the filing row already written, and locked); its sequence number."""
    head = await conn.fetchrow(CHAIN_HEAD, row["id"])
    count = head["event_count"]
    await append_event(conn, key, filing_id=row["id"], ref=row["ref"], event_count=count,
                       last_hash=head["last_event_hash"],
                       actor=actor, action=action, from_status=row["status"], to_status=to_status, detail=detail,
                       at=at)
    return count + 1


async def _open_review(conn: asyncpg.Connection, row, kind: str, what: tuple[str, str]):
    review = await conn.fetchrow(OPEN_REVIEW_SQL, row["id"])
    if review is None or review["kind"] != kind:
        status_zh, status_en = pair("status", row["status"])
        raise Conflict(f"该申请没有待决定的{what[0]}（当前状态：{status_zh}）",
                       f"the filing has no {what[1]} awaiting a decision (it is {status_en})", status=row["status"])
    return review


async def _close(conn: asyncpg.Connection, review_id: int, outcome: str, note: str, user: CurrentUser,
                 at: dt.datetime, seq: int, reasons: list[str] | None = None) -> None:
    await conn.execute(CLOSE_REVIEW, review_id, outcome, reasons or [], note, user.username, at, seq)


async def confirm(conn: asyncpg.Connection, key: bytes, settings: Settings, user: CurrentUser, ref: str,
                  body: ConfirmIn) -> ReviewOut:
    """复核确认: the second person's confirmation registers the filing as proposed (number, approved amount);
    the register event names both. Two people confirming at once: the filing's row lock lets one through;
    the other finds it registered (409)."""
    row = await _load(conn, user, ref, lock=True)
    access.require_point_staff(user, row["point_code"])
    review = await _open_review(conn, row, "registration", ("登记复核", "proposed registration"))
    await access.require_may_decide(conn, settings, user, review)
    proposal = review["proposal"]
    at = now()
    registered_on = today(settings)
    # 一票否决 again on the day it is registered: a red-line record may have come since the proposal
    credit = await check_at_registration(conn, row, registered_on)
    reg_no = await issue_number(conn, row["point_code"], registered_on.year)
    await conn.execute(REGISTER_CONFIRMED, row["id"], reg_no, registered_on, Decimal(proposal["approved_amount"]))
    detail = {key_: proposal[key_] for key_ in ("approved_amount", "declared_tech_amount", "deductions")}
    detail.update(credit)
    detail.update({"reg_no": reg_no, "proposed_by": review["subject_actor"], "review": review["id"],
                   "reasons": [], "note": body.note})
    seq = await _step(conn, key, row, user.username, "register", "registered", detail, at)
    await _close(conn, review["id"], "confirmed", body.note, user, at, seq)
    await notify_changed(conn)
    return await _answer(conn, settings, user, review["id"])


async def send_back(conn: asyncpg.Connection, key: bytes, settings: Settings, user: CurrentUser, ref: str,
                    body: SendBackIn) -> ReviewOut:
    """复核退回: the proposal is not confirmed; the filing awaits the registrar's decision again, with reasons."""
    row = await _load(conn, user, ref, lock=True)
    access.require_point_staff(user, row["point_code"])
    review = await _open_review(conn, row, "registration", ("登记复核", "proposed registration"))
    await access.require_may_decide(conn, settings, user, review)
    at = now()
    await conn.execute(SET_STATUS, row["id"], "submitted")
    seq = await _step(conn, key, row, user.username, "send_back", "submitted",
                      {"review": review["id"], "proposed_by": review["subject_actor"], "note": body.reasons}, at)
    await _close(conn, review["id"], "sent_back", body.reasons, user, at, seq)
    await notify_changed(conn)
    return await _answer(conn, settings, user, review["id"])


def _period_errors(body: ReviewRequestIn, decided_on: dt.date, last_day: dt.date, on: dt.date, days: int,
                   decision: tuple[str, str]) -> list[dict]:
    asked = body.requested_on
    if asked < decided_on:
        zh = f"申请日期 {asked} 早于被复核的决定（{decision[0]}，{decided_on}）"
        en = f"the request ({asked}) predates the decision under review ({decision[1]}, {decided_on})"
    elif asked > on:
        zh, en = f"申请日期 {asked} 晚于今天（{on}）", f"the request date {asked} is after today ({on})"
    elif asked > last_day:
        zh = (f"已超过申请复核期限：{decision[0]}于 {decided_on} 作出，当事人须在其后 {days} 个工作日内"
              f"（至 {last_day}）申请，{asked} 申请已逾期")
        en = (f"past the period for asking: the {decision[1]} was made on {decided_on}; a party asks within {days}"
              f" working days after it (by {last_day}); asking on {asked} is too late")
    else:
        return []
    return [{"field": "requested_on", "message": zh, "message_en": en, "value": asked.isoformat()}]


async def request_review(conn: asyncpg.Connection, key: bytes, settings: Settings, user: CurrentUser, ref: str,
                         body: ReviewRequestIn, *, on: dt.date | None = None) -> ReviewOut:
    """当事人申请复核 of a refusal or a return, recorded on the party's behalf; refused (400, naming the period)
    when the party asked too late. `on`: the day taken as today (tests; the API always uses today)."""
    row = await _load(conn, user, ref, lock=True)
    access.require_point_staff(user, row["point_code"])
    if row["status"] not in ("refused", "returned"):
        status_zh, status_en = pair("status", row["status"])
        raise Conflict(f"当前状态为「{status_zh}」：当事人只能对不予登记或退回补正申请复核",
                       f"a party asks for review of a refusal or a return only; the filing is {status_en}",
                       status=row["status"])
    if await conn.fetchval(ANY_OPEN, row["id"]):
        raise Conflict("该申请已有待决定的复核", "the filing already has a review awaiting its decision")
    decision = await conn.fetchrow(LAST_DECISION, row["id"], row["status"])
    if await conn.fetchval(REQUEST_EXISTS, row["id"], decision["seq"]):
        raise Conflict("当事人已对这一决定申请过复核", "the party already asked for review of this decision")
    zone, on = ZoneInfo(settings.timezone), on or today(settings)
    decided_on = decision["at"].astimezone(zone).date()
    last_day, _ = work_calendar(settings).add_workdays(decided_on, settings.review_request_days)
    words = pair("event", decision["action"])
    if errors := _period_errors(body, decided_on, last_day, on, settings.review_request_days, words):
        raise InvalidInput(errors[0]["message"], errors[0]["message_en"], errors=errors,
                           period_ends=last_day.isoformat())
    at = now()
    seq = row["event_count"] + 1
    review_id = await conn.fetchval(OPEN_REQUEST, row["id"], decision["seq"], decision["action"], decision["actor"],
                                    row["status"], user.username, at, seq, body.requested_on, body.requested_by,
                                    body.grounds)
    await _step(conn, key, row, user.username, "review_request", row["status"],
                {"review": review_id, "requested_on": body.requested_on.isoformat(), "requested_by": body.requested_by,
                 "note": body.grounds, "decision": decision["seq"]}, at)
    return await _answer(conn, settings, user, review_id)


async def decide_request(conn: asyncpg.Connection, key: bytes, settings: Settings, user: CurrentUser, ref: str,
                         body: RequestDecisionIn) -> ReviewOut:
    """复核决定 on a party's request: uphold (the decision stands), overturn (the filing awaits a decision again,
    its clock restarted) or return (for correction, the reasons saying what to correct)."""
    row = await _load(conn, user, ref, lock=True)
    access.require_point_staff(user, row["point_code"])
    review = await _open_review(conn, row, "party_request", ("当事人复核申请", "party's request for review"))
    await access.require_may_decide(conn, settings, user, review)
    target = {"uphold": row["status"], "overturn": "submitted", "return": "returned"}[body.outcome]
    outcome = REQUEST_OUTCOMES[body.outcome]
    at = now()
    if target != row["status"]:
        await conn.execute(SET_STATUS, row["id"], target)
    seq = await _step(conn, key, row, user.username, "review_decision", target,
                      {"review": review["id"], "outcome": outcome, "note": body.reasons}, at)
    await _close(conn, review["id"], outcome, body.reasons, user, at, seq)
    await notify_changed(conn)
    return await _answer(conn, settings, user, review["id"])


async def open_supervision(conn: asyncpg.Connection, key: bytes, settings: Settings, user: CurrentUser, ref: str,
                           body: SupervisionIn) -> ReviewOut:
    """监督复核: a supervisor opens a review of a registered filing."""
    row = await _load(conn, user, ref, lock=True)
    access.require_supervisor(user)
    if row["status"] != "registered":
        status_zh, status_en = pair("status", row["status"])
        raise Conflict(f"当前状态为「{status_zh}」：监督复核只针对已登记的合同",
                       f"a supervisory review is of a registered filing; this one is {status_en}", status=row["status"])
    if await conn.fetchval(ANY_OPEN, row["id"]):
        raise Conflict("该申请已有待决定的复核", "the filing already has a review awaiting its decision")
    decision = await conn.fetchrow(LAST_DECISION, row["id"], "registered")
    at = now()
    seq = row["event_count"] + 1
    review_id = await conn.fetchval(OPEN_SUPERVISION, row["id"], decision["seq"], decision["action"],
                                    row["registrar"] or decision["actor"], user.username, at, seq, body.grounds)
    await _step(conn, key, row, user.username, "review_open", "registered",
                {"review": review_id, "note": body.grounds}, at)
    return await _answer(conn, settings, user, review_id)


async def decide_supervision(conn: asyncpg.Connection, key: bytes, settings: Settings, user: CurrentUser, ref: str,
                             body: SupervisionDecisionIn) -> ReviewOut:
    """The outcome of a supervisory review: confirm, correct (the changes on the trail) or revoke (the
    registry's revocation on a ground and basis, via the review)."""
    row = await _load(conn, user, ref, lock=True)
    access.require_supervisor(user)
    review = await _open_review(conn, row, "supervision", ("监督复核", "supervisory review"))
    await access.require_may_decide(conn, settings, user, review)
    if body.outcome != "correct" and body.changes is not None:
        raise InvalidInput("只有「更正」结论可以附带更正内容", "only the outcome correct carries changes",
                           errors=[{"field": "changes", "message": "只有「更正」结论可以附带更正内容",
                                    "message_en": "only the outcome correct carries changes"}])
    at = now()
    if body.outcome == "revoke":
        if body.ground is None:
            raise InvalidInput("撤销登记须选择撤销理由", "revoking needs a revocation ground",
                               errors=[{"field": "ground", "message": "请选择撤销理由", "message_en": "choose a ground"}])
        # the review decision is the basis where the rules in force accept one; otherwise the supervisor names
        # the judgment or inspection it rests on (Shanghai's 2025 rules)
        basis = body.basis or RevocationBasis(kind="review_decision", reference=f"复核 #{review['id']}")
        await revocation.revoke(conn, key, settings, user, ref,
                                RevocationBody(ground=body.ground, basis=basis, note=body.reasons), via="review")
        seq = await conn.fetchval(EVENT_COUNT, row["id"])
        await _close(conn, review["id"], "revoked", body.reasons, user, at, seq, [body.ground])
    elif body.outcome == "correct":
        changes = await _correct_registered(conn, row, body)
        seq = await _step(conn, key, row, user.username, "correct", "registered",
                          {"changes": changes, "via": "review", "review": review["id"], "note": body.reasons}, at)
        await _close(conn, review["id"], "corrected", body.reasons, user, at, seq)
        await notify_changed(conn)
    else:
        seq = await _step(conn, key, row, user.username, "review_decision", "registered",
                          {"review": review["id"], "outcome": "confirmed", "note": body.reasons}, at)
        await _close(conn, review["id"], "confirmed", body.reasons, user, at, seq)
    return await _answer(conn, settings, user, review["id"])


async def _correct_registered(conn: asyncpg.Connection, row, body: SupervisionDecisionIn) -> dict:
    """Write a supervisory correction to the registered filing; the changes (field: from, to) for the trail."""
    if body.changes is None:
        raise InvalidInput("「更正」结论须给出更正内容（changes）", "the outcome correct needs the changes",
                           errors=[{"field": "changes", "message": "请给出更正的字段", "message_en": "name the fields"}])
    current = filing_from_row(row)
    merged = msgspec.structs.asdict(_as_v1(current))
    changes: dict[str, dict] = {}
    for name in CORRECTABLE:
        value = getattr(body.changes, name)
        if value is None:
            continue
        old, new = msgspec.to_builtins(merged[name]), msgspec.to_builtins(value)
        if name in ("amount", "tech_amount"):
            old, new = str(Decimal(old)), str(Decimal(new))
        if old != new:
            changes[name] = {"from": old, "to": new}
            merged[name] = value
    approved = current.approved_amount if current.approved_amount is not None else current.tech_amount
    if body.changes.approved_amount is not None and Decimal(body.changes.approved_amount) != approved:
        changes["approved_amount"] = {"from": f"{approved:.2f}", "to": f"{Decimal(body.changes.approved_amount):.2f}"}
        approved = Decimal(body.changes.approved_amount)
    if not changes:
        raise InvalidInput("更正内容与登记记录相同：没有更正任何字段（未改动请选择「维持」）",
                           "the changes equal the record: nothing is corrected (choose confirm when nothing changes)",
                           errors=[{"field": "changes", "message": "没有更正任何字段", "message_en": "nothing changed"}])
    candidate = msgspec.convert(msgspec.to_builtins(merged), FilingV1)
    errors = rule_errors(candidate)
    if approved > Decimal(candidate.tech_amount):
        errors.append(FieldError("approved_amount", f"核定技术交易额（{approved}）不得超过技术交易额（{candidate.tech_amount}）",
                                 f"approved_amount ({approved}) must not exceed tech_amount ({candidate.tech_amount})"))
    if errors:
        raise FilingRejected(errors)
    await upsert_parties(conn, candidate)
    c = candidate
    await conn.execute(CORRECT_REGISTERED, row["id"], c.contract_no, c.title, c.kind, c.subkind, c.software, c.domain,
                       c.seller.credit_code, c.seller.name, c.seller.region, c.buyer.credit_code, c.buyer.name,
                       c.buyer.region, Decimal(c.amount), Decimal(c.tech_amount), c.signed_on, c.performance_start,
                       c.performance_end, c.filed_on, c.description, approved)
    return changes


async def recuse(conn: asyncpg.Connection, key: bytes, settings: Settings, user: CurrentUser, ref: str,
                 body: RecusalIn) -> ReviewOut:
    """回避: step aside from the filing's open review; naming one of its parties records a standing tie too."""
    row = await _load(conn, user, ref, lock=True)
    access.require_point_staff(user, row["point_code"])
    review_id = await conn.fetchval(ANY_OPEN, row["id"])
    if review_id is None:
        status_zh, status_en = pair("status", row["status"])
        raise Conflict(f"该申请没有待决定的复核（当前状态：{status_zh}）",
                       f"the filing has no review awaiting a decision (it is {status_en})", status=row["status"])
    if body.party is not None and body.party not in (row["seller_code"], row["buyer_code"]):
        raise InvalidInput("所填信用代码不是该合同的当事人", "the credit code is not one of the filing's parties",
                           errors=[{"field": "party", "message": "不是该合同的卖方或买方",
                                    "message_en": "neither the seller nor the buyer", "value": body.party}])
    at = now()
    await conn.execute(RECORD_RECUSAL, review_id, user.id, body.reason)
    if body.party is not None:
        await registry_access.record_tie(conn, user.id, body.party, body.reason)
    detail = {"review": review_id, "note": body.reason} | ({"party": body.party} if body.party else {})
    await _step(conn, key, row, user.username, "review_recusal", row["status"], detail, at)
    return await _answer(conn, settings, user, review_id)
