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
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..labels import label, pair
from .changes import notify_changed
from .events import append_event, event_hash, filing_state, now
from .regno import issue_number
from .rules import FilingRejected, rule_errors
from .approval import approval_detail
from .schema import (EventOut, FieldError, FilingCorrection, FilingOut, FilingV1, PartyV1,
                     RefusalReason, RegisterBody, RevocationReason, DecisionBody)
from .users import CurrentUser

FILING_COLUMNS = """
    f.id, f.ref, f.contract_no, f.title, f.kind, f.subkind, f.software, f.domain,
    f.seller_code, f.seller_name, f.seller_region, f.buyer_code, f.buyer_name, f.buyer_region,
    f.amount, f.tech_amount, f.approved_amount, f.signed_on, f.performance_start, f.performance_end, f.filed_on,
    f.point_code, f.registrar, f.description, f.status, f.reg_no, f.registered_on,
    f.created_by, f.created_at, f.updated_at
"""

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


# -- access -----------------------------------------------------------------

def _may_see(user: CurrentUser, point_code: str, inspector_ok: bool = False) -> bool:
    if user.role in ("supervisor", "admin"):
        return True
    if user.role == "registrar":
        return user.point_code == point_code
    return inspector_ok


# An inspector reads the filings of their own audit queue, and the filings the flags on those cite as evidence
# (the other parts of a split, the seller's other contracts, the earlier filing of a duplicate).
INSPECTOR_MAY_READ = """
    SELECT EXISTS (SELECT 1 FROM audit_items WHERE filing_id = $1 AND inspector_id = $2)
        OR EXISTS (SELECT 1 FROM audit_items i JOIN flags g ON g.filing_id = i.filing_id
                   WHERE i.inspector_id = $2 AND $3 = any(g.related))
"""
# Of the given refs, those an inspector may read by the rule above.
INSPECTOR_READABLE = """
    SELECT f.ref FROM filings f
    WHERE f.ref = any($1::text[]) AND (
        EXISTS (SELECT 1 FROM audit_items WHERE filing_id = f.id AND inspector_id = $2)
        OR EXISTS (SELECT 1 FROM audit_items i JOIN flags g ON g.filing_id = i.filing_id
                   WHERE i.inspector_id = $2 AND f.ref = any(g.related)))
"""
# Of the given refs, the filings that exist, with their point.
POINTS_OF_REFS = "SELECT ref, point_code FROM filings WHERE ref = any($1::text[])"


async def _inspector_assigned(conn: asyncpg.Connection, user: CurrentUser, filing_id: int, ref: str) -> bool:
    """Inspectors read the filings in their own audit queue and the evidence those cite (see techreg.audit)."""
    if user.role != "inspector":
        return False
    has_audit = await conn.fetchval("SELECT to_regclass('audit_items') IS NOT NULL")
    if not has_audit:
        return False
    return bool(await conn.fetchval(INSPECTOR_MAY_READ, filing_id, user.id, ref))


async def readable_refs(conn: asyncpg.Connection, user: CurrentUser, refs: list[str]) -> set[str]:
    """Of `refs`, the filings this user may open (the same rule as reading one): evidence links only those."""
    if not refs:
        return set()
    if user.role == "inspector":
        return {r["ref"] for r in await conn.fetch(INSPECTOR_READABLE, sorted(set(refs)), user.id)}
    return {r["ref"] for r in await conn.fetch(POINTS_OF_REFS, sorted(set(refs))) if _may_see(user, r["point_code"])}


def _not_found(ref: str) -> NotFound:
    return NotFound(f"申请 {ref} 不存在或无权查看", f"filing {ref} not found or not visible to you")


async def _load(conn: asyncpg.Connection, user: CurrentUser, ref: str, *, lock: bool) -> asyncpg.Record:
    row = await conn.fetchrow(
        f"SELECT {FILING_COLUMNS}, f.event_count, f.last_event_hash FROM filings f WHERE f.ref = $1"
        + (" FOR UPDATE" if lock else ""), ref)
    if row is None:
        raise _not_found(ref)
    if not _may_see(user, row["point_code"], await _inspector_assigned(conn, user, row["id"], ref)):
        raise _not_found(ref)
    return row


