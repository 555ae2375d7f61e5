"""Benchmark: how long each page takes at N filings (issue #14, item 3).

    python bench/pages_at_scale.py [N] [--requests R]          (defaults 1000000 and 20)
    python bench/pages_at_scale.py --database-url URL           (a registry sample_vs_read.py has prepared)

Without a URL, N synthetic filings (ml/synth.py) are imported, scanned and registered and a campaign of 500 is
drawn, so inspectors have queues. Then `techreg serve` runs as the service role and each page is requested R
times in turn (exports fewer), one request in flight, and p50 / p95 are printed in milliseconds:
the filing list (no filter, each filter, a deep page, a registrar's point), a search by title and by party
name (Chinese substrings) and one that matches nothing (the whole registry searched), a filing page with its flags and trail, an inspector's queue, the dashboard and a
filtered CSV export. Target (issue #14): p95 <= 300 ms at 5,000,000 filings.

Also printed: how long loading took (import, scan, the bench's registrations), and the server's resident memory
while it streams a CSV export of about 100,000 and about 1,000,000 rows (peak RSS of the `techreg serve`
process, sampled every 20 ms): streamed in constant memory, the two peaks are alike.
"""

import argparse
import asyncio
import datetime as dt
import random
import sys
import time
from pathlib import Path

import aiohttp
import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from _common import fresh_database, server, service  # noqa: E402

from techreg.audit.schema import CampaignIn  # noqa: E402
from techreg.audit.service import create_campaign  # noqa: E402
from techreg.config import load_settings  # noqa: E402
from techreg.db.pool import connect  # noqa: E402
from techreg.registry.users import UserIn, create_user, user_named  # noqa: E402

PASSWORD = "bench-password-1"


