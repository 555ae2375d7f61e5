"""Benchmark: full scan ÷ just reading the same columns, and incremental scan ÷ full scan.

    python bench/scan_vs_read.py [N] [NEW] [synth|demo|SCENARIO]      (defaults 1000000, 5000, baseline)

Filings come from a labelled generator (a scenario of ml/scenarios.py, or ml/synth.py: sellers with
regular clients, numbering habits, splits, duplicates), imported with `techreg import`.
Measured side by side in one run on one database:
  read  - SELECT of the columns the detectors use, fetched into Python (no scoring): as stored in
          filings, and (read2) from where the scan takes them, filing_facts numbers plus the text keys
  full  - `techreg scan --full` work: read, text keys, every detector, flags written
  incr  - NEW more filings imported, then an incremental scan: as the worker runs it, from the numbers its last
          full scan kept (detection/resident.py), and as a fresh process runs it, reading them from PostgreSQL
Peak memory is the benchmark process's maximum resident set size (the data is generated in a
child process); the scans run in-process, as in `techreg worker`, with the model loaded once.
"""

import asyncio
import json
import multiprocessing
import resource
import tempfile
import sys
import time
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from _common import fresh_database, server  # noqa: E402

from ml.synth import generate  # noqa: E402
from techreg.config import load_settings  # noqa: E402
from techreg.db.pool import connect  # noqa: E402
from techreg.detection import outlier  # noqa: E402
from techreg.detection.loader import ALL_TEXT_SQL  # noqa: E402
from techreg.detection.scan import run_scan  # noqa: E402
from techreg.registry.importer import import_stream  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
NEW = int(sys.argv[2]) if len(sys.argv) > 2 else 5_000
# a scenario of ml/scenarios.py (default "baseline"); "synth": ml/synth.py, sellers with regular clients
# (~26 filings per seller); "demo": techreg.demo, parties drawn at random from 200,000
GENERATOR = sys.argv[3] if len(sys.argv) > 3 else "baseline"
READ_SQL = """
    SELECT id, ref, seller_code, buyer_code, kind, domain, software, amount, tech_amount, signed_on,
           performance_start, performance_end, filed_on, contract_no, title, point_code, change_seq
    FROM filings WHERE status <> 'refused' ORDER BY id
"""
FACTS_SQL = """
    SELECT id, seller_no, buyer_no, software, amount, tech_amount, signed_on, performance_start, performance_end,
           filed_on, contract_prefix_hash, contract_seq, kind, domain, seller_brand, contract_hash, core_hash
    FROM filing_facts WHERE NOT refused ORDER BY id
"""


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_jsonl(folder: Path) -> None:
    """Runs in a child process, so the generator's memory never counts against the scan's."""
    if GENERATOR == "demo":
        from techreg.demo import generate as demo_generate, jsonl
        lines = jsonl(demo_generate(N + NEW, seed=42))
        for name, count in (("old.jsonl", N), ("new.jsonl", NEW)):
            with open(folder / name, "wb") as f:
                for _ in range(count):
                    f.write(next(lines))
        return
    if GENERATOR == "synth":
        filings, _ = generate(N + NEW, seed=42)
    else:
        from ml.scenarios import generate as scenario
        filings, _ = scenario(N + NEW, 42, GENERATOR)
    for name, part in (("old.jsonl", filings[:N]), ("new.jsonl", filings[N:])):
        with open(folder / name, "wb") as f:
            for filing in part:
                f.write(json.dumps(filing, ensure_ascii=False).encode() + b"\n")


async def load(conn, path: Path):
    with open(path, "rb") as f:
        report = await import_stream(conn, f, b"bench", actor="bench", create_points=True, source="synthetic")
    print(f"  imported {report.imported} from {path.name}", file=sys.stderr)


async def main(url: str) -> None:
    settings = load_settings(database_url=url)
    folder = Path(tempfile.mkdtemp(prefix="techreg-scan-bench-"))
    t = time.perf_counter()
    child = multiprocessing.get_context("spawn").Process(target=write_jsonl, args=(folder,))
    child.start()
    child.join()
    print(f"generated {N + NEW} filings in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    outlier.load()                                               # model checked once, as in a running worker
    conn = await connect(url)
    await load(conn, folder / "old.jsonl")
    await conn.execute("VACUUM ANALYZE filings, filing_facts")
    await conn.fetch(READ_SQL)                                   # warm the cache for both sides alike

    t = time.perf_counter()
    rows = await conn.fetch(READ_SQL)
    read_s = time.perf_counter() - t
    del rows
    read2_s = 0.0
    for sql in (FACTS_SQL, ALL_TEXT_SQL):                        # one result set alive at a time
        t = time.perf_counter()
        rows = await conn.fetch(sql)
        read2_s += time.perf_counter() - t
        del rows
    t = time.perf_counter()
    full = await run_scan(conn, settings, full=True)
    full_s = time.perf_counter() - t
    full_peak = peak_mb()

    await load(conn, folder / "new.jsonl")
    # the same incremental scan twice: as a fresh process runs it (the neighbourhood read from PostgreSQL; rolled
    # back), then as the worker runs it, from the numbers its full scan kept (resident.py)
    transaction = conn.transaction()
    await transaction.start()
    t = time.perf_counter()
    await run_scan(conn, msgspec.structs.replace(settings, scan_keep_numbers="no"), full=False)
    cold_s = time.perf_counter() - t
    await transaction.rollback()
    t = time.perf_counter()
    incr = await run_scan(conn, settings, full=False)
    incr_s = time.perf_counter() - t
    await conn.close()

    print(f"filings: {N} (+{NEW} new), generator {GENERATOR}")
    print(f"read columns:      {read_s:7.1f} s  (as stored in filings)")
    print(f"read2 columns:     {read2_s:7.1f} s  (filing_facts numbers + text keys, where the scan reads them)")
    print(f"full scan:         {full_s:7.1f} s  ({full.flags_active} active flags)")
    for s in full.detectors:
        print(f"    {s.detector:<22} applied {s.applied:>8} flagged {s.flagged:>7}" + (f"  ! {s.warning}" if s.warning else ""))
    print(f"incremental scan:  {incr_s:7.2f} s  (read {incr.filings_read}, scored {incr.filings_scored}; the worker,"
          f" from its kept numbers)")
    print(f"  in a fresh process: {cold_s:5.2f} s  (the neighbourhood read from PostgreSQL)")
    print(f"ratio full ÷ read:        {full_s / read_s:.2f}   (target ≤ 3)")
    print(f"ratio full ÷ read2:       {full_s / read2_s:.2f}")
    print(f"ratio incremental ÷ full: {incr_s / full_s:.3f}  (target ≤ 0.05; in a fresh process {cold_s / full_s:.3f})")
    print(f"peak memory (process):    {full_peak:.0f} MB  (target ≤ 4096)")


if __name__ == "__main__":
    with server() as admin_url:
        asyncio.run(main(asyncio.run(fresh_database(admin_url))))
