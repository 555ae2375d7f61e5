"""Benchmark: one primary and a streaming replica (issue #14 item 4, TECHREG_READ_DATABASE_URL).

    python bench/read_replica.py [N] [--seconds S] [--clients C] [--chunk K]    (defaults 100000, 20, 4, 10000)

A primary and a standby made from it with pg_basebackup -R (the embedded server's own binaries), both on this
machine, then:

1. lag while N synthetic filings (ml/synth.py) are imported on the primary: every 0.2 s, the time a commit on the
   primary takes to be visible on the replica (its position, then the replica polled until it has replayed past
   it), and how many bytes of WAL the replica is behind; the WAL the import wrote, per second;
2. the import rate with the standby streaming and with it stopped, alternately, 4 x 20,000 filings: the ratio;
3. `techreg serve` without and with TECHREG_READ_DATABASE_URL, alternately twice: C clients reading lag-tolerant
   pages (the list, a filter, a search, a filing page, the dashboard) for S seconds while one registrar submits
   filings through the API: pages/s, their p95, filings/s, and the CPU seconds each PostgreSQL spent per 1,000
   pages (psutil, the postmaster and its processes).

Both servers share this machine's cores: what moves to the replica is the primary's work, not the machine's.
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import multiprocessing
import time
from pathlib import Path

import aiohttp
import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from _common import fresh_database, service  # noqa: E402
from pages_at_scale import PASSWORD, prepare  # noqa: E402

from techreg.config import load_settings  # noqa: E402
from techreg.db.embedded import EmbeddedPostgres  # noqa: E402
from techreg.db.pool import connect  # noqa: E402
from techreg.db.replica import primary_position, replayed_past  # noqa: E402
from techreg.registry.creditcode import make_code  # noqa: E402
from techreg.testing import app_url  # noqa: E402

# bounded WAL on both servers: the machine's disk is shared
SETTINGS = {"max_wal_size": "256MB", "min_wal_size": "64MB", "shared_buffers": "256MB", "hot_standby_feedback": "on"}


def _swap_db(url: str, name: str) -> str:
    return url.rpartition("/")[0] + "/" + name


def _cpu(pg: EmbeddedPostgres) -> float:
    """CPU seconds of a server's postmaster and every process under it, now."""
    try:
        root = psutil.Process(pg.postmaster_pid())
        total = 0.0
        for p in [root, *root.children(recursive=True)]:
            with_times = p.cpu_times()
            total += with_times.user + with_times.system
        return total
    except psutil.Error:
        return 0.0


def _jsonl(n: int, seed: int) -> Path:
    from ml.synth import generate

    path = Path(tempfile.mkdtemp(prefix="techreg-bench-replica-")) / "f.jsonl"
    filings, _ = generate(n, seed=seed)
    with open(path, "wb") as f:
        for x in filings:
            f.write(json.dumps(x, ensure_ascii=False).encode() + b"\n")
    return path


async def _import(url: str, path: Path) -> float:
    """Import the file on the primary; seconds taken. The file is removed afterwards (the disk is shared)."""
    from techreg.registry.importer import import_stream

    conn = await connect(url)
    t = time.perf_counter()
    with open(path, "rb") as f:
        report = await import_stream(conn, f, b"bench", actor="bench", create_points=True, source="synthetic")
    seconds = time.perf_counter() - t
    await conn.close()
    assert not report.rejected, report.errors[:3]
    path.unlink()
    path.parent.rmdir()
    return seconds


def _sample_lag(primary_url: str, replica_url: str, stop, out) -> None:
    """In a process of its own (the import holds this one's interpreter): every 0.2 s, how long a commit made on
    the primary now takes to be replayed (the replica polled every 2 ms), and the WAL bytes it is behind."""
    async def sample() -> tuple[list, list]:
        primary, replica = await connect(primary_url), await connect(replica_url)
        visible_ms, behind = [], []
        try:
            while not stop.is_set():
                position = await primary_position(primary)
                t = time.perf_counter()
                behind.append(await replica.fetchval(
                    "SELECT pg_wal_lsn_diff($1::text::pg_lsn, pg_last_wal_replay_lsn())::bigint", position))
                while not await replayed_past(replica, position):
                    await asyncio.sleep(0.002)
                visible_ms.append((time.perf_counter() - t) * 1000)
                await asyncio.sleep(0.2)
        finally:
            await primary.close()
            await replica.close()
        return visible_ms, behind
    out.put(asyncio.run(sample()))


