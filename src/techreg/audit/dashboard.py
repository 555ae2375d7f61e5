"""The supervisor's dashboard: every figure shaped for ECharts. Filings and flags come from their running
counts (registry/tally.py, detection/figures.py: kept up to date by triggers, the same cost at any size);
campaigns and confirmation rates from the audit items, a few thousand rows."""

import asyncpg

from ..detection.figures import flags_by_month
from ..labels import label
from ..registry.tally import filing_figures

# The newest ten campaigns drawn, with their items done, cleared and found in violation.
CAMPAIGN_PROGRESS = """
    SELECT c.id, c.name, count(i.id) AS items, count(i.id) FILTER (WHERE i.status = 'done') AS done,
           count(i.id) FILTER (WHERE i.outcome = 'cleared') AS cleared,
           count(i.id) FILTER (WHERE i.outcome IS NOT NULL AND i.outcome <> 'cleared') AS violations
    FROM campaigns c LEFT JOIN audit_items i ON i.campaign_id = c.id
    WHERE c.status <> 'draft' GROUP BY c.id ORDER BY c.id DESC LIMIT 10
"""
# Per detector: flagged filings an inspector has decided, and how many of them were violations.
CONFIRMATION = """
    SELECT split_part(g.detector, '/', 1) AS detector, count(*) AS audited,
           count(*) FILTER (WHERE i.outcome <> 'cleared') AS confirmed
    FROM audit_items i JOIN flags g ON g.filing_id = i.filing_id
    WHERE i.status = 'done'
    GROUP BY 1 ORDER BY 1
"""


async def dashboard_data(conn: asyncpg.Connection, language: str = "zh", *, from_scratch: bool = False) -> dict:
    """The charts' figures, every category and series named in `language` (techreg.labels); `from_scratch`
    counts filings and flags from their tables instead of the running counts (tests compare the two)."""
    figures = await filing_figures(conn, from_scratch=from_scratch)
    by_month, by_kind, by_domain = figures["by_month"], figures["by_kind"], figures["by_domain"]
    flags = await flags_by_month(conn, from_scratch=from_scratch)
    campaigns = await conn.fetch(CAMPAIGN_PROGRESS)
    confirmation = await conn.fetch(CONFIRMATION)
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
        # stacked bars, a month's bar its flags by kind (stacked lines read as running totals)
        "flag_series": [{"name": label("flag", k, language), "type": "bar", "stack": "flags",
                         "data": [flag_count.get((m, k), 0) for m in flag_months]} for k in flag_kinds],
        "campaigns": [r["name"] for r in campaigns],
        "campaign_done": [r["done"] for r in campaigns],
        "campaign_open": [r["items"] - r["done"] for r in campaigns],
        "campaign_violations": [r["violations"] for r in campaigns],
        # each rate with how many findings it rests on: one finding is not a rate
        "detectors": [f"{label('flag', r['detector'], language)}"
                      + (f" (n={r['audited']})" if language == "en" else f"（{r['audited']} 件）") for r in confirmation],
        "confirmation_rates": [round(100 * r["confirmed"] / r["audited"], 1) if r["audited"] else 0
                               for r in confirmation],
    }
