"""A page's form sent back: what was typed, kept, and every error beside its input, all at once.

The one way the pages answer a form they refuse (the new-filing form was the model): the handler renders its
page again with a `Sent` for the form, never a redirect with `?err=` that drops what was typed and never one
error per try. The page shows a summary at the top (base.html, each error linked to its input); the form's
template takes each value and error from `form_of(id)` (Sent.marks, .bad and .field_error put them on the inputs); the first bad
input gets the focus, which scrolls the page to it. Upload forms too (`upload_refused`): only a button without
inputs (confirm a campaign, run a job) answers a refusal with a redirect and a message.
"""

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, get_type_hints

import msgspec
from markupsafe import Markup, escape

from ...errors import DomainError
from ...registry.messages import FilingRejected, field_label, safe_value, translate_msgspec_error, without_name
from ...registry.schema import FieldError


class FormError(msgspec.Struct):
    """One error as a form shows it: the input it belongs to (None: the form as a whole), the input's name in
    Chinese and English, the reason."""
    name: str | None
    label: str
    label_en: str
    message: str
    message_en: str


class Sent(msgspec.Struct, kw_only=True):
    """A form as it came back: its id on the page, the values typed (a list for an input sent several times:
    checkboxes, table rows), its errors; `title` names the form in the summary ("登记"), `heading` replaces the
    summary's heading (Chinese and English, each with %d for the count), `ids` the inputs' id prefix (the form's
    id unless given)."""
    form: str
    values: dict[str, str | list[str]] = {}
    errors: list[FormError] = []
    title: tuple[str, str] | None = None
    heading: tuple[str, str] | None = None
    ids: str | None = None
    was_sent: bool = False

    def id(self, name: str) -> str:
        return f"{self.ids or self.form}-{name}"

    def value(self, name: str, default: str = "") -> str:
        """What was typed into `name`; `default` (the form's own initial value) only when it was not sent."""
        if not self.was_sent or name not in self.values:
            return default
        value = self.values[name]
        return (value[0] if value else "") if isinstance(value, list) else value

    def values_of(self, name: str) -> list[str]:
        value = self.values.get(name, [])
        return value if isinstance(value, list) else [value]

    def row(self, name: str, index: int) -> str:
        """The `index`-th value of an input repeated in rows (a table of deductions)."""
        values = self.values_of(name)
        return values[index] if index < len(values) else ""

    def checked(self, name: str, value: str = "on", default: bool = False) -> bool:
        return value in self.values_of(name) if self.was_sent else default

    def error(self, name: str) -> FormError | None:
        return next((e for e in self.errors if e.name == name), None)

    @property
    def first(self) -> str | None:
        """The first input with an error: it takes the focus."""
        return next((e.name for e in self.errors if e.name), None)

    # What the templates put on and beside an input. Methods, not Jinja macros: a filing page has some 150 of them,
    # and a macro call costs ten times a method's (the page took 1.7 ms longer to render with macros).
    def marks(self, name: str) -> Markup:
        """The input's id and, when it is wrong, its marks: invalid, described by its error, focused if first."""
        own = escape(self.id(name))
        if self.error(name) is None:
            return Markup(f'id="{own}"')
        focus = " autofocus" if self.first == name else ""
        return Markup(f'id="{own}" aria-invalid="true" aria-describedby="{own}-error"{focus}')

    def bad(self, name: str) -> str:
        """The class of the input's label: has-error when it is wrong."""
        return "has-error" if self.error(name) is not None else ""

    def field_error(self, name: str, language: str) -> Markup:
        """The input's error beside it, in the page's language (nothing when it is right)."""
        e = self.error(name)
        if e is None:
            return Markup("")
        return Markup('<span class="field-error" data-field="{}" id="{}-error">{}</span>').format(
            name, self.id(name), e.message_en if language == "en" else e.message)


# an error's field path (`basis.kind`, `deductions[1].amount`) -> the input that shows it and that input's
# name in words, or None when no input of the form holds it (the error is then the form's as a whole)
Inputs = Callable[[str], tuple[str, tuple[str, str]] | None]


def inputs(names: Mapping[str, str] | Iterable[str], words: Mapping[str, tuple[str, str]] | None = None) -> Inputs:
    """Inputs named as their field paths (`reasons`), or by a mapping path -> input (`basis.kind` -> basis_kind);
    each named in words by `words` (path -> Chinese, English) or else by the field catalogue."""
    mapping = dict(names) if isinstance(names, Mapping) else {n: n for n in names}
    words = words or {}

    def find(path: str) -> tuple[str, tuple[str, str]] | None:
        key = path if path in mapping else re.sub(r"\[\d+\]", "", path)      # reasons[2] -> reasons
        if key not in mapping:
            return None
        return mapping[key], words.get(key) or (field_label(key), field_label(key, "en"))
    return find


def field_errors(errors: Iterable[FieldError], find: Inputs) -> list[FormError]:
    """Field errors (FilingRejected's) by input, one per input, the others as the form's own."""
    shown: dict[str, FormError] = {}
    others: list[FormError] = []
    for e in errors:
        found = find(e.field)
        if found is None:
            words = (field_label(e.field), field_label(e.field, "en")) if e.field not in ("", "$") else ("", "")
            others.append(FormError(None, *words, e.message, e.message_en))
        else:
            name, (label, label_en) = found
            # said beside its input, which already names it (by the form's words or the field's)
            message = without_name(without_name(e.message, label), field_label(e.field))
            message_en = without_name(without_name(e.message_en, label_en), field_label(e.field, "en"))
            shown.setdefault(name, FormError(name, label, label_en, message, message_en))
    return [*shown.values(), *others]


