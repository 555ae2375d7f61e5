"""TECHREG_READ_DATABASE_URL against a real streaming replica: a primary and a standby made from it with
pg_basebackup -R, both from the same PostgreSQL binaries, started here on ports and folders of this worker.

The proof that a page was read on the replica: its replay is paused (pg_wal_replay_pause), so it lacks what the
primary wrote since, while the person who wrote it is served from the primary."""

import asyncio
import datetime as dt
import io
import json

import pytest
from litestar.testing import AsyncTestClient

from conftest import _swap_db, create_database, filing_body, make_office, new_ref, party_code, unique_point_code, told
from techreg.config import load_settings
from techreg.db.embedded import EmbeddedPostgres
from techreg.db.pool import connect
from techreg.db.replica import primary_position, replayed_past, wait_for_replay
from techreg.detection.scan import run_scan
from techreg.registry.events import verify_chain
from techreg.registry.importer import import_stream
from techreg.scheduling import jobs
from techreg.testing import app_url
from techreg.web.replica import SEEN_COOKIE

ORIGIN = {"origin": "http://testserver.local"}     # page forms come from this site's pages
KEY = "replica-audit-key"
# small servers: two of them share the machine with the rest of the suite
SMALL = {"shared_buffers": "32MB", "max_connections": "60", "fsync": "off", "synchronous_commit": "on"}


@pytest.fixture(scope="module")
def replicated(tmp_path_factory):
    """(owner URL on the primary, owner URL of the same database on the replica); both servers stopped at the
    end, or when anything here fails."""
    root = tmp_path_factory.mktemp("replica")
    primary = EmbeddedPostgres(root / "primary")
    standby = None
    try:
        primary.init()
        with open(primary.pgdata / "postgresql.auto.conf", "a") as conf:
            conf.writelines(f"{k} = '{v}'\n" for k, v in SMALL.items())
        url = primary.start()
        database = asyncio.run(create_database(url, "techreg_replica"))
        standby = primary.standby(root / "standby", hot_standby_feedback="on")
        replica_url = _swap_db(standby.start(), database.rpartition("/")[2])
        yield database, replica_url
    finally:
        if standby is not None:
            standby.stop(mode="immediate")
        primary.stop(mode="immediate")


async def _replayed(primary, replica) -> None:
    assert await wait_for_replay(replica, await primary_position(primary), 30), "the replica did not catch up"


async def _pause(replica) -> None:
    await replica.execute("SELECT pg_wal_replay_pause()")
    for _ in range(1000):
        if await replica.fetchval("SELECT pg_get_wal_replay_pause_state()") == "paused":
            return
        await asyncio.sleep(0.01)
    raise AssertionError("replay did not pause")


def _settings(tmp_path, database: str, replica: str | None, **over):
    return load_settings(data_dir=tmp_path, database_url=database, audit_key=KEY, login_attempts_per_minute=1000,
                         read_database_url=replica, **over)


async def test_pages_read_the_replica_and_a_person_reads_their_own_writes_on_the_primary(replicated, tmp_path):
    from techreg.web.app import create_app

    database, replica_url = replicated
    primary, replica = await connect(database), await connect(replica_url)
    application = create_app(_settings(tmp_path, database, app_url(replica_url)), app_url(database))
    try:
        async with AsyncTestClient(app=application) as client:
            office = await make_office(database)
            ref, later = new_ref("RR"), new_ref("RR")
            r = await client.post("/api/filings", json=filing_body(ref, office.point), headers=office.h("registrar"))
            assert r.status_code == 201, r.text
            assert client.cookies.get(SEEN_COOKIE), "a write answers with the primary's position"
            await _replayed(primary, replica)

            await _pause(replica)
            # while the replica stands still: another filing, and the registration of the first (the page's form)
            r = await client.post("/api/filings", json=filing_body(later, office.point), headers=office.h("registrar"))
            assert r.status_code == 201, r.text
            client.cookies.clear()
            client.cookies.set("techreg_session", office.tokens["registrar"])
            r = await client.post(f"/filings/{ref}/act", headers=ORIGIN, follow_redirects=False,
                                  data={"action": "register", "confirm_flags": "yes", "approved_amount": "1000000.00"})
            assert r.status_code == 303 and "msg" in told(r) and "err" not in told(r), told(r)
            seen = client.cookies.get(SEEN_COOKIE)
            assert seen and not await replayed_past(replica, seen)

            # the writes, the registration number and the event chain: on the primary, not (yet) on the replica
            registered = await primary.fetchrow("SELECT status, reg_no FROM filings WHERE ref = $1", ref)
            assert registered["status"] == "registered" and registered["reg_no"]
            assert (await replica.fetchrow("SELECT status, reg_no FROM filings WHERE ref = $1", ref))["reg_no"] is None
            assert await replica.fetchval("SELECT count(*) FROM filings WHERE ref = $1", later) == 0
            assert (await verify_chain(primary, KEY.encode())).ok

            # the registrar, right after registering: the filing page and the list from the primary
            page = await client.get(f"/filings/{ref}")
            assert page.status_code == 200 and registered["reg_no"] in page.text
            listing = await client.get("/filings", params={"q": later})
            assert f'href="/filings/{later}"' in listing.text
            export = await client.get("/filings", params={"q": "RR-", "format": "csv"})
            assert later in export.content.decode("utf-8-sig") and registered["reg_no"] in export.content.decode("utf-8-sig")

            # someone else (no position of their own): the registry as the replica has it, lag and all
            for who in ("registrar2", "supervisor"):
                client.cookies.clear()
                client.cookies.set("techreg_session", office.tokens[who])
                page = await client.get(f"/filings/{ref}")
                assert page.status_code == 200 and ref in page.text and registered["reg_no"] not in page.text
                listing = await client.get("/filings", params={"q": later})
                assert listing.status_code == 200 and f'href="/filings/{later}"' not in listing.text
                export = await client.get("/filings", params={"q": "RR-", "format": "csv"})
                text = export.content.decode("utf-8-sig")
                assert ref in text and later not in text and registered["reg_no"] not in text
            # every lag-tolerant page works on a hot standby (read-only, no temporary tables)
            for path in ("/dashboard", "/statistics", "/deadlines", "/revocations", "/campaigns", "/orders",
                         "/enforcement", "/reviews", "/filings?format=xlsx", "/deadlines?format=csv"):
                assert (await client.get(path)).status_code == 200, path
            client.cookies.set("techreg_session", office.tokens["inspector"])
            assert (await client.get("/queue")).status_code == 200
            # a position that is not one (a forged cookie) is ignored, never an error
            client.cookies.set("techreg_session", office.tokens["supervisor"])
            client.cookies.set(SEEN_COOKIE, "'; DROP TABLE filings; --")
            assert (await client.get("/filings", params={"q": later})).status_code == 200

            await replica.execute("SELECT pg_wal_replay_resume()")
            await _replayed(primary, replica)
            # replayed: everyone sees the same number, the same chain
            client.cookies.delete(SEEN_COOKIE)
            page = await client.get(f"/filings/{ref}")
            assert registered["reg_no"] in page.text
            assert f'href="/filings/{later}"' in (await client.get("/filings", params={"q": later})).text
            chain = "SELECT seq, action, hash FROM filing_events e JOIN filings f ON f.id = e.filing_id WHERE f.ref = $1 ORDER BY seq"
            assert [tuple(e) for e in await replica.fetch(chain, ref)] == [tuple(e) for e in await primary.fetch(chain, ref)]
            assert await replica.fetchval("SELECT reg_no FROM filings WHERE ref = $1", ref) == registered["reg_no"]
    finally:
        await replica.execute("SELECT pg_wal_replay_resume()")
        await primary.close()
        await replica.close()