# -- create / read / list -----------------------------------------------------

UPSERT_PARTIES = """
    INSERT INTO parties (credit_code, name, region) VALUES ($1, $2, $3), ($4, $5, $6)
    ON CONFLICT (credit_code) DO NOTHING
"""

# the filing and its first event in one statement: the event hash depends on the ref, not the id
CREATE_FILING = f"""
    WITH f AS (
        INSERT INTO filings AS f (ref, contract_no, title, kind, subkind, software, domain,
            seller_code, seller_name, seller_region, buyer_code, buyer_name, buyer_region,
            amount, tech_amount, signed_on, performance_start, performance_end, filed_on,
            point_code, registrar, description, status, created_by, event_count, last_event_hash,
            created_at, updated_at)
        VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,
                'submitted', $23, 1, $24, $25, $25)
        ON CONFLICT (ref) DO NOTHING
        RETURNING {FILING_COLUMNS}
    ), e AS (
        INSERT INTO filing_events (filing_id, seq, at, actor, action, from_status, to_status, detail, prev_hash, hash,
                                   state_digest)
        SELECT id, 1, $25, $23, 'create', NULL, 'submitted', '{{}}'::jsonb, NULL, $24, $26 FROM f
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
    return (f.ref, f.contract_no, f.title, f.kind, f.subkind, f.software, f.domain,
            f.seller.credit_code, f.seller.name, f.seller.region, f.buyer.credit_code, f.buyer.name, f.buyer.region,
            Decimal(f.amount), Decimal(f.tech_amount), f.signed_on, f.performance_start, f.performance_end,
            f.filed_on, f.point, registrar, f.description, actor, digest, at, state)



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


async def create_filing(conn: asyncpg.Connection, key: bytes, user: CurrentUser, f: FilingV1) -> FilingOut:
    errors = rule_errors(f)             # every error of the filing in one answer, these two included
    if f.status != "submitted" or f.reg_no is not None:
        errors.append(FieldError("status", "通过接口提交的申请状态只能为 submitted；历史数据请用导入",
                                 "new filings are submitted; back-fill history with `techreg import`", f.status))
    if user.role == "registrar" and f.registrar not in (None, user.username):
        errors.append(FieldError("registrar", "登记员即当前登录的登记员，不能填写他人",
                                 "the registrar is the registrar logged in; another cannot be named", f.registrar))
    if errors:
        raise FilingRejected(errors)
    if user.role == "registrar" and f.point != user.point_code:
        raise Forbidden(f"登记员只能为本登记点（{user.point_code}）提交申请",
                        f"a registrar can only file at their own point ({user.point_code})")
    if user.role not in ("registrar", "admin"):
        raise Forbidden("只有登记员可以提交申请", "only registrars file contracts")
    await _require_qualified_registrar(conn, user)
    registrar = await _registrar_of(conn, user, f)
    await upsert_parties(conn, f)
    try:
        row = await conn.fetchrow(CREATE_FILING, *create_args(f, registrar, user.username, key))
    except asyncpg.ForeignKeyViolationError as exc:
        if "point" in (exc.constraint_name or ""):
            raise FilingRejected([FieldError("point", f"登记点 {f.point} 不存在",
                                             f"point {f.point} does not exist")]) from None
        raise
    if row is None:
        raise Conflict(f"申请编号 {f.ref} 已存在", f"a filing with ref {f.ref} already exists", ref=f.ref)
    await notify_changed(conn)              # scored within seconds, before the registrar decides
    return filing_from_row(row)


async def get_filing(conn: asyncpg.Connection, user: CurrentUser, ref: str) -> FilingOut:
    return filing_from_row(await _load(conn, user, ref, lock=False))


async def filing_events(conn: asyncpg.Connection, user: CurrentUser, ref: str) -> list[EventOut]:
    row = await _load(conn, user, ref, lock=False)
    rows = await conn.fetch(
        "SELECT seq, at, actor, action, from_status, to_status, detail, encode(hash, 'hex') AS hash"
        " FROM filing_events WHERE filing_id = $1 ORDER BY seq", row["id"])
    return [msgspec.convert(dict(r), EventOut) for r in rows]


# -- correction (补正) -----------------------------------------------------------

_CORRECTABLE = ("contract_no", "title", "kind", "subkind", "software", "domain", "amount", "tech_amount",
                "signed_on", "performance_start", "performance_end", "filed_on", "description")


async def correct_filing(conn: asyncpg.Connection, key: bytes, user: CurrentUser, ref: str,
                         body: FilingCorrection) -> FilingOut:
    row = await _load(conn, user, ref, lock=True)
    _require_point_registrar(user, row, "correct")
    await _require_qualified_registrar(conn, user)
    if row["status"] not in ("submitted", "returned"):
        status_zh, status_en = pair("status", row["status"])
        raise Conflict(f"当前状态为{status_zh}，只有待审查或退回补正的申请可以补正",
                       f"only filings awaiting review or returned for correction can be corrected; this one is"
                       f" {status_en}", status=row["status"])
    current = filing_from_row(row)
    merged = msgspec.structs.asdict(_as_v1(current))
    changes: dict[str, dict] = {}
    for name in (*_CORRECTABLE, "seller", "buyer"):
        value = getattr(body, name)
        if value is None:
            continue
        old_cmp, new_cmp = msgspec.to_builtins(merged[name]), msgspec.to_builtins(value)
        if name in ("amount", "tech_amount"):
            old_cmp, new_cmp = str(Decimal(old_cmp)), str(Decimal(new_cmp))
        if old_cmp != new_cmp:
            changes[name] = {"from": old_cmp, "to": new_cmp}
            merged[name] = value
    if not changes:
        return current
    candidate = msgspec.convert(msgspec.to_builtins(merged), FilingV1)
    errors = rule_errors(candidate)
    if errors:
        raise FilingRejected(errors)
    await upsert_parties(conn, candidate)
    c = candidate
    updated = await conn.fetchrow(
        f"""
        UPDATE filings AS f SET contract_no=$2, title=$3, kind=$4, subkind=$5, software=$6, domain=$7,
            seller_code=$8, seller_name=$9, seller_region=$10, buyer_code=$11, buyer_name=$12, buyer_region=$13,
            amount=$14, tech_amount=$15, signed_on=$16, performance_start=$17, performance_end=$18, filed_on=$19,
            description=$20
        WHERE id = $1 RETURNING {FILING_COLUMNS}
        """,
        row["id"], c.contract_no, c.title, c.kind, c.subkind, c.software, c.domain,
        c.seller.credit_code, c.seller.name, c.seller.region, c.buyer.credit_code, c.buyer.name, c.buyer.region,
        Decimal(c.amount), Decimal(c.tech_amount), c.signed_on, c.performance_start, c.performance_end, c.filed_on,
        c.description)
    await append_event(conn, key, filing_id=row["id"], ref=ref, event_count=row["event_count"],
                       last_hash=row["last_event_hash"], actor=user.username, action="correct",
                       from_status=row["status"], to_status=row["status"], detail={"changes": changes})
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

def _require_point_registrar(user: CurrentUser, row: asyncpg.Record, action: str) -> None:
    if user.role != "registrar" or user.point_code != row["point_code"]:
        zh, en = pair("action", action)
        raise Forbidden(f"只有本登记点的登记员可以{zh}", f"only a registrar of this point may {en} this filing")


async def _require_qualified_registrar(conn: asyncpg.Connection, user: CurrentUser,
                                      settings: Settings | None = None) -> None:
    """A registrar acts (files, corrects, decides, cancels) only with a valid qualification and no block."""
    if user.role != "registrar":
        return
    _require_qualified(user, settings or load_settings())
    blocked = await conn.fetchval("SELECT blocked_reason FROM users WHERE id = $1", user.id)
    if blocked:
        raise Forbidden(f"登记员已被停止办理登记：{blocked}", f"registrar is blocked: {blocked}")


def _require_qualified(user: CurrentUser, settings: Settings) -> None:
    expires = user.qualification_expires
    if expires is None:
        raise Forbidden("登记员资格有效期未登记，不能办理登记", "registrar has no recorded qualification; may not decide")
    if expires < today(settings):
        raise Forbidden(f"登记员资格已于 {expires} 过期（未通过年审），不能办理登记",
                        f"registrar qualification expired on {expires}; renew it (annual review) before deciding")


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


async def _require_actor(conn: asyncpg.Connection, settings: Settings, user: CurrentUser, row: asyncpg.Record,
                         action: str, via: str | None = None) -> None:
    """Who may take `action` on this filing (403 otherwise); the caller has read it (404 when not visible)."""
    if action in ("register", "refuse", "return", "resubmit"):
        _require_point_registrar(user, row, action)
        if action != "resubmit":
            await _require_qualified_registrar(conn, user, settings)
    elif action == "revoke":
        if not (user.role == "supervisor" or (via == "finding" and user.role == "inspector")):
            raise Forbidden("只有监督员或检查结论可以撤销登记", "only a supervisor or an inspection finding may revoke")
    elif action == "cancel":
        if not (user.role == "supervisor" or (user.role == "registrar" and user.point_code == row["point_code"])):
            raise Forbidden("只有本登记点登记员或监督员可以注销", "only this point's registrar or a supervisor may cancel")
        await _require_qualified_registrar(conn, user, settings)


async def require_actor(conn: asyncpg.Connection, settings: Settings, user: CurrentUser, ref: str,
                        action: str) -> None:
    """404 or 403 unless this user may take `action` on the filing: a form that cannot be read says so only
    to someone who may act on it."""
    await _require_actor(conn, settings, user, await _load(conn, user, ref, lock=False), action)


async def register(conn: asyncpg.Connection, key: bytes, settings: Settings, user: CurrentUser, ref: str,
                   body: RegisterBody | None) -> FilingOut:
    """登记 with the approved technology transaction amount (核定技术交易额): none given is a 400 (once the user
    is known to be allowed to register and the filing to be pending)."""
    return await transition(conn, key, settings, user, ref, "register",
                            DecisionBody(note=body.note if body else ""), approval=body)


async def transition(conn: asyncpg.Connection, key: bytes, settings: Settings, user: CurrentUser, ref: str,
                     action: str, body: DecisionBody, *, via: str | None = None,
                     approval: RegisterBody | None = None) -> FilingOut:
    """Move a filing through the workflow; anything not in TRANSITIONS is a 409 with the current state.

    `via` names the internal path (e.g. an audit finding) that is allowed to revoke for an inspector;
    `approval` is what registering needs (register() above).
    """
    if action not in TRANSITIONS:
        raise NotFound(f"没有 {action} 操作", f"no such action: {action}")
    row = await _load(conn, user, ref, lock=True)
    await _require_actor(conn, settings, user, row, action, via)
    sources, target = TRANSITIONS[action]
    if row["status"] not in sources:
        status_zh, status_en = pair("status", row["status"])
        action_zh, action_en = pair("action", action)
        raise Conflict(f"当前状态为「{status_zh}」，不能{action_zh}",
                       f"cannot {action_en}: the filing is {status_en}", status=row["status"])
    detail = _check_reasons(action, body)
    if via:
        detail["via"] = via
    reg_no, registered_on, approved = row["reg_no"], row["registered_on"], row["approved_amount"]
    if action == "register":
        if approval is None:
            raise FilingRejected([FieldError("approved_amount", "登记须核定技术交易额（approved_amount）",
                                             "registering needs the approved technology amount (approved_amount)")])
        detail.update(approval_detail(row["tech_amount"], approval))     # the items are on the event chain
        approved = Decimal(approval.approved_amount)
        registered_on = today(settings)
        reg_no = await issue_number(conn, row["point_code"], registered_on.year)
        detail["reg_no"] = reg_no
    updated = await conn.fetchrow(
        f"""
        UPDATE filings AS f SET status = $2, reg_no = $3, registered_on = $4,
            registrar = CASE WHEN $5 THEN $6 ELSE registrar END, approved_amount = $7
        WHERE id = $1 RETURNING {FILING_COLUMNS}
        """,
        row["id"], target, reg_no, registered_on, action == "register", user.username, approved)
    await append_event(conn, key, filing_id=row["id"], ref=ref, event_count=row["event_count"],
                       last_hash=row["last_event_hash"], actor=user.username, action=action,
                       from_status=row["status"], to_status=target, detail=detail)
    await notify_changed(conn)              # rescored: back in the queue, out of every comparison, registered
    return filing_from_row(updated)
