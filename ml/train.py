"""Train the outlier model and save it with skops beside its metadata.

    python -m ml.train                       # synthetic labelled data (ml/synth.py), writes models/outlier.*
    python -m ml.train --database-url URL    # the registry's own filings (no labels needed)
    python -m ml.train --candidate           # writes models/outlier-candidate.* for a supervisor to promote
    python -m ml.train --database-url URL --labels-from-findings
                                             # the registry's filings, scored against inspectors' findings

The metadata file records the training data, the features, library versions,
metrics (flag share, and against labels when there are any: AUC, precision
and recall of the flagged share) and the sha256 of the model file.
"""

import argparse
import asyncio
import datetime as dt
import io
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
import skops
import skops.io as sio
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

from techreg.db.pool import connect
from techreg.detection.features import NAMES, engineered
from techreg.detection.loader import load_columns
from techreg.detection.outlier import MODEL_NAME, file_sha256, models_dir, raw_scores
from techreg.registry.importer import import_stream

from .synth import generate


async def findings_labels(database_url: str) -> dict[str, tuple[str, str]]:
    """Inspectors' findings as labels: a filing with any outcome but 'cleared' was a violation."""
    conn = await connect(database_url)
    try:
        rows = await conn.fetch("SELECT f.ref, i.outcome FROM audit_items i JOIN filings f ON f.id = i.filing_id"
                                " WHERE i.status = 'done' AND i.outcome <> 'cleared'")
    finally:
        await conn.close()
    return {r["ref"]: ("finding", r["outcome"]) for r in rows}


async def load_features(database_url: str, filings: list[dict] | None = None):
    conn = await connect(database_url)
    try:
        if filings is not None:
            data = b"".join(json.dumps(f, ensure_ascii=False).encode() + b"\n" for f in filings)
            await import_stream(conn, io.BytesIO(data), b"ml.train", actor="ml.train", create_points=True, source="synthetic")
        loaded = await load_columns(conn)
    finally:
        await conn.close()
    return loaded.columns.ref, engineered(loaded.columns)


def fit(features: np.ndarray, *, seed: int, share: float, trees: int = 100):
    model = IsolationForest(n_estimators=trees, max_samples=256, random_state=seed, n_jobs=1)
    model.fit(features)
    raw = raw_scores(model, features)
    threshold = float(np.quantile(raw, 1 - share))
    scale = float(max(np.quantile(raw, 0.9999) - threshold, 1e-3))
    return model, raw, threshold, scale


def metrics(raw: np.ndarray, threshold: float, refs: np.ndarray, labels: dict | None) -> dict:
    flagged = raw >= threshold
    out = {"rows": int(len(raw)), "flagged": int(flagged.sum()), "flagged_share": round(float(flagged.mean()), 5)}
    truth = np.array([r in labels for r in refs]) if labels else np.zeros(0, bool)
    if labels and 0 < truth.sum() < len(truth):
        out["labelled_anomalies"] = int(truth.sum())
        out["auc_vs_any_anomaly"] = round(float(roc_auc_score(truth, raw)), 4)
        out["precision_vs_any_anomaly"] = round(float(truth[flagged].mean()) if flagged.any() else 1.0, 4)
        out["recall_vs_any_anomaly"] = round(float(flagged[truth].mean()) if truth.any() else 1.0, 4)
    return out


def save(model, meta: dict, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.skops"
    sio.dump(model, path)
    meta["sha256"] = file_sha256(path)
    meta["trusted_types_needed"] = sorted(sio.get_untrusted_types(file=path))
    (folder / f"{name}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("TECHREG_TRAIN_DATABASE_URL") or None,
                        help="train on this registry's filings instead of synthetic data"
                             " (default: TECHREG_TRAIN_DATABASE_URL, which the scheduled retraining sets)")
    parser.add_argument("--filings", type=int, default=60_000, help="synthetic filings to generate")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--share", type=float, default=0.002, help="share of filings the threshold lets through")
    parser.add_argument("--out", type=Path, default=None, help="models folder (default: models/)")
    parser.add_argument("--candidate", action="store_true", help="save as a candidate, not the current model")
    parser.add_argument("--labels-from-findings", action="store_true",
                        help="with --database-url: measure the model against inspectors' findings")
    args = parser.parse_args()
    started = time.perf_counter()
    labels = None
    if args.database_url:
        print("读取注册库 / reading filings from the registry", file=sys.stderr)
        refs, features = asyncio.run(load_features(args.database_url))
        data = {"source": "registry", "database": args.database_url.rpartition("@")[2], "filings": len(refs)}
        if args.labels_from_findings:
            labels = asyncio.run(findings_labels(args.database_url))
            data["labels"] = f"inspection findings: {len(labels)} violations"
    else:
        sys.path.insert(0, "bench")
        from _common import fresh_database, server  # noqa: E402

        print(f"生成合成数据 / generating {args.filings} synthetic filings (seed {args.seed})", file=sys.stderr)
        filings, labels = generate(args.filings, args.seed)
        with server() as admin_url:
            url = asyncio.run(fresh_database(admin_url))
            refs, features = asyncio.run(load_features(url, filings))
        data = {"source": "ml/synth.py", "seed": args.seed, "filings": len(refs),
                "labelled_anomalies": len(labels), "anomaly_kinds": sorted({k for k, _ in labels.values()})}
    print(f"训练 / fitting IsolationForest on {features.shape[0]} × {features.shape[1]}", file=sys.stderr)
    model, raw, threshold, scale = fit(features, seed=args.seed, share=args.share)
    meta = {
        "model": MODEL_NAME, "version": dt.date.today().strftime("%Y%m%d"), "estimator": "IsolationForest",
        "params": {"n_estimators": 100, "max_samples": 256, "random_state": args.seed},
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "training_data": data, "features": NAMES,
        "feature_median": np.median(features, axis=0).round(6).tolist(),
        "feature_iqr": (np.percentile(features, 75, axis=0) - np.percentile(features, 25, axis=0)).round(6).tolist(),
        "threshold": threshold, "score_scale": scale, "flag_share": args.share,
        "library_versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                             "numpy": np.__version__, "skops": skops.__version__},
        "metrics": metrics(raw, threshold, refs, labels),
    }
    name = f"{MODEL_NAME}-candidate" if args.candidate else MODEL_NAME
    path = save(model, meta, args.out or models_dir(), name)
    print(json.dumps(meta["metrics"], ensure_ascii=False))
    print(f"已保存 / saved {path} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
