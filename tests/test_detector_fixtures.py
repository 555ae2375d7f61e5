"""The detector contract: every registered detector has its page and its golden fixture, and raises
exactly the fixture's expected flags (with their evidence) when the fixture goes through import and a
full scan on PostgreSQL."""

import io
import json
import re
from pathlib import Path

import pytest

from techreg import labels
from techreg.config import load_settings
from techreg.db.pool import connect
from techreg.detection.base import env_names
from techreg.detection.detectors import DETECTORS
from techreg.detection.scan import run_scan
from techreg.registry.importer import import_stream

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "detectors"


def test_every_detector_keeps_the_contract():
    for d in DETECTORS:
        page = (ROOT / "docs" / "detectors" / f"{d.KIND}.md").read_text()
        # the page names every setting by its environment variable
        for variable, _, _ in env_names(d.KIND, d.Settings):
            assert variable in page, (d.KIND, variable)
        assert (FIXTURES / f"{d.KIND}.jsonl").exists(), d.KIND
        assert d.SCOPE in ("seller", "pairs", "changed") and 0 < d.RISK_WEIGHT <= 1 and all(d.LABEL)
        assert callable(d.detect) and d.Settings() is not None
    assert len({d.KIND for d in DETECTORS}) == len(DETECTORS)


@pytest.mark.parametrize("kind", [d.KIND for d in DETECTORS])
async def test_golden_fixture(kind, empty_database):
    lines = [json.loads(line) for line in (FIXTURES / f"{kind}.jsonl").read_text().splitlines() if line.strip()]
    filings = [x["filing"] for x in lines if "filing" in x]
    expected = {x["expect"]["ref"]: sorted(x["expect"]["related"]) for x in lines if "expect" in x}
    conn = await connect(empty_database)
    try:
        data = b"".join(json.dumps(f, ensure_ascii=False).encode() + b"\n" for f in filings)
        report = await import_stream(conn, io.BytesIO(data), b"fixture", actor="fixture", create_points=True, source=kind)
        assert not report.errors, report.errors[:3]
        await run_scan(conn, load_settings(database_url=empty_database), full=True)
        rows = await conn.fetch("SELECT f.ref, g.related, g.reasons, g.score FROM flags g JOIN filings f ON f.id = g.filing_id"
                                " WHERE g.active AND g.kind = $1", kind)
    finally:
        await conn.close()
    assert {r["ref"]: sorted(r["related"]) for r in rows} == expected
    for r in rows:                       # evidence a person can check: words, with the figures in them
        assert r["reasons"] and any(ch.isdigit() for ch in r["reasons"][0])
        assert 0 < r["score"] <= 1
        for reason in r["reasons"]:      # each said in both languages, which a page shows one of
            zh, en = labels.halves(reason)
            assert zh != en and not re.search(r"[\u4e00-\u9fff]", en), (r["ref"], reason)


def test_readme_lists_every_detector_setting_and_the_environment_sets_them():
    from techreg.detection.detectors import load_settings

    readme = (ROOT / "README.md").read_text()
    for d in DETECTORS:
        for variable, default, _ in env_names(d.KIND, d.Settings):
            assert variable in readme, variable
    settings = load_settings({"TECHREG_SPLIT_WINDOW_DAYS": "30", "TECHREG_SPLIT_LINES": "1000000,3000000",
                              "TECHREG_LARGE_SOFTWARE_SELLER_Z": "5"})
    assert settings["split"].window_days == 30 and settings["split"].lines == (1e6, 3e6)
    assert settings["large_software"].seller_z == 5.0 and settings["backdated"].weak_days == 14
    with pytest.raises(ValueError, match="TECHREG_SPLIT_WINDOW_DAYS"):
        load_settings({"TECHREG_SPLIT_WINDOW_DAYS": "soon"})
