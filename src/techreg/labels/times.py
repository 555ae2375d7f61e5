"""Moments as people here read them: in the office's time zone (TECHREG_TIMEZONE), its offset named.

Every page, export and CLI line writes a moment with `local_time`, so the same scan run or next-run time
reads the same everywhere; the API gives the same moment as ISO 8601 with the same offset (db.pool
decodes every timestamptz in the office's zone).
"""

import datetime as dt
import logging
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=8)
def _zone(timezone: str) -> ZoneInfo:
    return ZoneInfo(timezone)


def zone_label(value: dt.datetime) -> str:
    """The offset of an aware moment as it is written after a time: UTC+08:00."""
    offset = value.strftime("%z") or "+0000"
    return f"UTC{offset[:3]}:{offset[3:5]}"


def local_time(value: dt.datetime | None, timezone: str, *, seconds: bool = False) -> str:
    """`2026-03-01 10:00 UTC+08:00`: the moment in `timezone`, labelled with its offset; "" for no moment."""
    if value is None:
        return ""
    if value.tzinfo is None:                      # never expected: stored moments are timestamptz
        value = value.replace(tzinfo=dt.timezone.utc)
    local = value.astimezone(_zone(timezone))
    return f"{local:%Y-%m-%d %H:%M{':%S' if seconds else ''}} {zone_label(local)}"


# what people call an office's zone (TECHREG_TIMEZONE); another zone is named by its offset alone
ZONE_NAMES = {"Asia/Shanghai": ("北京时间", "Beijing time"), "Asia/Chongqing": ("北京时间", "Beijing time"),
              "Asia/Harbin": ("北京时间", "Beijing time"), "Asia/Urumqi": ("乌鲁木齐时间", "Urumqi time"),
              "Asia/Hong_Kong": ("香港时间", "Hong Kong time"), "Asia/Macau": ("澳门时间", "Macao time"),
              "Asia/Taipei": ("台北时间", "Taipei time"), "UTC": ("协调世界时", "UTC"), "Etc/UTC": ("协调世界时", "UTC")}


def zone_name(timezone: str, language: str = "zh", on: dt.datetime | None = None) -> str:
    """The office's zone as a person reads it: 北京时间 UTC+08:00 / Beijing time (UTC+08:00); its offset at
    `on` (now when not given)."""
    offset = zone_label((on or dt.datetime.now(dt.timezone.utc)).astimezone(_zone(timezone)))
    zh, en = ZONE_NAMES.get(timezone, ("", ""))
    if language == "en":
        return f"{en} ({offset})" if en else offset
    return f"{zh} {offset}" if zh else offset


class OfficeTimeFormatter(logging.Formatter):
    """Log lines stamped in the office's zone with its offset (2026-11-25 12:49:33,377+08:00), as every other time a
    person reads: the service's log once said UTC without a label beside slots written in +08:00."""

    def __init__(self, fmt: str | None = None, datefmt: str | None = None, style: str = "%", *,
                 timezone: str = "Asia/Shanghai") -> None:
        super().__init__(fmt, datefmt, style)
        self.zone = _zone(timezone)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = dt.datetime.fromtimestamp(record.created, self.zone)
        offset = moment.strftime("%z")
        return f"{moment:%Y-%m-%d %H:%M:%S},{int(record.msecs):03d}{offset[:3]}:{offset[3:]}"


_WEEKDAYS = {"mon": ("周一", "Monday"), "tue": ("周二", "Tuesday"), "wed": ("周三", "Wednesday"),
             "thu": ("周四", "Thursday"), "fri": ("周五", "Friday"), "sat": ("周六", "Saturday"), "sun": ("周日", "Sunday")}
# cron's numbered days (0 and 7 are Sunday); APScheduler reads names the same way
_DAY_NUMBERS = {"0": "sun", "1": "mon", "2": "tue", "3": "wed", "4": "thu", "5": "fri", "6": "sat", "7": "sun"}


def schedule_text(cron: str, language: str = "zh", timezone: str | None = None) -> str:
    """A job's schedule (a cron expression) as people say it: 每天 01:30, 每周日 03:00, 每月 1 日 06:00, 每小时第 10
    分钟; an expression of another shape is given as it is. With `timezone`, its times are labelled with the
    zone's offset, as every time a person reads (每天 01:30 UTC+08:00)."""
    said = _schedule_words(cron, language)
    if timezone is None:
        return said
    return f"{said} {zone_label(dt.datetime.now(_zone(timezone)))}"


def _schedule_words(cron: str, language: str) -> str:
    fields = cron.split()
    if len(fields) != 5 or not all(f.isdigit() for f in fields[:1]):
        return cron
    minute, hour, day, month, weekday = fields
    en = language == "en"
    if hour == "*" and (day, month, weekday) == ("*", "*", "*"):
        return f"hourly at minute {int(minute)}" if en else f"每小时第 {int(minute)} 分钟"
    if not hour.isdigit() or month != "*":
        return cron
    at = f"{int(hour):02d}:{int(minute):02d}"
    if (day, weekday) == ("*", "*"):
        return f"daily at {at}" if en else f"每天 {at}"
    named = _DAY_NUMBERS.get(weekday, weekday.lower())
    if day == "*" and named in _WEEKDAYS:
        zh, en_day = _WEEKDAYS[named]
        return f"every {en_day} at {at}" if en else f"每{zh} {at}"
    if day.isdigit() and weekday == "*":
        return f"monthly on day {int(day)} at {at}" if en else f"每月 {int(day)} 日 {at}"
    return cron

