"""Orders with deadlines: what a finding of 责令整改 (rectification_ordered) or 责令注销 (deregistration_ordered)
asks of the contract's party, by when, and what became of it.

- Issued with the finding, in its transaction (record_finding calls `issue`), on a registered contract only.
- The deadline is working days on the official calendar (registry/workdays.py), counted from the day after the
  finding (民法典 Art. 201): TECHREG_RECTIFICATION_DAYS (20) to rectify, TECHREG_DEREGISTRATION_DAYS (15) to
  de-register. The inspector does not pick a date: every party gets the same time for the same order, as every
  filing gets the same decision deadline; a supervisor who reopens an order gives it a new deadline of the same
  length, counted from the reopening.
- The party's response is recorded by staff on its behalf (a registrar of the contract's point, or a
  supervisor: whoever may cancel the registration): each document uploaded (the evidence files' checks,
  audit/evidence.py) answers the order; de-registration done fulfils a de-registration order, cancelling the
  registration in the same transaction (or naming the cancellation already made through the registry).
- Overdue: past its deadline with no response (or, for de-registration, not de-registered). The daily job
  `order_deadlines` escalates each overdue order to the supervisors once per deadline (order_escalations).
- A supervisor closes an order (any state) or reopens an answered or closed one.

States: open → answered → (closed | reopened: open); open/answered → fulfilled (de-registration);
open/answered → escalated (the job) → answered/fulfilled/closed. Every step is an event on the filing's chain
(registry/events.py, the filing's status unchanged), so the order's record is the trail itself.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import asyncpg
import msgspec
from msgspec import Meta

from ..config import Settings
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..labels import pair
from ..registry import access as registry_access, service as registry
from ..registry.events import append_event
from ..registry.schema import DecisionBody
from ..registry.users import SYSTEM, CurrentUser
from ..registry.workdays import WorkCalendar, work_calendar
from . import evidence
from .access import order_for

OrderKind = Literal["rectification", "deregistration"]
OrderStatus = Literal["open", "answered", "fulfilled", "escalated", "closed"]
# a list's filter: a state, or every order past its deadline still waiting
OrderFilter = Literal["open", "answered", "fulfilled", "escalated", "closed", "overdue"]
# the finding's outcome -> the order it issues
KIND_OF_OUTCOME: dict[str, OrderKind] = {"rectification_ordered": "rectification",
                                         "deregistration_ordered": "deregistration"}
# states in which the party still owes something
WAITING = frozenset({"open", "answered", "escalated"})
# the states in the order lists count them
STEP_STATES = ("open", "answered", "escalated", "fulfilled", "closed")
# step -> (states it may start from, state it leads to); the event on the filing's chain is "order_<step>"
STEPS: dict[str, tuple[frozenset[str], str]] = {
    "answered": (WAITING, "answered"),
    "fulfilled": (WAITING, "fulfilled"),
    "escalated": (frozenset({"open", "answered"}), "escalated"),
    "closed": (frozenset({"open", "answered", "fulfilled", "escalated"}), "closed"),
    "reopened": (frozenset({"answered", "closed"}), "open"),
}

# The filing an order is about, locked: an event is about to be appended to its chain.
FILING_LOCKED = "SELECT id, ref, status, point_code, event_count, last_event_hash FROM filings WHERE id = $1 FOR UPDATE"
INSERT_ORDER = """
    INSERT INTO orders (item_id, filing_id, kind, issued_on, working_days, due_on, provisional, issued_by)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
"""
SET_STATUS = "UPDATE orders SET status = $2, updated_at = now() WHERE id = $1"
SET_ANSWERED = "UPDATE orders SET status = 'answered', answered_at = now(), updated_at = now() WHERE id = $1"
SET_FULFILLED = """
    UPDATE orders SET status = 'fulfilled', fulfilled_at = now(), cancel_seq = $2, updated_at = now() WHERE id = $1
