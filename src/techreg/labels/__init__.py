"""The words a person reads for stored codes and moments: one catalogue, one way to each.

- `label(group, code, language)`: the word for a code (a role, a status, a job, a field …) in Chinese or
  English, from `catalogue.CATALOGUE`; flag kinds from the detector registry (techreg.detection.detectors).
- `both(group, code)`: "中文 / English", for the CLI, which speaks both on one line.
- `person(username, names, language)`: who acted, by the name people know them by (never a login name).
- `values_text(group, mapping, language)`: a stored dictionary (a job run's counts, a campaign's parameters)
  in words, never as Python or JSON writes it.
- `halves(text)`: a sentence stored once in both languages ("中文 / English", a flag's evidence) as
  (Chinese, English), so a page shows the one it speaks.
- `local_time(moment, timezone)`: a moment in TECHREG_TIMEZONE with its offset named (times.py);
  `zone_name(timezone, language)`: the office's zone as people call it (北京时间 UTC+08:00).

Pages, CSV/Excel exports and the CLI all take their words from here, so they say the same thing.

Owns no table; every package may import it (tests/test_import_rules.py: SHARED). It imports nothing of the
domain packages but the detector registry, late and only for the flag kinds' words, which stay there.
"""

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal

from .catalogue import CATALOGUE, SUBKIND
from .times import local_time, schedule_text, zone_label, zone_name

__all__ = ["CATALOGUE", "LANGUAGES", "SUBKIND", "both", "choices", "codes", "days_left", "detector_text", "halves", "is_known",
           "label", "local_time", "person", "recorded", "schedule_text", "zone_name",
           "pair", "subkind", "subkind_choices", "value_text", "values_text", "zone_label"]

LANGUAGES = ("zh", "en")
# groups whose words live elsewhere: flag kinds in the detector registry
_FLAG = "flag"


def _words(group: str, code) -> tuple[str, str] | None:
    if group == _FLAG:
        from ..detection.detectors import BY_KIND
        detector = BY_KIND.get(code)
        return tuple(detector.LABEL) if detector else None
    if group == "subkind":                       # without its kind: the first kind's word for it
        for words in SUBKIND.values():
            if code in words:
                return words[code]
        return None
    return CATALOGUE[group].get(code if isinstance(code, str) else str(code))


def label(group: str, code, language: str = "zh", *, default: str | None = None) -> str:
    """The word for `code` in `language` ("zh" or "en"); an unknown code is `default`, or the code itself."""
    if code is None:
        return ""
    words = _words(group, code)
    if words is None:
        return str(code) if default is None else default
    return words[1] if language == "en" else words[0]


def pair(group: str, code, *, default: tuple[str, str] | None = None) -> tuple[str, str]:
    """(Chinese, English) for `code`."""
    words = _words(group, code) if code is not None else ("", "")
    if words is None:
        return default if default is not None else (str(code), str(code))
    return words


def both(group: str, code) -> str:
    """"中文 / English" for the CLI (the one word when both languages write it alike)."""
    zh, en = pair(group, code)
    return zh if zh == en else f"{zh} / {en}"


def days_left(n: int | None, language: str = "zh", *, unit: bool = False) -> str:
    """Working days to a deadline, and one passed by how many: 3 / 逾期 3 under a "剩余工作日" heading; with `unit`,
    standing alone: 剩余 3 个工作日 / 逾期 3 个工作日 (never a negative count left)."""
    if n is None:
        return "—"
    if language == "en":
        if n >= 0:
            return f"{n} working days left" if unit else str(n)
        return f"{-n} working days overdue" if unit else f"{-n} overdue"
    if n >= 0:
        return f"剩余 {n} 个工作日" if unit else str(n)
    return f"逾期 {-n} 个工作日" if unit else f"逾期 {-n}"


def person(username: str | None, names: Mapping[str, str], language: str = "zh") -> str:
    """Who acted, as people know them: an account's display name (`names`: login name -> display name); the
    scheduler, the demo or an import from the command line in words; any other name as recorded."""
    if not username:
        return "—"
    if username in names:
        return names[username]
    kind, colon, who = username.partition(":")
    if is_known("actor", username):
        return label("actor", username, language)
    if colon and is_known("actor", kind):
        return f"{label('actor', kind, language)}{'（' if language != 'en' else ' ('}{who}{'）' if language != 'en' else ')'}"
    return username


def subkind(kind: str | None, code: str | None, language: str = "zh") -> str:
    """A subkind's word under its kind (patent: 专利权转让 under transfer, 专利实施许可 under license)."""
    if code is None:
        return ""
    words = SUBKIND.get(kind or "", {}).get(code)
    if words is None:
        return label("subkind", code, language)
    return words[1] if language == "en" else words[0]


