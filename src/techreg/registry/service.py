"""Filing service functions: create, read, list, correct, and the registration workflow.

Every function takes the request's connection (one transaction per unit of
work) and the user asking, and checks that user may do what is asked.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from ..config import Settings, load_settings
from ..errors import Conflict, InvalidInput, NotFound
from ..labels import label, pair
from . import access
from .changes import notify_changed
from .columns import FILING_FIELDS, filing_values
from .correction import CORRECT, FieldChange, correction_detail
from .credit.checks import check_at_registration, check_at_submission
from .credit.fraud import record_fraud_revocation
from .events import append_event, event_hash, filing_state, now
from .regno import issue_number
from .rulebook import rules_by_id, rules_in_force
from .rules import FilingRejected, rule_errors
from .approval import approval_detail
from . import review_gate
from .schema import (EventOut, FieldError, FilingCorrection, FilingOut, FilingV1, PartyV1,
                     RefusalReason, RegisterBody, RevocationReason, DecisionBody)
from .users import CurrentUser

# A filing as a read returns it (FilingOut): its own values, its registrar, its place in the workflow, its record,
# the rules it was accepted under and, once revoked, the ground.
FILING_COLUMNS = ", ".join(f"f.{c}" for c in ("id", *FILING_FIELDS, "registrar", "status", "reg_no", "registered_on",
                                              "approved_amount", "created_by", "created_at", "updated_at",
                                              "rules_version")) + \
    ", (SELECT r.ground FROM revocations r WHERE r.filing_id = f.id) AS revocation_ground"

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "register": (frozenset({"submitted"}), "registered"),
    "refuse": (frozenset({"submitted"}), "refused"),
    "return": (frozenset({"submitted"}), "returned"),
    "resubmit": (frozenset({"returned"}), "submitted"),
    "revoke": (frozenset({"registered"}), "revoked"),
    "cancel": (frozenset({"registered"}), "cancelled"),
}
REFUSAL_REASONS = frozenset(RefusalReason.__args__)
REVOCATION_REASONS = frozenset(RevocationReason.__args__)


def filing_from_row(row: asyncpg.Record) -> FilingOut:
    d = dict(row)
    d["seller"] = {"name": d.pop("seller_name"), "credit_code": d.pop("seller_code"), "region": d.pop("seller_region")}
    d["buyer"] = {"name": d.pop("buyer_name"), "credit_code": d.pop("buyer_code"), "region": d.pop("buyer_region")}
    d["point"] = d.pop("point_code")
    return msgspec.convert(d, FilingOut)


def today(settings: Settings) -> dt.date:
    return dt.datetime.now(ZoneInfo(settings.timezone)).date()


# -- access (who may read a filing: access.py) ----------------------------------------------------

def _not_found(ref: str) -> NotFound:
    return NotFound(f"申请 {ref} 不存在或无权查看", f"filing {ref} not found or not visible to you")


async def _load(conn: asyncpg.Connection, user: CurrentUser, ref: str, *, lock: bool) -> asyncpg.Record:
    row = await conn.fetchrow(
        f"SELECT {FILING_COLUMNS}, f.event_count, f.last_event_hash FROM filings f WHERE f.ref = $1"
        + (" FOR UPDATE" if lock else ""), ref)
    if row is None:
        raise _not_found(ref)
    if not await access.may_read(conn, user, ref, row["point_code"]):
        raise _not_found(ref)
    return row


# -- create / read / list -----------------------------------------------------

UPSERT_PARTIES = """
    INSERT INTO parties (credit_code, name, region) VALUES ($1, $2, $3), ($4, $5, $6)
    ON CONFLICT (credit_code) DO NOTHING
