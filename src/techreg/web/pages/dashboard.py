"""Figures for the supervisor's dashboard, each one SQL aggregate, shaped for ECharts."""

import asyncpg

from ...labels import label
from ...registry.approval import COUNTED_AMOUNT_SQL

# Filings by month of application, and the technology amount of those registered: the approved amount
# (核定技术交易额) as every statistic counts it, the declared one only for registrations older than it
BY_MONTH = f"""
    SELECT to_char(date_trunc('month', f.filed_on), 'YYYY-MM') AS month, count(*) AS n,
           coalesce(round(sum({COUNTED_AMOUNT_SQL}) FILTER (WHERE f.status = 'registered') / 10000, 2), 0)::float8
               AS tech_wan
    FROM filings f GROUP BY 1 ORDER BY 1 DESC LIMIT 24
"""
BY_DOMAIN = f"""
    SELECT f.domain, count(*) AS n,
           coalesce(round(sum({COUNTED_AMOUNT_SQL}) FILTER (WHERE f.status = 'registered') / 10000, 2), 0)::float8 AS wan
    FROM filings f GROUP BY f.domain ORDER BY n DESC
"""


async def dashboard_data(conn: asyncpg.Connection, language: str = "zh") -> dict:
    """The charts' figures, every category and series named in `language` (techreg.labels)."""
    by_month = await conn.fetch(BY_MONTH)
    by_kind = await conn.fetch("SELECT kind, count(*) AS n FROM filings GROUP BY kind ORDER BY n DESC")
    by_domain = await conn.fetch(BY_DOMAIN)
    flags = await conn.fetch("""
        SELECT to_char(date_trunc('month', first_seen), 'YYYY-MM') AS month, kind, count(*) AS n
        FROM flags WHERE active GROUP BY 1, 2 ORDER BY 1""")
    campaigns = await conn.fetch("""
        SELECT c.id, c.name, count(i.id) AS items, count(i.id) FILTER (WHERE i.status = 'done') AS done,
               count(i.id) FILTER (WHERE i.outcome = 'cleared') AS cleared,
               count(i.id) FILTER (WHERE i.outcome IS NOT NULL AND i.outcome <> 'cleared') AS violations
        FROM campaigns c LEFT JOIN audit_items i ON i.campaign_id = c.id
        WHERE c.status <> 'draft' GROUP BY c.id ORDER BY c.id DESC LIMIT 10""")
    confirmation = await conn.fetch("""
        SELECT split_part(g.detector, '/', 1) AS detector, count(*) AS audited,
               count(*) FILTER (WHERE i.outcome <> 'cleared') AS confirmed
        FROM flags g JOIN audit_items i ON i.filing_id = g.filing_id AND i.status = 'done'
        GROUP BY 1 ORDER BY 1""")
    months = [r["month"] for r in reversed(by_month)]
    flag_months = sorted({r["month"] for r in flags})
    flag_kinds = sorted({r["kind"] for r in flags})
    flag_count = {(r["month"], r["kind"]): r["n"] for r in flags}
    return {
        "totals": {"filings": sum(r["n"] for r in by_kind), "flags": sum(r["n"] for r in flags),
                   "campaigns": len(campaigns)},
        "months": months,
        "month_counts": [r["n"] for r in reversed(by_month)],
        "month_amounts": [r["tech_wan"] for r in reversed(by_month)],
        "kinds": [{"name": label("kind", r["kind"], language), "value": r["n"]} for r in by_kind],
        "domains": [label("domain", r["domain"], language) for r in by_domain],
        "domain_counts": [r["n"] for r in by_domain],
        "flag_months": flag_months,
        "flag_series": [{"name": label("flag", k, language), "type": "line", "stack": "flags", "areaStyle": {},
                         "data": [flag_count.get((m, k), 0) for m in flag_months]} for k in flag_kinds],
        "campaigns": [r["name"] for r in campaigns],
        "campaign_done": [r["done"] for r in campaigns],
        "campaign_open": [r["items"] - r["done"] for r in campaigns],
        "campaign_violations": [r["violations"] for r in campaigns],
        "detectors": [label("flag", r["detector"], language) for r in confirmation],
        "confirmation_rates": [round(100 * r["confirmed"] / r["audited"], 1) if r["audited"] else 0
                               for r in confirmation],
    }
