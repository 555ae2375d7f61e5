"""The registry's running counts (migration 0024): filings by point, status, kind, software and domain, and by
month of application and status, each with the technology amount statistics count. Triggers keep them in the
same transaction as the filings; reading them costs the same at any size. `differences` compares them with
a count from scratch, `rebuild` recomputes them (repair)."""

import asyncpg

from .approval import COUNTED_AMOUNT_SQL

# The months of application, newest 24: filings of every status, and the amount of those registered (万元).
BY_MONTH = """
    SELECT to_char(month, 'YYYY-MM') AS month, sum(filings)::bigint AS n,
           coalesce(round(sum(counted_amount) FILTER (WHERE status = 'registered') / 10000, 2), 0)::float8 AS tech_wan
    FROM filing_month_tally GROUP BY month HAVING sum(filings) > 0 ORDER BY month DESC LIMIT 24
"""
BY_KIND = """
    SELECT kind, sum(filings)::bigint AS n FROM filing_tally GROUP BY kind HAVING sum(filings) > 0
    ORDER BY n DESC, kind
"""
BY_DOMAIN = """
    SELECT domain, sum(filings)::bigint AS n,
           coalesce(round(sum(counted_amount) FILTER (WHERE status = 'registered') / 10000, 2), 0)::float8 AS wan
    FROM filing_tally GROUP BY domain HAVING sum(filings) > 0 ORDER BY n DESC, domain
"""

# The same figures counted from the filings (what the dashboard did per view before 0024; tests compare).
BY_MONTH_FROM_SCRATCH = f"""
    SELECT to_char(date_trunc('month', f.filed_on), 'YYYY-MM') AS month, count(*) AS n,
           coalesce(round(sum({COUNTED_AMOUNT_SQL}) FILTER (WHERE f.status = 'registered') / 10000, 2), 0)::float8
               AS tech_wan
    FROM filings f GROUP BY 1 ORDER BY 1 DESC LIMIT 24
"""
BY_KIND_FROM_SCRATCH = "SELECT kind, count(*) AS n FROM filings GROUP BY kind ORDER BY n DESC, kind"
BY_DOMAIN_FROM_SCRATCH = f"""
    SELECT f.domain, count(*) AS n,
           coalesce(round(sum({COUNTED_AMOUNT_SQL}) FILTER (WHERE f.status = 'registered') / 10000, 2), 0)::float8 AS wan
    FROM filings f GROUP BY f.domain ORDER BY n DESC, f.domain
"""

# What the tallies must hold, counted from the filings themselves (tests, repair checks).
FILING_TALLY_FROM_SCRATCH = f"""
    SELECT point_code, status, kind, software, domain, count(*) AS filings, sum({COUNTED_AMOUNT_SQL}) AS counted_amount
    FROM filings f GROUP BY 1, 2, 3, 4, 5
"""
MONTH_TALLY_FROM_SCRATCH = f"""
    SELECT date_trunc('month', filed_on)::date AS month, status, count(*) AS filings,
           sum({COUNTED_AMOUNT_SQL}) AS counted_amount
    FROM filings f GROUP BY 1, 2
"""
FILING_TALLY = "SELECT point_code, status, kind, software, domain, filings, counted_amount FROM filing_tally WHERE filings <> 0 OR counted_amount <> 0"
MONTH_TALLY = "SELECT month, status, filings, counted_amount FROM filing_month_tally WHERE filings <> 0 OR counted_amount <> 0"
REBUILD = "SELECT rebuild_tallies()"


async def filing_figures(conn: asyncpg.Connection, *, from_scratch: bool = False) -> dict[str, list[asyncpg.Record]]:
    """The dashboard's filing figures, by month, kind and domain: from the tallies, or (`from_scratch`)
    counted from the filings."""
    if from_scratch:
        return {"by_month": await conn.fetch(BY_MONTH_FROM_SCRATCH), "by_kind": await conn.fetch(BY_KIND_FROM_SCRATCH),
                "by_domain": await conn.fetch(BY_DOMAIN_FROM_SCRATCH)}
    return {"by_month": await conn.fetch(BY_MONTH), "by_kind": await conn.fetch(BY_KIND),
            "by_domain": await conn.fetch(BY_DOMAIN)}


def _compare(name: str, kept: list[asyncpg.Record], scratch: list[asyncpg.Record]) -> list[str]:
    have = {tuple(r)[:-2]: tuple(r)[-2:] for r in kept}
    want = {tuple(r)[:-2]: tuple(r)[-2:] for r in scratch}
    return [f"{name} {key}: kept {have.get(key)}, counted {want.get(key)}"
            for key in sorted(have.keys() | want.keys(), key=str) if have.get(key) != want.get(key)]


async def differences(conn: asyncpg.Connection) -> list[str]:
    """Every tally row that differs from a count from scratch (empty: the tallies are right)."""
    return (_compare("filing_tally", await conn.fetch(FILING_TALLY), await conn.fetch(FILING_TALLY_FROM_SCRATCH))
            + _compare("filing_month_tally", await conn.fetch(MONTH_TALLY), await conn.fetch(MONTH_TALLY_FROM_SCRATCH)))


async def rebuild(conn: asyncpg.Connection) -> None:
    """Every tally (the flags' too) recomputed from scratch, writers held off meanwhile."""
    await conn.execute(REBUILD)
