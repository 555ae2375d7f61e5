"""China's official working-day calendar: public holidays and the weekend days worked instead (调休).

The days come from the `chinesecalendar` package, which follows the State Council's yearly notice on the
holiday arrangements (国务院办公厅关于…部分节假日安排的通知); `pip install -U chinesecalendar` brings a new
year's. Until a release has it, or to correct one, a file named by TECHREG_HOLIDAY_CALENDAR lays down
years of its own (JSON):

    {"years": [2027],
     "holidays": {"2027-01-01": "元旦", "2027-02-08": "春节"},
     "workdays": {"2027-02-07": "春节调休上班"}}

`holidays` are days off that would be working days (放假), `workdays` weekend days worked (上班); a day
in the file wins over the package. The file is read again when it changes: no restart, no code change. A
year neither knows is counted Monday to Friday, and every date computed through it is marked provisional.
"""

import datetime as dt
import functools
import os
from pathlib import Path

import msgspec

_WEEK = dt.timedelta(days=1)


class CalendarFile(msgspec.Struct, forbid_unknown_fields=True):
    """TECHREG_HOLIDAY_CALENDAR: the years it lays down in full, their days off and their days worked."""
    years: list[int]
    holidays: dict[dt.date, str] = {}
    workdays: dict[dt.date, str] = {}


class CalendarFileError(ValueError):
    pass


class WorkCalendar:
    """Which days are working days; `provisional` for days in a year nobody has laid down."""

    def __init__(self, holidays: dict[dt.date, str], workdays: dict[dt.date, str], years: frozenset[int],
                 source: str):
        self.holidays, self.workdays, self.years, self.source = holidays, workdays, years, source

    def known(self, day: dt.date) -> bool:
        return day.year in self.years

    def is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_workdays(self, start: dt.date, n: int) -> tuple[dt.date, bool]:
        """The n-th working day after `start` (the day itself not counted: 民法典 Art. 201), and whether any day
        counted lies in a year the calendar does not know."""
        return _add(self, start, n)     # pending filings share a few start dates: cached per calendar

    def add_days(self, start: dt.date, n: int) -> tuple[dt.date, bool]:
        """The n-th calendar day after `start` (the day itself not counted); a last day that is a day off (a
        holiday or a weekend not worked) moves to the next working day (民法典 Art. 203). Provisional as above."""
        due = start + dt.timedelta(days=n)
        while not self.is_workday(due):
            due += _WEEK
        return due, not (self.known(start + _WEEK) and self.known(due))

    def workdays_between(self, after: dt.date, until: dt.date) -> int:
        """Working days d with after < d ≤ until (0 when until ≤ after)."""
        count, day = 0, after
        while day < until:
            day += _WEEK
            count += self.is_workday(day)
        return count


@functools.lru_cache(maxsize=4096)
def _add(calendar: WorkCalendar, start: dt.date, n: int) -> tuple[dt.date, bool]:
    day, counted, provisional = start, 0, False
    while counted < n:
        day += _WEEK
        if calendar.is_workday(day):
            counted += 1
        provisional = provisional or not calendar.known(day)
    return day, provisional


def _library_days() -> tuple[dict[dt.date, str], dict[dt.date, str], frozenset[int], str]:
    import chinese_calendar
    from chinese_calendar import constants

    years = frozenset(range(min(constants.holidays).year, max(constants.holidays).year + 1))
    version = getattr(chinese_calendar, "__version__", "?")
    return dict(constants.holidays), dict(constants.workdays), years, f"chinesecalendar {version}"


def read_calendar_file(path: Path) -> CalendarFile:
    try:
        found = msgspec.json.decode(path.read_bytes(), type=CalendarFile)
    except OSError as exc:
        raise CalendarFileError(f"节假日文件无法读取 {path}：{exc.strerror} / cannot read holiday file {path}") from None
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise CalendarFileError(f"节假日文件 {path} 格式有误：{exc} / holiday file {path} is malformed: {exc}") from None
    for day in (*found.holidays, *found.workdays):
        if day.year not in found.years:
            raise CalendarFileError(f"节假日文件 {path}：{day} 不在所列年份 {found.years} 内 / holiday file {path}: "
                                    f"{day} is outside the years it lists {found.years}")
    for day in found.workdays:
        if day in found.holidays:
            raise CalendarFileError(f"节假日文件 {path}：{day} 既是放假日又是上班日 / {day} is both a holiday and a "
                                    f"working day in {path}")
    return found


@functools.lru_cache(maxsize=8)
def _calendar(path: str | None, stamp: tuple) -> WorkCalendar:
    holidays, workdays, years, source = _library_days()
    if path is not None:
        extra = read_calendar_file(Path(path))
        for day in extra.holidays:
            workdays.pop(day, None)
        for day in extra.workdays:
            holidays.pop(day, None)
        holidays.update(extra.holidays)
        workdays.update(extra.workdays)
        years = years | frozenset(extra.years)
        source = f"{source} + {path}"
    return WorkCalendar(holidays, workdays, years, source)


def work_calendar(settings) -> WorkCalendar:
    """The calendar in force: the package's days, with TECHREG_HOLIDAY_CALENDAR's over them (re-read when the
    file changes)."""
    path = settings.holiday_calendar
    if path is None:
        return _calendar(None, ())
    try:
        info = os.stat(path)
    except OSError as exc:
        raise CalendarFileError(f"节假日文件无法读取 {path}：{exc.strerror} / cannot read holiday file {path}") from None
    return _calendar(str(path), (info.st_mtime_ns, info.st_size))
