"""Load: a bounded mixed workload against the running service, at rising concurrency, until it breaks.

    python bench/load.py [SECONDS_PER_LEVEL] [PRELOAD]       (defaults 8 s and 20000 filings)

Mix: 70% reads (a filing by ref, or a page of the list), 25% filings created, 5% registrations of
filings this client created. Each level runs for a fixed time with a fixed number of clients
(bounded: one request in flight per client). For each level it prints requests/s, p50/p99 latency
and errors; the sustained rate is the highest level with zero errors and p99 <= 100 ms. The same mix
then runs without HTTP (the service functions called directly over a pool of the same size) at that
concurrency, and the ratio HTTP ÷ direct is printed.
"""

import asyncio
import io
import random
import sys
import time
from pathlib import Path

import aiohttp
import msgspec
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import BENCH_PASSWORD, fresh_database, office, server, service  # noqa: E402

from techreg.config import load_settings  # noqa: E402
from techreg.db.pool import connect, create_pool  # noqa: E402
from techreg.demo import generate, jsonl  # noqa: E402
from techreg.registry import listing, service as registry  # noqa: E402
from techreg.registry.importer import import_stream  # noqa: E402
from techreg.registry.schema import RegisterBody  # noqa: E402
from techreg.registry.users import user_named  # noqa: E402

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 8.0
PRELOAD = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
LEVELS = [2, 4, 8, 16, 32, 64]
POINT = "310101"
encoder = msgspec.json.Encoder()


class Level(msgspec.Struct):
    clients: int
    requests: int
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int


def summarise(clients, latencies, errors, elapsed) -> Level:
    lat = np.array(latencies) * 1000 if latencies else np.array([0.0])
    return Level(clients, len(latencies), len(latencies) / elapsed, float(np.percentile(lat, 50)),
                 float(np.percentile(lat, 99)), errors)


async def drive(clients: int, refs: list[str], fresh, send) -> Level:
    """`clients` loops for SECONDS, each sending the 70/25/5 mix through `send(action, argument)` (True: ok).

    Reads are half one filing, a fifth a list page; a client registers only filings it created itself.
    """
    latencies, errors = [], 0
    stop = time.perf_counter() + SECONDS

    async def client(seed: int) -> None:
        nonlocal errors
        rng, mine = random.Random(seed), []
        while time.perf_counter() < stop:
            roll = rng.random()
            if roll < 0.5:
                action, argument = "get", rng.choice(refs)
            elif roll < 0.7:
                action, argument = "list", None
            elif roll < 0.95 or not mine:
                action, argument = "create", next(fresh)
            else:
                action, argument = "register", mine.pop()
            t = time.perf_counter()
            try:
                ok = await send(action, argument)
            except Exception:
                ok = False
            latencies.append(time.perf_counter() - t)
            errors += not ok
            if ok and action == "create":
                mine.append((argument.ref, argument.tech_amount))      # registered at its declared amount

    t0 = time.perf_counter()
    await asyncio.gather(*[client(k) for k in range(clients)])
    return summarise(clients, latencies, errors, time.perf_counter() - t0)


async def http_level(base: str, token: str, clients: int, refs: list[str], fresh) -> Level:
    headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
    async with aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=clients)) as http:
        async def send(action: str, argument) -> bool:
            if action == "get":
                request, expected = http.get(f"/api/filings/{argument}", headers=headers), 200
            elif action == "list":
                request, expected = http.get("/api/filings?limit=20", headers=headers), 200
            elif action == "create":
                request, expected = http.post("/api/filings", data=encoder.encode(argument), headers=headers), 201
            else:
                ref, approved = argument
                request, expected = http.post(f"/api/filings/{ref}/register", headers=headers,
                                              data=encoder.encode({"approved_amount": approved})), 200
            async with request as r:
                await r.read()
                return r.status == expected

        return await drive(clients, refs, fresh, send)


async def direct_level(url: str, clients: int, refs: list[str], fresh, key: bytes) -> Level:
    """The same mix as service calls in one transaction each: no HTTP, no JSON, no auth."""
    settings = load_settings(database_url=url)
    pool = await create_pool(url, settings, min_size=clients, max_size=clients)
    async with pool.acquire() as conn:
        user = await user_named(conn, "bench")

    async def send(action: str, argument) -> bool:
        async with pool.acquire() as conn, conn.transaction():
            if action == "get":
                await registry.get_filing(conn, user, argument)
            elif action == "list":
                await listing.list_filings(conn, user, listing.FilingFilter(limit=20))
            elif action == "create":
                await registry.create_filing(conn, key, user, argument)
            else:
                ref, approved = argument
                await registry.register(conn, key, settings, user, ref, RegisterBody(approved_amount=approved))
        return True

    try:
        return await drive(clients, refs, fresh, send)
    finally:
        await pool.close()


async def main(url: str) -> None:
    await office(url, POINT)
    conn = await connect(url)
    data = io.BytesIO(b"".join(jsonl(generate(PRELOAD, seed=3, points=[POINT], ref_prefix="PRE"))))
    await import_stream(conn, data, b"bench-key", actor="bench", create_points=True, source="preload")
    refs = [r[0] for r in await conn.fetch("SELECT ref FROM filings")]
    await conn.close()
    fresh = iter(generate(2_000_000, seed=4, points=[POINT], ref_prefix="LOAD"))
    with service(url, TECHREG_POOL_MAX=64) as base:
        async with aiohttp.ClientSession(base) as http:
            async with http.post("/api/auth/login", json={"username": "bench", "password": BENCH_PASSWORD}) as r:
                token = (await r.json())["token"]
        print(f"{'clients':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
        results = []
        for clients in LEVELS:
            level = await http_level(base, token, clients, refs, fresh)
            results.append(level)
            print(f"{level.clients:>8}{level.rate:>9.0f}{level.p50_ms:>9.1f}{level.p99_ms:>9.1f}{level.errors:>8}")
            if level.errors or level.p99_ms > 100:
                break
    good = [lv for lv in results if not lv.errors and lv.p99_ms <= 100]
    if not good:
        print("no level met zero errors and p99 <= 100 ms")
        return
    best = max(good, key=lambda lv: lv.rate)
    direct = await direct_level(url, best.clients, refs, fresh, b"bench-key")
    print(f"sustained: {best.rate:.0f} req/s at {best.clients} clients, p50 {best.p50_ms:.1f} ms,"
          f" p99 {best.p99_ms:.1f} ms, errors {best.errors}")
    print(f"direct service calls, same mix and concurrency: {direct.rate:.0f} req/s (errors {direct.errors})")
    print(f"RATIO HTTP / direct = {best.rate / direct.rate:.2f}")


if __name__ == "__main__":
    with server() as admin_url:
        asyncio.run(main(asyncio.run(fresh_database(admin_url))))