"""
SET_CLOSED = "UPDATE orders SET status = 'closed', closed_at = now(), closed_by = $2, updated_at = now() WHERE id = $1"
SET_REOPENED = """
    UPDATE orders SET status = 'open', issued_on = $2, due_on = $3, provisional = $4, round = round + 1,
           closed_at = NULL, closed_by = NULL, updated_at = now()
    WHERE id = $1
"""
# The orders with what a list shows of each: the contract, its party, the campaign, the documents, the last
# escalation; filtered by point (registrars), inspector (inspectors: their own findings' orders), campaign,
# state and kind.
ORDER_ROWS = """
    SELECT o.id, o.item_id, o.kind, o.status, o.issued_on, o.working_days, o.due_on, o.provisional, o.issued_by,
           o.issued_at, o.answered_at, o.fulfilled_at, o.cancel_seq, o.closed_at, o.closed_by,
           f.id AS filing_id, f.ref, f.reg_no, f.title, f.point_code, f.seller_code, f.seller_name,
           f.status AS filing_status, coalesce(f.approved_amount, f.tech_amount) AS counted_amount,
           f.approved_amount IS NOT NULL AS approved, i.campaign_id, c.name AS campaign, i.inspector_id,
           (SELECT count(*) FROM order_documents d WHERE d.order_id = o.id) AS documents,
           (SELECT max(e.escalated_on) FROM order_escalations e WHERE e.order_id = o.id) AS escalated_on
    FROM orders o JOIN filings f ON f.id = o.filing_id JOIN audit_items i ON i.id = o.item_id
    JOIN campaigns c ON c.id = i.campaign_id
"""
LIST_ORDERS = ORDER_ROWS + """
    WHERE ($1::text IS NULL OR f.point_code = $1) AND ($2::bigint IS NULL OR i.inspector_id = $2)
      AND ($3::bigint IS NULL OR i.campaign_id = $3) AND ($4::text IS NULL OR o.kind = $4)
    ORDER BY o.due_on, o.id
"""
ONE_ORDER = ORDER_ROWS + " WHERE o.id = $1"
# An order's steps: the events on its filing's chain that name it.
ORDER_EVENTS = """
    SELECT seq, at, actor, action, detail FROM filing_events
    WHERE filing_id = $1 AND action LIKE 'order\\_%' AND detail->>'order' = $2::text ORDER BY seq
"""
ORDER_ESCALATIONS = "SELECT due_on, escalated_on, escalated_at FROM order_escalations WHERE order_id = $1 ORDER BY id"
DOCUMENT_COLUMNS = """
    SELECT id, order_id, file_name, media_type, size_bytes, encode(sha256, 'hex') AS sha256, note, uploaded_by,
           uploaded_at
    FROM order_documents
"""
DOCUMENTS_OF_ORDER = DOCUMENT_COLUMNS + " WHERE order_id = $1 ORDER BY id"
ONE_DOCUMENT = DOCUMENT_COLUMNS + " WHERE order_id = $1 AND id = $2"
DOCUMENT_CONTENT = "SELECT content FROM order_documents WHERE order_id = $1 AND id = $2"
INSERT_DOCUMENT = """
    INSERT INTO order_documents (order_id, file_name, media_type, content, note, uploaded_by)
    VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
"""
# The filing's cancellation (注销), the latest if it was somehow cancelled more than once.
CANCEL_EVENT = "SELECT max(seq) FROM filing_events WHERE filing_id = $1 AND action = 'cancel'"
# De-registration orders still waiting whose contract was cancelled through the registry: fulfilled by it.
CANCELLED_WAITING = """
    SELECT o.id FROM orders o JOIN filings f ON f.id = o.filing_id
    WHERE o.kind = 'deregistration' AND o.status IN ('open', 'answered', 'escalated') AND f.status = 'cancelled'
      AND ($1::bigint IS NULL OR o.filing_id = $1)
    ORDER BY o.id
