"""How a bad field is told to a person: its Chinese name, the reason in Chinese then English, the value.

msgspec's own messages (`Expected `str` of length <= 64 - at `$.title``) are translated here, so the API,
the importer and the form all say the same thing about the same mistake.
"""

import re
import types
import typing
from typing import Any

import msgspec

from ..labels import is_known, label
from .schema import AMOUNT_PATTERN, FieldError

_AMOUNT_HINT = ("须为金额（元），最多两位小数，如 {example}", "must be an amount in yuan with at most 2 decimals, e.g. {example}")
_PATTERN_HINTS = {
    "ref": ("只能由字母、数字和 . _ : - 组成，以字母或数字开头，不含空格、斜杠、换行或“..”",
            "may hold only letters, digits and . _ : - (starting with a letter or digit; no spaces, slashes, "
            "line breaks or \"..\")"),
    **{name: tuple(h.format(example=example) for h in _AMOUNT_HINT)
       for name, example in (("amount", "1250000.00"), ("tech_amount", "1250000.00"),
                             ("approved_amount", "1000000.00"), ("received_amount", "950000.00"))},
    "region": ("须为6位行政区划代码（GB/T 2260）", "must be a 6-digit GB/T 2260 division code"),
}
# what a value must be, in plain words with an example (never msgspec's type names: 字符串, `float`)
_KIND_OF_VALUE = {
    "int": ("整数，如 30", "a whole number, e.g. 30"), "float": ("数字，如 0.5", "a number, e.g. 0.5"),
    "decimal": ("数字，如 0.5", "a number, e.g. 0.5"), "str": ("文字", "text"), "bool": ("“是”或“否”（JSON 中写不带引号的 true 或 false）",
                                                                                 "true or false (JSON, without quotes)"),
    "date": ("日期，如 2026-03-01", "a date, e.g. 2026-03-01"), "array": ("一组值（列表）", "a list of values"),
    "object": ("一组字段", "a set of fields"), "null": ("空", "empty"),
}
_AMOUNT_FIELDS = ("amount", "tech_amount", "approved_amount", "received_amount", "counted_amount")

_AMOUNT_FIELDS = ("amount", "tech_amount", "approved_amount", "received_amount")


def _thousands_separator_error(field: str, value: str, shown: Any) -> FieldError:
    """"1,000,000" in an amount: format v1 writes amounts without thousands separators (docs/filing-format.md)."""
    plain = value.replace(",", "").replace("，", "").strip()
    zh = f"{field_label(field)}不可使用千位分隔符（逗号）"
    en = f"{field_label(field, 'en')} must not contain thousands separators (commas)"
    if re.fullmatch(AMOUNT_PATTERN, plain):
        return FieldError(field, f"{zh}，请写作 {plain}", f"{en}: write {plain}", shown)
    return FieldError(field, f"{zh}，应写作如 1250000.00", f"{en}: write it as, e.g., 1250000.00", shown)


_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)

SAFE_VALUE_CHARS = 200      # a refused value is echoed back only when it is this short and plain


def field_label(field: str, language: str = "zh") -> str:
    """The name of a field path (techreg.labels: "field", then a campaign's "campaign_param"):
    `seller.credit_code` -> 卖方统一社会信用代码 / seller credit code."""
    field = re.sub(r"\[\d+\]", "", field)            # deductions[2].amount -> deductions.amount
    last = field.rsplit(".", 1)[-1]
    for name in (field, last):
        for group in ("field", "campaign_param"):
            if is_known(group, name):
                return label(group, name, language)
    return last


def _kind_of_value(name: str, language: str) -> str:
    zh, en = _KIND_OF_VALUE.get(name.strip(), (label("value_type", name.strip()), label("value_type", name.strip(), "en")))
    return en if language == "en" else zh


