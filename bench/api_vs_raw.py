"""Benchmark (a): filings created per second through the HTTP API ÷ the same SQL over asyncpg.

    python bench/api_vs_raw.py [N] [CONCURRENCY]     (default 4000 filings, 16 at a time)

The API side runs the real service (uvicorn, one worker process) on loopback;
each request is authenticated, validated, and committed before its 201. The
raw side runs the service's own statements (party upsert, filing-and-event insert)
in one transaction per filing over an asyncpg pool of the same size.
"""

import asyncio
import datetime as dt
import sys
import time
from pathlib import Path

import aiohttp
import msgspec

sys.path.insert(0, str(Path(__file__).parent))
from _common import BENCH_PASSWORD, fresh_database, run, server, service  # noqa: E402

from techreg.config import load_settings  # noqa: E402
from techreg.db.pool import connect, create_pool  # noqa: E402
from techreg.demo import generate  # noqa: E402
from techreg.registry.service import CREATE_FILING, UPSERT_PARTIES, create_args, party_args  # noqa: E402
from techreg.registry.points import PointIn, create_point  # noqa: E402
from techreg.registry.users import UserIn, create_user  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
C = int(sys.argv[2]) if len(sys.argv) > 2 else 16
KEY = b"bench-key"
POINT = "310101"


async def setup(url: str) -> None:
    conn = await connect(url)
    await create_point(conn, PointIn(code=POINT, name="bench"))
    await create_user(conn, UserIn(username="bench", display_name="bench", role="registrar", point_code=POINT,
                                   password=BENCH_PASSWORD, qualification_expires=dt.date.today()), actor="system")
    await conn.close()


async def api_side(base: str, bodies: list[bytes]) -> float:
    # aiohttp: a light client, so the figure is the server's and not the load generator's
    connector = aiohttp.TCPConnector(limit=C)
    async with aiohttp.ClientSession(base, connector=connector) as client:
        async with client.post("/api/auth/login",
                               json={"username": "bench", "password": BENCH_PASSWORD}) as r:
            token = (await r.json())["token"]
        client.cookie_jar.clear()
        headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
        queue = list(bodies)
        errors = 0

        async def worker() -> None:
            nonlocal errors
            while queue:
                body = queue.pop()
                async with client.post("/api/filings", data=body, headers=headers) as resp:
                    await resp.read()
                    if resp.status != 201:
                        errors += 1

        t = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(C)])
        elapsed = time.perf_counter() - t
        if errors:
            print(f"  API errors: {errors}")
        return elapsed


async def raw_side(url: str, filings: list) -> float:
    """The service's own SQL statements (imported, not copied), minus HTTP, auth and validation."""
    settings = load_settings()
    pool = await create_pool(url, settings, min_size=C, max_size=C)
    queue = list(filings)

    async def worker() -> None:
        while queue:
            f = queue.pop()
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute(UPSERT_PARTIES, *party_args(f))
                await conn.fetchrow(CREATE_FILING, *create_args(f, "bench", "bench", KEY))

    t = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(C)])
    elapsed = time.perf_counter() - t
    await pool.close()
    return elapsed


def main() -> None:
    api_filings = list(generate(N, seed=11, ref_prefix="API", points=[POINT]))
    raw_filings = list(generate(N, seed=12, ref_prefix="RAW", points=[POINT]))
    encoder = msgspec.json.Encoder()
    bodies = [encoder.encode(f) for f in api_filings]
    with server() as admin_url:
        url = run(fresh_database(admin_url))
        run(setup(url))
        with service(url, KEY.decode(), TECHREG_POOL_MAX=C) as base:
            raw_s = run(raw_side(url, raw_filings))
            api_s = run(api_side(base, bodies))
    api_rate, raw_rate = N / api_s, N / raw_s
    print(f"{N} filings at concurrency {C}")
    print(f"raw asyncpg (same SQL): {raw_rate:8.0f} filings/s")
    print(f"HTTP API:               {api_rate:8.0f} filings/s")
    print(f"RATIO API / raw = {api_rate / raw_rate:.2f}   (target >= 0.5)")


if __name__ == "__main__":
    main()