async def prepare(url: str) -> dict:
    """Users of each role (a registrar at the busiest point), a campaign if there is none, and what to ask for."""
    conn = await connect(url)
    await conn.execute("UPDATE filings SET status = 'registered', registered_on = filed_on WHERE status = 'submitted'")
    point = await conn.fetchval("SELECT point_code FROM filings GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    wanted = [("bench-supervisor", "supervisor", None), ("bench-registrar", "registrar", point)]
    wanted += [(f"bench-inspector-{k}", "inspector", None) for k in range(12)]
    for name, role, at in wanted:
        if not await conn.fetchval("SELECT 1 FROM users WHERE username = $1", name):
            await create_user(conn, UserIn(username=name, display_name=name, role=role, point_code=at,
                                           password=PASSWORD,
                                           qualification_expires=dt.date.today() + dt.timedelta(days=365)
                                           if role == "registrar" else None), actor="system")
    if not await conn.fetchval("SELECT 1 FROM campaigns WHERE status <> 'draft'"):
        body = CampaignIn(name="bench", registered_from=dt.date(2000, 1, 1), registered_to=dt.date(2100, 1, 1),
                          sample_size=500, certainty_cutoff=0.99999, control_share=0.1, seed="bench-seed")
        async with conn.transaction():
            await create_campaign(conn, await user_named(conn, "bench-supervisor"), body,
                                  load_settings(database_url=url))
    await conn.execute("VACUUM ANALYZE filings")
    inspector = await conn.fetchval(
        "SELECT u.username FROM audit_items i JOIN users u ON u.id = i.inspector_id GROUP BY 1 ORDER BY count(*) DESC"
        " LIMIT 1")
    sample = await conn.fetch("SELECT ref, title, seller_name, seller_code, buyer_code, contract_no FROM filings"
                              " TABLESAMPLE SYSTEM (1) REPEATABLE (5) LIMIT 200")
    middle = await conn.fetchval("SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY id) FROM filings")
    total = await conn.fetchval("SELECT count(*) FROM filings")
    # signing dates from which about 100,000 and about 1,000,000 filings were signed (the exports' filters)
    export_from = {rows: await conn.fetchval("SELECT percentile_disc($1::float8) WITHIN GROUP (ORDER BY signed_on) FROM filings",
                                             max(0.0, 1 - rows / total)) for rows in (100_000, 1_000_000)}
    signed = await conn.fetchrow("SELECT percentile_disc(0.4) WITHIN GROUP (ORDER BY signed_on) AS a,"
                                 " percentile_disc(0.45) WITHIN GROUP (ORDER BY signed_on) AS b FROM filings")
    point = await conn.fetchval("SELECT point_code FROM filings GROUP BY 1 ORDER BY count(*) LIMIT 1")
    await conn.close()
    rng = random.Random(5)
    titles = [r["title"] for r in sample]
    names = [r["seller_name"] for r in sample]
    return {"refs": [r["ref"] for r in sample], "inspector": inspector, "middle": middle, "total": total,
            "title_words": [t[len(t) // 3: len(t) // 3 + 3] for t in rng.sample(titles, 20)],
            "name_words": [n[2:5] for n in rng.sample(names, 20)],
            "sellers": [r["seller_code"] for r in sample], "buyers": [r["buyer_code"] for r in sample],
            "contract_parts": [r["contract_no"][:6] for r in rng.sample(list(sample), 20)],
            "export_from": export_from, "signed": signed, "point": point}


def pages(w: dict) -> list[tuple[str, str, object]]:
    """(page, who asks, path or a function of the request number giving one)."""
    return [
        ("list, no filter", "bench-supervisor", "/filings"),
        ("list, status", "bench-supervisor", "/filings?status=registered"),
        ("list, kind", "bench-supervisor", "/filings?kind=transfer"),
        ("list, software", "bench-supervisor", "/filings?software=yes"),
        ("list, three filters", "bench-supervisor", "/filings?status=registered&kind=license&software=no"),
        ("list, point", "bench-supervisor", f"/filings?point={w['point']}"),
        ("list, signed between", "bench-supervisor",
         f"/filings?signed_from={w['signed']['a']}&signed_to={w['signed']['b']}"),
        ("list, rare status", "bench-supervisor", "/filings?status=revoked"),
        ("list, deep page", "bench-supervisor", f"/filings?cursor={w['middle']}"),
        ("list, previous page", "bench-supervisor", f"/filings?before={w['middle']}"),
        ("api list, seller", "bench-supervisor", lambda k: "/api/filings?seller=" + w["sellers"][k % len(w["sellers"])]),
        ("api list, buyer", "bench-supervisor", lambda k: "/api/filings?buyer=" + w["buyers"][k % len(w["buyers"])]),
        ("list, registrar's point", "bench-registrar", "/filings"),
        ("search, title (zh)", "bench-supervisor", lambda k: "/filings?q=" + w["title_words"][k % 20]),
        ("search, party name (zh)", "bench-supervisor", lambda k: "/filings?q=" + w["name_words"][k % 20]),
        ("search, no match (zh)", "bench-supervisor", "/filings?q=无此合同名称"),
        ("search, one character", "bench-supervisor", lambda k: "/filings?q=" + "鲸技园航科"[k % 5]),
        ("search, Latin/digits", "bench-supervisor", lambda k: "/filings?q=" + w["contract_parts"][k % 20]),
        ("search + filters", "bench-supervisor",
         lambda k: "/filings?status=registered&kind=development&q=" + w["title_words"][k % 20]),
        ("search, next page", "bench-supervisor",
         lambda k: f"/filings?q={w['name_words'][k % 20]}&cursor={w['middle']}"),
        ("filing page", "bench-supervisor", lambda k: "/filings/" + w["refs"][k % len(w["refs"])]),
        ("inspector's queue", w["inspector"], "/queue"),
        ("dashboard", "bench-supervisor", "/dashboard"),
        ("export CSV, filtered", "bench-supervisor", "/filings?format=csv&kind=license&software=yes"),
    ]


async def measure(base: str, w: dict, requests: int) -> None:
    async with aiohttp.ClientSession(base) as http:
        tokens = {}
        for who in {who for _, who, _ in pages(w)}:
            async with http.post("/api/auth/login", json={"username": who, "password": PASSWORD}) as r:
                tokens[who] = (await r.json())["token"]
        print(f"{w['total']:,} filings; {requests} requests a page (exports {max(requests // 5, 2)}), ms")
        print(f"{'page':<26} {'p50':>8} {'p95':>8} {'max':>8}  bytes")
        for name, who, path in pages(w):
            times, size = [], 0
            n = max(requests // 5, 2) if "export" in name else requests
            for k in range(n):
                url = path(k) if callable(path) else path
                t = time.perf_counter()
                async with http.get(url, headers={"Authorization": f"Bearer {tokens[who]}"}) as r:
                    body = await r.read()
                    assert r.status == 200, (url, r.status, body[:300])
                times.append((time.perf_counter() - t) * 1000)
                size = len(body)
            p50, p95 = np.percentile(times, [50, 95])
            print(f"{name:<26} {p50:8.0f} {p95:8.0f} {max(times):8.0f}  {size:,}")
        await export_memory(http, tokens["bench-supervisor"], w)


def _server_process() -> psutil.Process:
    return next(p for p in psutil.Process().children(recursive=True) if "serve" in " ".join(p.cmdline()))


async def export_memory(http: aiohttp.ClientSession, token: str, w: dict) -> None:
    """Peak resident memory of the server while it streams a CSV export of about 100k and 1M rows."""
    server = _server_process()
    print(f"{'export (streamed CSV)':<26} {'rows':>10} {'seconds':>8} {'RSS before':>11} {'peak RSS':>9}  MB")
    for rows, signed_from in sorted(w["export_from"].items()):
        before = server.memory_info().rss
        peak, lines, stop = before, 0, asyncio.Event()

        async def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, server.memory_info().rss)
                await asyncio.sleep(0.02)

        sampler = asyncio.create_task(sample())
        t = time.perf_counter()
        async with http.get(f"/filings?format=csv&signed_from={signed_from}",
                            headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status == 200, r.status
            async for chunk in r.content.iter_chunked(1 << 16):
                lines += chunk.count(b"\n")
        seconds = time.perf_counter() - t
        stop.set()
        await sampler
        print(f"{'~' + format(rows, ','):<26} {lines - 1:>10,} {seconds:8.1f} {before / 2**20:11.0f} {peak / 2**20:9.0f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    if args.database_url:
        w = asyncio.run(prepare(args.database_url))
        with service(args.database_url) as base:
            asyncio.run(measure(base, w, args.requests))
        return
    from sample_vs_read import populate

    with server() as admin_url:
        url = asyncio.run(fresh_database(admin_url))
        t = time.perf_counter()
        asyncio.run(populate(url, args.n))
        loaded = time.perf_counter() - t
        t = time.perf_counter()
        w = asyncio.run(prepare(url))
        print(f"loading: import and scan {loaded:.0f} s, registrations, users and a campaign {time.perf_counter() - t:.0f} s")
        with service(url) as base:
            asyncio.run(measure(base, w, args.requests))


if __name__ == "__main__":
    main()
