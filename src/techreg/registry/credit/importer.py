"""Import red-line records of credit format v1 (docs/credit-format.md) from JSON Lines or CSV.

Every line is decoded and checked on its own, every bad field named with its line; the good lines are
stored in the caller's transaction (records.store), the bad ones leave nothing behind. Importing the same
file again changes nothing; a file that says something new about a known record adds its next version.
"""

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

import asyncpg
import msgspec

from ... import labels
from ..creditcode import credit_code_problem
from ..fieldcheck import decode_checked
from ..messages import FilingRejected, field_label, safe_value
from ..schema import FieldError
from . import records
from .schema import CreditRecordV1, ImportReport, LineError

COLUMNS = tuple(f.encode_name for f in msgspec.structs.fields(CreditRecordV1))
REQUIRED = tuple(f.encode_name for f in msgspec.structs.fields(CreditRecordV1) if f.required)
FORMATS = ("jsonl", "csv")


def record_rules(v: Mapping[str, Any]) -> list[FieldError]:
    """Between fields: a verified credit code, an end not before the beginning."""
    errors = []
    code = v.get("credit_code")
    if code is not None and (problem := credit_code_problem(code)):
        errors.append(FieldError("credit_code", problem[0], problem[1], safe_value(code)))
    start, end = v.get("valid_from"), v.get("valid_to")
    if start is not None and end is not None and end < start:
        errors.append(FieldError("valid_to", f"有效期止（{end}）早于有效期起（{start}）",
                                 f"valid_to ({end}) is before valid_from ({start})", end.isoformat()))
    return errors


def record_type_choices(path: str, values: Mapping[str, Any]):
    if path != "record_type":
        return None
    return labels.choices("credit_record_type"), None, labels.choices("credit_record_type", "en")


def decode_record(raw: bytes | str) -> CreditRecordV1:
    """One record, every bad field named (FilingRejected)."""
    return decode_checked(raw, CreditRecordV1, rules=record_rules, choices=record_type_choices)


def _line_errors(line: int, errors: list[FieldError]) -> list[LineError]:
    return [LineError(line, e.field, e.message, e.message_en, e.value) for e in errors]


def decode_lines(items: Iterable[tuple[int, bytes | str | None]]) -> tuple[list[tuple[int, CreditRecordV1]],
                                                                        list[LineError], int]:
    """(good records with their line, errors, lines read): None stands for a line that could not be read
    (its error is already given)."""
    good, errors, count = [], [], 0
    for line, raw in items:
        count = max(count, line)
        if raw is None or not raw.strip():
            continue
        try:
            good.append((line, decode_record(raw)))
        except FilingRejected as exc:
            errors.extend(_line_errors(line, exc.errors))
    return good, errors, count


def _text(content: bytes) -> tuple[str | None, LineError | None]:
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        return content.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = content[:exc.start].count(b"\n") + 1
        return None, LineError(line, "$", f"不是 UTF-8 编码（第 {line} 行），请先转换为 UTF-8",
                               f"not UTF-8 (line {line}); convert the file to UTF-8 first")


def jsonl_items(text: str) -> list[tuple[int, str]]:
    return [(n, line) for n, line in enumerate(text.splitlines(), start=1)]


def csv_items(text: str) -> tuple[list[tuple[int, str | None]], list[LineError]]:
    """Rows as JSON objects of format v1 (an empty cell is a field left out); the header must name known
    columns and every required one, or nothing is read."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], []
    header = [h.strip() for h in header]
    problems = [LineError(1, h or "$", f"未知列 `{h}`（信用记录格式第1版未定义）",
                          f"unknown column `{h}` (not in credit format v1)") for h in header if h not in COLUMNS]
    problems += [LineError(1, name, f"缺少必填列（{field_label(name)}）", f"the required column {name} is missing")
                 for name in REQUIRED if name not in header]
    if problems:
        return [], problems
    items: list[tuple[int, str | None]] = []
    errors: list[LineError] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(LineError(reader.line_num, "$", f"CSV 格式错误：{exc}", f"bad CSV: {exc}"))
            items.append((reader.line_num, None))
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            errors.append(LineError(reader.line_num, "$", f"该行有 {len(row)} 列，表头有 {len(header)} 列",
                                    f"the row has {len(row)} cells, the header {len(header)}"))
            items.append((reader.line_num, None))
            continue
        values = {h: cell.strip() for h, cell in zip(header, row) if cell.strip()}
        items.append((reader.line_num, json.dumps(values, ensure_ascii=False)))
    return items, errors


def format_of(name: str, content: bytes) -> str:
    """By the name's extension, else by the content: a first non-blank `{` is JSON Lines."""
    lower = name.lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith((".jsonl", ".json", ".ndjson")):
        return "jsonl"
    return "jsonl" if content.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"{") else "csv"


async def import_content(conn: asyncpg.Connection, content: bytes, fmt: str, *, actor: str,
                         source_name: str) -> ImportReport:
    """Import a whole file's content in the caller's transaction."""
    text, problem = _text(content)
    if problem is not None:
        return ImportReport(lines=content.count(b"\n") + 1, rejected=1, errors=[problem])
    if fmt == "csv":
        items, errors = csv_items(text)
    else:
        items, errors = jsonl_items(text), []
    good, more, _ = decode_lines(items)
    errors = sorted(errors + more, key=lambda e: e.line)
    lines = len(text.splitlines())
    return await _store(conn, good, errors, lines, actor=actor, source_name=source_name)


async def import_objects(conn: asyncpg.Connection, objects: list[dict], *, actor: str,
                         source_name: str) -> ImportReport:
    """Records given as JSON objects (the API): item n is reported as line n."""
    good, errors, lines = decode_lines((n, json.dumps(o, ensure_ascii=False)) for n, o in enumerate(objects, 1))
    return await _store(conn, good, errors, lines, actor=actor, source_name=source_name)


async def _store(conn: asyncpg.Connection, good: list[tuple[int, CreditRecordV1]], errors: list[LineError],
                 lines: int, *, actor: str, source_name: str) -> ImportReport:
    added = changed = unchanged = repeated = 0
    if good:
        async with conn.transaction():
            added, changed, unchanged, repeated = await records.store(conn, good, actor=actor,
                                                                      imported_from=source_name)
    return ImportReport(lines=lines, added=added, new_versions=changed, unchanged=unchanged, repeated=repeated,
                        rejected=len({e.line for e in errors}), errors=errors)
