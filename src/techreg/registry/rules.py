"""The one place filing format v1 is enforced, for the API and the importer alike.

msgspec checks types, lengths, enums and unknown fields; `rule_errors` checks
what a type cannot say (check characters, amounts, date order, parties).
Messages name the field and the reason, in Chinese then English.
"""

import datetime as dt
import functools
import re
import types
import typing
from decimal import Decimal
from zoneinfo import ZoneInfo

import msgspec

from .creditcode import credit_code_problem
from .schema import SUBKINDS_BY_KIND, FieldError, FilingV1

_decoder = msgspec.json.Decoder(FilingV1)

FIELD_LABELS = {
    "ref": "申请编号", "contract_no": "合同编号", "title": "合同名称", "kind": "合同类别",
    "subkind": "合同子类", "software": "软件类", "domain": "技术领域", "seller": "卖方", "buyer": "买方",
    "amount": "合同成交额", "tech_amount": "技术交易额", "signed_on": "签订日期",
    "performance_start": "履行期限起", "performance_end": "履行期限止", "filed_on": "申请登记日期",
    "point": "登记点", "registrar": "登记员", "description": "主要技术内容", "status": "状态",
    "reg_no": "登记号", "name": "名称", "credit_code": "统一社会信用代码", "region": "行政区划代码",
}

_PATTERN_HINTS = {
    "ref": ("只能由字母、数字和 . _ : - 组成，以字母或数字开头，不含空格、斜杠、换行或“..”",
            "may hold only letters, digits and . _ : - (starting with a letter or digit; no spaces, slashes, "
            "line breaks or \"..\")"),
    "amount": ("须为金额字符串，最多两位小数，如 \"1250000.00\"",
               "must be a decimal string with at most 2 decimals, e.g. \"1250000.00\""),
    "tech_amount": ("须为金额字符串，最多两位小数，如 \"1250000.00\"",
                    "must be a decimal string with at most 2 decimals, e.g. \"1250000.00\""),
    "region": ("须为6位行政区划代码（GB/T 2260）", "must be a 6-digit GB/T 2260 division code"),
}

_TYPE_ZH = {"str": "字符串", "int": "整数", "bool": "布尔值", "object": "对象", "array": "数组",
            "null": "空值", "float": "数字", "date": "日期"}

_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)


def _label(field: str) -> str:
    last = field.rsplit(".", 1)[-1]
    return FIELD_LABELS.get(last, last)


def _path(raw: str | None) -> str:
    if not raw:
        return ""
    # `$.seller.name` -> seller.name ; `$[3]` -> [3]
    return raw.lstrip(".")


def literal_values(annotation) -> tuple[str, ...] | None:
    """The values a `Literal[...]` annotation allows (through Annotated and `| None`), or None if it is no enum."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return literal_values(typing.get_args(annotation)[0])
    if origin is typing.Literal:
        return tuple(str(v) for v in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        for member in typing.get_args(annotation):
            if (values := literal_values(member)) is not None:
                return values
    return None


def allowed_values(root, path: str) -> tuple[str, ...] | None:
    """The enum values allowed at `path` (`seller.region`, `reasons[0]`) of the msgspec type `root`."""
    annotation = root
    for step in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        annotation = _member(annotation, step)
        if annotation is None:
            return None
    return literal_values(annotation)


def _member(annotation, step: str):
    """The annotation of one field (or list element) inside `annotation`, through Annotated and `| None`."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _member(typing.get_args(annotation)[0], step)
    if origin in (typing.Union, types.UnionType):
        found = [m for m in (_member(a, step) for a in typing.get_args(annotation)) if m is not None]
        return found[0] if found else None
    if step.startswith("["):
        return typing.get_args(annotation)[0] if origin in (list, tuple, set, frozenset) else None
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        hints = typing.get_type_hints(annotation, include_extras=True)
        return next((hints[f.name] for f in msgspec.structs.fields(annotation) if step in (f.name, f.encode_name)),
                    None)
    return None


