"""The one place filing format v1 is enforced, for the API, the importer and the filing form alike.

The struct (schema.FilingV1) says types, lengths, patterns, choices and unknown fields; `filing_rules`
says what a type cannot (check characters, amounts, date order, parties, a subkind of its kind).
`decode_filing` reports every bad field of a filing at once (fieldcheck), each named, in Chinese then
English.
"""

import datetime as dt
import functools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .creditcode import credit_code_problem
from .fieldcheck import decode_checked, flatten, one_per_field
from .. import labels
from .messages import (FilingRejected, allowed_values, choice_error, field_label,  # noqa: F401
                       literal_values, safe_value, translate_msgspec_error)
from .schema import SUBKINDS_BY_KIND, FieldError, FilingCorrection, FilingV1, FormatStatus

__all__ = ["FilingRejected", "decode_correction", "decode_filing", "field_label", "filing_rules", "rule_errors",
           "translate_msgspec_error", "date_window", "office_today", "subkind_choices"]

PERFORMANCE_YEARS = 30     # the longest term of performance taken as plausible, counted from signing
# the history statuses that were registered once, and so carry an approved amount (核定技术交易额)
HISTORY_APPROVED = ("registered", "revoked", "cancelled")


@functools.lru_cache(maxsize=4)
def _window(today: dt.date) -> tuple[dt.date, dt.date]:
    from ..config import load_settings
    settings = load_settings()
    return settings.earliest_date, today + dt.timedelta(days=settings.latest_days_ahead)


def office_today() -> dt.date:
    """Today in TECHREG_TIMEZONE: the day the rules judge a filing's dates by (registry.service.today, for the
    settings a caller holds, reads the same clock)."""
    return dt.datetime.now(_zone()).date()


def date_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The plausible dates (TECHREG_EARLIEST_DATE, today + TECHREG_LATEST_DAYS_AHEAD), today in TECHREG_TIMEZONE."""
    return _window(today or office_today())


@functools.lru_cache(maxsize=1)
def _zone() -> ZoneInfo:
    from ..config import load_settings
    return ZoneInfo(load_settings().timezone)


TEXT_FIELDS = ("ref", "contract_no", "title", "point", "registrar", "description", "reg_no",
               "seller.name", "seller.credit_code", "seller.region", "buyer.name", "buyer.credit_code", "buyer.region")


# a choice's allowed values: code -> Chinese name, the context they are narrowed to, code -> English name
Allowed = tuple[dict[str, str], tuple[str, str] | None, dict[str, str]]


def subkind_choices(kind: str | None) -> Allowed:
    """The subkinds a kind allows (techreg.labels); every subkind when the kind is not known."""
    if kind in SUBKINDS_BY_KIND:
        kind_zh, kind_en = labels.pair("kind", kind)
        return (labels.subkind_choices(kind), (f"{kind_zh}合同", f"for a {kind_en} contract"),
                labels.subkind_choices(kind, "en"))
    every: dict[str, str] = {}
    every_en: dict[str, str] = {}
    for other in SUBKINDS_BY_KIND:
        for code, zh in labels.subkind_choices(other).items():
            every[code] = f"{every[code]}/{zh}" if code in every else zh
        for code, en in labels.subkind_choices(other, "en").items():
            every_en[code] = f"{every_en[code]}/{en}" if code in every_en else en
    return every, None, every_en


# the other choices of format v1, named by the catalogue
_CHOICE_GROUPS = {"kind": ("kind", None), "domain": ("domain", None), "status": ("status", FormatStatus.__args__)}


def filing_choices(path: str, values: Mapping[str, Any]) -> Allowed | None:
    """The allowed values of a choice field with their names; a subkind's follow the kind."""
    if path == "subkind":
        return subkind_choices(values.get("kind"))
    if path in _CHOICE_GROUPS:
        group, only = _CHOICE_GROUPS[path]
        codes = only or labels.codes(group)
        return ({c: labels.label(group, c) for c in codes}, None, {c: labels.label(group, c, "en") for c in codes})
    return None


