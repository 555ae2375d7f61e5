"""Benchmark (b): `techreg import` of N filings ÷ a raw COPY of the same rows into the same tables.

    python bench/import_vs_copy.py [N]      (default 200000)

The raw side gets every row ready-made in memory (parties, filings, one event
each, hashes included) and only COPYs them; the import side reads the JSONL
file, validates every line, hashes events and moves them in.
"""

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import fresh_database, run, server  # noqa: E402

import asyncpg  # noqa: E402
from techreg.demo import generate, jsonl  # noqa: E402
from techreg.registry.events import event_hash  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
KEY = b"bench-key"

FILING_COLS = ("id", "ref", "contract_no", "title", "kind", "subkind", "software", "domain", "seller_code",
               "seller_name", "seller_region", "buyer_code", "buyer_name", "buyer_region", "amount", "tech_amount",
               "signed_on", "performance_start", "performance_end", "filed_on", "point_code", "registrar",
               "description", "status", "reg_no", "created_by", "event_count", "last_event_hash")
EVENT_COLS = ("filing_id", "seq", "at", "actor", "action", "from_status", "to_status", "detail", "prev_hash", "hash")


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    path = tmp / "filings.jsonl"
    filings = list(generate(N, seed=7))
    with open(path, "wb") as f:
        for line in jsonl(iter(filings)):
            f.write(line)
    print(f"{N} filings, {path.stat().st_size / 1e6:.1f} MB")
    # raw rows, prepared before the clock starts
    at = dt.datetime.now(dt.timezone.utc)
    parties = {}
    frows, erows = [], []
    for i, fl in enumerate(filings, 1):
        for p in (fl.seller, fl.buyer):
            parties.setdefault(p.credit_code, (p.credit_code, p.name, p.region))
        h = event_hash(KEY, fl.ref, 1, at, "bench", "import", None, fl.status, {"source": "x"}, None)
        frows.append((i, fl.ref, fl.contract_no, fl.title, fl.kind, fl.subkind, fl.software, fl.domain,
                      fl.seller.credit_code, fl.seller.name, fl.seller.region, fl.buyer.credit_code, fl.buyer.name,
                      fl.buyer.region, Decimal(fl.amount), Decimal(fl.tech_amount), fl.signed_on,
                      fl.performance_start, fl.performance_end, fl.filed_on, fl.point, fl.registrar, fl.description,
                      fl.status, fl.reg_no, "bench", 1, h))
        erows.append((i, 1, at, "bench", "import", None, fl.status, '{"source": "x"}', None, h))
    points = sorted({fl.point for fl in filings})

    with server() as admin_url:
        async def raw_copy() -> float:
            url = await fresh_database(admin_url)
            conn = await asyncpg.connect(url)  # asyncpg's own jsonb codec takes the text as is
            t = time.perf_counter()
            async with conn.transaction():
                await conn.copy_records_to_table("points", records=[(p, p, p) for p in points],
                                                 columns=("code", "name", "number_prefix"))
                await conn.copy_records_to_table("parties", records=list(parties.values()),
                                                 columns=("credit_code", "name", "region"))
                await conn.copy_records_to_table("filings", records=frows, columns=FILING_COLS)
                await conn.copy_records_to_table("filing_events", records=erows, columns=EVENT_COLS)
            elapsed = time.perf_counter() - t
            await conn.close()
            return elapsed

        copy_s = run(raw_copy())
        url = run(fresh_database(admin_url))
        env = {**os.environ, "TECHREG_DATABASE_URL": url, "TECHREG_AUDIT_KEY": KEY.decode()}
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "techreg.cli", "import", str(path)], check=True, env=env,
                       stderr=subprocess.DEVNULL)
        import_s = time.perf_counter() - t

    print(f"raw COPY:        {copy_s:7.2f} s  ({N / copy_s:,.0f} rows/s)")
    print(f"techreg import:  {import_s:7.2f} s  ({N / import_s:,.0f} rows/s, whole command incl. start-up)")
    print(f"RATIO import / raw COPY = {import_s / copy_s:.2f}   (target <= 3)")


if __name__ == "__main__":
    main()
