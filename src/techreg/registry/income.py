"""技术性收入核定: after performance, the technical income actually received under a registered contract,
compared with its approved amount (2001 规则 ch. 7). Each check is an event on the filing's chain (action
`income_check`, the status unchanged): the record of checks is the trail itself, nothing kept beside it."""

import datetime as dt
from decimal import Decimal

import asyncpg

from ..config import Settings
from ..errors import Conflict
from .events import append_event
from .messages import FilingRejected
from ..labels import pair
from .schema import FieldError, IncomeCheckIn, IncomeCheckOut
from . import access
from .service import _load, today
from .users import CurrentUser

# the income checks of one filing, oldest first
INCOME_CHECKS = """
    SELECT seq, at, actor, detail FROM filing_events WHERE filing_id = $1 AND action = 'income_check' ORDER BY seq
"""


def verdict(received: Decimal, approved: Decimal) -> str:
    return "matches" if received == approved else ("below" if received < approved else "above")


def _out(row) -> IncomeCheckOut:
    d = row["detail"]
    return IncomeCheckOut(seq=row["seq"], at=row["at"], actor=row["actor"], as_of=dt.date.fromisoformat(d["as_of"]),
                          received_amount=Decimal(d["received_amount"]), approved_amount=Decimal(d["approved_amount"]),
                          difference=Decimal(d["difference"]), verdict=d["verdict"], note=d.get("note", ""))


async def require_recorder(conn: asyncpg.Connection, settings: Settings, user: CurrentUser, ref: str) -> None:
    """404 or 403 unless this user may record an income check on the filing."""
    row = await _load(conn, user, ref, lock=False)
    await access.require_actor(conn, settings, user, row["point_code"], "income_check")


async def record_income_check(conn: asyncpg.Connection, key: bytes, settings: Settings, user: CurrentUser, ref: str,
                              body: IncomeCheckIn) -> IncomeCheckOut:
    """A registrar of the filing's point (qualified) or a supervisor records what was received."""
    row = await _load(conn, user, ref, lock=True)
    await access.require_actor(conn, settings, user, row["point_code"], "income_check")
    if row["status"] != "registered":
        status_zh, status_en = pair("status", row["status"])
        raise Conflict(f"当前状态为「{status_zh}」，只有已登记的合同可以核定技术性收入",
                       f"only a registered contract gets an income check; the filing is {status_en}",
                       status=row["status"])
    errors = []
    if body.as_of > today(settings):
        errors.append(FieldError("as_of", "收入截至日期不能晚于今天", "as_of must not be in the future",
                                 body.as_of.isoformat()))
    if body.as_of < row["signed_on"]:
        errors.append(FieldError("as_of", f"收入截至日期不能早于签订日期 {row['signed_on']}",
                                 f"as_of must not be before signing ({row['signed_on']})", body.as_of.isoformat()))
    if errors:
        raise FilingRejected(errors)
    received = Decimal(body.received_amount)
    approved = row["approved_amount"] if row["approved_amount"] is not None else row["tech_amount"]
    detail = {"received_amount": f"{received:.2f}", "as_of": body.as_of.isoformat(),
              "approved_amount": f"{approved:.2f}", "difference": f"{received - approved:.2f}",
              "verdict": verdict(received, approved), "note": body.note}
    await append_event(conn, key, filing_id=row["id"], ref=ref, event_count=row["event_count"],
                       last_hash=row["last_event_hash"], actor=user.username, action="income_check",
                       from_status=row["status"], to_status=row["status"], detail=detail)
    checks = await conn.fetch(INCOME_CHECKS, row["id"])
    return _out(checks[-1])


async def income_checks(conn: asyncpg.Connection, user: CurrentUser, ref: str) -> list[IncomeCheckOut]:
    row = await _load(conn, user, ref, lock=False)
    return [_out(r) for r in await conn.fetch(INCOME_CHECKS, row["id"])]



