"""Faults: PostgreSQL killed (kill -9 of the postmaster) under load, down for 10 s, started again;
then a scan worker killed mid-scan.

    python bench/faults.py [CLIENTS] [DOWN_SECONDS]      (defaults 8 and 10)

API part: clients keep creating filings and log every answer. While the database is down the API
must answer 503 with Retry-After, quickly; afterwards the same service process must recover by
itself. Then the client log is compared with the database: every filing acknowledged with 201 must
exist (lost = 0) and no filing the client was told failed may exist (phantom = 0).

Worker part: `techreg jobs run scan_full` on 200,000 filings is killed with SIGKILL mid-scan; the
scan's writes must be gone (no succeeded scan run from it, no flags from it), the next tick marks
the run failed, and the next full scan completes.
"""

import asyncio
import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import msgspec
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from _common import BENCH_PASSWORD, embedded, fresh_database, office, service  # noqa: E402

from techreg.config import load_settings  # noqa: E402
from techreg.db.pool import connect, create_pool  # noqa: E402
from techreg.demo import generate, jsonl  # noqa: E402
from techreg.registry.importer import import_stream  # noqa: E402

CLIENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 8
DOWN = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
encoder = msgspec.json.Encoder()


async def api_under_fault(url: str, pg) -> None:
    await office(url)
    log: list[tuple[str, int, float, float, bool]] = []      # ref, status, latency, at, retry-after given
    fresh = iter(generate(10_000_000, seed=5, points=["310101"], ref_prefix="FLT"))
    with service(url, TECHREG_POOL_MAX=CLIENTS + 4) as base:
        async with aiohttp.ClientSession(base, timeout=aiohttp.ClientTimeout(total=10)) as http:
            async with http.post("/api/auth/login", json={"username": "bench", "password": BENCH_PASSWORD}) as r:
                token = (await r.json())["token"]
            headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
            t0 = time.perf_counter()
            phases = {"kill": 5.0, "restart": 5.0 + DOWN, "end": 5.0 + DOWN + 15.0}

            async def client() -> None:
                while time.perf_counter() - t0 < phases["end"]:
                    body = next(fresh)
                    t = time.perf_counter()
                    try:
                        async with http.post("/api/filings", data=encoder.encode(body), headers=headers) as r:
                            await r.read()
                            log.append((body.ref, r.status, time.perf_counter() - t, t - t0,
                                        "Retry-After" in r.headers))
                            if r.status == 503:
                                await asyncio.sleep(0.2)
                    except (aiohttp.ClientError, asyncio.TimeoutError):
                        log.append((body.ref, -1, time.perf_counter() - t, t - t0, False))   # outcome unknown

            async def chaos() -> None:
                await asyncio.sleep(phases["kill"])
                pid = pg.postmaster_pid()
                os.kill(pid, signal.SIGKILL)
                print(f"  t={time.perf_counter() - t0:5.1f}s  kill -9 postmaster {pid}")
                await asyncio.sleep(DOWN)
                await asyncio.to_thread(pg.start)
                print(f"  t={time.perf_counter() - t0:5.1f}s  PostgreSQL started again")

            await asyncio.gather(chaos(), *[client() for _ in range(CLIENTS)])
    conn = await connect(url)
    stored = {r[0] for r in await conn.fetch("SELECT ref FROM filings WHERE ref LIKE 'FLT-%'")}
    await conn.close()
    acked = {ref for ref, status, *_ in log if status == 201}
    failed = {ref for ref, status, *_ in log if status >= 400}
    unknown = {ref for ref, status, *_ in log if status == -1}
    down = [(lat, ra) for _, status, lat, at, ra in log if status == 503]
    after = [status for _, status, _, at, _ in log if at > phases["restart"] + 3]
    import collections
    print(f"requests {len(log)}: by status {dict(collections.Counter(s for _, s, *_ in log))}"
          f" (-1: connection dropped, outcome unknown)")
    if down:
        lat = np.array([d[0] for d in down]) * 1000
        print(f"503 while down: p50 {np.percentile(lat, 50):.0f} ms, p99 {np.percentile(lat, 99):.0f} ms,"
              f" all with Retry-After: {all(d[1] for d in down)}")
    print(f"recovered by itself: {after.count(201)} of {len(after)} requests 201 from 3 s after the restart")
    print(f"LOST (acknowledged, not stored): {len(acked - stored)}")
    print(f"PHANTOM (told failed, yet stored): {len(failed & stored)}")
    print(f"unknown-outcome refs stored: {len(unknown & stored)} of {len(unknown)} (a retry with the same"
          f" Idempotency-Key settles these)")


async def worker_killed_mid_scan(url: str) -> None:
    conn = await connect(url)
    data = io.BytesIO(b"".join(jsonl(generate(200_000, seed=8, points=["310101"], ref_prefix="SCN"))))
    await import_stream(conn, data, b"bench-key", actor="bench", create_points=True, source="faults")
    env = {**os.environ, "TECHREG_DATABASE_URL": url, "TECHREG_AUDIT_KEY": "bench-key"}
    proc = subprocess.Popen([sys.executable, "-m", "techreg.cli", "jobs", "run", "scan_full"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):                                    # wait until the scan is under way
        if await conn.fetchval("SELECT count(*) FROM job_runs WHERE status = 'running'"):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(2.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    runs = await conn.fetch("SELECT status FROM scan_runs")
    flags = await conn.fetchval("SELECT count(*) FROM flags")
    print(f"worker killed mid-scan: scan_runs rows {[r['status'] for r in runs]}, flags {flags} (expected none)")
    from techreg.scheduling.engine import Engine, utc_now
    settings = load_settings(database_url=url)
    pool = await create_pool(url, settings)
    # staleness is judged on the server's clock: no grace period, so the killed run is recovered at once
    engine = Engine(pool, settings, stale_after=dt.timedelta(0))
    recovered = await engine.recover_stale()
    run = await engine.run("scan_full", utc_now(), trigger="manual", requested_by="bench")
    await pool.close()
    print(f"next tick marked {recovered} interrupted run(s) failed; next full scan: {run.status} {run.counts}")
    await conn.close()


async def main() -> None:
    with embedded() as (admin_url, pg):
        url = await fresh_database(admin_url)
        await api_under_fault(url, pg)
        await worker_killed_mid_scan(url)


if __name__ == "__main__":
    asyncio.run(main())
