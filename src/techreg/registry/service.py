"""Filing service functions: create, read, list, correct, and the registration workflow.

Every function takes the request's connection (one transaction per unit of
work) and the user asking, and checks that user may do what is asked.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

import asyncpg
import msgspec
from msgspec import Meta

from ..config import Settings
from ..errors import Conflict, InvalidInput, NotFound
from ..labels import label, pair
from . import access
from .changes import notify_changed
from .columns import FILING_FIELDS, filing_values
from .correction import CORRECT, FieldChange, correction_detail
from .events import append_event, event_hash, filing_state, now
from .regno import issue_number
from .rules import FilingRejected, rule_errors
from .approval import approval_detail
from .schema import (EventOut, FieldError, FilingCorrection, FilingOut, FilingPage, FilingV1, PartyV1,
                     RefusalReason, RegisterBody, RevocationReason, DecisionBody)
from .users import CurrentUser

# A filing as a read returns it (FilingOut): its own values, its registrar, its place in the workflow, its record.
FILING_COLUMNS = ", ".join(f"f.{c}" for c in ("id", *FILING_FIELDS, "registrar", "status", "reg_no", "registered_on",
                                              "approved_amount", "created_by", "created_at", "updated_at"))

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
# first event's hash, its time and the state it commits to.
_REGISTRAR, _ACTOR, _HASH, _AT, _STATE = (f"${n}" for n in range(len(FILING_FIELDS) + 1, len(FILING_FIELDS) + 6))
# the filing and its first event in one statement: the event hash depends on the ref, not the id
CREATE_FILING = f"""
    WITH f AS (
        INSERT INTO filings AS f ({", ".join(FILING_FIELDS)},
            registrar, status, created_by, event_count, last_event_hash, created_at, updated_at)
        VALUES ({", ".join(f"${n}" for n in range(1, len(FILING_FIELDS) + 1))},
            {_REGISTRAR}, 'submitted', {_ACTOR}, 1, {_HASH}, {_AT}, {_AT})
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
    access.require_filer(user, f.point)
    await access.require_qualified(conn, user)
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


class FilingFilter(msgspec.Struct, kw_only=True):
    status: str | None = None
    kind: str | None = None
    point: str | None = None
    software: bool | None = None
    seller: str | None = None
    buyer: str | None = None
    q: str | None = None
    signed_from: dt.date | None = None
    signed_to: dt.date | None = None
    limit: Annotated[int, Meta(ge=1, le=500)] = 50
    cursor: int | None = None


async def all_filings(conn: asyncpg.Connection, user: CurrentUser, flt: FilingFilter):
    """Every filing the filter matches, page by page (exports: never cut at a page's size)."""
    flt = msgspec.structs.replace(flt, limit=500, cursor=None)
    while True:
        page = await list_filings(conn, user, flt)
        for item in page.items:
            yield item
        if page.next_cursor is None:
            return
        flt = msgspec.structs.replace(flt, cursor=page.next_cursor)


async def list_filings(conn: asyncpg.Connection, user: CurrentUser, flt: FilingFilter) -> FilingPage:
    point = access.listing_point(user)
    conditions: list[str] = []
    params: list = []

    def param(value) -> str:
        """`value` as the query's next parameter: its placeholder ($n)."""
        params.append(value)
        return f"${len(params)}"

    if point is not None:
        conditions.append(f"f.point_code = {param(point)}")
    if flt.point:
        conditions.append(f"f.point_code = {param(flt.point)}")
    if flt.status:
        conditions.append(f"f.status = {param(flt.status)}")
    if flt.kind:
        conditions.append(f"f.kind = {param(flt.kind)}")
    if flt.software is not None:
        conditions.append(f"f.software = {param(flt.software)}")
    if flt.seller:
        conditions.append(f"f.seller_code = {param(flt.seller)}")
    if flt.buyer:
        conditions.append(f"f.buyer_code = {param(flt.buyer)}")
    if flt.signed_from:
        conditions.append(f"f.signed_on >= {param(flt.signed_from)}")
    if flt.signed_to:
        conditions.append(f"f.signed_on <= {param(flt.signed_to)}")
    if flt.q:
        p = param("%" + flt.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        conditions.append(f"(f.title ILIKE {p} OR f.contract_no ILIKE {p} OR f.ref ILIKE {p} OR f.seller_name ILIKE {p}"
                          f" OR f.buyer_name ILIKE {p} OR f.reg_no ILIKE {p})")
    if flt.cursor is not None:
        conditions.append(f"f.id < {param(flt.cursor)}")
    where = ("WHERE " + " AND ".join(conditions)) if conditions else ""
    limit = param(flt.limit + 1)
    # sql-lint: composed only of the literal conditions above; every value is a $n parameter
    rows = await conn.fetch(f"SELECT {FILING_COLUMNS} FROM filings f {where} ORDER BY f.id DESC LIMIT {limit}", *params)
    items = [filing_from_row(r) for r in rows[: flt.limit]]
    next_cursor = items[-1].id if len(rows) > flt.limit else None
    return FilingPage(items, next_cursor)


async def filing_events(conn: asyncpg.Connection, user: CurrentUser, ref: str) -> list[EventOut]:
    row = await _load(conn, user, ref, lock=False)
    rows = await conn.fetch(
        "SELECT seq, at, actor, action, from_status, to_status, detail, encode(hash, 'hex') AS hash"
        " FROM filing_events WHERE filing_id = $1 ORDER BY seq", row["id"])
    return [msgspec.convert(dict(r), EventOut) for r in rows]


# -- correction (补正) -----------------------------------------------------------

# A correction rewrites the filing's own values, its ref and point excepted; $1 is the filing's id.
CORRECTED_FIELDS = tuple(c for c in FILING_FIELDS if c not in ("ref", "point_code"))
CORRECT_FILING = f"""
    UPDATE filings AS f SET {", ".join(f"{c} = ${n}" for n, c in enumerate(CORRECTED_FIELDS, start=2))}
    WHERE id = $1 RETURNING {FILING_COLUMNS}
"""
_CORRECTABLE = ("contract_no", "title", "kind", "subkind", "software", "domain", "amount", "tech_amount",
                "signed_on", "performance_start", "performance_end", "filed_on", "description")


async def correct_filing(conn: asyncpg.Connection, key: bytes, user: CurrentUser, ref: str,
                         body: FilingCorrection) -> FilingOut:
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
    updated = await conn.fetchrow(CORRECT_FILING, row["id"], *(values[c] for c in CORRECTED_FIELDS))
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
                     approval: RegisterBody | None = None) -> FilingOut:
    """Move a filing through the workflow; anything not in TRANSITIONS is a 409 with the current state.

    `via` names the internal path (e.g. an audit finding) that is allowed to revoke for an inspector;
    `approval` is what registering needs (register() above).
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
