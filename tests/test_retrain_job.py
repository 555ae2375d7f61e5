"""The scheduled retraining trains a real candidate from the registry, wherever techreg is installed."""

import datetime as dt
import io
import json
import shutil

from conftest import APP_PASSWORD, PASSWORD, app_url
from techreg.config import load_settings
from techreg.db.pool import connect, create_pool
from techreg.demo import DEMO_REGISTRARS, demo_filings
from techreg.detection import outlier
from techreg.registry.importer import import_stream
from techreg.registry.points import PointIn, create_point
from techreg.registry.users import UserIn, create_user
from techreg.scheduling.engine import Engine

UTC = dt.timezone.utc


async def _registry_with_filings(url: str, count: int) -> None:
    conn = await connect(url)
    try:
        for point, username in DEMO_REGISTRARS.items():
            await create_point(conn, PointIn(code=point, name=point))
            await create_user(conn, UserIn(username=username, display_name=username, role="registrar",
                                           point_code=point, password=PASSWORD), actor="system")
        data = b"".join(json.dumps(f, ensure_ascii=False).encode() + b"\n" for f in demo_filings(count))
        report = await import_stream(conn, io.BytesIO(data), b"retrain", actor="test", create_points=True, source="test")
        assert not report.errors, report.errors[:3]
    finally:
        await conn.close()


async def test_retrain_job_trains_a_candidate_as_the_service_role(empty_database, tmp_path, monkeypatch):
    for suffix in ("skops", "json"):                 # the model in force, in a models folder of its own
        shutil.copy(outlier.models_dir() / f"outlier.{suffix}", tmp_path / f"outlier.{suffix}")
    monkeypatch.setenv("TECHREG_MODELS_DIR", str(tmp_path))
    await _registry_with_filings(empty_database, 400)
    # the worker's settings: the service's role, and no findings needed to train
    settings = load_settings(database_url=app_url(empty_database), retrain_min_findings=0)
    pool = await create_pool(app_url(empty_database), settings)
    try:
        now = dt.datetime.now(UTC)
        run = await Engine(pool, settings, clock=lambda: now).run("retrain_check", now)
    finally:
        await pool.close()
    assert run.status == "succeeded", run.error
    assert run.counts["trained"] is True and run.counts["candidate"] == str(tmp_path / "outlier-candidate.skops")
    candidate = outlier.describe(tmp_path)["candidate"]
    assert candidate["training_data"]["source"] == "registry"
    assert candidate["training_data"]["filings"] == 400
    # the metadata names the database, never the password the worker connected with
    assert APP_PASSWORD not in json.dumps(candidate) and "@" not in candidate["training_data"]["database"]
    assert candidate["sha256"] == outlier.file_sha256(tmp_path / "outlier-candidate.skops")


async def test_retrain_job_waits_for_enough_findings(empty_database, tmp_path, monkeypatch):
    monkeypatch.setenv("TECHREG_MODELS_DIR", str(tmp_path))
    settings = load_settings(database_url=app_url(empty_database), retrain_min_findings=1)
    pool = await create_pool(app_url(empty_database), settings)
    try:
        now = dt.datetime.now(UTC)
        run = await Engine(pool, settings, clock=lambda: now).run("retrain_check", now)
    finally:
        await pool.close()
    assert run.status == "succeeded" and run.counts == {"new_findings": 0, "trained": False}
    assert not (tmp_path / "outlier-candidate.skops").exists()
