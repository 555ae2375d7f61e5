"""The shipped outlier model: loaded only when its hash and types check out, and it explains its flags."""

import json
import os
import shutil

import numpy as np
import pytest
import skops.io as sio
from sklearn.preprocessing import FunctionTransformer

from ml.synth import generate
from techreg.detection import outlier
from techreg.detection.base import Context
from techreg.detection.features import NAMES
from test_detection_units import cols


@pytest.fixture
def model_copy(tmp_path):
    for suffix in ("skops", "json"):
        shutil.copy(outlier.models_dir() / f"outlier.{suffix}", tmp_path / f"outlier.{suffix}")
    return tmp_path


def test_shipped_model_has_complete_metadata():
    m = outlier.load()
    assert m is not None and m.detector.startswith("outlier/")
    meta = m.meta
    assert meta["features"] == NAMES
    assert meta["sha256"] == outlier.file_sha256(m.path)
    assert {"scikit-learn", "numpy", "skops", "python"} <= set(meta["library_versions"])
    assert meta["training_data"]["filings"] > 0 and "flagged_share" in meta["metrics"]
    assert set(meta["trusted_types_needed"]) <= set(outlier.TRUSTED_TYPES)


def test_tampered_model_is_refused(model_copy):
    path = model_copy / "outlier.skops"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(outlier.ModelError, match="sha256"):
        outlier.load(model_copy)


def test_model_with_unreviewed_types_is_refused_even_with_a_matching_hash(model_copy):
    path = model_copy / "outlier.skops"
    sio.dump(FunctionTransformer(func=os.system), path)       # would run a shell command if trusted blindly
    meta = json.loads((model_copy / "outlier.json").read_text())
    meta["sha256"] = outlier.file_sha256(path)
    (model_copy / "outlier.json").write_text(json.dumps(meta))
    with pytest.raises(outlier.ModelError, match="posix.system"):
        outlier.load(model_copy)


def test_outlier_flags_name_the_features_that_drove_them():
    m = outlier.load()
    rows = [{"seller": i % 40, "buyer": 100 + i % 70, "tech": 200_000.0 + 500 * (i % 17), "amount": 220_000.0 + 500 * (i % 17),
             "signed": i % 300, "start": i % 300 + 5, "end": i % 300 + 200, "filed": i % 300 + 20} for i in range(2000)]
    rows.append({"seller": 999, "buyer": 998, "tech": 900_000_000.0, "amount": 1_000_000_000.0,
                 "signed": 10, "start": 1000, "end": 4000, "filed": 900})
    f = outlier.detect(Context(cols(rows), {"outlier": outlier.Settings(share=0.002)}, model=m))
    assert len(rows) - 1 in f.rows.tolist()
    reasons = f.reasons[f.rows.tolist().index(len(rows) - 1)][0]
    # each driving feature by its words (techreg.labels), Chinese and English, never its code
    from techreg.labels import pair
    from techreg.detection.features import NAMES
    assert "主要因素" in reasons and "log_" not in reasons
    assert any(pair("feature", n)[0] in reasons and pair("feature", n)[1] in reasons for n in NAMES)
    assert len(f) <= int(np.ceil(0.002 * len(rows)))
    assert np.all((f.scores >= 0.5) & (f.scores <= 0.9))


def test_features_are_computed_for_synthetic_filings_without_nan():
    from techreg.detection.features import engineered
    filings, _ = generate(500, seed=5)
    party: dict[str, int] = {}
    c = cols([{"tech": float(f["tech_amount"]), "amount": float(f["amount"]),
               "seller": party.setdefault(f["seller"]["credit_code"], len(party)),
               "buyer": party.setdefault(f["buyer"]["credit_code"], len(party))} for f in filings])
    x = engineered(c)
    assert x.shape == (len(filings), len(NAMES)) and np.isfinite(x).all()
    # an incremental scan asks for the rows it scores: the same features, parties counted over every row
    rows = np.array([0, 7, 8, 120, 499])
    assert np.array_equal(engineered(c, rows=rows), x[rows])


async def test_a_candidate_is_promoted_only_by_a_supervisor_and_only_when_it_checks_out(app, office, model_copy,
                                                                                         monkeypatch):
    monkeypatch.setenv("TECHREG_MODELS_DIR", str(model_copy))
    for suffix in ("skops", "json"):
        shutil.copy(model_copy / f"outlier.{suffix}", model_copy / f"outlier-candidate.{suffix}")
    # a tampered candidate is refused and nothing changes
    data = bytearray((model_copy / "outlier-candidate.skops").read_bytes())
    data[100] ^= 0xFF
    (model_copy / "outlier-candidate.skops").write_bytes(bytes(data))
    before = (model_copy / "outlier.json").read_text()
    r = await app.post("/api/models/promote", headers=office.h("supervisor"))
    assert r.status_code == 409 and "sha256" in r.text
    assert (model_copy / "outlier.json").read_text() == before
    shutil.copy(model_copy / "outlier.skops", model_copy / "outlier-candidate.skops")
    assert (await app.post("/api/models/promote", headers=office.h("registrar"))).status_code == 403
    r = await app.post("/api/models/promote", headers=office.h("supervisor"))
    assert r.status_code == 200 and r.json()["promoted_by"] == office.usernames["supervisor"]
    assert not (model_copy / "outlier-candidate.skops").exists() and (model_copy / "outlier-previous.json").exists()
    assert outlier.load(model_copy).meta["promoted_by"] == office.usernames["supervisor"]