def problems(exc: FilingRejected | DomainError, find: Inputs) -> list[FormError]:
    """Every error a refusal carries, each beside its input: a FilingRejected's fields, or a service's error
    with the fields it names (`errors=[{field, message, message_en}]`, or `field=`); what names no input of the
    form is the form's own."""
    if isinstance(exc, FilingRejected):
        return field_errors(exc.errors, find)
    named = [FieldError(e["field"], e.get("message") or exc.message, e.get("message_en") or exc.message_en)
             for e in exc.extra.get("errors") or [] if isinstance(e, dict) and e.get("field")]
    if not named and isinstance(exc.extra.get("field"), str):
        named = [FieldError(exc.extra["field"], exc.message, exc.message_en)]
    found = [e for e in named if find(e.field) is not None]
    if not found:
        return [FormError(None, "", "", exc.message, exc.message_en)]
    return field_errors(found, find)


def required(name: str, label: tuple[str, str], message: tuple[str, str] = ("必填", "required")) -> FormError:
    """A required input left blank."""
    return FormError(name, *label, *message)


def merged(*groups: Iterable[FormError]) -> list[FormError]:
    """Errors of several checks, one per input (the first said), the form's own after them."""
    shown: dict[str, FormError] = {}
    others: list[FormError] = []
    for group in groups:
        for e in group:
            if e.name is None:
                others.append(e)
            else:
                shown.setdefault(e.name, e)
    return [*shown.values(), *others]


def form_values(form) -> dict[str, str | list[str]]:
    """A submitted form's text values (files left out): one value as a string, several as a list."""
    out: dict[str, str | list[str]] = {}
    for key in dict.fromkeys(form.keys()):
        values = [v for v in form.getall(key, []) if isinstance(v, str)]
        if values:
            out[key] = values[0] if len(values) == 1 else values
    return out


def sent(form_id: str, form, errors: list[FormError], *, order: Iterable[str] = (), **how) -> Sent:
    """The form `form_id` as it came back from `form` (a submitted form, or a dict of its values); `order`: its
    inputs as the form lays them out, the order the summary names their errors in."""
    values = form if isinstance(form, dict) else form_values(form)
    place = {name: k for k, name in enumerate(order)}
    errors = sorted(errors, key=lambda e: place.get(e.name, len(place)) if e.name is not None else len(place) + 1)
    return Sent(form=form_id, values=values, errors=errors, was_sent=True, **how)


S = TypeVar("S", bound=msgspec.Struct)
# rules between a form's fields, on those that converted: field -> value in, errors out
FormRules = Callable[[Mapping[str, Any]], list[FieldError]]


def decode_form(cls: type[S], raw: Mapping[str, Any], rules: FormRules | None = None) -> S:
    """A form's values (text as typed, lists for checkbox groups) as `cls`, every bad field named at once (raises
    FilingRejected): each field converted on its own from text (numbers, dates, yes/no) against its annotated type,
    a blank required one said so, then `rules` between the fields that converted. A field not in `raw` keeps its
    default."""
    hints = get_type_hints(cls, include_extras=True)
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for f in msgspec.structs.fields(cls):
        if f.name not in raw:
            continue
        value = raw[f.name]
        if value is None or value == "":
            if f.required:
                errors.append(FieldError(f.name, "必填", "required"))
            continue
        try:
            values[f.name] = msgspec.convert(value, hints[f.name], strict=False)
        except msgspec.ValidationError as exc:
            errors.append(_not_converted(str(exc), f.name, value))
    if rules is not None:
        errors.extend(rules(values))
    if errors:
        raise FilingRejected(errors)
    try:
        return msgspec.convert(values, cls)
    except msgspec.ValidationError as exc:
        raise FilingRejected([translate_msgspec_error(str(exc))]) from None


def _not_converted(message: str, name: str, value: Any) -> FieldError:
    """Why a typed value is not the field's type, in words a person reads (not "expected int, got str")."""
    wanted = re.match(r"Expected `([\w |]+)`, got `str`", message)
    if wanted and wanted.group(1) in ("int", "float", "int | float"):
        whole = wanted.group(1) == "int"
        return FieldError(name, f"须为{'整数' if whole else '数字'}：{value}" if safe_value(value) else
                          f"须为{'整数' if whole else '数字'}", f"must be a {'whole ' if whole else ''}number")
    return translate_msgspec_error(message, base=name, value=value)      # points + $[0] -> points[0]


UPLOAD_INPUTS = inputs({"file": "file", "note": "note"}, {"file": ("文件", "file"), "note": ("说明", "note")})


def upload_refused(form_id: str, exc: DomainError, *, ids: str | None = None,
                   title: tuple[str, str] | None = None) -> Sent:
    """An upload form (a file and a note) refused: every error beside its input, one that names no input (too
    large, a type not accepted, no length) beside the file, which is what it is about. A browser cannot put the
    file back into the form: the person picks it again."""
    errors = [e if e.name is not None else FormError("file", "文件", "file", e.message, e.message_en)
              for e in problems(exc, UPLOAD_INPUTS)]
    return sent(form_id, {}, merged(errors), order=("file", "note"), ids=ids, title=title)

