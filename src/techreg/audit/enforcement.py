"""The enforcement list (执法企业名录): the enterprises whose contracts were revoked, ordered to rectify or to
de-register, or left such an order overdue — with counts and amounts, per campaign and overall.

- The enterprise is the contract's seller (技术卖方), by unified social credit code: the party that registers
  the contract and takes its tax benefits; its name is the one on its latest filing.
- Amounts are the approved technology amount (核定技术交易额, registry/approval.py) where the registration has
  one, else the declared technology amount (registrations older than the approval, imported history); each
  row says how many of its contracts count at the declared amount.
- Overall: every revoked registration (by a finding, a supervisor or a court) and every order. Per campaign: the
  contracts its findings ordered, and its sampled contracts now revoked.
- Overdue: an order escalated by the daily job, or past its deadline with the party's part not done (the rule
  of audit/orders.py). A contract is counted once per column whatever number of orders it carries.

The page, the API, the CLI and the Excel workbook all read `enforcement_list` / `campaign_summaries`.
"""

import datetime as dt
import io
from decimal import Decimal

import asyncpg
import msgspec

from ..config import Settings
from ..errors import NotFound
from ..labels import label, local_time
from ..registry.approval import COUNTED_AMOUNT_SQL
from ..registry.service import today

# Per contract in scope ($1: a campaign, or NULL for all; $2: the day overdue is judged on): the seller, the
# amount counted, and which columns it falls in. The orders considered are those of the scope's campaign.
MARKED = f"""
    scoped AS (
        SELECT f.id FROM filings f WHERE $1::bigint IS NULL AND f.status = 'revoked'
        UNION
        SELECT o.filing_id FROM orders o JOIN audit_items i ON i.id = o.item_id
        WHERE $1::bigint IS NULL OR i.campaign_id = $1
        UNION
        SELECT i.filing_id FROM audit_items i JOIN filings f ON f.id = i.filing_id
        WHERE i.campaign_id = $1 AND f.status = 'revoked'
    ), marked AS (
        SELECT f.id, f.seller_code::text AS seller_code, f.seller_name, {COUNTED_AMOUNT_SQL} AS amount,
               f.approved_amount IS NULL AS declared_only, f.status = 'revoked' AS revoked,
               coalesce(bool_or(o.kind = 'rectification'), false) AS rectification,
               coalesce(bool_or(o.kind = 'deregistration'), false) AS deregistration,
               coalesce(bool_or(EXISTS (SELECT 1 FROM order_escalations e WHERE e.order_id = o.id)
                                OR (o.due_on < $2 AND (o.status IN ('open', 'escalated')
                                                       OR (o.status = 'answered' AND o.kind = 'deregistration')))),
                        false) AS overdue
        FROM scoped s JOIN filings f ON f.id = s.id
        LEFT JOIN (orders o JOIN audit_items oi ON oi.id = o.item_id)
               ON o.filing_id = f.id AND ($1::bigint IS NULL OR oi.campaign_id = $1)
        GROUP BY f.id
    )
"""
# One row per enterprise, the largest amounts first.
ENTERPRISES = f"""
    WITH {MARKED}
    SELECT seller_code AS credit_code, (array_agg(seller_name ORDER BY id DESC))[1] AS name,
           count(*) AS contracts, sum(amount) AS amount,
           count(*) FILTER (WHERE revoked) AS revoked, coalesce(sum(amount) FILTER (WHERE revoked), 0) AS revoked_amount,
           count(*) FILTER (WHERE rectification) AS rectification,
           coalesce(sum(amount) FILTER (WHERE rectification), 0) AS rectification_amount,
           count(*) FILTER (WHERE deregistration) AS deregistration,
           coalesce(sum(amount) FILTER (WHERE deregistration), 0) AS deregistration_amount,
           count(*) FILTER (WHERE overdue) AS overdue, coalesce(sum(amount) FILTER (WHERE overdue), 0) AS overdue_amount,
           count(*) FILTER (WHERE declared_only) AS declared_only
    FROM marked GROUP BY seller_code ORDER BY sum(amount) DESC, count(*) DESC, seller_code
"""
# Per campaign (past its draft): how many enterprises and contracts its findings put on the list.
CAMPAIGNS = f"""
    WITH scoped AS (
        SELECT i.campaign_id, i.filing_id FROM orders o JOIN audit_items i ON i.id = o.item_id
        UNION
        SELECT i.campaign_id, i.filing_id FROM audit_items i JOIN filings f ON f.id = i.filing_id
        WHERE f.status = 'revoked'
    ), marked AS (
        SELECT s.campaign_id, f.id, f.seller_code, {COUNTED_AMOUNT_SQL} AS amount, f.status = 'revoked' AS revoked,
               coalesce(bool_or(o.id IS NOT NULL), false) AS ordered,
               coalesce(bool_or(EXISTS (SELECT 1 FROM order_escalations e WHERE e.order_id = o.id)
                                OR (o.due_on < $1 AND (o.status IN ('open', 'escalated')
                                                       OR (o.status = 'answered' AND o.kind = 'deregistration')))),
                        false) AS overdue
        FROM scoped s JOIN filings f ON f.id = s.filing_id
        LEFT JOIN (orders o JOIN audit_items oi ON oi.id = o.item_id)
               ON o.filing_id = f.id AND oi.campaign_id = s.campaign_id
        GROUP BY s.campaign_id, f.id
    )
    SELECT c.id AS campaign_id, c.name AS campaign, count(DISTINCT m.seller_code) AS enterprises,
           count(m.id) AS contracts, coalesce(sum(m.amount), 0) AS amount,
           count(m.id) FILTER (WHERE m.revoked) AS revoked, count(m.id) FILTER (WHERE m.ordered) AS ordered,
           count(m.id) FILTER (WHERE m.overdue) AS overdue
    FROM campaigns c LEFT JOIN marked m ON m.campaign_id = c.id
    WHERE c.status <> 'draft' GROUP BY c.id ORDER BY c.id DESC
"""
CAMPAIGN_NAME = "SELECT name FROM campaigns WHERE id = $1"

