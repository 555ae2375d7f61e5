"""The one contract every detector keeps (cardinal-rs keeps one file, one doc page and one fixture per
indicator; so do we).

A detector is a module with:

- ``KIND`` (the flag kind it raises), ``DETECTOR`` (name/version written on every flag),
  ``LABEL`` (Chinese, English), ``RISK_WEIGHT`` (its share in a filing's risk, 0-1),
  ``SCOPE`` (what an incremental scan must re-judge: ``"seller"`` — every filing of a changed filing's
  seller; ``"pairs"`` — every filing reachable through candidate pairs; ``"changed"`` — the changed ones),
- ``Settings``: a frozen dataclass of its own thresholds, each settable from the environment as
  ``TECHREG_<KIND>_<FIELD>`` (``settings_from_env``); no detector reads another's,
- ``detect(ctx: Context) -> Flags``,
- a page ``docs/detectors/<kind>.md`` and a golden fixture ``tests/fixtures/detectors/<kind>.jsonl``.

It is registered once, in ``detectors.DETECTORS``, which the scan, the risk weights, the labels and
``ml.evaluate`` read.
"""

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .columns import Columns
from .pairs import Pairs, candidate_pairs


def _parse(raw: str, default: Any, name: str):
    try:
        if isinstance(default, bool):
            if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(raw)
            return raw.lower() in ("1", "true", "yes")
        if isinstance(default, tuple):
            kind = type(default[0]) if default else float
            return tuple(kind(x) for x in raw.replace(";", ",").split(",") if x.strip())
        return type(default)(raw)
    except ValueError:
        raise ValueError(f"TECHREG_{name}: cannot read {raw!r} as {type(default).__name__}") from None


def settings_from_env(kind: str, cls: type, environ: Mapping[str, str] | None = None):
    """`cls()` with each field overridden by TECHREG_<KIND>_<FIELD> where that is set."""
    environ = os.environ if environ is None else environ
    values = {}
    for f in dataclasses.fields(cls):
        name = f"{kind}_{f.name}".upper()
        raw = environ.get(f"TECHREG_{name}")
        if raw not in (None, ""):
            values[f.name] = _parse(raw, f.default, name)
    return cls(**values)


def env_names(kind: str, cls: type) -> list[tuple[str, Any, str]]:
    """(variable, default, comment) for every setting: the README's table is made from these."""
    return [(f"TECHREG_{kind}_{f.name}".upper(), f.default, f.metadata.get("doc", "")) for f in dataclasses.fields(cls)]


def setting(default, doc: str, rule: str | None = None):
    """A settings field with the sentence the README and the detector's page show for it; `rule` names the
    rule version its figure comes from (registry/rulebook.py), which says from when to when it is in force."""
    return field(default=default, metadata={"doc": doc, **({"rule": rule} if rule else {})})


def rules_of(cls: type) -> dict[str, str]:
    """field -> the rule version its figure comes from, for the settings that have one."""
    return {f.name: f.metadata["rule"] for f in dataclasses.fields(cls) if "rule" in f.metadata}


@dataclass
class Context:
    """What a detector may read: the filings as columns and what the scan worked out once for all."""

    columns: Columns
    settings: Mapping[str, Any] = field(default_factory=dict)   # kind -> that detector's Settings
    peers: Any = None                             # PeerTable of the whole registry (peers.py)
    model: Any = None                             # the outlier model, if one is trusted
    in_scope: np.ndarray | None = None            # rows to score ("changed" scope); None: all
    pair_window: int = 45                         # candidate pairs are found within this many days
    pair_index: tuple[np.ndarray, np.ndarray] | None = None   # pairs already found (incremental scans)
    _pairs: Pairs | None = None

    def __len__(self) -> int:
        return len(self.columns)

    @property
    def pairs(self) -> Pairs:
        """Candidate pairs (same buyer, same or sister seller, within `pair_window`), found once, shared."""
        if self._pairs is None:
            self._pairs = candidate_pairs(self.columns, self.pair_window, index=self.pair_index)
        return self._pairs

    def settings_for(self, kind: str, cls: type) -> Any:
        """The detector's settings as the scan read them, or its defaults (tests, evaluation)."""
        return self.settings.get(kind) or cls()

    def take(self, rows: np.ndarray, pair_index: tuple[np.ndarray, np.ndarray] | None = None) -> "Context":
        """The same context over a subset of the rows (an incremental scan's scope)."""
        scope = None if self.in_scope is None else self.in_scope[rows]
        return Context(self.columns.take(rows), self.settings, self.peers, self.model, scope, self.pair_window,
                       pair_index)
