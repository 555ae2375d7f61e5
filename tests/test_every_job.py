"""Every scheduled job, as the scheduler runs it (inside the engine's transaction), succeeds on a populated
registry and does its work: none fails on its first run in a deployment, none quietly does nothing."""

import datetime as dt
import json

import pytest

from conftest import app_url
from test_retrain_job import _registry_with_filings
from techreg.config import load_settings
from techreg.db.pool import create_pool
from techreg.registry import checkpoints
from techreg.scheduling.engine import Engine
from techreg.scheduling.jobs import JOBS

UTC = dt.timezone.utc


@pytest.mark.parametrize("name", sorted(JOBS))
async def test_every_job_succeeds_on_a_populated_registry(name, empty_database, tmp_path, monkeypatch):
    monkeypatch.setenv("TECHREG_MODELS_DIR", str(tmp_path / "models"))
    await _registry_with_filings(empty_database, 300)
    # events older than the settle time, so the checkpoint has something to seal
    pool_owner = await create_pool(empty_database, load_settings(database_url=empty_database))
    await pool_owner.execute("ALTER TABLE filing_events DISABLE TRIGGER USER")
    await pool_owner.execute("UPDATE filing_events SET at = at - interval '1 day'")
    await pool_owner.execute("ALTER TABLE filing_events ENABLE TRIGGER USER")
    await pool_owner.close()
    settings = load_settings(database_url=app_url(empty_database), data_dir=tmp_path, audit_key="k")
    pool = await create_pool(app_url(empty_database), settings)
    try:
        now = dt.datetime.now(UTC)
        run = await Engine(pool, settings, clock=lambda: now).run(name, now)
    finally:
        await pool.close()
    assert run.status == "succeeded", run.error
    if name == "audit_checkpoint":
        sealed = checkpoints.read(tmp_path / "audit-checkpoints.jsonl")
        assert run.counts["checkpoint"] == 1 and sealed[0].count == run.counts["events"] > 0
    if name.startswith("scan_"):
        assert run.counts["filings_scored"] > 0
    assert json.dumps(run.counts)
