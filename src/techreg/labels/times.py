"""Moments as people here read them: in the office's time zone (TECHREG_TIMEZONE), its offset named.

Every page, export and CLI line writes a moment with `local_time`, so the same scan run or next-run time
reads the same everywhere; the API gives the same moment as ISO 8601 with the same offset (db.pool
decodes every timestamptz in the office's zone).
"""

import datetime as dt
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