def _percentiles(values, unit: str, scale: float = 1.0) -> str:
    p50, p95 = np.percentile(values, [50, 95])
    return f"p50 {p50 / scale:,.0f}, p95 {p95 / scale:,.0f}, max {max(values) / scale:,.0f} {unit}"


async def lag_under_import(url: str, replica_url: str, n: int) -> None:
    path = _jsonl(n, seed=9)
    stop, out = multiprocessing.Event(), multiprocessing.Queue()
    sampler = multiprocessing.Process(target=_sample_lag, args=(url, replica_url, stop, out))
    conn = await connect(url)
    start = await primary_position(conn)
    sampler.start()
    seconds = await _import(url, path)
    wal = await conn.fetchval("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::text::pg_lsn)::bigint", start)
    await conn.close()
    stop.set()
    visible_ms, behind = out.get()
    sampler.join()
    print(f"1. import of {n:,} filings with the replica streaming: {seconds:.0f} s ({n / seconds:,.0f} filings/s),"
          f" WAL {wal / 2**20:,.0f} MB ({wal / 2**20 / seconds:.1f} MB/s); load {os.getloadavg()[0]:.1f}")
    print(f"   a commit visible on the replica after: {_percentiles(visible_ms, 'ms')} ({len(visible_ms)} probes)")
    print(f"   replica behind by: {_percentiles(behind, 'kB', 1024)}")


async def import_rate(url: str, standby: EmbeddedPostgres, chunk: int) -> None:
    rates = {"streaming": [], "stopped": []}
    for k, mode in enumerate(("streaming", "stopped") * 3):
        if mode == "stopped":
            standby.stop()
        else:
            standby.start()
        path = _jsonl(chunk, seed=31 + k)
        rates[mode].append(chunk / await _import(url, path))
    standby.start()
    streaming, stopped = np.mean(rates["streaming"]), np.mean(rates["stopped"])
    print(f"2. import rate, {chunk:,} filings each, alternately: streaming {', '.join(f'{r:,.0f}' for r in rates['streaming'])}"
          f" / stopped {', '.join(f'{r:,.0f}' for r in rates['stopped'])} filings/s: ratio {streaming / stopped:.2f};"
          f" load {os.getloadavg()[0]:.1f}")


def _filing(ref: str, point: str, k: int) -> dict:
    return {"ref": ref, "contract_no": f"HT-{ref}", "title": "工业互联网平台软件开发合同", "kind": "development",
            "subkind": "commissioned", "software": True, "domain": "electronic_information",
            "seller": {"name": "上海华信信息技术有限公司", "credit_code": make_code(f"91310101{k % 997:09d}"[:17]),
                       "region": "310101"},
            "buyer": {"name": "上海东方装备制造有限公司", "credit_code": make_code(f"91310104{k % 991 + 1000:09d}"[:17]),
                      "region": "310104"},
            "amount": "1250000.00", "tech_amount": "1000000.00", "signed_on": "2026-03-01",
            "performance_start": "2026-03-10", "performance_end": "2026-12-31", "filed_on": "2026-03-15",
            "point": point}


def _pages(w: dict) -> list:
    return [lambda k: "/filings", lambda k: "/filings?status=registered",
            lambda k: "/filings?q=" + w["title_words"][k % 20],
            lambda k: "/filings/" + w["refs"][k % len(w["refs"])], lambda k: "/dashboard"]


