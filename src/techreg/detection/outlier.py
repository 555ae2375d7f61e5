"""Unsupervised outlier score (scikit-learn IsolationForest over engineered features).

The model is a skops file in the models folder beside a metadata file
(training data, features, library versions, metrics, sha256). Loading checks
the hash and refuses any type outside the reviewed list below, so a tampered
or unexpected file is never unpickled. Each flag names the features that
drove it: those furthest from the training data's median, in IQR units.
"""

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import Conflict
from ..labels import label
from .base import Context, setting
from .features import NAMES, engineered
from .flags import Flags, empty

KIND = "outlier"
DETECTOR = "outlier"                 # the version is the model's (OutlierModel.detector)
LABEL = ("异常值（模型）", "outlier (model)")
RISK_WEIGHT = 0.5                    # a model's hunch counts half of a named red flag
SCOPE = "changed"
EVALUATED = False                    # no labels: judged by inspectors' findings (techreg flags evaluate)


@dataclass(frozen=True)
class Settings:
    share: float = setting(0.002, "share of scored filings the model may flag at most")


MODEL_NAME = "outlier"
# reviewed: what an IsolationForest of extra-trees needs, nothing that can run code
TRUSTED_TYPES = [
    "sklearn.ensemble._iforest.IsolationForest",
    "sklearn.tree._classes.ExtraTreeRegressor",
    "sklearn.tree._tree.Tree",
]


class ModelError(Conflict):
    """A model that cannot be used or promoted (409 where a request asked for it)."""


def models_dir() -> Path:
    if os.environ.get("TECHREG_MODELS_DIR"):
        return Path(os.environ["TECHREG_MODELS_DIR"])
    return Path(__file__).resolve().parents[3] / "models"


@dataclass
class OutlierModel:
    model: object
    meta: dict
    path: Path

    @property
    def detector(self) -> str:
        return f"outlier/{self.meta['version']}"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


_cache: dict[tuple, OutlierModel] = {}


def load(folder: Path | None = None, name: str = MODEL_NAME) -> OutlierModel | None:
    """The current model, or None when none has been trained. Raises ModelError when it cannot be trusted.

    A model already checked and loaded is reused while neither file has changed on disk.
    """
    folder = folder or models_dir()
    path, meta_path = folder / f"{name}.skops", folder / f"{name}.json"
    if not path.exists() or not meta_path.exists():
        return None
    key = tuple((p, p.stat().st_mtime_ns, p.stat().st_size) for p in (path, meta_path))
    if key not in _cache:
        _cache.clear()
        _cache[key] = _load_checked(path, meta_path)
    return _cache[key]


def _load_checked(path: Path, meta_path: Path) -> OutlierModel:
    import skops.io as sio

    meta = json.loads(meta_path.read_text())
    if file_sha256(path) != meta.get("sha256"):
        raise ModelError("模型文件校验和不符", f"{path} does not match the sha256 in {meta_path}")
    untrusted = set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)
    if untrusted:
        raise ModelError("模型含未经审查的类型", f"{path} holds types outside the reviewed list: {', '.join(sorted(untrusted))}")
    if meta.get("features") != NAMES:
        raise ModelError("模型特征与代码不一致", f"{path} was trained on other features; retrain with ml/train.py")
    model = sio.load(path, trusted=TRUSTED_TYPES)
    model.n_jobs = os.cpu_count()               # scoring splits the trees over threads
    return OutlierModel(model, meta, path)


