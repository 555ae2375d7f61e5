"""What `techreg demo` loads: every anomaly kind with its evidence, a queue per registrar, registered history."""

import io
import json

from techreg.config import load_settings
from techreg.db.pool import connect
from techreg.demo import DEMO_POINTS, DEMO_REGISTRARS, demo_filings
from techreg.detection.scan import run_scan
from techreg.registry.importer import import_stream


async def test_demo_shows_every_detector_and_gives_registrars_work(empty_database):
    filings = demo_filings(3000)
    conn = await connect(empty_database)
    try:
        # the points and registrars the demo names exist first, as `techreg demo` makes them (an import checks
        # them, never invents them)
        from conftest import PASSWORD
        from techreg.registry.points import PointIn, create_point
        from techreg.registry.users import UserIn, create_user
        for point, name in DEMO_POINTS:
            await create_point(conn, PointIn(code=point, name=name))
        for point, username in DEMO_REGISTRARS.items():
            await create_user(conn, UserIn(username=username, display_name=username, role="registrar",
                                           point_code=point, password=PASSWORD))
        data = b"".join(json.dumps(f, ensure_ascii=False).encode() + b"\n" for f in filings)
        report = await import_stream(conn, io.BytesIO(data), b"demo", actor="demo", source="demo")
        assert not report.errors, report.errors[:3]
        await run_scan(conn, load_settings(database_url=empty_database), full=True)
        kinds = dict(await conn.fetch("SELECT kind, count(*) FROM flags WHERE active GROUP BY kind"))
        assert {"split", "large_software", "backdated", "duplicate"} <= set(kinds), kinds
        # the inspector's side-by-side view needs splits whose parts are named as related filings
        assert await conn.fetchval("SELECT count(*) FROM flags WHERE kind = 'split' AND cardinality(related) > 0") > 0
        queues = dict(await conn.fetch("SELECT registrar, count(*) FROM filings WHERE status = 'submitted'"
                                       " GROUP BY registrar"))
        assert set(queues) == set(DEMO_REGISTRARS.values()) and min(queues.values()) >= 20
        # registered history is complete: a number and a registrar wherever the point has one
        assert not await conn.fetchval("SELECT count(*) FROM filings WHERE status = 'registered' AND reg_no IS NULL")
        assert not await conn.fetchval("SELECT count(*) FROM filings WHERE point_code = any($1) AND registrar IS NULL",
                                       list(DEMO_REGISTRARS))
    finally:
        await conn.close()
