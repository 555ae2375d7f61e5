"""Benchmark (b): `techreg import` of N filings ÷ a raw COPY of the same rows into the same tables.

    python bench/import_vs_copy.py [N] [--variant submissions|history|both] [--scan]   (default 200000, both)

Two files of N filings each:
  submissions - new filings, status submitted, no registration number;
  history     - registered history: registered filings with their 16-digit registration numbers, plus
                refused ones (no number), revoked and cancelled (de-registered) ones (with numbers), each
                with its import event committing to that status. (Format v1 cannot carry `returned`.)

The raw side gets every row ready-made in memory (parties, filings, one event each, hashes and state
digests included) and only COPYs them; the import side reads the JSONL file, validates every line,
hashes events, checks registration numbers for clashes, moves the rows in and raises the number counters.
The registration points exist before either side starts (an office sets its points up before it imports;
`techreg import` refuses a line naming an unknown one), and the import is timed alone (`--no-scan`); with
--scan, the incremental scan `techreg import` runs afterwards by default is timed too, as `techreg scan`.
"""

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import fresh_database, run, server  # noqa: E402

import asyncpg  # noqa: E402
import msgspec  # noqa: E402
from techreg.demo import generate, jsonl  # noqa: E402
from techreg.registry.events import event_hash, filing_state  # noqa: E402

KEY = b"bench-key"
# the history file's mix of outcomes: (status, share, keeps its registration number)
HISTORY_MIX = (("registered", 0.80, True), ("refused", 0.08, False), ("revoked", 0.06, True),
               ("cancelled", 0.06, True))

FILING_COLS = ("id", "ref", "contract_no", "title", "kind", "subkind", "software", "domain", "seller_code",
               "seller_name", "seller_region", "buyer_code", "buyer_name", "buyer_region", "amount", "tech_amount",
               "signed_on", "performance_start", "performance_end", "filed_on", "point_code", "registrar",
               "description", "status", "reg_no", "created_by", "event_count", "last_event_hash")
EVENT_COLS = ("filing_id", "seq", "at", "actor", "action", "from_status", "to_status", "detail", "prev_hash", "hash",
              "state_digest")


async def drop_database(admin_url: str, url: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE "{url.rpartition("/")[2]}"')
    finally:
        await conn.close()


def filings_of(variant: str, n: int) -> list:
    if variant == "submissions":
        return list(generate(n, seed=7))
    rng = random.Random(11)
    statuses = [s for s, _, _ in HISTORY_MIX]
    weights = [w for _, w, _ in HISTORY_MIX]
    numbered = {s for s, _, keeps in HISTORY_MIX if keeps}
    out = []
    for f in generate(n, seed=7, status="registered", ref_prefix="HIST"):
        status = rng.choices(statuses, weights)[0]
        out.append(msgspec.structs.replace(f, status=status, reg_no=f.reg_no if status in numbered else None))
    return out


async def add_points(url: str, points: list[str]) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table("points", records=[(p, p, p) for p in points],
                                         columns=("code", "name", "number_prefix"))
    finally:
        await conn.close()


def measure(admin_url: str, variant: str, n: int, folder: Path, scan: bool) -> tuple[float, float]:
    filings = filings_of(variant, n)
    path = folder / f"{variant}.jsonl"
    with open(path, "wb") as f:
        for line in jsonl(iter(filings)):
            f.write(line)
    numbered = sum(fl.reg_no is not None for fl in filings)
    print(f"{variant}: {n} filings ({numbered} with registration numbers), {path.stat().st_size / 1e6:.1f} MB")
    # raw rows, prepared before the clock starts
    at = dt.datetime.now(dt.timezone.utc)
    parties = {}
    frows, erows = [], []
    for i, fl in enumerate(filings, 1):
        for p in (fl.seller, fl.buyer):
            parties.setdefault(p.credit_code, (p.credit_code, p.name, p.region))
        state = filing_state(fl, status=fl.status, registrar=fl.registrar, reg_no=fl.reg_no)
        h = event_hash(KEY, fl.ref, 1, at, "bench", "import", None, fl.status, {"source": "x"}, None, state)
        frows.append((i, fl.ref, fl.contract_no, fl.title, fl.kind, fl.subkind, fl.software, fl.domain,
                      fl.seller.credit_code, fl.seller.name, fl.seller.region, fl.buyer.credit_code, fl.buyer.name,
                      fl.buyer.region, Decimal(fl.amount), Decimal(fl.tech_amount), fl.signed_on,
                      fl.performance_start, fl.performance_end, fl.filed_on, fl.point, fl.registrar, fl.description,
                      fl.status, fl.reg_no, "bench", 1, h))
        erows.append((i, 1, at, "bench", "import", None, fl.status, '{"source": "x"}', None, h, state))
    points = sorted({fl.point for fl in filings})
    del filings

    async def raw_copy() -> float:
        url = await fresh_database(admin_url)
        conn = await asyncpg.connect(url)  # asyncpg's own jsonb codec takes the text as is
        await add_points(url, points)
        t = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("parties", records=list(parties.values()),
                                             columns=("credit_code", "name", "region"))
            await conn.copy_records_to_table("filings", records=frows, columns=FILING_COLS)
            await conn.copy_records_to_table("filing_events", records=erows, columns=EVENT_COLS)
        elapsed = time.perf_counter() - t
        await conn.close()
        await drop_database(admin_url, url)   # at 1,000,000 each copy is gigabytes
        return elapsed

    copy_s = run(raw_copy())
    del frows, erows
    url = run(fresh_database(admin_url))
    run(add_points(url, points))
    env = {**os.environ, "TECHREG_DATABASE_URL": url, "TECHREG_AUDIT_KEY": KEY.decode()}
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "techreg.cli", "import", "--no-scan", str(path)], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    import_s = time.perf_counter() - t
    if scan:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "techreg.cli", "scan"], check=True, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        scan_s = time.perf_counter() - t

    async def count() -> int:
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetchval("SELECT count(*) FROM filings")
        finally:
            await conn.close()

    imported = run(count())
    run(drop_database(admin_url, url))
    assert imported == n, f"{variant}: {imported} of {n} filings imported"
    path.unlink()
    print(f"  raw COPY:        {copy_s:7.2f} s  ({n / copy_s:,.0f} rows/s)")
    print(f"  techreg import:  {import_s:7.2f} s  ({n / import_s:,.0f} rows/s, whole command incl. start-up)")
    print(f"  RATIO {variant} import / raw COPY = {import_s / copy_s:.2f}   (target <= 2)")
    if scan:
        print(f"  then scoring them (incremental scan, whole command): {scan_s:7.2f} s"
              f"  ({scan_s / import_s:.2f} x the import)")
    return copy_s, import_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=200_000)
    parser.add_argument("--variant", choices=("submissions", "history", "both"), default="both")
    parser.add_argument("--scan", action="store_true", help="also time the scan that scores the imported filings")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    variants = ("submissions", "history") if args.variant == "both" else (args.variant,)
    ratios = {}
    with server() as admin_url:
        for variant in variants:
            copy_s, import_s = measure(admin_url, variant, args.n, folder, args.scan)
            ratios[variant] = import_s / copy_s
    print("RATIOS " + "  ".join(f"{v}={r:.2f}" for v, r in ratios.items()))


if __name__ == "__main__":
    main()