def filing_rules(v: Mapping[str, Any], today: dt.date | None = None) -> list[FieldError]:
    """Rules a type cannot express, on the fields that are good, by path. A field with an error of its own is
    absent (`v.get` is None: no required field is ever None), so a rule that needs it is not applied.
    Empty list means the filing is acceptable."""
    errors: list[FieldError] = []
    for name in TEXT_FIELDS:            # PostgreSQL text cannot hold NUL: one bad line, not a failed batch
        if isinstance(text := v.get(name), str) and "\x00" in text:
            errors.append(FieldError(name, f"{field_label(name)}不得包含空字符（NUL）", f"{field_label(name, 'en')} must not contain NUL"))
    today = today or office_today()
    earliest, latest = date_window(today)
    signed, filed = v.get("signed_on"), v.get("filed_on")
    start, end = v.get("performance_start"), v.get("performance_end")
    # what has happened: not before 1980, and not after today (a contract is not signed, nor applied for, in the
    # future; history has past dates). Only the term of performance may lie ahead.
    for name, day, ahead_zh, ahead_en in (
            ("signed_on", signed, "合同不能在将来签订", "a contract cannot be signed in the future"),
            ("filed_on", filed, "不能在将来申请登记", "a filing cannot be applied for in the future")):
        if day is not None and day > today:
            errors.append(FieldError(name, f"{field_label(name)} {day} 晚于今天（{today}）：{ahead_zh}",
                                     f"{field_label(name, 'en')} {day} is after today ({today}): {ahead_en}",
                                     day.isoformat()))
        elif day is not None and day < earliest:
            errors.append(FieldError(name, f"{field_label(name)} {day} 不在合理范围（{earliest} 至 {today}）",
                                     f"{field_label(name, 'en')} {day} is outside the plausible range {earliest} to {today}",
                                     day.isoformat()))
    # the term of performance may run for years after signing, but not for ever
    last = min(signed or latest, latest) + dt.timedelta(days=round(365.25 * PERFORMANCE_YEARS))
    for name, day in (("performance_start", start), ("performance_end", end)):
        if day is not None and not earliest <= day <= last:
            errors.append(FieldError(name, f"{field_label(name)} {day} 不在合理范围（{earliest} 至 {last}）",
                                     f"{field_label(name, 'en')} {day} is outside the plausible range {earliest} to {last}",
                                     day.isoformat()))
    seller, buyer = v.get("seller.credit_code"), v.get("buyer.credit_code")
    for name, code in (("seller.credit_code", seller), ("buyer.credit_code", buyer)):
        if code is not None and (problem := credit_code_problem(code)):
            zh, en = problem
            errors.append(FieldError(name, f"{field_label(name.split('.')[0])}{zh}", f"{field_label(name, 'en')}: {en}",
                                     safe_value(code)))
    if seller is not None and seller == buyer:
        errors.append(FieldError("buyer.credit_code", "买方与卖方不能是同一当事人",
                                 "seller and buyer must be different parties", safe_value(buyer)))
    amount = Decimal(v["amount"]) if v.get("amount") is not None else None
    if amount is not None and amount <= 0:
        errors.append(FieldError("amount", "合同成交额必须大于0", "the contract amount must be greater than 0", v["amount"]))
    if amount is not None and v.get("tech_amount") is not None and (tech := Decimal(v["tech_amount"])) > amount:
        errors.append(FieldError("tech_amount", f"技术交易额（{tech}）不得超过合同成交额（{amount}）",
                                 f"the technology amount ({tech}) must not exceed the contract amount ({amount})", v["tech_amount"]))
    approved = Decimal(v["approved_amount"]) if v.get("approved_amount") is not None else None
    if approved is not None and v.get("status") not in (None, *HISTORY_APPROVED):
        errors.append(FieldError("approved_amount", "核定技术交易额只适用于已登记、已撤销或已注销的历史合同",
                                 "an approved technology amount is only allowed for registered, revoked or cancelled history",
                                 v["approved_amount"]))
    elif approved is not None and v.get("tech_amount") is not None and approved > (tech := Decimal(v["tech_amount"])):
        errors.append(FieldError("approved_amount", f"核定技术交易额（{approved}）不得超过申报的技术交易额（{tech}）",
                                 f"the approved technology amount ({approved}) must not exceed the declared technology amount ({tech})",
                                 v["approved_amount"]))
    if start is not None and end is not None and end < start:
        errors.append(FieldError("performance_end", "履行期限止不得早于履行期限起",
                                 "the performance end must not be before the performance start", end.isoformat()))
    if signed is not None and filed is not None and filed < signed:
        errors.append(FieldError("filed_on", "申请登记日期不得早于签订日期", "the application date must not be before the signing date",
                                 filed.isoformat()))
    kind, subkind = v.get("kind"), v.get("subkind")
    if kind is not None and subkind is not None and subkind not in SUBKINDS_BY_KIND[kind]:
        allowed, within, allowed_en = subkind_choices(kind)
        errors.append(choice_error("subkind", subkind, allowed, within=within, allowed_en=allowed_en))
    if v.get("reg_no") is not None and v.get("status") == "submitted":
        errors.append(FieldError("reg_no", "只有已登记、已撤销或已注销的历史合同才能带登记号",
                                 "a registration no. is only allowed for registered, revoked or cancelled history"))
    return errors


def rule_errors(f: FilingV1, today: dt.date | None = None) -> list[FieldError]:
    """The rules on a decoded filing, at most one error per field."""
    return one_per_field(filing_rules(flatten(f), today))


def decode_filing(raw: bytes | str) -> FilingV1:
    """Decode and check one filing; raises FilingRejected naming every bad field at once."""
    return decode_checked(raw, FilingV1, rules=filing_rules, choices=filing_choices)


def decode_correction(raw: bytes | str) -> FilingCorrection:
    """Decode a correction (补正), naming every bad field; the rules run on the corrected filing (service)."""
    return decode_checked(raw, FilingCorrection, choices=filing_choices)