def detector_text(detector: str, language: str = "zh") -> str:
    """A flag's detector as a person reads it: its flag kind's word and its version (`split/2.0` -> 合同拆分 2.0;
    the outlier detector without a trusted model: 异常值（模型） 未启用模型)."""
    kind, _, version = detector.partition("/")
    name = label(_FLAG, kind, language)
    if not version:
        return name
    return f"{name} {label('detector_version', version, language, default=version)}"


def recorded(text: str | None) -> tuple[str, str]:
    """A reason the system recorded — a code of "system_reason", or the same words stored in both languages
    ("中文 / English") — as (Chinese, English); anything else (a person's text, an error) as written, split into
    its halves when it was written in both languages."""
    code = _STORED.get(text or "", text)
    if is_known("system_reason", code):
        return pair("system_reason", code)
    return halves(text)


_HAN = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_SEPARATOR = " / "


def halves(text: str | None) -> tuple[str, str]:
    """A sentence the system wrote once in both languages, "中文 / English" (a flag's evidence), as (Chinese,
    English): split at the first " / " after which no Chinese is written but inside a token that also holds
    Latin letters or digits (a ref such as 沪技-2026-01 is the same in both halves). Text in one language only
    (a person's own words) is that text in both."""
    text = text or ""
    candidates = []
    start = 0
    while (at := text.find(_SEPARATOR, start)) >= 0:
        before, after = text[:at], text[at + len(_SEPARATOR):]
        if _HAN.search(before) and after[:1].isascii():
            if not any(_HAN.search(token) and not re.search(r"[A-Za-z0-9]", token) for token in after.split()):
                return before.strip(), after.strip()
            candidates.append((before, after))
        start = at + 1
    # the English half quotes a person's Chinese words (a note): the first " / " an English word follows
    for before, after in candidates:
        if re.match(r"[A-Za-z]{2,}", after):
            return before.strip(), after.strip()
    return text, text


def codes(group: str) -> tuple[str, ...]:
    """Every code the group names."""
    if group == _FLAG:
        from ..detection.detectors import BY_KIND
        return tuple(BY_KIND)
    if group == "subkind":
        return tuple(dict.fromkeys(code for words in SUBKIND.values() for code in words))
    return tuple(CATALOGUE[group])


def choices(group: str, language: str = "zh") -> dict[str, str]:
    """code -> word for every code of the group, in the catalogue's order (a select's options, an error's
    allowed values)."""
    return {code: label(group, code, language) for code in codes(group)}


def subkind_choices(kind: str, language: str = "zh") -> dict[str, str]:
    """The subkinds `kind` allows, code -> word."""
    return {code: words[1] if language == "en" else words[0] for code, words in SUBKIND.get(kind, {}).items()}


def is_known(group: str, code) -> bool:
    return code is not None and _words(group, code) is not None


def value_text(value, language: str = "zh", *, group: str | None = None, timezone: str | None = None) -> str:
    """One stored value as a person reads it: a code by its word (when `group` names its table), yes/no,
    a list joined, a moment in the office's zone; nothing is "—"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return label("yes_no", "true" if value else "false", language)
    if isinstance(value, (list, tuple)):
        return ("、" if language != "en" else ", ").join(value_text(v, language, group=group, timezone=timezone)
                                                          for v in value) or "—"
    if isinstance(value, dt.datetime) and timezone:
        return local_time(value, timezone)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (int, Decimal, dt.date)):
        return str(value)
    if group is not None and isinstance(value, str) and is_known(group, value):
        return label(group, value, language)
    if isinstance(value, str) and is_known("system_reason", value):
        return label("system_reason", value, language)
    return str(value)


# system reasons as they were stored in both languages before (or besides) their codes
_STORED = {f"{zh} / {en}": code for code, (zh, en) in CATALOGUE["system_reason"].items()}

# within a stored dictionary, the table a key's value is a code of
VALUE_GROUPS = {
    "count": {"status": "campaign_status", "read_from": "read_from"},
    "campaign_param": {"kinds": "kind"},
}


# within a stored dictionary, what an empty value means
EMPTY_MEANS = {"campaign_param": {"kinds": ("全部", "all"), "points": ("全部", "all")}}


def values_text(group: str, values: Mapping | None, language: str = "zh", *, timezone: str | None = None) -> str:
    """A stored dictionary in words, each key by `group`'s word for it, in the catalogue's order:
    扫描编号 12，检测申请数 300."""
    if not values:
        return "—"
    groups, empty = VALUE_GROUPS.get(group, {}), EMPTY_MEANS.get(group, {})
    order = {code: k for k, code in enumerate(codes(group))}
    parts = []
    for key in sorted(values, key=lambda k: (order.get(k, len(order)), k)):
        value = values[key]
        if value in ([], "", None) and key in empty:
            shown = empty[key][1 if language == "en" else 0]
        else:
            shown = value_text(value, language, group=groups.get(key), timezone=timezone)
        parts.append(f"{label(group, key, language)} {shown}")
    return ("; " if language == "en" else "，").join(parts)