FLAGS = ("SELECT filing_id, kind, detector, round(score::numeric, 9), reasons::text, related FROM flags WHERE active"
         " ORDER BY 1, 2, 3")


async def _import(conn, point: str, n: int) -> str:
    """A filing signed after its performance began (a back-dating flag) of parties of its own; its ref."""
    ref = new_ref("RS")
    body = filing_body(ref, point, signed_on="2026-06-01", performance_start="2026-01-05",
                       performance_end="2026-05-20", filed_on="2026-06-03",
                       seller={"name": "上海启明检测技术有限公司", "credit_code": party_code(n * 10 + 3), "region": "310101"},
                       buyer={"name": "上海长江新材料有限公司", "credit_code": party_code(n * 10 + 4), "region": "310104"})
    report = await import_stream(conn, io.BytesIO(json.dumps(body).encode() + b"\n"), KEY.encode(), actor="t", create_points=True, source="s")
    assert report.imported == 1, report.errors
    return ref


async def _flagged(conn, ref: str) -> bool:
    return await conn.fetchval("SELECT count(*) FROM flags g JOIN filings f ON f.id = g.filing_id"
                               " WHERE f.ref = $1 AND g.kind = 'backdated' AND g.active", ref) == 1


async def _same_flags_as_on_the_primary(primary, settings, replica, *, full: bool) -> None:
    """The scan with the replica writes exactly the flags the same scan without it writes (run first, on the same
    state, then rolled back)."""
    tx = primary.transaction()
    await tx.start()
    try:
        alone = await run_scan(primary, settings, full=full)
        expected = await primary.fetch(FLAGS)
    finally:
        await tx.rollback()
    await _replayed(primary, replica)
    report = await run_scan(primary, settings, full=full, replica=replica)
    assert report.read_from == "replica" and alone.read_from == "primary"
    assert (report.filings_read, report.filings_scored) == (alone.filings_read, alone.filings_scored)
    assert await primary.fetch(FLAGS) == expected


async def test_a_scan_reads_on_the_replica_once_it_has_caught_up_and_writes_the_same_flags(replicated, tmp_path):
    database, replica_url = replicated
    primary, replica = await connect(database), await connect(replica_url)
    settings = _settings(tmp_path, database, replica_url, read_replay_wait=30.0)
    point = unique_point_code()
    n = int(point)
    try:
        first = await _import(primary, point, n)
        await _same_flags_as_on_the_primary(primary, settings, replica, full=True)
        assert await _flagged(primary, first)
        second = await _import(primary, point, n + 1)
        await _same_flags_as_on_the_primary(primary, settings, replica, full=False)
        assert await _flagged(primary, second)

        # a replica that does not catch up in time: the scan reads on the primary and misses nothing
        await _pause(replica)
        third = await _import(primary, point, n + 2)
        report = await run_scan(primary, _settings(tmp_path, database, replica_url, read_replay_wait=0.2),
                                full=False, replica=replica)
        assert report.read_from == "primary" and report.filings_scored >= 1 and await _flagged(primary, third)
        await replica.execute("SELECT pg_wal_replay_resume()")

        # the scheduled job opens its own connection to TECHREG_READ_DATABASE_URL
        fourth = await _import(primary, point, n + 3)
        async with primary.transaction():
            counts = await jobs.scan_incremental(primary, settings, dt.datetime.now(dt.timezone.utc))
        assert counts["read_from"] == "replica" and await _flagged(primary, fourth)
    finally:
        await replica.execute("SELECT pg_wal_replay_resume()")
        await primary.close()
        await replica.close()
