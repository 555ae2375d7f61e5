"""Benchmark: would partitioning filings and filing_events by year help? (issue #14, item 4)

    python bench/partition_by_year.py [N] [--repeat R]          (defaults 1000000 and 30)

Two copies of the columns the pages and scans read, side by side on one server: a plain table with the indexes
filings has (migrations 0001-0024), and the same rows in a table partitioned by year of application (filed_on),
one partition a year, with the same indexes (its primary key must then include filed_on, and ref can no longer
be unique on its own). Likewise filing_events, 2 events a filing, plain and partitioned by year of `at`. N rows
over eight years, ids rising with time as in a registry. Each query runs R times on each table, alternately, with
parameters drawn afresh; medians in milliseconds and the ratio partitioned / plain (below 1: partitioning helps).
The tables are UNLOGGED (no WAL: the disk is shared); reading them costs the same as reading logged ones.
"""

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from _common import fresh_database  # noqa: E402

from techreg.db.embedded import EmbeddedPostgres  # noqa: E402
from techreg.db.pool import connect  # noqa: E402

YEARS = range(2019, 2027)
COLUMNS = """id bigint NOT NULL, ref text NOT NULL, status text NOT NULL, kind text NOT NULL, software bool NOT NULL,
    point_code text NOT NULL, title text NOT NULL, seller_code text NOT NULL, buyer_code text NOT NULL,
    amount numeric(16, 2) NOT NULL, signed_on date NOT NULL, filed_on date NOT NULL"""
EVENT_COLUMNS = "id bigint NOT NULL, filing_id bigint NOT NULL, seq int NOT NULL, at timestamptz NOT NULL, action text NOT NULL, hash bytea NOT NULL"
# N filings over 2019-2026, ids in time order; statuses, kinds, points and parties spread as in the synthetic data
ROWS = """
    SELECT g, 'R' || lpad(g::text, 9, '0'),
           (ARRAY['registered','registered','registered','registered','registered','registered','registered',
                  'registered','submitted','refused','revoked'])[1 + (hashint4(g) & 2147483647) % 11],
           (ARRAY['development','transfer','consulting','service','license'])[1 + (hashint4(g + 1) & 2147483647) % 5],
           (hashint4(g + 2) & 1) = 0, 'P' || (hashint4(g + 3) & 2147483647) % 40,
           left(md5(g::text), 20), 'S' || (hashint4(g + 4) & 2147483647) % 20000, 'B' || (hashint4(g + 5) & 2147483647) % 50000,
           ((hashint4(g + 6) & 2147483647) % 5000000)::numeric,
           date '2019-01-01' + (g::bigint * 2900 / $1)::int - 10, date '2019-01-01' + (g::bigint * 2900 / $1)::int
    FROM generate_series(1, $1) g
"""
EVENTS = """
    SELECT (f.id - 1) * 2 + s, f.id, s, f.filed_on + make_interval(days => s * 5), 'act', decode(md5(f.ref || s), 'hex')
    FROM {filings} f, generate_series(1, 2) s
"""


def _indexes(table: str) -> list[str]:
    return [f"CREATE INDEX ON {table} (status, id)", f"CREATE INDEX ON {table} (point_code, status, id)",
            f"CREATE INDEX ON {table} (signed_on)", f"CREATE INDEX ON {table} (seller_code, signed_on)",
            f"CREATE INDEX ON {table} (buyer_code, signed_on)"]


SCHEMA = [
    f"CREATE UNLOGGED TABLE f_plain ({COLUMNS}, PRIMARY KEY (id), UNIQUE (ref))",
    f"CREATE TABLE f_year ({COLUMNS}, PRIMARY KEY (id, filed_on), UNIQUE (ref, filed_on)) PARTITION BY RANGE (filed_on)",
    *[f"CREATE UNLOGGED TABLE f_year_{y} PARTITION OF f_year FOR VALUES FROM ('{y}-01-01') TO ('{y + 1}-01-01')" for y in YEARS],
    f"CREATE UNLOGGED TABLE e_plain ({EVENT_COLUMNS}, PRIMARY KEY (id), UNIQUE (filing_id, seq))",
    f"CREATE TABLE e_year ({EVENT_COLUMNS}, PRIMARY KEY (id, at), UNIQUE (filing_id, seq, at)) PARTITION BY RANGE (at)",
    *[f"CREATE UNLOGGED TABLE e_year_{y} PARTITION OF e_year FOR VALUES FROM ('{y}-01-01') TO ('{y + 1}-01-01')" for y in YEARS],
    "CREATE UNLOGGED TABLE e_year_later PARTITION OF e_year FOR VALUES FROM ('2027-01-01') TO (MAXVALUE)",
]