def unknown_field(path: str, name: str, fields: list[str] | None, value: Any = msgspec.UNSET) -> FieldError:
    """A field the body's place does not have, with the fields it does have (when known)."""
    if not fields:
        return FieldError(path, f"未知字段 `{name}`（此处没有这个字段）", f"unknown field `{name}` (no such field here)",
                          value)
    return FieldError(path, f"未知字段 `{name}`（此处的字段：{'、'.join(fields)}）",
                      f"unknown field `{name}` (the fields here: {', '.join(fields)})", value)


def without_name(message: str, name: str) -> str:
    """A message as it follows a name that already says it: 样本量不得小于 1 after 样本量 -> 不得小于 1,
    "seller credit code: must be …" after "seller credit code" -> "must be …" (kept whole when it is only the name)."""
    if name and len(message) > len(name) and message[:len(name)].lower() == name.lower():
        return message[len(name):].lstrip(" ：:，,") or message
    return message


def safe_value(value: Any) -> Any:
    """The refused value as the client sent it, when echoing it is harmless: a number, a boolean, null or a
    short line of text without control characters (never a long text, an object or a list)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str) and len(value) <= SAFE_VALUE_CHARS and value.isprintable():
        return value
    return msgspec.UNSET


def choices_text(allowed: dict[str, str], allowed_en: dict[str, str] | None = None) -> tuple[str, str]:
    """`commissioned（委托开发）、cooperative（合作开发）` and its English form, for a message."""
    allowed_en = allowed_en or {}
    return ("、".join(f"{code}（{zh}）" if zh else code for code, zh in allowed.items()),
            ", ".join(f"{code} ({allowed_en.get(code) or zh})" if (allowed_en.get(code) or zh) else code
                      for code, zh in allowed.items()))


def choice_error(field: str, value: Any, allowed: dict[str, str], *, within: tuple[str, str] | None = None,
                 allowed_en: dict[str, str] | None = None) -> FieldError:
    """A value that is not one of a choice's codes: the error names every allowed code with its name
    (`allowed`: Chinese, `allowed_en`: English). `within` narrows the sentence to a context (the kind a subkind
    belongs to)."""
    name, name_en = field_label(field), field_label(field, "en")
    shown = safe_value(value)
    quoted = isinstance(shown, str)                                   # long or odd text is not repeated
    quoted_zh = f"“{shown}”" if quoted else "取值"
    quoted_en = f" '{shown}'" if quoted else " value"
    where_zh, where_en = within or ("", "")
    if not allowed:
        return FieldError(field, f"{where_zh}没有{name}，请留空",
                          f"{name_en} is not used{' ' + where_en if where_en else ''}; leave it out", shown, {})
    zh, en = choices_text(allowed, allowed_en)
    return FieldError(field, f"{name}{quoted_zh}无效；{where_zh}可选：{zh}",
                      f"{name_en}{quoted_en} is not allowed; {where_en + ' ' if where_en else ''}use one of: {en}",
                      shown, dict(allowed))


# the catalogue groups a choice's code is looked up in (techreg.labels), first match
CODE_GROUPS = ("kind", "domain", "status", "outcome", "item_status", "campaign_status", "reason", "flag", "job",
               "run_status", "trigger", "scan_mode", "role", "deadline_state", "deduction",
               # after the others: a code they share ("open") keeps their word
               "review_kind", "review_status", "order_kind", "order_status", "credit_record_type", "revocation_ground")


def code_label(code: str, language: str = "zh") -> str:
    """A choice's code in words where the catalogue names it (kinds, fields, statuses …), else the code."""
    for group in CODE_GROUPS:
        if is_known(group, code):
            return label(group, code, language)
    return code


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


