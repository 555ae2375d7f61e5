"""Decision deadlines in working days on the official calendar (registry/workdays.py).

A registrar decides within TECHREG_DECISION_DAYS working days (15, 2024 draft rule), TECHREG_LARGE_DECISION_DAYS
(30) for a large contract (technology amount at or above TECHREG_LARGE_LINE), counted from the day after the
application (申请登记日期, `filed_on`: 民法典 Art. 201, the first day is not counted). A return for correction
(退回补正) stops the clock; the filing's resubmission starts it again from the beginning, counted from the day
it came back (in TECHREG_TIMEZONE). Nothing is stored: the due date follows the calendar in force, so a
holiday notice published later moves it, and a date counted through a year the calendar does not know yet
is marked provisional.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from ..config import Settings
from ..labels import codes
from .schema import DeadlineState
from . import access
from .service import today
from .users import CurrentUser
from .workdays import WorkCalendar, work_calendar


# The filings awaiting a decision (of one point, or all), with the moment each last came back from a
# correction: the clock starts again then.
PENDING_SQL = """
    SELECT f.id, f.ref, f.title, f.point_code, f.seller_name, f.filed_on, f.tech_amount,
           coalesce(f.approved_amount, f.tech_amount) AS counted_amount,
           (SELECT max(e.at) FROM filing_events e WHERE e.filing_id = f.id AND e.action = 'resubmit') AS resubmitted_at
    FROM filings f
    WHERE f.status = 'submitted' AND ($1::text IS NULL OR f.point_code = $1)
    ORDER BY f.id
"""
ONE_PENDING_SQL = """
    SELECT f.id, f.ref, f.title, f.point_code, f.seller_name, f.filed_on, f.tech_amount,
           coalesce(f.approved_amount, f.tech_amount) AS counted_amount,
           (SELECT max(e.at) FROM filing_events e WHERE e.filing_id = f.id AND e.action = 'resubmit') AS resubmitted_at
    FROM filings f WHERE f.id = $1 AND f.status = 'submitted'
"""


class DeadlineOut(msgspec.Struct, kw_only=True):
    ref: str
    title: str
    point: str
    seller_name: str
    tech_amount: Decimal
    filed_on: dt.date
    large: bool                       # at or above the large line: the longer deadline
    working_days: int                 # the deadline, in working days
    clock_from: dt.date               # the application, or the last resubmission after a correction
    restarted: bool                   # the count began again on resubmission
    due_on: dt.date
    state: DeadlineState
    working_days_left: int            # working days after today up to the due date; negative: days overdue
    provisional: bool                 # counted through a year the calendar does not know yet


class DeadlineList(msgspec.Struct, kw_only=True):
    today: dt.date
    calendar: str                     # where the holidays come from
    counts: dict[str, int]            # by state
    items: list[DeadlineOut]


def due_date(calendar: WorkCalendar, settings: Settings, clock_from: dt.date, counted_amount: Decimal
             ) -> tuple[dt.date, int, bool, bool]:
    """(due date, working days, large, provisional) for a filing whose clock started on `clock_from`."""
    large = counted_amount >= settings.large_line
    days = settings.large_decision_days if large else settings.decision_days
    due, provisional = calendar.add_workdays(clock_from, days)
    return due, days, large, provisional


def _deadline(row, calendar: WorkCalendar, settings: Settings, zone: ZoneInfo, now: dt.date) -> DeadlineOut:
    restarted = row["resubmitted_at"] is not None
    clock_from = row["resubmitted_at"].astimezone(zone).date() if restarted else row["filed_on"]
    due, days, large, provisional = due_date(calendar, settings, clock_from, row["counted_amount"])
    if now > due:
        left = -calendar.workdays_between(due, now)
        state = "overdue"
    else:
        left = calendar.workdays_between(now, due)
        state = "due_soon" if left <= settings.deadline_warn_days else "pending"
    return DeadlineOut(ref=row["ref"], title=row["title"], point=row["point_code"], seller_name=row["seller_name"],
                       tech_amount=row["tech_amount"], filed_on=row["filed_on"], large=large, working_days=days,
                       clock_from=clock_from, restarted=restarted, due_on=due, state=state,
                       working_days_left=left, provisional=provisional or not calendar.known(now))


async def deadlines(conn: asyncpg.Connection, settings: Settings, user: CurrentUser, *, point: str | None = None,
                    state: DeadlineState | None = None, on: dt.date | None = None) -> DeadlineList:
    """The pending filings with their due dates, soonest first; `state` keeps one kind (due_soon, overdue)."""
    calendar = work_calendar(settings)
    zone = ZoneInfo(settings.timezone)
    now = on or today(settings)
    rows = await conn.fetch(PENDING_SQL, access.listing_point(user) or point)
    every = [_deadline(r, calendar, settings, zone, now) for r in rows]
    counts = {s: 0 for s in codes("deadline_state")}
    for d in every:
        counts[d.state] += 1
    items = sorted((d for d in every if state is None or d.state == state), key=lambda d: (d.due_on, d.ref))
    return DeadlineList(today=now, calendar=calendar.source, counts=counts, items=items)


async def deadline_of(conn: asyncpg.Connection, settings: Settings, filing_id: int) -> DeadlineOut | None:
    """The deadline of one filing awaiting a decision (None for any other); the caller has checked access."""
    row = await conn.fetchrow(ONE_PENDING_SQL, filing_id)
    if row is None:
        return None
    return _deadline(row, work_calendar(settings), settings, ZoneInfo(settings.timezone), today(settings))