def queries(n: int) -> list[tuple[str, str, object]]:
    """(name, SQL with {f} or {e} for the table, a function of a Random giving the parameters)."""
    return [
        ("list, newest page", "SELECT id, ref, title, status FROM {f} ORDER BY id DESC LIMIT 50", lambda r: ()),
        ("list, deep page", "SELECT id, ref, title, status FROM {f} WHERE id < $1 ORDER BY id DESC LIMIT 50",
         lambda r: (r.randrange(n),)),
        ("list, rare status", "SELECT id, ref, title FROM {f} WHERE status = 'revoked' AND id < $1 ORDER BY id DESC LIMIT 50",
         lambda r: (r.randrange(n),)),
        ("list, point + status", "SELECT id, ref FROM {f} WHERE point_code = $1 AND status = 'submitted'"
         " ORDER BY id DESC LIMIT 50", lambda r: (f"P{r.randrange(40)}",)),
        ("list, signed in 4 months", "SELECT id, ref FROM {f} WHERE signed_on BETWEEN $1 AND $1 + 120"
         " ORDER BY id DESC LIMIT 50", lambda r: (_day(r),)),
        ("filing by ref", "SELECT * FROM {f} WHERE ref = $1", lambda r: (f"R{r.randrange(1, n):09d}",)),
        ("filing by id", "SELECT * FROM {f} WHERE id = $1", lambda r: (r.randrange(1, n),)),
        ("seller's history (scan)", "SELECT id, amount, signed_on FROM {f} WHERE seller_code = $1",
         lambda r: (f"S{r.randrange(20000)}",)),
        ("one year's statistics", "SELECT kind, count(*), sum(amount) FROM {f} WHERE filed_on >= $1"
         " AND filed_on < $1 + interval '1 year' GROUP BY kind", lambda r: (_year(r),)),
        ("whole registry read (scan)", "SELECT count(*), sum(amount) FROM {f} WHERE status <> 'refused'", lambda r: ()),
        ("a filing's trail", "SELECT seq, action, hash FROM {e} WHERE filing_id = $1 ORDER BY seq",
         lambda r: (r.randrange(1, n),)),
        ("one year's events", "SELECT count(*) FROM {e} WHERE at >= $1 AND at < $1 + interval '1 year'",
         lambda r: (_year(r),)),
    ]


def _day(r: random.Random):
    import datetime as dt
    return dt.date(2019, 1, 1) + dt.timedelta(days=r.randrange(2800))


def _year(r: random.Random):
    import datetime as dt
    return dt.datetime(r.choice(list(YEARS)), 1, 1, tzinfo=dt.timezone.utc)


async def main(n: int, repeat: int) -> None:
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="techreg-bench-partition-"))
    pg = EmbeddedPostgres(root)
    try:
        admin = pg.start()
        url = await fresh_database(admin, migrated=False)
        conn = await connect(url)
        for sql in SCHEMA:
            await conn.execute(sql)
        loads = {}
        for plain, parted in (("f_plain", "f_year"),):
            for table in (plain, parted):
                t = time.perf_counter()
                await conn.execute(f"INSERT INTO {table} {ROWS}", n)
                for sql in _indexes(table):
                    await conn.execute(sql)
                loads[table] = time.perf_counter() - t
        for table, source in (("e_plain", "f_plain"), ("e_year", "f_plain")):
            t = time.perf_counter()
            await conn.execute(f"INSERT INTO {table} {EVENTS.format(filings=source)}")
            loads[table] = time.perf_counter() - t
        await conn.execute("VACUUM ANALYZE")
        sizes = {t: await conn.fetchval("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c"
                                        " WHERE c.relname = $1 OR c.relname LIKE $1 || '\\_%' AND c.relkind = 'r'", t)
                 for t in ("f_plain", "f_year", "e_plain", "e_year")}
        print(f"{n:,} filings, {2 * n:,} events, {len(YEARS)} yearly partitions; load {os.getloadavg()[0]:.1f}")
        print("loaded with indexes (s): " + ", ".join(f"{t} {s:.0f}" for t, s in loads.items())
              + "; size (MB): " + ", ".join(f"{t} {s / 2**20:,.0f}" for t, s in sizes.items()))
        print(f"{'query':<28} {'plain ms':>9} {'by year ms':>11} {'ratio':>6}")
        rng = random.Random(14)
        for name, sql, params in queries(n):
            plain_sql, year_sql = sql.format(f="f_plain", e="e_plain"), sql.format(f="f_year", e="e_year")
            times = {"plain": [], "year": []}
            for _ in range(repeat):
                args = params(rng)
                for which, text in (("plain", plain_sql), ("year", year_sql)):
                    t = time.perf_counter()
                    await conn.fetch(text, *args)
                    times[which].append((time.perf_counter() - t) * 1000)
            a, b = statistics.median(times["plain"]), statistics.median(times["year"])
            print(f"{name:<28} {a:9.2f} {b:11.2f} {b / a:6.2f}")
        print(f"load {os.getloadavg()[0]:.1f}")
        await conn.close()
    finally:
        pg.stop(mode="immediate")
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.n, args.repeat))