"""
# Orders past their deadline on a day with nothing done: no response, or no de-registration (a rectification
# answered in time waits for the supervisor, not for the party), escalated already or not.
OVERDUE = """
    SELECT o.id, o.due_on, o.round FROM orders o
    WHERE o.due_on < $1
      AND (o.status IN ('open', 'escalated') OR (o.status = 'answered' AND o.kind = 'deregistration'))
    ORDER BY o.due_on, o.id
"""
# An order locked before a step changes it (the list it was read from may be a moment old).
ORDER_FOR_UPDATE = "SELECT * FROM orders WHERE id = $1 FOR UPDATE"
INSERT_ESCALATION = """
    INSERT INTO order_escalations (order_id, round, due_on, escalated_on) VALUES ($1, $2, $3, $4)
    ON CONFLICT (order_id, round) DO NOTHING RETURNING id
"""
ACTIVE_SUPERVISORS = "SELECT id FROM users WHERE role = 'supervisor' AND active ORDER BY id"
# one notice a day to each supervisor: the day's overdue orders (a second run the same day rewrites it)
INSERT_NOTICE = """
    INSERT INTO notices (user_id, kind, message, about) VALUES ($1, 'order_overdue', $2, $3)
    ON CONFLICT (user_id, kind, about) DO UPDATE SET message = excluded.message
"""
# The escalations supervisors read (their page and the dashboard), newest first.
RECENT_ESCALATIONS = """
    SELECT e.order_id, e.due_on, e.escalated_on, e.escalated_at, o.kind, o.status, f.ref, f.title, f.seller_name,
           f.seller_code
    FROM order_escalations e JOIN orders o ON o.id = e.order_id JOIN filings f ON f.id = o.filing_id
    ORDER BY e.id DESC LIMIT $1
