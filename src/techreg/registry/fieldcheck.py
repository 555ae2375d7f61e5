"""Decode a JSON object into a msgspec Struct and name EVERY bad field, not only the first.

msgspec stops at the first error of a struct. A good body still decodes in one call (the fast path, all an
import of good lines pays); only a body that fails is read again field by field, each field decoded
against its own annotated type from the struct, so the struct stays the one definition of types, lengths,
patterns and choices. The rules between fields then run on the fields that passed.
"""

import functools
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import msgspec

from .messages import (FilingRejected, choice_error, field_label, json_syntax_error, safe_value,
                       translate_msgspec_error, unknown_field)
from .schema import FieldError

S = TypeVar("S", bound=msgspec.Struct)

# rules between fields: the good fields by path (`seller.credit_code`) -> their errors
Rules = Callable[[Mapping[str, Any]], list[FieldError]]
# the allowed values (code -> Chinese name) of a choice field, given the good fields so far, and the context
# that narrows them: (allowed, (context zh, context en)) or None for the field's own Literal
Choices = Callable[[str, Mapping[str, Any]], tuple[dict[str, str], tuple[str, str] | None] | None]

_OBJECT = msgspec.json.Decoder(dict[str, msgspec.Raw])
_ANY = msgspec.json.Decoder()
ECHO_BYTES = 1024           # a refused value is read back for the error only when it is this small


@functools.cache
def _decoder(t: Any) -> msgspec.json.Decoder:
    return msgspec.json.Decoder(t)


@functools.cache
def struct_fields(cls: type[msgspec.Struct]) -> tuple[msgspec.structs.FieldInfo, ...]:
    return msgspec.structs.fields(cls)


def _struct_in(t: Any) -> type[msgspec.Struct] | None:
    """The Struct a field holds (`PartyV1`, `PartyV1 | None`), if any."""
    candidates = typing.get_args(t) if isinstance(t, types.UnionType) or typing.get_origin(t) is typing.Union else (t,)
    for c in candidates:
        if isinstance(c, type) and issubclass(c, msgspec.Struct):
            return c
    return None


def _literal_in(t: Any) -> tuple[str, ...]:
    """The codes of a Literal field (`Kind`, `Subkind | None`), else ()."""
    candidates = typing.get_args(t) if isinstance(t, types.UnionType) or typing.get_origin(t) is typing.Union else (t,)
    for c in candidates:
        if typing.get_origin(c) is typing.Literal:
            return typing.get_args(c)
    return ()


def _sent(raw: msgspec.Raw) -> Any:
    """What the client sent for one field, for echoing back (UNSET when too big to bother)."""
    if len(raw) > ECHO_BYTES:
        return msgspec.UNSET
    try:
        return _ANY.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return msgspec.UNSET


@functools.cache
def _nested(cls: type[msgspec.Struct]) -> tuple[str, ...]:
    """The fields of `cls` that hold a struct of their own (the parties)."""
    return tuple(f.name for f in struct_fields(cls) if _struct_in(f.type) is not None)


def flatten(obj: msgspec.Struct, prefix: str = "") -> dict[str, Any]:
    """A decoded struct as the rules see it: every field by path, nested structs spelled out. (On every good
    line of an import: asdict is msgspec's own, the loop only over the nested few.)"""
    cls = type(obj)
    values = msgspec.structs.asdict(obj)
    if cls.__struct_encode_fields__ != cls.__struct_fields__:          # renamed fields: paths are JSON names
        values = dict(zip(cls.__struct_encode_fields__, values.values()))
    for name in _nested(cls):
        inner = values.pop(name)
        if inner is not None:
            values.update(flatten(inner, f"{name}."))
        else:
            values[name] = None
    return {prefix + k: v for k, v in values.items()} if prefix else values


def one_per_field(errors: list[FieldError]) -> list[FieldError]:
    """The first error of each field: the one to fix first (a date out of range before its order)."""
    seen: set[str] = set()
    kept = []
    for e in errors:
        if e.field not in seen:
            seen.add(e.field)
            kept.append(e)
    return kept


def _check_object(obj: dict[str, msgspec.Raw], cls: type[msgspec.Struct], prefix: str, values: dict[str, Any],
                  errors: list[FieldError], choices: Choices | None) -> None:
    fields = struct_fields(cls)
    if cls.__struct_config__.forbid_unknown_fields:
        known = {f.encode_name for f in fields}
        for key, raw in obj.items():
            if key not in known:
                errors.append(unknown_field(prefix + key, key, [f.encode_name for f in fields], safe_value(_sent(raw))))
    for f in fields:
        path = prefix + f.encode_name
        if f.encode_name not in obj:
            if f.required:
                errors.append(FieldError(path, f"缺少必填字段（{field_label(path)}）", f"the required field {field_label(path, 'en')} is missing"))
            else:
                values[path] = f.default if f.default is not msgspec.NODEFAULT else f.default_factory()
            continue
        raw = obj[f.encode_name]
        inner = _struct_in(f.type)
        if inner is not None:                           # a party: each of its fields on its own too
            try:
                nested = _OBJECT.decode(raw)
            except (msgspec.DecodeError, RecursionError):   # not an object (null, a string): said below
                nested = None
            if nested is not None:
                _check_object(nested, inner, path + ".", values, errors, choices)
                continue
        try:
            value = _decoder(f.type).decode(raw)
        except msgspec.ValidationError as exc:
            sent = _sent(raw)
            codes = _literal_in(f.type)
            if codes and isinstance(sent, str):          # a choice: say which values are allowed
                narrowed = choices(path, values) if choices else None
                allowed, within, allowed_en = narrowed or ({c: "" for c in codes}, None, None)
                errors.append(choice_error(path, sent, allowed, within=within, allowed_en=allowed_en))
            else:
                errors.append(translate_msgspec_error(str(exc), path, sent))
            continue
        except RecursionError:
            errors.append(FieldError(path, f"{field_label(path)}嵌套过深", f"{field_label(path, 'en')} nests too deep"))
            continue
        if isinstance(value, msgspec.Struct):
            values.update(flatten(value, path + "."))
        else:
            values[path] = value


def decode_checked(raw: bytes | str, cls: type[S], *, rules: Rules | None = None,
                   choices: Choices | None = None) -> S:
    """Decode one JSON object as `cls`; raises FilingRejected naming each bad field once, the rules between
    fields included (those whose fields are good)."""
    try:
        obj = _decoder(cls).decode(raw)
    except msgspec.ValidationError as exc:
        errors = field_by_field(raw, cls, rules=rules, choices=choices)
        raise FilingRejected(errors or [translate_msgspec_error(str(exc))]) from None
    except msgspec.DecodeError as exc:
        raise FilingRejected([json_syntax_error(str(exc), raw)]) from None
    except RecursionError:
        raise FilingRejected([FieldError("$", "内容嵌套过深", "the body nests too deep")]) from None
    if rules is not None and (errors := rules(flatten(obj))):
        raise FilingRejected(one_per_field(errors))
    return obj


def field_by_field(raw: bytes | str, cls: type[msgspec.Struct], *, rules: Rules | None = None,
                   choices: Choices | None = None) -> list[FieldError]:
    """Every error of a body: each field checked on its own, then the rules on the fields that passed.
    An empty list means nothing could be said field by field (not an object at all): the caller reports
    the decoder's own first error."""
    try:
        obj = _OBJECT.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return []
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    _check_object(obj, cls, "", values, errors, choices)
    if rules is not None:
        errors.extend(rules(values))
    return one_per_field(errors)