async def load(base: str, w: dict, point: str, seconds: float, clients: int, tag: str) -> dict:
    async with aiohttp.ClientSession(base) as http:
        tokens = {}
        for who in ("bench-supervisor", "bench-registrar"):
            async with http.post("/api/auth/login", json={"username": who, "password": PASSWORD}) as r:
                tokens[who] = (await r.json())["token"]
        reader = {"Authorization": f"Bearer {tokens['bench-supervisor']}"}
        writer = {"Authorization": f"Bearer {tokens['bench-registrar']}"}
        pages, times, written = _pages(w), [], [0]
        deadline = time.perf_counter() + seconds

        async def read(c: int) -> None:
            k = c
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                async with http.get(pages[k % len(pages)](k), headers=reader) as r:
                    await r.read()
                    assert r.status == 200, r.status
                times.append((time.perf_counter() - t) * 1000)
                k += clients

        async def write() -> None:
            k = 0
            while time.perf_counter() < deadline:
                ref = f"RB-{tag}-{k}"
                async with http.post("/api/filings", json=_filing(ref, point, k), headers=writer) as r:
                    assert r.status == 201, (r.status, await r.text())
                written[0] += 1
                k += 1

        await asyncio.gather(write(), *(read(c) for c in range(clients)))
    return {"pages": len(times), "p95": float(np.percentile(times, 95)), "written": written[0]}


def reads(url: str, replica_url: str, primary: EmbeddedPostgres, standby: EmbeddedPostgres, w: dict, point: str,
          seconds: float, clients: int) -> None:
    print(f"3. {clients} clients reading pages + 1 registrar submitting, {seconds:.0f} s each run")
    print(f"   {'run':<22} {'pages/s':>8} {'p95 ms':>7} {'filings/s':>9} {'primary CPU s/1000 pages':>25}"
          f" {'replica CPU s/1000':>19}  load")
    results = {"primary only": [], "with replica": []}
    for run in range(2):
        for mode in ("primary only", "with replica"):
            env = {"TECHREG_SCORE_ON_SUBMIT": "no"}
            if mode == "with replica":
                env["TECHREG_READ_DATABASE_URL"] = app_url(replica_url)
            with service(url, **env) as base:
                cpu = (_cpu(primary), _cpu(standby))
                t = time.perf_counter()
                out = asyncio.run(load(base, w, point, seconds, clients, f"{run}{mode[0]}"))
                took = time.perf_counter() - t
                used = (_cpu(primary) - cpu[0], _cpu(standby) - cpu[1])
            per = [u / out["pages"] * 1000 for u in used]
            results[mode].append((out["pages"] / took, out["written"] / took, per[0]))
            print(f"   {mode:<22} {out['pages'] / took:8.1f} {out['p95']:7.0f} {out['written'] / took:9.1f}"
                  f" {per[0]:25.2f} {per[1]:19.2f}  {os.getloadavg()[0]:.1f}")
    (a, b) = (np.mean(results["primary only"], axis=0), np.mean(results["with replica"], axis=0))
    print(f"   with replica / primary only: pages/s {b[0] / a[0]:.2f}, filings/s {b[1] / a[1]:.2f},"
          f" primary CPU per page {b[2] / a[2]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--parts", default="123", help="which measurements: 1 lag, 2 import rate, 3 reads")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="techreg-bench-replica-"))
    primary, standby = EmbeddedPostgres(root / "primary"), None
    try:
        primary.init()
        with open(primary.pgdata / "postgresql.auto.conf", "a") as conf:
            conf.writelines(f"{k} = '{v}'\n" for k, v in SETTINGS.items())
        admin = primary.start()
        url = asyncio.run(fresh_database(admin))
        standby = primary.standby(root / "standby")
        replica_url = _swap_db(standby.start(), url.rpartition("/")[2])
        print(f"primary and replica on one machine ({psutil.cpu_count()} cores, shared); load {os.getloadavg()[0]:.1f}")
        if "1" in args.parts:
            asyncio.run(lag_under_import(url, replica_url, args.n))
        if "2" in args.parts:
            asyncio.run(import_rate(url, standby, args.chunk))
        if "3" not in args.parts:
            return
        from techreg.detection.scan import run_scan

        async def scan() -> None:
            conn = await connect(url)
            await run_scan(conn, load_settings(database_url=url), full=True)
            await conn.close()
        asyncio.run(scan())
        w = asyncio.run(prepare(url))

        async def point_of() -> str:
            conn = await connect(url)
            try:
                return await conn.fetchval("SELECT point_code FROM users WHERE username = 'bench-registrar'")
            finally:
                await conn.close()
        reads(url, replica_url, primary, standby, w, asyncio.run(point_of()), args.seconds, args.clients)
    finally:
        if standby is not None:
            standby.stop(mode="immediate")
        primary.stop(mode="immediate")
        import shutil
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