def translate_msgspec_error(message: str, base: str = "", allowed: tuple[str, ...] | None = None,
                            root=None) -> FieldError:
    """Turn a msgspec validation message into a field-named, bilingual error. An enum error lists the allowed
    values: `allowed` as given, or looked up at the error's path in the msgspec type `root`."""
    m = _AT.match(message.strip())
    msg = m.group("msg") if m else message
    field = _path(m.group("path") if m else None)
    if allowed is None and root is not None and field:
        allowed = allowed_values(root, field)
    if base:
        field = f"{base}.{field}" if field else base

    def join(*parts: str) -> str:
        return ".".join(p for p in parts if p)

    if mm := re.match(r"Object missing required field `(\w+)`", msg):
        f = join(field, mm.group(1))
        return FieldError(f, f"缺少必填字段（{_label(f)}）", f"required field `{mm.group(1)}` is missing")
    if mm := re.match(r"Object contains unknown field `([^`]*)`", msg):
        f = join(field, mm.group(1))
        return FieldError(f, f"未知字段 `{mm.group(1)}`（格式第1版未定义）",
                          f"unknown field `{mm.group(1)}` (not in filing format v1)")
    if mm := re.match(r"Expected `str` matching regex", msg):
        last = field.rsplit(".", 1)[-1]
        zh, en = _PATTERN_HINTS.get(last, ("格式不正确", "has the wrong format"))
        return FieldError(field, f"{_label(field)}{zh}", f"{field} {en}")
    if mm := re.match(r"Expected `(\w+)` of length <= (\d+)", msg):
        return FieldError(field, f"{_label(field)}长度不得超过{mm.group(2)}个字符",
                          f"{field} must be at most {mm.group(2)} characters")
    if mm := re.match(r"Expected `(\w+)` of length >= (\d+)", msg):
        if mm.group(2) == "1":
            return FieldError(field, f"{_label(field)}不能为空", f"{field} must not be empty")
        return FieldError(field, f"{_label(field)}长度至少为{mm.group(2)}个字符",
                          f"{field} must be at least {mm.group(2)} characters")
    if mm := re.match(r"Expected `(int|float|decimal)` (>=|<=|>|<) (\S+)$", msg):
        zh = {">=": "不得小于", "<=": "不得大于", ">": "须大于", "<": "须小于"}[mm.group(2)]
        return FieldError(field or "$", f"{_label(field) if field else '数值'}{zh} {mm.group(3)}",
                          f"{field or 'value'} must be {mm.group(2)} {mm.group(3)}")
    if mm := re.match(r"Expected `([\w |]+)`, got `(\w+)`", msg):
        want = " | ".join(_TYPE_ZH.get(t.strip(), t.strip()) for t in mm.group(1).split("|"))
        return FieldError(field or "$", f"{_label(field) if field else '内容'}类型错误：应为{want}，实际为{_TYPE_ZH.get(mm.group(2), mm.group(2))}",
                          f"{field or 'body'}: expected {mm.group(1)}, got {mm.group(2)}")
    if mm := re.match(r"Invalid enum value (.*)", msg):
        if allowed:
            return FieldError(field, f"{_label(field)}取值无效：{mm.group(1)}，可选值：{'、'.join(allowed)}",
                              f"{field}: invalid value {mm.group(1)}; allowed: {', '.join(allowed)}")
        return FieldError(field, f"{_label(field)}取值无效：{mm.group(1)}", f"{field}: invalid value {mm.group(1)}")
    if "RFC3339" in msg or "date" in msg.lower():
        return FieldError(field, f"{_label(field)}须为有效日期 YYYY-MM-DD",
                          f"{field} must be a valid date YYYY-MM-DD")
    if msg.startswith("JSON is malformed") or msg.startswith("Input data was truncated"):
        return FieldError("$", f"不是合法的 JSON：{msg}", f"not valid JSON: {msg}")
    return FieldError(field or "$", f"{_label(field) if field else '内容'}无效：{msg}", msg)


PERFORMANCE_YEARS = 30     # the longest term of performance taken as plausible, counted from signing


@functools.lru_cache(maxsize=4)
def _window(today: dt.date) -> tuple[dt.date, dt.date]:
    from ..config import load_settings
    settings = load_settings()
    return settings.earliest_date, today + dt.timedelta(days=settings.latest_days_ahead)


