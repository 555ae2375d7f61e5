"""Benchmark: drawing a campaign sample (and verifying it) ÷ reading the population's identities and scores.

    python bench/sample_vs_read.py [N] [SAMPLE] [--runs R]  (defaults 1000000, 500 and 2)
    python bench/sample_vs_read.py --database-url URL       (an existing registry with filings and flags)

Without a URL, N labelled synthetic filings are imported, scanned (so risks exist) and marked registered.
Measured side by side, R times over the same registry (each run creates one more campaign):
  read    - SELECT ref, risk, flagged of every registered filing (what the draw needs), the median of three
            reads (before create, between, after verify)
  create  - campaign creation: freeze the population, digest, both seeded draws, items written
  verify  - recompute digest and sample from the seed and compare with the record
"""

import argparse
import asyncio
import gzip
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from _common import fresh_database, server  # noqa: E402

from techreg.audit.schema import CampaignIn  # noqa: E402
from techreg.audit.service import create_campaign, verify_campaign  # noqa: E402
from techreg.config import load_settings  # noqa: E402
from techreg.db.pool import connect  # noqa: E402
from techreg.registry.users import UserIn, create_user, user_named  # noqa: E402

READ_SQL = """
    SELECT f.ref, coalesce(r.risk, 0) AS risk, r.filing_id IS NOT NULL AS flagged
    FROM filings f LEFT JOIN filing_risk r ON r.filing_id = f.id WHERE f.status = 'registered'
"""


async def populate(url: str, n: int) -> None:
    """N synthetic filings through the product's import (`techreg import`'s own function), as registered history
    (what moving a registry in brings; the benches want registered filings, and marking N submitted ones
    registered afterwards would rewrite every row and index entry once more), then a full scan."""
    from ml.synth import generate
    from techreg.detection.scan import run_scan
    from techreg.registry.importer import import_stream

    folder = Path(tempfile.mkdtemp())
    filings, _ = generate(n, seed=9)
    # compressed: at 5,000,000 the file alone is 3 GB
    with gzip.open(folder / "f.jsonl.gz", "wb", compresslevel=1) as f:
        for x in filings:
            f.write(json.dumps({**x, "status": "registered"}, ensure_ascii=False).encode() + b"\n")
    del filings
    conn = await connect(url)
    t = time.perf_counter()
    with gzip.open(folder / "f.jsonl.gz", "rb") as f:
        report = await import_stream(conn, f, b"bench", actor="bench", create_points=True, source="synthetic")
    shutil.rmtree(folder)
    print(f"import of {report.imported:,} filings: {time.perf_counter() - t:.0f} s", flush=True)
    t = time.perf_counter()
    await run_scan(conn, load_settings(database_url=url), full=True)
    print(f"full scan: {time.perf_counter() - t:.0f} s", flush=True)
    await conn.close()


async def main(url: str, sample: int, runs: int) -> None:
    for run in range(1, runs + 1):
        print(f"run {run}:")
        await measure(url, sample)


async def measure(url: str, sample: int) -> None:
    conn = await connect(url)
    await conn.execute("UPDATE filings SET status = 'registered', registered_on = filed_on WHERE status = 'submitted'")
    for k in range(12):
        if not await conn.fetchval("SELECT 1 FROM users WHERE username = $1", f"bench-inspector-{k}"):
            await create_user(conn, UserIn(username=f"bench-inspector-{k}", display_name="i", role="inspector",
                                           password="bench-password-1"), actor="system")
    if not await conn.fetchval("SELECT 1 FROM users WHERE username = 'bench-supervisor'"):
        await create_user(conn, UserIn(username="bench-supervisor", display_name="s", role="supervisor",
                                       password="bench-password-1"), actor="system")
    user = await user_named(conn, "bench-supervisor")
    await conn.execute("VACUUM ANALYZE filings")
    await conn.fetch(READ_SQL)

    async def read() -> tuple[list, float]:
        t = time.perf_counter()
        rows = await conn.fetch(READ_SQL)
        return rows, time.perf_counter() - t

    # the read is measured before, between and after the other two, and its median taken: on a shared
    # machine one read alone swings by half
    population, first = await read()
    body = CampaignIn(name="bench", registered_from=__import__("datetime").date(2000, 1, 1),
                      registered_to=__import__("datetime").date(2100, 1, 1), sample_size=sample,
                      certainty_cutoff=0.99999, control_share=0.1, seed="bench-seed")
    t = time.perf_counter()
    async with conn.transaction():
        campaign = await create_campaign(conn, user, body, load_settings(database_url=url))
    create_s = time.perf_counter() - t
    _, second = await read()
    t = time.perf_counter()
    check = await verify_campaign(conn, campaign.id)
    verify_s = time.perf_counter() - t
    _, third = await read()
    read_s = statistics.median([first, second, third])
    await conn.close()
    strata = {s: sum(i.stratum == s for i in campaign.items) for s in ("certainty", "pps", "control")}
    print(f"population: {len(population)} registered filings, sample {len(campaign.items)} {strata}")
    print(f"read identities and scores: {read_s:6.2f} s   (median of {first:.2f}, {second:.2f}, {third:.2f})")
    print(f"create (freeze, draw, assign): {create_s:6.2f} s   ratio {create_s / read_s:.2f}   (target <= 3)")
    print(f"verify (recompute, compare):   {verify_s:6.2f} s   ratio {verify_s / read_s:.2f}   (target <= 2)   match={check.matches}")
    print(f"draw + verify ÷ read:          {(create_s + verify_s) / read_s:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("sample", nargs="?", type=int, default=500)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    if args.database_url:
        asyncio.run(main(args.database_url, args.sample, args.runs))
    else:
        with server() as admin_url:
            url = asyncio.run(fresh_database(admin_url))
            asyncio.run(populate(url, args.n))
            asyncio.run(main(url, args.sample, args.runs))