def raw_scores(model, features: np.ndarray, chunk: int = 65_536) -> np.ndarray:
    """Higher is more unusual. Row chunks are scored on threads (tree traversal releases the GIL), so a
    full scan uses every core; scikit-learn's own parallelism here runs the trees one after another."""
    if len(features) <= chunk:
        return -model.score_samples(features)
    from concurrent.futures import ThreadPoolExecutor

    parts = [features[k:k + chunk] for k in range(0, len(features), chunk)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return -np.concatenate(list(pool.map(model.score_samples, parts)))


def detect(ctx: Context) -> Flags:
    c, m, in_scope, peers = ctx.columns, ctx.model, ctx.in_scope, ctx.peers
    share = ctx.settings_for(KIND, Settings).share
    if m is None or len(c) == 0:
        return empty("outlier", "outlier/none", applied=0)
    rows_scored = np.arange(len(c)) if in_scope is None else np.nonzero(in_scope)[0]
    if len(rows_scored) == 0:                     # e.g. an incremental scan after refusals only
        return empty("outlier", m.detector, applied=0)
    scored_features = engineered(c, peers, rows_scored)
    raw = np.full(len(c), -np.inf)
    raw[rows_scored] = raw_scores(m.model, scored_features)
    threshold, scale = m.meta["threshold"], m.meta["score_scale"]
    over = np.nonzero(raw >= threshold)[0]
    limit = max(1, int(np.ceil(share * len(rows_scored))))
    if len(over) > limit:                         # never more than the configured share
        over = over[np.argsort(-raw[over], kind="stable")[:limit]]
    median = np.array(m.meta["feature_median"])
    iqr = np.maximum(np.array(m.meta["feature_iqr"]), 1e-6)
    score = np.clip(0.5 + 0.4 * (raw[over] - threshold) / scale, 0.5, 0.9)
    reasons = []
    position = np.searchsorted(rows_scored, over)        # rows_scored is ascending
    for i, k_row in zip(over, position):          # flagged rows only
        z = (scored_features[k_row] - median) / iqr
        top = np.argsort(-np.abs(z))[:3]
        parts_zh = "、".join(f"{label('feature', NAMES[k])}（{'高' if z[k] > 0 else '低'}于常见 {abs(z[k]):.1f} 个四分位距）"
                            for k in top)
        parts_en = ", ".join(f"{label('feature', NAMES[k], 'en')} {z[k]:+.1f} IQR" for k in top)
        reasons.append([f"异常度模型评分 {raw[i]:.3f}（阈值 {threshold:.3f}）；主要因素：{parts_zh} / "
                        f"outlier model score {raw[i]:.3f} (threshold {threshold:.3f}); driven by {parts_en}"])
    return Flags("outlier", m.detector, over.astype(np.int64), score, reasons,
                 [np.zeros(0, np.int64) for _ in over], applied=len(rows_scored))


def describe(folder: Path | None = None) -> dict:
    """The current model's and any candidate's metadata, for a supervisor deciding on promotion."""
    folder = folder or models_dir()
    out = {}
    for name, key in ((MODEL_NAME, "current"), (f"{MODEL_NAME}-candidate", "candidate")):
        meta = folder / f"{name}.json"
        out[key] = json.loads(meta.read_text()) if meta.exists() else None
    return out


def promote(by: str, folder: Path | None = None) -> dict:
    """Make the candidate the current model: only after the same checks as loading it, never silently."""
    import datetime as dt
    import shutil

    folder = folder or models_dir()
    path, meta_path = folder / f"{MODEL_NAME}-candidate.skops", folder / f"{MODEL_NAME}-candidate.json"
    if not path.exists():
        raise ModelError("没有待审核的候选模型", "there is no candidate model to promote")
    _load_checked(path, meta_path)                       # hash, reviewed types, features
    meta = json.loads(meta_path.read_text())
    meta.update(promoted_by=by, promoted_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    for old in (folder / f"{MODEL_NAME}.skops", folder / f"{MODEL_NAME}.json"):
        if old.exists():                                 # the previous model is kept beside, not lost
            shutil.copy2(old, old.with_name(old.name.replace(MODEL_NAME, f"{MODEL_NAME}-previous", 1)))
    tmp_model, tmp_meta = folder / ".promote.skops", folder / ".promote.json"
    shutil.copy2(path, tmp_model)
    tmp_meta.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
    os.replace(tmp_model, folder / f"{MODEL_NAME}.skops")
    os.replace(tmp_meta, folder / f"{MODEL_NAME}.json")
    path.unlink()
    meta_path.unlink()
    return meta