# what the amounts are, as the page, the workbook and the CLI say it
AMOUNT_BASIS = ("金额为核定技术交易额；未核定的登记（早于核定制度的登记、导入的历史数据）按申报技术交易额计，"
                "每行注明按申报额计的合同数。",
                "Amounts are the approved technology amount; registrations without one (older than approval, "
                "imported history) count at the declared technology amount, and each row says how many of its "
                "contracts do.")


class EnterpriseRow(msgspec.Struct, kw_only=True):
    credit_code: str                 # unified social credit code of the seller
    name: str
    contracts: int                   # distinct contracts on the list
    amount: Decimal                  # their amount (approved, else declared)
    revoked: int
    revoked_amount: Decimal
    rectification: int               # contracts ordered to rectify
    rectification_amount: Decimal
    deregistration: int              # contracts ordered to de-register
    deregistration_amount: Decimal
    overdue: int                     # contracts with an order overdue or escalated
    overdue_amount: Decimal
    declared_only: int               # of `contracts`, counted at the declared amount (no approved one)


class CampaignSummary(msgspec.Struct, kw_only=True):
    campaign_id: int
    campaign: str
    enterprises: int
    contracts: int
    amount: Decimal
    revoked: int
    ordered: int
    overdue: int


class EnforcementList(msgspec.Struct, kw_only=True):
    on: dt.date                      # the day overdue is judged on
    campaign_id: int | None          # None: overall
    campaign: str | None
    amount_basis: str
    totals: EnterpriseRow            # every column summed (credit_code empty); contracts are distinct per enterprise
    enterprises: list[EnterpriseRow]
    campaigns: list[CampaignSummary]


NUMBERS = [f for f in EnterpriseRow.__struct_fields__ if f not in ("credit_code", "name")]


def _totals(rows: list[EnterpriseRow]) -> EnterpriseRow:
    return EnterpriseRow(credit_code="", name="", **{f: sum((getattr(r, f) for r in rows),
                                                            Decimal(0) if f.endswith("amount") else 0)
                                                     for f in NUMBERS})


async def campaign_summaries(conn: asyncpg.Connection, on: dt.date) -> list[CampaignSummary]:
    return [msgspec.convert(dict(r), CampaignSummary) for r in await conn.fetch(CAMPAIGNS, on)]


