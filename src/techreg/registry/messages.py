"""How a bad field is told to a person: its Chinese name, the reason in Chinese then English, the value.

msgspec's own messages (`Expected `str` of length <= 64 - at `$.title``) are translated here, so the API,
the importer and the form all say the same thing about the same mistake.
"""

import re
from typing import Any

import msgspec

from .schema import FieldError

# a field's Chinese name by its path; a party's fields by their own name when the side does not matter
FIELD_LABELS = {
    "ref": "申请编号", "contract_no": "合同编号", "title": "合同名称", "kind": "合同类别",
    "subkind": "细分类别", "software": "软件类", "domain": "技术领域", "seller": "卖方", "buyer": "买方",
    "amount": "合同成交额", "tech_amount": "技术交易额", "signed_on": "签订日期",
    "performance_start": "履行期限起", "performance_end": "履行期限止", "filed_on": "申请登记日期",
    "point": "登记点", "registrar": "登记员", "description": "主要技术内容", "status": "状态",
    "reg_no": "登记号", "name": "名称", "credit_code": "统一社会信用代码", "region": "行政区划代码",
    "seller.name": "卖方名称", "seller.credit_code": "卖方统一社会信用代码", "seller.region": "卖方行政区划代码",
    "buyer.name": "买方名称", "buyer.credit_code": "买方统一社会信用代码", "buyer.region": "买方行政区划代码",
    "$": "申请内容",
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

SAFE_VALUE_CHARS = 200      # a refused value is echoed back only when it is this short and plain


def field_label(field: str) -> str:
    """The Chinese name of a field path: `seller.credit_code` -> 卖方统一社会信用代码."""
    if field in FIELD_LABELS:
        return FIELD_LABELS[field]
    last = field.rsplit(".", 1)[-1]
    return FIELD_LABELS.get(last, last)


def safe_value(value: Any) -> Any:
    """The refused value as the client sent it, when echoing it is harmless: a number, a boolean, null or a
    short line of text without control characters (never a long text, an object or a list)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str) and len(value) <= SAFE_VALUE_CHARS and value.isprintable():
        return value
    return msgspec.UNSET


def choices_text(allowed: dict[str, str]) -> tuple[str, str]:
    """`commissioned 委托开发、cooperative 合作开发` and its English form, for a message."""
    return ("、".join(f"{code}（{zh}）" if zh else code for code, zh in allowed.items()),
            ", ".join(f"{code} ({zh})" if zh else code for code, zh in allowed.items()))


def choice_error(field: str, value: Any, allowed: dict[str, str], *, within: tuple[str, str] | None = None
                 ) -> FieldError:
    """A value that is not one of a choice's codes: the error names every allowed code with its Chinese name.
    `within` narrows the sentence to a context (the kind a subkind belongs to)."""
    label = field_label(field)
    shown = safe_value(value)
    quoted = isinstance(shown, str)                                   # long or odd text is not repeated
    quoted_zh = f"“{shown}”" if quoted else "取值"
    quoted_en = f" '{shown}'" if quoted else " value"
    where_zh, where_en = within or ("", "")
    if not allowed:
        return FieldError(field, f"{where_zh}没有{label}，请留空",
                          f"{field} is not used{' ' + where_en if where_en else ''}; leave it out", shown, {})
    zh, en = choices_text(allowed)
    return FieldError(field, f"{label}{quoted_zh}无效；{where_zh}可选：{zh}",
                      f"{field}{quoted_en} is not allowed; {where_en + ' ' if where_en else ''}use one of: {en}",
                      shown, dict(allowed))


def translate_msgspec_error(message: str, base: str = "", value: Any = msgspec.UNSET) -> FieldError:
    """Turn a msgspec validation message into a field-named, bilingual error."""
    m = _AT.match(message.strip())
    msg = m.group("msg") if m else message
    field = (m.group("path") or "").lstrip(".") if m else ""       # `$.seller.name` -> seller.name
    if base:
        field = f"{base}.{field}" if field else base
    shown = safe_value(value) if value is not msgspec.UNSET else msgspec.UNSET

    def join(*parts: str) -> str:
        return ".".join(p for p in parts if p)

    if mm := re.match(r"Object missing required field `(\w+)`", msg):
        f = join(field, mm.group(1))
        return FieldError(f, f"缺少必填字段（{field_label(f)}）", f"required field `{f}` is missing")
    if mm := re.match(r"Object contains unknown field `([^`]*)`", msg):
        f = join(field, mm.group(1))
        return FieldError(f, f"未知字段 `{mm.group(1)}`（格式第1版未定义）",
                          f"unknown field `{mm.group(1)}` (not in filing format v1)", shown)
    if re.match(r"Expected `str` matching regex", msg):
        last = field.rsplit(".", 1)[-1]
        zh, en = _PATTERN_HINTS.get(last, ("格式不正确", "has the wrong format"))
        return FieldError(field, f"{field_label(field)}{zh}", f"{field} {en}", shown)
    if mm := re.match(r"Expected `(\w+)` of length <= (\d+)", msg):
        return FieldError(field, f"{field_label(field)}长度不得超过{mm.group(2)}个字符",
                          f"{field} must be at most {mm.group(2)} characters", shown)
    if mm := re.match(r"Expected `(\w+)` of length >= (\d+)", msg):
        if mm.group(2) == "1":
            return FieldError(field, f"{field_label(field)}不能为空", f"{field} must not be empty", shown)
        return FieldError(field, f"{field_label(field)}长度至少为{mm.group(2)}个字符",
                          f"{field} must be at least {mm.group(2)} characters", shown)
    if mm := re.match(r"Expected `([\w |]+)`, got `(\w+)`", msg):
        want = " | ".join(_TYPE_ZH.get(t.strip(), t.strip()) for t in mm.group(1).split("|"))
        return FieldError(field or "$", f"{field_label(field) if field else '内容'}类型错误：应为{want}，"
                                        f"实际为{_TYPE_ZH.get(mm.group(2), mm.group(2))}",
                          f"{field or 'body'}: expected {mm.group(1)}, got {mm.group(2)}", shown)
    if mm := re.match(r"Invalid enum value (.*)", msg):
        return FieldError(field, f"{field_label(field)}取值无效：{mm.group(1)}", f"{field}: invalid value {mm.group(1)}",
                          shown)
    if "RFC3339" in msg or "date" in msg.lower():
        return FieldError(field, f"{field_label(field)}须为有效日期 YYYY-MM-DD",
                          f"{field} must be a valid date YYYY-MM-DD", shown)
    if msg.startswith("JSON is malformed") or msg.startswith("Input data was truncated"):
        return FieldError("$", f"不是合法的 JSON：{msg}", f"not valid JSON: {msg}")
    return FieldError(field or "$", f"{field_label(field) if field else '内容'}无效：{msg}", msg, shown)


class FilingRejected(Exception):
    """A filing (or a correction) with bad fields: every one of them, each named."""

    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(f"{e.field}: {e.message_en}" for e in errors))
        self.errors = errors