"""

# The parameters of CREATE_FILING after the filing's own values (create_args): its registrar, the actor, the
# first event's hash, its time, the state it commits to, and the rules it is accepted under.
_REGISTRAR, _ACTOR, _HASH, _AT, _STATE, _RULES = (f"${n}" for n in range(len(FILING_FIELDS) + 1, len(FILING_FIELDS) + 7))
# the filing and its first event in one statement: the event hash depends on the ref, not the id
CREATE_FILING = f"""
    WITH f AS (
        INSERT INTO filings AS f ({", ".join(FILING_FIELDS)},
            registrar, status, created_by, event_count, last_event_hash, created_at, updated_at, rules_version)
        VALUES ({", ".join(f"${n}" for n in range(1, len(FILING_FIELDS) + 1))},
            {_REGISTRAR}, 'submitted', {_ACTOR}, 1, {_HASH}, {_AT}, {_AT}, {_RULES})
        ON CONFLICT (ref) DO NOTHING
        RETURNING {FILING_COLUMNS}
    ), e AS (
        INSERT INTO filing_events (filing_id, seq, at, actor, action, from_status, to_status, detail, prev_hash, hash,
                                   state_digest)
        SELECT id, 1, {_AT}, {_ACTOR}, 'create', NULL, 'submitted', '{{}}'::jsonb, NULL, {_HASH}, {_STATE} FROM f
    )
    SELECT * FROM f
"""


def party_args(f: FilingV1) -> tuple:
    return (f.seller.credit_code, f.seller.name, f.seller.region, f.buyer.credit_code, f.buyer.name, f.buyer.region)


async def upsert_parties(conn: asyncpg.Connection, f: FilingV1) -> None:
    await conn.execute(UPSERT_PARTIES, *party_args(f))


def create_args(f: FilingV1, registrar: str | None, actor: str, key: bytes) -> tuple:
    at = now()
    state = filing_state(f, status="submitted", registrar=registrar)
    digest = event_hash(key, f.ref, 1, at, actor, "create", None, "submitted", {}, None, state)
    return (*filing_values(f), registrar, actor, digest, at, state)


async def _registrar_of(conn: asyncpg.Connection, user: CurrentUser, f: FilingV1) -> str | None:
    """Who handled the filing: the acting registrar, never a name the client sends; an administrator filing
    on a point's behalf may name one of that point's registrars."""
    if user.role == "registrar":
        return user.username     # naming another is refused with the filing's other errors (create_filing)
    if f.registrar is None:
        return None
    if not await conn.fetchval("SELECT 1 FROM users WHERE username = $1 AND role = 'registrar' AND point_code = $2",
                               f.registrar, f.point):
        raise FilingRejected([FieldError("registrar", f"{f.registrar} 不是登记点 {f.point} 的登记员",
                                         f"{f.registrar} is not a registrar of point {f.point}")])
    return f.registrar


async def create_filing(conn: asyncpg.Connection, key: bytes, user: CurrentUser, f: FilingV1,
                        settings: Settings | None = None) -> FilingOut:
    """Accept a filing; it is judged by the rules in force on its application day, whose id it keeps."""
    errors = rule_errors(f)             # every error of the filing in one answer, these two included
    if f.status != "submitted" or f.reg_no is not None:
        errors.append(FieldError("status", "通过接口提交的申请状态只能为 submitted；历史数据请用导入",
                                 "new filings are submitted; back-fill history with `techreg import`", f.status))
    if user.role == "registrar" and f.registrar not in (None, user.username):
        errors.append(FieldError("registrar", "登记员即当前登录的登记员，不能填写他人",
                                 "the registrar is the registrar logged in; another cannot be named", f.registrar))
    if errors:
        raise FilingRejected(errors)
    access.require_filer(user, f.point)
    await access.require_qualified(conn, user)
    registrar = await _registrar_of(conn, user, f)
    await upsert_parties(conn, f)
    try:
        accepted_under = rules_in_force(settings or load_settings(), f.filed_on).id
        row = await conn.fetchrow(CREATE_FILING, *create_args(f, registrar, user.username, key), accepted_under)
    except asyncpg.ForeignKeyViolationError as exc:
        if "point" in (exc.constraint_name or ""):
            raise FilingRejected([FieldError("point", f"登记点 {f.point} 不存在",
                                             f"point {f.point} does not exist")]) from None
        raise
    if row is None:
        raise Conflict(f"申请编号 {f.ref} 已存在", f"a filing with ref {f.ref} already exists", ref=f.ref)
    filing = filing_from_row(row)
    await check_at_submission(conn, filing, user.username)      # red lines: recorded, shown, never refusing here
    await notify_changed(conn)              # scored within seconds, before the registrar decides
    return filing


async def get_filing(conn: asyncpg.Connection, user: CurrentUser, ref: str) -> FilingOut:
    return filing_from_row(await _load(conn, user, ref, lock=False))


async def filing_events(conn: asyncpg.Connection, user: CurrentUser, ref: str) -> list[EventOut]:
    row = await _load(conn, user, ref, lock=False)
    rows = await conn.fetch(
        "SELECT seq, at, actor, action, from_status, to_status, detail, encode(hash, 'hex') AS hash"
        " FROM filing_events WHERE filing_id = $1 ORDER BY seq", row["id"])
    return [msgspec.convert(dict(r), EventOut) for r in rows]


# -- correction (补正) -----------------------------------------------------------

# A correction rewrites the filing's own values, its ref and point excepted, and the rules it is judged by
# (its application day may move); $1 is the filing's id.
CORRECTED_FIELDS = tuple(c for c in FILING_FIELDS if c not in ("ref", "point_code"))
CORRECT_FILING = f"""
    UPDATE filings AS f SET {", ".join(f"{c} = ${n}" for n, c in enumerate(CORRECTED_FIELDS, start=2))},
        rules_version = ${len(CORRECTED_FIELDS) + 2}
    WHERE id = $1 RETURNING {FILING_COLUMNS}