def date_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The plausible dates (TECHREG_EARLIEST_DATE, today + TECHREG_LATEST_DAYS_AHEAD), today in TECHREG_TIMEZONE."""
    if today is None:
        today = dt.datetime.now(_zone()).date()
    return _window(today)


@functools.lru_cache(maxsize=1)
def _zone() -> ZoneInfo:
    from ..config import load_settings
    return ZoneInfo(load_settings().timezone)


def _texts(f: FilingV1):
    for name in ("ref", "contract_no", "title", "point", "registrar", "description", "reg_no"):
        if isinstance(getattr(f, name, None), str):
            yield name, getattr(f, name)
    for side in ("seller", "buyer"):
        party = getattr(f, side)
        for name in ("name", "credit_code", "region"):
            if isinstance(getattr(party, name, None), str):
                yield f"{side}.{name}", getattr(party, name)


def rule_errors(f: FilingV1, today: dt.date | None = None) -> list[FieldError]:
    """Rules a type cannot express. Empty list means the filing is acceptable."""
    errors: list[FieldError] = []
    for name, value in _texts(f):           # PostgreSQL text cannot hold NUL: one bad line, not a failed batch
        if "\x00" in value:
            errors.append(FieldError(name, f"{_label(name)}不得包含空字符（NUL）", f"{name} must not contain NUL"))
    earliest, latest = date_window(today)
    for name in ("signed_on", "filed_on"):         # things that have happened: not before 1980, not far ahead
        value = getattr(f, name)
        if not earliest <= value <= latest:
            errors.append(FieldError(name, f"{_label(name)} {value} 不在合理范围（{earliest} 至 {latest}）",
                                     f"{name} {value} is outside the plausible range {earliest} to {latest}"))
    # the term of performance may run for years after signing, but not for ever
    last = min(f.signed_on, latest) + dt.timedelta(days=round(365.25 * PERFORMANCE_YEARS))
    for name in ("performance_start", "performance_end"):
        value = getattr(f, name)
        if not earliest <= value <= last:
            errors.append(FieldError(name, f"{_label(name)} {value} 不在合理范围（{earliest} 至 {last}）",
                                     f"{name} {value} is outside the plausible range {earliest} to {last}"))
    for side in ("seller", "buyer"):
        party = getattr(f, side)
        if problem := credit_code_problem(party.credit_code):
            zh, _, en = problem.partition(" / ")
            errors.append(FieldError(f"{side}.credit_code", zh, en))
    if f.seller.credit_code == f.buyer.credit_code:
        errors.append(FieldError("buyer.credit_code", "买方与卖方不能是同一当事人",
                                 "seller and buyer must be different parties"))
    amount, tech = Decimal(f.amount), Decimal(f.tech_amount)
    if amount <= 0:
        errors.append(FieldError("amount", "合同成交额必须大于0", "amount must be greater than 0"))
    if tech > amount:
        errors.append(FieldError("tech_amount", f"技术交易额（{tech}）不得超过合同成交额（{amount}）",
                                 f"tech_amount ({tech}) must not exceed amount ({amount})"))
    if f.performance_end < f.performance_start:
        errors.append(FieldError("performance_end", "履行期限止不得早于履行期限起",
                                 "performance_end must not be before performance_start"))
    if f.filed_on < f.signed_on:
        errors.append(FieldError("filed_on", "申请登记日期不得早于签订日期", "filed_on must not be before signed_on"))
    if f.subkind is not None and f.subkind not in SUBKINDS_BY_KIND[f.kind]:
        allowed = ", ".join(sorted(SUBKINDS_BY_KIND[f.kind])) or "无 / none"
        errors.append(FieldError("subkind", f"合同子类 {f.subkind} 不属于类别 {f.kind}（可选：{allowed}）",
                                 f"subkind {f.subkind} does not belong to kind {f.kind} (allowed: {allowed})"))
    if f.reg_no is not None and f.status == "submitted":
        errors.append(FieldError("reg_no", "只有已登记、已撤销或已注销的历史合同才能带登记号",
                                 "reg_no is only allowed for registered, revoked or cancelled history"))
    return errors


class FilingRejected(Exception):
    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(f"{e.field}: {e.message_en}" for e in errors))
        self.errors = errors


def decode_filing(raw: bytes | str) -> FilingV1:
    """Decode and check one filing; raises FilingRejected naming each bad field."""
    try:
        filing = _decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise FilingRejected([translate_msgspec_error(str(exc), root=FilingV1)]) from None
    except msgspec.DecodeError as exc:
        raise FilingRejected([FieldError("$", f"不是合法的 JSON：{exc}", f"not valid JSON: {exc}")]) from None
    errors = rule_errors(filing)
    if errors:
        raise FilingRejected(errors)
    return filing