def translate_msgspec_error(message: str, base: str = "", value: Any = msgspec.UNSET,
                            allowed: tuple[str, ...] | None = None, root=None) -> FieldError:
    """Turn a msgspec validation message into a field-named, bilingual error. An enum error lists the allowed
    values: `allowed` as given, or looked up at the error's path in the msgspec type `root`."""
    m = _AT.match(message.strip())
    msg = m.group("msg") if m else message
    field = (m.group("path") or "").lstrip(".") if m else ""       # `$.seller.name` -> seller.name
    if allowed is None and root is not None and field:
        allowed = allowed_values(root, field)
    if base:              # deductions + [0].amount -> deductions[0].amount
        field = (f"{base}{field}" if field.startswith("[") else f"{base}.{field}") if field else base
    shown = safe_value(value) if value is not msgspec.UNSET else msgspec.UNSET

    def join(*parts: str) -> str:
        return ".".join(p for p in parts if p)

    en = field_label(field, "en") if field else "the body"
    if mm := re.match(r"Object missing required field `(\w+)`", msg):
        f = join(field, mm.group(1))
        return FieldError(f, f"缺少必填字段（{field_label(f)}）", f"the required field {field_label(f, 'en')} is missing")
    if mm := re.match(r"Object contains unknown field `([^`]*)`", msg):
        f = join(field, mm.group(1))
        return unknown_field(f, mm.group(1), None, shown)
    if re.match(r"Expected `str` matching regex", msg):
        last = field.rsplit(".", 1)[-1]
        if last in _AMOUNT_FIELDS and isinstance(value, str) and ("," in value or "，" in value):
            return _thousands_separator_error(field, value, shown)
        if last in _AMOUNT_FIELDS and isinstance(value, str) and re.fullmatch(r"-\d+(\.\d+)?", value.strip()):
            return FieldError(field, f"{field_label(field)}不能为负数", f"{en} must not be negative", shown)
        hint_zh, hint_en = _PATTERN_HINTS.get(last, ("格式不正确", "has the wrong format"))
        return FieldError(field, f"{field_label(field)}{hint_zh}", f"{en} {hint_en}", shown)
    if mm := re.match(r"Expected `(\w+)` of length <= (\d+)", msg):
        return FieldError(field, f"{field_label(field)}长度不得超过{mm.group(2)}个字符",
                          f"{en} must be at most {mm.group(2)} characters", shown)
    if mm := re.match(r"Expected `(\w+)` of length >= (\d+)", msg):
        if mm.group(2) == "1":
            return FieldError(field, f"{field_label(field)}不能为空", f"{en} must not be empty", shown)
        return FieldError(field, f"{field_label(field)}长度至少为{mm.group(2)}个字符",
                          f"{en} must be at least {mm.group(2)} characters", shown)
    if mm := re.match(r"Expected `(int|float|decimal)` (>=|<=|>|<) (\S+)$", msg):
        zh = {">=": "不得小于", "<=": "不得大于", ">": "须大于", "<": "须小于"}[mm.group(2)]
        return FieldError(field or "$", f"{field_label(field) if field else '数值'}{zh} {mm.group(3)}",
                          f"{en} must be {mm.group(2)} {mm.group(3)}", shown)
    if mm := re.match(r"Expected `([\w |]+)`, got `(\w+)`", msg):
        last = field.rsplit(".", 1)[-1]
        if last in _AMOUNT_FIELDS:                     # an amount sent as a number or left null
            hint_zh, hint_en = _PATTERN_HINTS.get(last, _PATTERN_HINTS["amount"])
            return FieldError(field, f"{field_label(field)}{hint_zh}", f"{en} {hint_en}", shown)
        wanted = [t for t in mm.group(1).split("|") if t.strip() != "null"] or ["null"]
        return FieldError(field or "$", f"{field_label(field) if field else '内容'}须为"
                                        f"{' 或 '.join(_kind_of_value(t, 'zh') for t in wanted)}",
                          f"{en} must be {' or '.join(_kind_of_value(t, 'en') for t in wanted)}", shown)
    if mm := re.match(r"Invalid enum value (.*)", msg):
        if allowed:
            return choice_error(field, value if value is not msgspec.UNSET else mm.group(1).strip("'\""),
                                {code: code_label(code) for code in allowed},
                                allowed_en={code: code_label(code, "en") for code in allowed})
        return FieldError(field, f"{field_label(field)}取值无效：{mm.group(1)}", f"{en}: invalid value {mm.group(1)}",
                          shown)
    if "RFC3339" in msg or "date" in msg.lower():
        return FieldError(field, f"{field_label(field)}须为有效日期 YYYY-MM-DD",
                          f"{en} must be a valid date YYYY-MM-DD", shown)
    if msg.startswith("JSON is malformed") or msg.startswith("Input data was truncated"):
        return json_syntax_error(msg)
    return FieldError(field or "$", f"{field_label(field) if field else '内容'}无效：{msg}", f"{en}: {msg}", shown)