"""
_CORRECTABLE = ("contract_no", "title", "kind", "subkind", "software", "domain", "amount", "tech_amount",
                "signed_on", "performance_start", "performance_end", "filed_on", "description")


async def correct_filing(conn: asyncpg.Connection, key: bytes, user: CurrentUser, ref: str,
                         body: FilingCorrection, settings: Settings | None = None) -> FilingOut:
    row = await _load(conn, user, ref, lock=True)
    await access.require_actor(conn, None, user, row["point_code"], "correct")
    if row["status"] not in ("submitted", "returned"):
        status_zh, status_en = pair("status", row["status"])
        raise Conflict(f"当前状态为{status_zh}，只有待审查或退回补正的申请可以补正",
                       f"only filings awaiting review or returned for correction can be corrected; this one is"
                       f" {status_en}", status=row["status"])
    current = filing_from_row(row)
    merged = msgspec.structs.asdict(_as_v1(current))
    changes: dict[str, FieldChange] = {}
    for name in (*_CORRECTABLE, "seller", "buyer"):
        value = getattr(body, name)
        if value is None:
            continue
        old_cmp, new_cmp = msgspec.to_builtins(merged[name]), msgspec.to_builtins(value)
        if name in ("amount", "tech_amount"):
            old_cmp, new_cmp = str(Decimal(old_cmp)), str(Decimal(new_cmp))
        if old_cmp != new_cmp:
            changes[name] = FieldChange(old_cmp, new_cmp)
            merged[name] = value
    if not changes:
        return current
    candidate = msgspec.convert(msgspec.to_builtins(merged), FilingV1)
    errors = rule_errors(candidate)
    if errors:
        raise FilingRejected(errors)
    await upsert_parties(conn, candidate)
    values = dict(zip(FILING_FIELDS, filing_values(candidate)))
    rules_version = row["rules_version"]
    if "filed_on" in changes:            # accepted on another day: judged by the rules in force that day
        rules_version = rules_in_force(settings or load_settings(), candidate.filed_on).id
        if rules_version != row["rules_version"]:
            changes["rules_version"] = FieldChange(row["rules_version"], rules_version)
    updated = await conn.fetchrow(CORRECT_FILING, row["id"], *(values[c] for c in CORRECTED_FIELDS), rules_version)
    await append_event(conn, key, filing_id=row["id"], ref=ref, event_count=row["event_count"],
                       last_hash=row["last_event_hash"], actor=user.username, action=CORRECT,
                       from_status=row["status"], to_status=row["status"], detail=correction_detail(changes))
    await notify_changed(conn)
    return filing_from_row(updated)


def _as_v1(f: FilingOut) -> FilingV1:
    return FilingV1(
        ref=f.ref, contract_no=f.contract_no, title=f.title, kind=f.kind, subkind=f.subkind, software=f.software,
        domain=f.domain, seller=msgspec.convert(msgspec.to_builtins(f.seller), PartyV1),
        buyer=msgspec.convert(msgspec.to_builtins(f.buyer), PartyV1),
        amount=str(f.amount), tech_amount=str(f.tech_amount), signed_on=f.signed_on,
        performance_start=f.performance_start, performance_end=f.performance_end, filed_on=f.filed_on,
        point=f.point, registrar=f.registrar, description=f.description)


# -- workflow ------------------------------------------------------------------

def _check_reasons(action: str, body: DecisionBody) -> dict:
    if action == "refuse":
        allowed, zh = REFUSAL_REASONS, "不予登记"
    elif action == "revoke":
        allowed, zh = REVOCATION_REASONS, "撤销"
    else:
        allowed, zh = None, label("action", action)
    en = label("action", action, "en")
    if allowed is not None:
        unknown = [r for r in body.reasons if r not in allowed]
        if not body.reasons or unknown:
            codes = sorted(allowed)          # the codes in the error's `allowed`; the sentence names their words
            raise InvalidInput(
                f"{zh}须给出理由：{'、'.join(label('reason', c) for c in codes)}",
                f"{en} needs reasons from: {'; '.join(label('reason', c, 'en') for c in codes)}",
                errors=[{"field": "reasons",
                         "message": f"理由代码无效：{'、'.join(unknown)}" if unknown else "请至少选择一项理由",
                         "message_en": f"unknown reason codes: {', '.join(unknown)}" if unknown
                         else "choose at least one reason",
                         "allowed": {c: label("reason", c) for c in codes}}])
    elif action in ("return", "cancel") and not (body.note.strip() or body.reasons):
        raise InvalidInput(f"{zh}须说明理由", f"{en} needs a note saying why",
                           errors=[{"field": "note", "message": "请说明理由", "message_en": "say why"}])
    return {"reasons": list(body.reasons), "note": body.note}


def _check_refusal_reasons(reasons: list[str], rules) -> None:
    """The reasons must be ones the rules the filing was accepted under list."""
    unknown = [r for r in reasons if r not in rules.refusal_reasons]
    if unknown:
        raise InvalidInput(
            f"{'、'.join(label('reason', r) for r in unknown)} 不是 {rules.id} 所列的不予登记理由",
            f"{', '.join(label('reason', r, 'en') for r in unknown)}: not a refusal reason of {rules.id}",
            errors=[{"field": "reasons", "message": f"该申请适用 {rules.id}", "message_en": f"the filing is judged by {rules.id}",
                     "allowed": {c: label("reason", c) for c in rules.refusal_reasons}}])


async def require_actor(conn: asyncpg.Connection, settings: Settings, user: CurrentUser, ref: str,
                        action: str) -> None:
    """404 or 403 unless this user may take `action` on the filing: a form that cannot be read says so only
    to someone who may act on it."""
    row = await _load(conn, user, ref, lock=False)
    await access.require_actor(conn, settings, user, row["point_code"], action)


async def register(conn: asyncpg.Connection, key: bytes, settings: Settings, user: CurrentUser, ref: str,
                   body: RegisterBody | None) -> FilingOut:
    """登记 with the approved technology transaction amount (核定技术交易额): none given is a 400 (once the user
    is known to be allowed to register and the filing to be pending)."""
    return await transition(conn, key, settings, user, ref, "register",
                            DecisionBody(note=body.note if body else ""), approval=body)


async def transition(conn: asyncpg.Connection, key: bytes, settings: Settings, user: CurrentUser, ref: str,
                     action: str, body: DecisionBody, *, via: str | None = None,
                     approval: RegisterBody | None = None, revocation: dict | None = None) -> FilingOut:
    """Move a filing through the workflow; anything not in TRANSITIONS is a 409 with the current state.

    `via` names the internal path (e.g. an audit finding) that is allowed to revoke for an inspector;
    `approval` is what registering needs (register() above), `revocation` what revoking needs: its ground,
    basis and rules, checked by registry/revocation.py, the only caller that revokes.
    """
    if action not in TRANSITIONS:
        raise NotFound(f"没有 {action} 操作", f"no such action: {action}")
    row = await _load(conn, user, ref, lock=True)
    await access.require_actor(conn, settings, user, row["point_code"], action, via)
    sources, target = TRANSITIONS[action]
    if row["status"] not in sources:
        status_zh, status_en = pair("status", row["status"])
        action_zh, action_en = pair("action", action)
        raise Conflict(f"当前状态为「{status_zh}」，不能{action_zh}",
                       f"cannot {action_en}: the filing is {status_en}", status=row["status"])
    await review_gate.require_no_open_review(conn, row, action, via)
    if action == "revoke":
        if revocation is None:
            raise InvalidInput("撤销登记须给出撤销理由和依据", "revoking needs a ground and its basis", field="ground")
        detail = {"reasons": [revocation["ground"]], "note": body.note, **revocation}
    else:
        detail = _check_reasons(action, body)
    if action in ("register", "refuse", "return"):
        # judged by the rules it was accepted under; the event names them for whoever reviews the decision
        rules = rules_by_id(settings, row["rules_version"], row["filed_on"])
        detail["rules"] = rules.id
        if action == "refuse":
            _check_refusal_reasons(body.reasons, rules)
    if via:
        detail["via"] = via
    reg_no, registered_on, approved = row["reg_no"], row["registered_on"], row["approved_amount"]
    if action == "register":
        if approval is None:
            raise FilingRejected([FieldError("approved_amount", "登记须核定技术交易额（approved_amount）",
                                             "registering needs the approved technology amount (approved_amount)")])
        detail.update(approval_detail(row["tech_amount"], approval))     # the items are on the event chain
        if triggers := await review_gate.second_look(conn, settings, row):    # four eyes: a second person confirms
            await review_gate.propose(conn, key, user.username, row, detail, triggers)
            await notify_changed(conn)
            return await get_filing(conn, user, ref)
        approved = Decimal(approval.approved_amount)
        registered_on = today(settings)
        # 一票否决: refused while a party has a red-line record no supervisor overrode in writing
        detail.update(await check_at_registration(conn, row, registered_on))
        reg_no = await issue_number(conn, row["point_code"], registered_on.year)
        detail["reg_no"] = reg_no
    updated = await conn.fetchrow(
        f"""
        UPDATE filings AS f SET status = $2, reg_no = $3, registered_on = $4,
            registrar = CASE WHEN $5 THEN $6 ELSE registrar END, approved_amount = $7
        WHERE id = $1 RETURNING {FILING_COLUMNS}
        """,
        row["id"], target, reg_no, registered_on, action == "register", user.username, approved)
    if action == "revoke":              # revoked for fraud: a credit record of the seller
        detail.update(await record_fraud_revocation(conn, row, reasons=body.reasons, note=body.note,
                                                    actor=user.username, on=today(settings), settings=settings))
    await append_event(conn, key, filing_id=row["id"], ref=ref, event_count=row["event_count"],
                       last_hash=row["last_event_hash"], actor=user.username, action=action,
                       from_status=row["status"], to_status=target, detail=detail)
    await notify_changed(conn)              # rescored: back in the queue, out of every comparison, registered
    return filing_from_row(updated)
