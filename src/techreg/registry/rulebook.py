"""The rules by effective date: which national and local rules were in force on a day, and what they set.

A registration is judged by the rules in force when the office accepted it (its application date, 申请登记日期):
the decision deadline, whether it is large, the refusal reasons. A revocation is an act of its own day: its
grounds and the bases it may rest on are those of the rules in force on the day it is made. The catalogue is
data (rulebook.json, or the file TECHREG_RULEBOOK names); a value "office" is one the rule leaves to the office,
read from the settings. A filing stores the id of the rules it was accepted under (`filings.rules_version`), so a
later change to the catalogue's dates does not move a past filing to other rules; a supervisor reads it on the
filing page and on every decision's event.
"""

import datetime as dt
import functools
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Literal

import msgspec

from ..config import Settings
from ..errors import InvalidInput

OFFICE = "office"                  # the rule leaves this value to the office: the settings give it
DayKind = Literal["working", "calendar"]
RuleScope = Literal["national", "local"]


class RuleVersion(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """One version of the rules, as the catalogue lists it. National versions set everything and follow one
    another without gap; a local version (scope "local", for one region) changes only what it names."""
    id: str
    scope: RuleScope
    region: str | None = None
    title: str
    title_en: str
    effective_from: dt.date
    effective_to: dt.date | None = None          # its last day in force; None while still in force
    unverified: list[str] = []                   # fields the texts available here do not confirm
    decision_days: int | Literal["office"] | None = None
    day_kind: DayKind | None = None
    large_line: int | Literal["office"] | None = None          # yuan; None in a national version: no large line
    large_decision_days: int | Literal["office"] | None = None
    refusal_reasons: list[str] | None = None
    revocation_grounds: list[str] | None = None
    revocation_bases: list[str] | None = None
    tax_notice: bool | None = None               # the tax office is told of revocations where benefits may be claimed

    def in_force(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


class Catalogue(msgspec.Struct, forbid_unknown_fields=True):
    versions: list[RuleVersion]
    about: str = ""


class Rules(msgspec.Struct, frozen=True, kw_only=True):
    """The rules in force on a day, national and local together, each value with the version it comes from
    ("settings" where the rule leaves it to the office)."""
    id: str                                      # national id, then local ids, joined by "+"
    versions: tuple[str, ...]
    decision_days: int
    day_kind: DayKind
    large_line: Decimal | None                   # None: these rules know no large contracts
    large_decision_days: int | None
    refusal_reasons: tuple[str, ...]
    revocation_grounds: tuple[str, ...]
    revocation_bases: tuple[str, ...]
    tax_notice: bool
    sources: dict[str, str]                      # field -> rule version id, or "settings"

    def is_large(self, amount: Decimal) -> bool:
        return self.large_line is not None and amount >= self.large_line

    def days_for(self, amount: Decimal) -> int:
        return self.large_decision_days if self.is_large(amount) and self.large_decision_days else self.decision_days


class RulebookError(ValueError):
    pass


def _check(catalogue: Catalogue, source: str) -> Catalogue:
    """National versions must cover time without gap or overlap from the first; ids are unique."""
    ids = [v.id for v in catalogue.versions]
    if len(set(ids)) != len(ids) or any(not i or "+" in i for i in ids):
        raise RulebookError(f"{source}: 规则版本编号须唯一且不含“+” / rule ids must be unique and without '+'")
    national = sorted((v for v in catalogue.versions if v.scope == "national"), key=lambda v: v.effective_from)
    if not national:
        raise RulebookError(f"{source}: 至少须有一个全国性规则版本 / at least one national version is needed")
    for v in catalogue.versions:
        if v.effective_to is not None and v.effective_to < v.effective_from:
            raise RulebookError(f"{source}: {v.id} 失效日期早于生效日期 / {v.id} ends before it begins")
        if v.scope == "local" and not v.region:
            raise RulebookError(f"{source}: 地方规则 {v.id} 须写明地区 / local version {v.id} needs its region")
        if v.scope == "national":
            for name in ("decision_days", "day_kind", "refusal_reasons", "revocation_grounds", "revocation_bases",
                         "tax_notice"):
                if getattr(v, name) is None:
                    raise RulebookError(f"{source}: {v.id} 未规定 {name} / {v.id} does not set {name}")
    for before, after in zip(national, national[1:]):
        if before.effective_to is None or before.effective_to + dt.timedelta(days=1) != after.effective_from:
            raise RulebookError(f"{source}: {before.id} 与 {after.id} 之间有空档或重叠 / {before.id} and {after.id}"
                                " leave a gap or overlap")
    return catalogue


@functools.lru_cache(maxsize=8)
def _read(path: str | None, mtime: float | None) -> Catalogue:
    if path is None:
        raw = resources.files("techreg.registry").joinpath("rulebook.json").read_bytes()
        source = "rulebook.json"
    else:
        raw, source = Path(path).read_bytes(), path
    try:
        return _check(msgspec.json.decode(raw, type=Catalogue), source)
    except msgspec.ValidationError as exc:
        raise RulebookError(f"{source}: {exc}") from None


def catalogue(settings: Settings) -> Catalogue:
    """The catalogue in use: TECHREG_RULEBOOK's file (read again when it changes), or the one shipped."""
    if settings.rulebook is None:
        return _read(None, None)
    try:
        mtime = settings.rulebook.stat().st_mtime
    except OSError as exc:
        raise RulebookError(f"TECHREG_RULEBOOK={settings.rulebook}: 无法读取 / cannot be read ({exc.strerror})") from None
    return _read(str(settings.rulebook), mtime)


def version(settings: Settings, version_id: str) -> RuleVersion | None:
    return next((v for v in catalogue(settings).versions if v.id == version_id), None)


def _local_region(settings: Settings) -> str | None:
    region = (settings.local_rules or "").strip()
    return None if region in ("", "none") else region


def versions_in_force(settings: Settings, day: dt.date) -> list[RuleVersion]:
    """The national version in force on `day` (the earliest one for a day before the catalogue begins), then
    the office's local versions in force that day."""
    every = catalogue(settings).versions
    national = sorted((v for v in every if v.scope == "national"), key=lambda v: v.effective_from)
    chosen = next((v for v in national if v.in_force(day)), national[0] if day < national[0].effective_from
                  else national[-1])
    region = _local_region(settings)
    local = [v for v in every if v.scope == "local" and v.region == region and v.in_force(day)]
    return [chosen, *sorted(local, key=lambda v: v.effective_from)]


def _compose(settings: Settings, chosen: list[RuleVersion]) -> Rules:
    values: dict = {}
    sources: dict[str, str] = {}
    for v in chosen:                          # national first: a local version changes only what it names
        for name in ("decision_days", "day_kind", "large_line", "large_decision_days", "refusal_reasons",
                     "revocation_grounds", "revocation_bases", "tax_notice"):
            value = getattr(v, name)
            if value is None and (v.scope == "local" or name not in ("large_line", "large_decision_days")):
                continue
            if value == OFFICE:
                value, source = getattr(settings, name), "settings"
            else:
                source = v.id
            if name == "large_line" and value is not None:
                value = Decimal(value)
            values[name], sources[name] = value, source
    return Rules(id="+".join(v.id for v in chosen), versions=tuple(v.id for v in chosen),
                 decision_days=values["decision_days"], day_kind=values["day_kind"],
                 large_line=values.get("large_line"), large_decision_days=values.get("large_decision_days"),
                 refusal_reasons=tuple(values["refusal_reasons"]),
                 revocation_grounds=tuple(values["revocation_grounds"]),
                 revocation_bases=tuple(values["revocation_bases"]), tax_notice=values["tax_notice"],
                 sources=sources)


def rules_in_force(settings: Settings, day: dt.date) -> Rules:
    """The rules in force on `day`: for a filing, its application (acceptance) day; for a revocation, its own."""
    return _compose(settings, versions_in_force(settings, day))


def rules_by_id(settings: Settings, rules_id: str | None, day: dt.date) -> Rules:
    """The rules a filing was accepted under (its stored id); without one (history imported or filed before
    rule versions were kept) the rules in force on `day`, its application day. An id the catalogue no longer
    holds is an error an administrator must see, never a silent switch to other rules."""
    if rules_id is None:
        return rules_in_force(settings, day)
    chosen = [version(settings, part) for part in rules_id.split("+")]
    if any(v is None for v in chosen):
        missing = [p for p, v in zip(rules_id.split("+"), chosen) if v is None]
        raise RulebookError(f"规则目录中没有 {'、'.join(missing)} / the rulebook has no {', '.join(missing)}")
    return _compose(settings, chosen)


def check_choice(allowed: tuple[str, ...], value: str, field: str, group: str, rules: Rules) -> None:
    """400 naming the field, the rules and the allowed choices (code -> Chinese word) when `value` is not one."""
    if value in allowed:
        return
    from ..labels import label

    raise InvalidInput(
        f"{label('field', field, default=field)}须为 {rules.id} 所列之一：{'、'.join(label(group, c) for c in allowed)}",
        f"{label('field', field, 'en', default=field)} must be one the rules {rules.id} list: "
        f"{'; '.join(label(group, c, 'en') for c in allowed)}",
        errors=[{"field": field, "message": f"取值无效：{value}", "message_en": f"not allowed: {value}",
                 "allowed": {c: label(group, c) for c in allowed}}])


def describe(settings: Settings, rules_id: str | None) -> tuple[str, str]:
    """The rules an id names, in words (Chinese, English): each version's title, joined; an id the catalogue
    does not hold is shown as it is."""
    if not rules_id:
        return "", ""
    parts = [(version(settings, p), p) for p in rules_id.split("+")]
    return ("＋".join(v.title if v else p for v, p in parts), " + ".join(v.title_en if v else p for v, p in parts))
