"""Every detector, registered once. The scan, the risk weights (detector_kinds), the labels on pages
and exports, and ml.evaluate read this tuple; adding a detector touches its module, its page in
docs/detectors/ and its fixture in tests/fixtures/detectors/, and this line."""

from collections.abc import Mapping
from typing import Literal

from . import backdated, duplicate, large_software, outlier, split
from .base import settings_from_env

DETECTORS = (split, large_software, backdated, duplicate, outlier)
BY_KIND = {d.KIND: d for d in DETECTORS}
# the flag kinds as a type: a filter on any other kind is refused, naming these
FlagKind = Literal[tuple(BY_KIND)]


def load_settings(environ: Mapping[str, str] | None = None) -> dict:
    """kind -> that detector's Settings, each field overridable by TECHREG_<KIND>_<FIELD>."""
    return {d.KIND: settings_from_env(d.KIND, d.Settings, environ) for d in DETECTORS}


def label(kind: str, language: str = "zh") -> str:
    detector = BY_KIND.get(kind)
    if detector is None:
        return kind
    return detector.LABEL[0 if language == "zh" else 1]


def pair_window(settings: Mapping) -> int:
    """Candidate pairs are found once for every detector that judges pairs: within the widest window."""
    return max(settings[d.KIND].window_days for d in DETECTORS if d.SCOPE == "pairs")


KINDS_SQL = """
    INSERT INTO detector_kinds (kind, label_zh, label_en, weight) SELECT * FROM unnest($1::text[], $2::text[],
        $3::text[], $4::float8[])
    ON CONFLICT (kind) DO UPDATE SET label_zh = excluded.label_zh, label_en = excluded.label_en, weight = excluded.weight
    WHERE (detector_kinds.label_zh, detector_kinds.label_en, detector_kinds.weight)
          IS DISTINCT FROM (excluded.label_zh, excluded.label_en, excluded.weight)
"""


async def register_kinds(conn) -> None:
    """Write the registered detectors' labels and risk weights where the risk view reads them."""
    await conn.execute(KINDS_SQL, [d.KIND for d in DETECTORS], [d.LABEL[0] for d in DETECTORS],
                       [d.LABEL[1] for d in DETECTORS], [float(d.RISK_WEIGHT) for d in DETECTORS])