async def enforcement_list(conn: asyncpg.Connection, settings: Settings, *, campaign: int | None = None,
                           on: dt.date | None = None) -> EnforcementList:
    """The list for one campaign or overall (the caller has checked the role: supervisors and admins)."""
    name = None
    if campaign is not None:
        name = await conn.fetchval(CAMPAIGN_NAME, campaign)
        if name is None:
            raise NotFound(f"抽查任务 {campaign} 不存在", f"campaign {campaign} not found")
    day = on or today(settings)
    rows = [msgspec.convert(dict(r), EnterpriseRow) for r in await conn.fetch(ENTERPRISES, campaign, day)]
    return EnforcementList(on=day, campaign_id=campaign, campaign=name, amount_basis=" / ".join(AMOUNT_BASIS),
                           totals=_totals(rows), enterprises=rows, campaigns=await campaign_summaries(conn, day))


# -- the workbook ------------------------------------------------------------------------------------------

# the columns of an enterprise row, by their words (labels "enforcement")
COLUMNS = ["credit_code", "name", "contracts", "amount", "revoked", "revoked_amount", "rectification",
           "rectification_amount", "deregistration", "deregistration_amount", "overdue", "overdue_amount",
           "declared_only"]
CAMPAIGN_COLUMNS = ["campaign_id", "campaign", "enterprises", "contracts", "amount", "revoked", "ordered", "overdue"]
MONEY = "#,##0.00"


def _sheet(book, title: str, headers: list[str], rows: list[list], *, text_columns: set[int]) -> None:
    sheet = book.create_sheet(title[:31])
    sheet.append(headers)
    for values in rows:
        sheet.append(values)
        for k, cell in enumerate(sheet[sheet.max_row]):
            if k in text_columns and cell.value is not None:
                cell.value, cell.data_type = str(cell.value), "s"      # codes stay text: never a number or formula
            elif isinstance(cell.value, Decimal):
                cell.value, cell.number_format = float(cell.value), MONEY
    for k, column in enumerate(sheet.columns):
        sheet.column_dimensions[column[0].column_letter].width = 24 if k in text_columns else 16
    sheet.freeze_panes = "A2"


def _enterprise_rows(found: EnforcementList, language: str) -> list[list]:
    rows = [[getattr(r, c) for c in COLUMNS] for r in found.enterprises]
    total = [getattr(found.totals, c) for c in COLUMNS]
    total[0], total[1] = label("enforcement", "total", language), None
    return rows + [total]


def workbook(overall: EnforcementList, per_campaign: list[EnforcementList], language: str, timezone: str,
             made_at: dt.datetime) -> bytes:
    """The list as an Excel workbook: the overall sheet (opened first), the campaigns' summary, one sheet per
    campaign, a last sheet saying what the figures are; credit codes written as text, amounts as numbers in yuan."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    headers = [label("enforcement", c, language) for c in COLUMNS]
    _sheet(book, label("enforcement", "overall_sheet", language), headers, _enterprise_rows(overall, language),
           text_columns={0, 1})
    _sheet(book, label("enforcement", "campaigns_sheet", language),
           [label("enforcement", c, language) for c in CAMPAIGN_COLUMNS],
           [[getattr(c, k) for k in CAMPAIGN_COLUMNS] for c in overall.campaigns], text_columns={1})
    for found in per_campaign:
        _sheet(book, f"{label('enforcement', 'campaign_sheet', language)} {found.campaign_id}", headers,
               _enterprise_rows(found, language), text_columns={0, 1})
    about = book.create_sheet(label("enforcement", "about_sheet", language)[:31])
    zh = language != "en"
    for line in ([label("enforcement", "title", language), ""],
                 [label("enforcement", "made_at", language), local_time(made_at, timezone)],
                 [label("enforcement", "judged_on", language), overall.on.isoformat()],
                 [label("enforcement", "amount_basis", language), AMOUNT_BASIS[0 if zh else 1]],
                 [label("enforcement", "enterprise_is", language),
                  "技术卖方（统一社会信用代码）" if zh else "the seller, by unified social credit code"]):
        about.append(line)
        for cell in about[about.max_row]:
            cell.data_type = "s"
    about.column_dimensions["A"].width, about.column_dimensions["B"].width = 20, 100
    book.active = 0                     # the list opens first
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def full_workbook(conn: asyncpg.Connection, settings: Settings, language: str, *, on: dt.date | None = None,
                        made_at: dt.datetime) -> bytes:
    """Overall and every campaign that put anyone on the list, in one workbook."""
    overall = await enforcement_list(conn, settings, on=on)
    per_campaign = [await enforcement_list(conn, settings, campaign=c.campaign_id, on=overall.on)
                    for c in overall.campaigns if c.contracts]
    return workbook(overall, per_campaign, language, settings.timezone, made_at)
