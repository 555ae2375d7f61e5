"""Benchmark: full scan ÷ just reading the same columns, and incremental scan ÷ full scan.

    python bench/scan_vs_read.py [N] [NEW]      (defaults 1000000 and 5000)

Filings come from the labelled generator (ml/synth.py: sellers with regular
clients, numbering habits, splits, duplicates), imported with `techreg import`.
Measured side by side in one run on one database:
  read  - SELECT of the columns the detectors use, fetched into Python (no scoring)
  full  - `techreg scan --full` work: read, text keys, every detector, flags written
  incr  - NEW more filings imported, then an incremental scan
Peak memory is the scanning process's maximum resident set size.
"""

import asyncio
import io
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from _common import fresh_database, server  # noqa: E402

from ml.synth import generate  # noqa: E402
from techreg.config import load_settings  # noqa: E402
from techreg.db.pool import connect  # noqa: E402
from techreg.detection.scan import run_scan  # noqa: E402
from techreg.registry.importer import import_stream  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
NEW = int(sys.argv[2]) if len(sys.argv) > 2 else 5_000
READ_SQL = """
    SELECT id, ref, seller_code, buyer_code, kind, domain, software, amount, tech_amount, signed_on,
           performance_start, performance_end, filed_on, contract_no, title, point_code, change_seq
    FROM filings WHERE status <> 'refused' ORDER BY id
"""


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def load(conn, filings):
    chunk = 100_000
    for start in range(0, len(filings), chunk):
        data = b"".join(json.dumps(f, ensure_ascii=False).encode() + b"\n" for f in filings[start:start + chunk])
        await import_stream(conn, io.BytesIO(data), b"bench", actor="bench", source="synthetic")
        print(f"  imported {min(start + chunk, len(filings))}", file=sys.stderr)


async def main(url: str) -> None:
    settings = load_settings(database_url=url)
    t = time.perf_counter()
    filings, _ = generate(N + NEW, seed=42)
    print(f"generated {len(filings)} filings in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    conn = await connect(url)
    await load(conn, filings[:N])
    await conn.execute("VACUUM ANALYZE filings")
    await conn.fetch(READ_SQL)                                   # warm the cache for both sides alike

    t = time.perf_counter()
    rows = await conn.fetch(READ_SQL)
    read_s = time.perf_counter() - t
    del rows
    t = time.perf_counter()
    full = await run_scan(conn, settings, full=True)
    full_s = time.perf_counter() - t
    full_peak = peak_mb()

    await load(conn, filings[N:])
    t = time.perf_counter()
    incr = await run_scan(conn, settings, full=False)
    incr_s = time.perf_counter() - t
    await conn.close()

    print(f"filings: {N} (+{NEW} new)")
    print(f"read columns:      {read_s:7.1f} s")
    print(f"full scan:         {full_s:7.1f} s  ({full.flags_active} active flags)")
    for s in full.detectors:
        print(f"    {s.detector:<22} applied {s.applied:>8} flagged {s.flagged:>7}" + (f"  ! {s.warning}" if s.warning else ""))
    print(f"incremental scan:  {incr_s:7.1f} s  (read {incr.filings_read}, scored {incr.filings_scored})")
    print(f"ratio full ÷ read:        {full_s / read_s:.2f}   (target ≤ 5)")
    print(f"ratio incremental ÷ full: {incr_s / full_s:.3f}  (target ≤ 0.10)")
    print(f"peak memory (process):    {full_peak:.0f} MB  (target ≤ 4096)")


if __name__ == "__main__":
    with server() as admin_url:
        asyncio.run(main(asyncio.run(fresh_database(admin_url))))