# What msgspec's JSON syntax errors mean, in words (its message, up to " (byte N)": Chinese, English).
_JSON_SYNTAX = {
    "invalid character": ("此处有不应出现的字符（如未加引号的文字、中文标点或换行）",
                          "a character that cannot stand here (text without quotes, Chinese punctuation, a line break)"),
    "expected ':'": ("字段名后缺少冒号 :", "a colon : is missing after the field name"),
    "expected ',' or '}'": ("缺少逗号 , 或右花括号 }", "a comma , or closing brace } is missing"),
    "expected ',' or ']'": ("缺少逗号 , 或右方括号 ]", "a comma , or closing bracket ] is missing"),
    "object keys must be strings": ("字段名须用英文双引号括起", "a field name must be in double quotes"),
    "trailing comma in object": ("最后一个字段后多了逗号", "a comma after the last field"),
    "trailing comma in array": ("最后一项后多了逗号", "a comma after the last item"),
    "trailing characters": ("对象结束后还有多余内容（一行只能有一条申请）",
                            "more after the object ends (one filing a line)"),
    "invalid escape character in string": ("字符串中的反斜杠 \\ 用法不正确", "a backslash \\ in a string is misused"),
    "invalid number": ("数字写法不正确", "a number is written wrongly"),
}


_UNCLOSED_STRING = ("字符串未闭合：缺少右引号 \"（字符串内不能直接换行）",
                    "a string is not closed: its closing quote \" is missing (a string cannot hold a line break)")


def json_syntax_error(message: str, raw: bytes | str | None = None) -> FieldError:
    """msgspec's "JSON is malformed: invalid character (byte 31)" as a person reads it: what is wrong, and where
    (line and column of the body, counted in characters; a JSON Lines file gives the line itself)."""
    m = re.match(r"JSON is malformed: (?P<what>.*?)(?: \(byte (?P<byte>\d+)\))?$", message)
    if not m:                                           # "Input data was truncated"
        return FieldError("$", "不是合法的 JSON：内容不完整（缺少结尾的 }、] 或引号）",
                          "not valid JSON: it ends too early (a closing }, ] or quote is missing)")
    zh, en = _JSON_SYNTAX.get(m.group("what"), ("语法错误", m.group("what")))
    where_zh = where_en = ""
    if m.group("byte") is not None and raw is not None:
        data = raw.encode() if isinstance(raw, str) else raw
        at = int(m.group("byte"))
        before = data[:at].decode("utf-8", errors="replace")
        line, column = before.count("\n") + 1, len(before) - before.rfind("\n")
        if b"\n" in data.rstrip(b"\r\n"):                 # a body of several lines
            where_zh, where_en = f"第 {line} 行第 {column} 列", f"at line {line}, column {column}"
        else:
            where_zh, where_en = f"第 {column} 列", f"at column {column}"
        found = data[at:at + 4].decode("utf-8", errors="ignore")[:1]
        if m.group("what") == "invalid character" and found in ("\n", "\r"):
            zh, en = _UNCLOSED_STRING
        if found.isprintable() and not found.isspace() and found:
            where_zh, where_en = f"{where_zh}（“{found}”）", f"{where_en} (`{found}`)"
        where_zh, where_en = f"{where_zh}：", f"{where_en}: "
    return FieldError("$", f"不是合法的 JSON：{where_zh}{zh}", f"not valid JSON: {where_en}{en}")


class FilingRejected(Exception):
    """A filing (or a correction) with bad fields: every one of them, each named."""

    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(f"{e.field}: {e.message_en}" for e in errors))
        self.errors = errors