"""


class OrderOut(msgspec.Struct, kw_only=True):
    id: int
    item_id: int                     # the audit item whose finding issued it
    campaign_id: int
    campaign: str
    kind: OrderKind
    status: OrderStatus
    ref: str
    reg_no: str | None
    title: str
    point: str
    seller_code: str                 # the enterprise the order is addressed to (the seller, who registered it)
    seller_name: str
    filing_status: str
    counted_amount: Decimal          # 核定技术交易额, or the declared amount where none was approved
    approved: bool                   # counted_amount is the approved amount
    issued_by: str
    issued_at: dt.datetime
    issued_on: dt.date               # the deadline counts from the day after (in TECHREG_TIMEZONE)
    working_days: int
    due_on: dt.date
    provisional: bool                # counted through a year the calendar does not know yet
    overdue: bool                    # past its deadline with the party's part not done
    working_days_left: int | None    # while waiting: working days up to the deadline; negative: days overdue
    documents: int
    answered_at: dt.datetime | None = None
    fulfilled_at: dt.datetime | None = None
    cancel_seq: int | None = None    # the filing's cancel event that fulfilled it
    closed_at: dt.datetime | None = None
    closed_by: str | None = None
    escalated_on: dt.date | None = None


class OrderDocument(msgspec.Struct, kw_only=True):
    id: int
    file_name: str
    media_type: str
    size_bytes: int
    sha256: str
    note: str
    uploaded_by: str
    uploaded_at: dt.datetime
    download: str


class OrderStep(msgspec.Struct, kw_only=True):
    seq: int                         # the event's place on the filing's chain
    at: dt.datetime
    actor: str
    step: str                        # issued | answered | fulfilled | escalated | closed | reopened
    detail: dict


class Escalation(msgspec.Struct, kw_only=True):
    due_on: dt.date
    escalated_on: dt.date
    escalated_at: dt.datetime


class OrderDetail(msgspec.Struct, kw_only=True):
    order: OrderOut
    documents: list[OrderDocument]
    steps: list[OrderStep]
    escalations: list[Escalation]


class OrderList(msgspec.Struct, kw_only=True):
    today: dt.date
    counts: dict[str, int]           # by state, and "overdue"
    items: list[OrderOut]


class OrderNote(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    note: Annotated[str, Meta(max_length=2000)] = ""


class CloseIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    note: Annotated[str, Meta(min_length=1, max_length=2000)]


def today(settings: Settings) -> dt.date:
    return registry.today(settings)


def order_due(calendar: WorkCalendar, settings: Settings, kind: str, issued_on: dt.date) -> tuple[dt.date, int, bool]:
    """(due date, working days, provisional) of an order of `kind` issued on `issued_on`."""
    days = settings.rectification_days if kind == "rectification" else settings.deregistration_days
    due, provisional = calendar.add_workdays(issued_on, days)
    return due, days, provisional


def is_overdue(row, on: dt.date) -> bool:
    """Past its deadline on `on` with the party's part not done; an escalated order stays overdue until it is
    answered, fulfilled or closed (the job judged it so on its day)."""
    if row["status"] == "escalated":
        return True
    waiting = row["status"] == "open" or (row["status"] == "answered" and row["kind"] == "deregistration")
    return waiting and row["due_on"] < on


def _out(row, calendar: WorkCalendar, on: dt.date) -> OrderOut:
    d = dict(row)
    d["point"] = d.pop("point_code")
    for extra in ("filing_id", "inspector_id"):
        d.pop(extra)
    left = None
    if row["status"] in WAITING:
        left = (-calendar.workdays_between(row["due_on"], on) if on > row["due_on"]
                else calendar.workdays_between(on, row["due_on"]))
    return msgspec.convert({**d, "overdue": is_overdue(row, on), "working_days_left": left}, OrderOut)


async def _step(conn: asyncpg.Connection, key: bytes, filing_id: int, actor: str, step: str, detail: dict) -> int:
    """Append the order's step to its filing's chain (the filing's status unchanged); returns the event's seq."""
    filing = await conn.fetchrow(FILING_LOCKED, filing_id)
    await append_event(conn, key, filing_id=filing["id"], ref=filing["ref"], event_count=filing["event_count"],
                       last_hash=filing["last_event_hash"], actor=actor, action=f"order_{step}",
                       from_status=filing["status"], to_status=filing["status"], detail=detail)
    return filing["event_count"] + 1


def _require_step(row, step: str) -> None:
    sources, _ = STEPS[step]
    if row["status"] not in sources:
        status_zh, status_en = pair("order_status", row["status"])
        step_zh, step_en = pair("order_step", step)
        raise Conflict(f"该责令事项当前为「{status_zh}」，不能{step_zh}", f"cannot {step_en} this order: it is {status_en}",
                       status=row["status"])


# -- issuing (from the finding) ------------------------------------------------------------------------

async def issue(conn: asyncpg.Connection, key: bytes, settings: Settings, user: CurrentUser, item, outcome: str,
                *, on: dt.date | None = None) -> int | None:
    """The order a finding issues (None for an outcome that orders nothing), in the finding's transaction:
    only a registered contract can be ordered to rectify or to de-register (409 otherwise, nothing written)."""
    kind = KIND_OF_OUTCOME.get(outcome)
    if kind is None:
        return None
    filing = await conn.fetchrow(FILING_LOCKED, item["filing_id"])
    if filing["status"] != "registered":
        status_zh, status_en = pair("status", filing["status"])
        outcome_zh, outcome_en = pair("outcome", outcome)
        raise Conflict(f"该合同当前为「{status_zh}」，只有已登记的合同可以{outcome_zh}",
                       f"only a registered contract can be given '{outcome_en}': this one is {status_en}",
                       status=filing["status"])
    issued_on = on or today(settings)
    due, days, provisional = order_due(work_calendar(settings), settings, kind, issued_on)
    order_id = await conn.fetchval(INSERT_ORDER, item["id"], filing["id"], kind, issued_on, days, due, provisional,
                                   user.username)
    await _step(conn, key, filing["id"], user.username, "issued",
                {"order": order_id, "order_kind": kind, "item": item["id"], "due_on": due.isoformat(),
                 "working_days": days})
    return order_id


# -- reading -----------------------------------------------------------------------------------------------

def _scope(user: CurrentUser) -> tuple[str | None, int | None]:
    """(point, inspector) a user's lists are limited to: registrars their point's, inspectors their findings';
    the staff and the system actor (the operator's CLI) all."""
    if user.role in ("supervisor", "admin", "system"):
        return None, None
    if user.role == "registrar":
        return user.point_code, None
    if user.role == "inspector":
        return None, user.id
    raise Forbidden("无权查看责令事项", "you may not read orders")


async def list_orders(conn: asyncpg.Connection, settings: Settings, user: CurrentUser, *,
                      status: OrderFilter | None = None, kind: OrderKind | None = None, campaign: int | None = None,
                      point: str | None = None, on: dt.date | None = None) -> OrderList:
    """The orders this user may see, by deadline; `status` keeps one state, or "overdue" those past their
    deadline with the party's part not done."""
    own_point, inspector = _scope(user)
    now = on or today(settings)
    calendar = work_calendar(settings)
    rows = await conn.fetch(LIST_ORDERS, own_point or point, inspector, campaign, kind)
    every = [_out(r, calendar, now) for r in rows]
    counts = {s: 0 for s in (*STEP_STATES, "overdue")}
    for o in every:
        counts[o.status] += 1
        counts["overdue"] += o.overdue
    items = [o for o in every if status is None or (o.overdue if status == "overdue" else o.status == status)]
    return OrderList(today=now, counts=counts, items=items)


async def get_order(conn: asyncpg.Connection, settings: Settings, user: CurrentUser, order_id: int,
                    *, on: dt.date | None = None) -> OrderDetail:
    row = await order_for(conn, user, order_id)
    full = await conn.fetchrow(ONE_ORDER, row["id"])
    steps = await conn.fetch(ORDER_EVENTS, row["filing_id"], str(order_id))
    return OrderDetail(
        order=_out(full, work_calendar(settings), on or today(settings)),
        documents=[_document(r) for r in await conn.fetch(DOCUMENTS_OF_ORDER, order_id)],
        steps=[OrderStep(seq=s["seq"], at=s["at"], actor=s["actor"], step=s["action"].removeprefix("order_"),
                         detail=s["detail"]) for s in steps],
        escalations=[msgspec.convert(dict(r), Escalation) for r in await conn.fetch(ORDER_ESCALATIONS, order_id)])


def _document(row) -> OrderDocument:
    d = dict(row)
    d["download"] = f"/api/orders/{d.pop('order_id')}/documents/{d['id']}"
    return msgspec.convert(d, OrderDocument)


async def download(conn: asyncpg.Connection, user: CurrentUser, order_id: int,
                   document_id: int) -> tuple[OrderDocument, bytes]:
    await order_for(conn, user, order_id)
    row = await conn.fetchrow(ONE_DOCUMENT, order_id, document_id)
    if row is None:
        raise NotFound(f"责令事项 {order_id} 没有文件 {document_id}", f"order {order_id} has no document {document_id}")
    return _document(row), await conn.fetchval(DOCUMENT_CONTENT, order_id, document_id)


# The order an item's finding issued, if any.
ORDER_OF_ITEM = "SELECT id, kind, status, due_on FROM orders WHERE item_id = $1"


async def of_item(conn: asyncpg.Connection, item_id: int) -> dict | None:
    """The order an item's finding issued (the caller has checked who may see the item)."""
    row = await conn.fetchrow(ORDER_OF_ITEM, item_id)
    return dict(row) if row else None


async def recent_escalations(conn: asyncpg.Connection, limit: int = 20) -> list[dict]:
    """The latest escalations, for the supervisors' pages (the caller has checked the role)."""
    return [dict(r) for r in await conn.fetch(RECENT_ESCALATIONS, limit)]


# -- the party's response ---------------------------------------------------------------------------------

async def may_respond(conn: asyncpg.Connection, settings: Settings, user: CurrentUser, order_id: int,
                      *, lock: bool = False):
    """The order, if this user may record the party's response to it: whoever may cancel its registration
    (a qualified registrar of its point, a supervisor); 404/403 otherwise; 409 once nothing is owed."""
    row = await order_for(conn, user, order_id, lock=lock)
    if user.role == "inspector":
        raise Forbidden("检查员不代当事人记录答复", "inspectors do not record a party's response")
    await registry_access.require_actor(conn, settings, user, row["point_code"], "cancel")
    _require_step(row, "answered")
    return row


async def add_document(conn: asyncpg.Connection, key: bytes, settings: Settings, user: CurrentUser, order_id: int,
                       upload: evidence.Upload) -> OrderDocument:
    """A document the party sent, kept with the order: the order is answered, the file named on the chain."""
    row = await may_respond(conn, settings, user, order_id, lock=True)
    name, media_type = evidence.checked(settings, upload)
    document_id = await conn.fetchval(INSERT_DOCUMENT, order_id, name, media_type, upload.content,
                                      upload.note.strip(), user.username)
    added = _document(await conn.fetchrow(ONE_DOCUMENT, order_id, document_id))
    await conn.execute(SET_ANSWERED, order_id)
    await _step(conn, key, row["filing_id"], user.username, "answered",
                {"order": order_id, "document": added.id, "file_name": added.file_name, "sha256": added.sha256,
                 "size_bytes": added.size_bytes, "note": added.note,
                 "late": today(settings) > row["due_on"]})
    return added


async def record_deregistration(conn: asyncpg.Connection, key: bytes, settings: Settings, user: CurrentUser,
                                order_id: int, body: OrderNote) -> OrderOut:
    """De-registration done: the registration is cancelled now (or was, through the registry), and the order
    fulfilled, naming the cancel event on the chain."""
    row = await may_respond(conn, settings, user, order_id, lock=True)
    if row["kind"] != "deregistration":
        raise Conflict("整改令不能以注销履行", "a rectification order is not fulfilled by de-registration",
                       kind=row["kind"])
    status = await conn.fetchval("SELECT status FROM filings WHERE id = $1", row["filing_id"])
    if status == "registered":
        note = f"依责令注销 #{order_id}" + (f"：{body.note.strip()}" if body.note.strip() else "")
        await registry.transition(conn, key, settings, user, row["ref"], "cancel", DecisionBody(note=note), via="order")
    elif status != "cancelled":
        status_zh, status_en = pair("status", status)
        raise Conflict(f"该合同当前为「{status_zh}」，不能注销", f"the contract is {status_en}: it cannot be de-registered",
                       status=status)
    await _fulfil(conn, key, row, user.username, body.note.strip())
    return (await get_order(conn, settings, user, order_id)).order


async def _fulfil(conn: asyncpg.Connection, key: bytes, row, actor: str, note: str = "") -> None:
    seq = await conn.fetchval(CANCEL_EVENT, row["filing_id"])
    await conn.execute(SET_FULFILLED, row["id"], seq)
    await _step(conn, key, row["filing_id"], actor, "fulfilled",
                {"order": row["id"], "cancel_seq": seq, **({"note": note} if note else {})})


async def fulfil_by_cancellation(conn: asyncpg.Connection, key: bytes, actor: str,
                                 filing_id: int | None = None) -> int:
    """De-registration orders whose contract was cancelled through the registry (注销 at the party's request):
    fulfilled by that cancellation. For one filing (right after its cancellation) or all (the daily job)."""
    done = 0
    for r in await conn.fetch(CANCELLED_WAITING, filing_id):
        row = await conn.fetchrow(ORDER_FOR_UPDATE, r["id"])
        if row["status"] in WAITING:
            await _fulfil(conn, key, row, actor)
            done += 1
    return done


# -- the supervisor --------------------------------------------------------------------------------------

def _supervisor(user: CurrentUser) -> None:
    if user.role != "supervisor":
        raise Forbidden("只有监督员可以关闭或重新开启责令事项", "only a supervisor may close or reopen an order")


async def close(conn: asyncpg.Connection, key: bytes, settings: Settings, user: CurrentUser, order_id: int,
                body: CloseIn) -> OrderOut:
    """The supervisor ends the order (rectification accepted, de-registration confirmed, or withdrawn): why, in
    the note."""
    _supervisor(user)
    row = await order_for(conn, user, order_id, lock=True)
    _require_step(row, "closed")
    note = body.note.strip()
    if not note:
        raise InvalidInput("请说明关闭的理由", "say why the order is closed", field="note")
    await conn.execute(SET_CLOSED, order_id, user.username)
    await _step(conn, key, row["filing_id"], user.username, "closed", {"order": order_id, "note": note})
    return (await get_order(conn, settings, user, order_id)).order


async def reopen(conn: asyncpg.Connection, key: bytes, settings: Settings, user: CurrentUser, order_id: int,
                 body: CloseIn, *, on: dt.date | None = None) -> OrderOut:
    """The response was not enough, or a closed order is taken up again: open once more, with a new deadline
    of the same length counted from today."""
    _supervisor(user)
    row = await order_for(conn, user, order_id, lock=True)
    _require_step(row, "reopened")
    note = body.note.strip()
    if not note:
        raise InvalidInput("请说明重新开启的理由", "say why the order is reopened", field="note")
    if row["kind"] == "deregistration":
        status = await conn.fetchval("SELECT status FROM filings WHERE id = $1", row["filing_id"])
        if status != "registered":
            status_zh, status_en = pair("status", status)
            raise Conflict(f"该合同当前为「{status_zh}」，注销令不能重新开启",
                           f"the contract is {status_en}: the de-registration order cannot be reopened", status=status)
    issued_on = on or today(settings)
    due, days, provisional = order_due(work_calendar(settings), settings, row["kind"], issued_on)
    await conn.execute(SET_REOPENED, order_id, issued_on, due, provisional)
    await _step(conn, key, row["filing_id"], user.username, "reopened",
                {"order": order_id, "due_on": due.isoformat(), "working_days": days, "note": note})
    return (await get_order(conn, settings, user, order_id, on=issued_on)).order


# -- the daily job ------------------------------------------------------------------------------------------

async def escalate_overdue(conn: asyncpg.Connection, key: bytes, on: dt.date) -> dict:
    """De-registrations done through the registry fulfil their orders; then every order overdue on `on` is
    escalated to the supervisors, once per deadline (a rerun, another replica or the next day adds nothing),
    with one notice a day to each active supervisor naming the day's overdue orders."""
    fulfilled = await fulfil_by_cancellation(conn, key, SYSTEM.username)
    overdue, escalated = [], []
    for r in await conn.fetch(OVERDUE, on):
        row = await conn.fetchrow(ORDER_FOR_UPDATE, r["id"])
        if not is_overdue(row, on):
            continue                                   # answered or closed since it was read
        overdue.append(row)
        if await conn.fetchval(INSERT_ESCALATION, row["id"], row["round"], row["due_on"], on) is None:
            continue                                   # escalated for this deadline already
        await conn.execute(SET_STATUS, row["id"], "escalated")
        await _step(conn, key, row["filing_id"], SYSTEM.username, "escalated",
                    {"order": row["id"], "due_on": row["due_on"].isoformat(), "escalated_on": on.isoformat()})
        escalated.append(row["id"])
    notices = 0
    if overdue:
        message = _notice([r["id"] for r in overdue], escalated)
        for s in await conn.fetch(ACTIVE_SUPERVISORS):
            await conn.execute(INSERT_NOTICE, s["id"], message, on)
            notices += 1
    return {"fulfilled": fulfilled, "overdue": len(overdue), "escalated": len(escalated), "notices": notices}


def _notice(overdue: list[int], new: list[int]) -> str:
    def ids(found: list[int]) -> str:
        return "、".join(f"#{i}" for i in found[:10]) + (f" 等 {len(found)} 项" if len(found) > 10 else "")

    return (f"责令事项逾期 {len(overdue)} 项（本次上报 {len(new)} 项）：{ids(overdue)} / {len(overdue)} orders overdue "
            f"({len(new)} escalated now): {', '.join(f'#{i}' for i in overdue[:10])}")
