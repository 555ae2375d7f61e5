"""Decision deadlines on the official calendar (registry/workdays.py), by the rules a filing was accepted under.

The rules in force on the application day (registry/rulebook.py) set the deadline: under the 2026 办法, as the
2024 draft gave it, TECHREG_DECISION_DAYS working days (15), TECHREG_LARGE_DECISION_DAYS (30) for a large
contract (technology amount at or above TECHREG_LARGE_LINE); under the 2000 办法 and 2001 规则 30 calendar days,
a last day off moved to the next working day (民法典 Art. 203), with no large contracts. A filing accepted the
day before a switch keeps the old deadline. The count runs from the day after the
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
from .rulebook import Rules, RulebookError, rules_by_id
from .schema import DeadlineState
from . import access
from .service import today
from .users import CurrentUser
from .workdays import WorkCalendar, work_calendar


# The moment a filing last came back to await a decision: resubmitted after a correction, or a review
# (registry/review.py) overturning its refusal or return. The clock starts again then.
RESTARTED = """greatest(
    (SELECT max(e.at) FROM filing_events e WHERE e.filing_id = f.id AND e.action = 'resubmit'),
    (SELECT max(e.at) FROM filing_events e
     WHERE e.filing_id = f.id AND e.action = 'review_decision' AND e.to_status = 'submitted'))"""
# The filings awaiting a decision (of one point, or all), with the moment each last came back.
PENDING_SQL = f"""
    SELECT f.id, f.ref, f.title, f.point_code, f.seller_name, f.filed_on, f.tech_amount,
           coalesce(f.approved_amount, f.tech_amount) AS counted_amount,
           {RESTARTED} AS resubmitted_at,
           f.rules_version
    FROM filings f
    WHERE f.status = 'submitted' AND ($1::text IS NULL OR f.point_code = $1)
    ORDER BY f.id
"""
ONE_PENDING_SQL = f"""
    SELECT f.id, f.ref, f.title, f.point_code, f.seller_name, f.filed_on, f.tech_amount,
           coalesce(f.approved_amount, f.tech_amount) AS counted_amount,
           {RESTARTED} AS resubmitted_at,
           f.rules_version
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
    days: int                         # the deadline, in days of `day_kind`
    day_kind: str                     # working | calendar (registry.rulebook.DayKind)
    working_days: int | None          # the deadline in working days (None when the rules count calendar days)
    rules_version: str                # the rules the filing was accepted under (registry/rulebook.py)
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


def due_date(calendar: WorkCalendar, rules: Rules, clock_from: dt.date, counted_amount: Decimal
             ) -> tuple[dt.date, int, bool, bool]:
    """(due date, days, large, provisional) under `rules` for a filing whose clock started on `clock_from`."""
    large = rules.is_large(counted_amount)
    days = rules.days_for(counted_amount)
    if rules.day_kind == "calendar":
        due, provisional = calendar.add_days(clock_from, days)
    else:
        due, provisional = calendar.add_workdays(clock_from, days)
    return due, days, large, provisional


def _deadline(row, calendar: WorkCalendar, settings: Settings, zone: ZoneInfo, now: dt.date) -> DeadlineOut:
    restarted = row["resubmitted_at"] is not None
    clock_from = row["resubmitted_at"].astimezone(zone).date() if restarted else row["filed_on"]
    try:
        rules = rules_by_id(settings, row["rules_version"], row["filed_on"])   # as accepted, not as today
        unknown_rules = False
    except RulebookError:       # a catalogue without the version it was accepted under: its day's, provisional
        rules, unknown_rules = rules_by_id(settings, None, row["filed_on"]), True
    due, days, large, provisional = due_date(calendar, rules, clock_from, row["counted_amount"])
    provisional = provisional or unknown_rules
    if now > due:
        left = -calendar.workdays_between(due, now)
        state = "overdue"
    else:
        left = calendar.workdays_between(now, due)
        state = "due_soon" if left <= settings.deadline_warn_days else "pending"
    return DeadlineOut(ref=row["ref"], title=row["title"], point=row["point_code"], seller_name=row["seller_name"],
                       tech_amount=row["tech_amount"], filed_on=row["filed_on"], large=large, days=days,
                       day_kind=rules.day_kind, working_days=days if rules.day_kind == "working" else None,
                       rules_version=rules.id,
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
