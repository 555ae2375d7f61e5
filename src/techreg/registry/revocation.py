"""撤销登记: a revocation names a ground the rules in force list and the basis it rests on, and the tax office
is told of revoked registrations whose benefits may have been claimed.

Grounds and bases are those of the rules in force on the day of the revocation (registry/rulebook.py): the
national rules list the grounds (a false contract or a certificate obtained by fraud or bribery; a contract
voided or terminated but not de-registered; a duplicate registration; others as the rules list them) and
accept an effective court judgment, a review decision or an inspection finding as the basis; Shanghai's 2025
rules (沪科技市〔2025〕31号) accept only a court judgment or an administrative inspection. A basis that is ours
is checked: an inspection finding is an audit item of this filing with its finding recorded. The revoke event
on the filing's chain carries the ground, the basis and the rules; the `revocations` row is what pages,
certificates and the tax office's list read.
"""

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from decimal import Decimal

import asyncpg
import msgspec

from ..config import Settings
from ..errors import Conflict, InvalidInput
from ..labels import pair
from .rulebook import Rules, check_choice, rules_in_force
from .schema import DecisionBody, FilingOut, RevocationBody, RevocationOut
from . import access
from .service import _load, today, transition
from .users import CurrentUser

# a court's case number: （2025）沪0101民初1234号 (brackets full- or half-width)
JUDGMENT_NUMBER = re.compile(r"^[（(]\d{4}[）)]\S+号$")
AUDIT_ITEM_NUMBER = re.compile(r"^#?(\d{1,18})$")


# What an inspection-finding basis refers to is the audit area's to say: it hands in a lookup (audit/access.py)
# from an audit item's number to (the filing it examines, whether its finding is recorded), None if no such item.
FindingLookup = Callable[[asyncpg.Connection, int], Awaitable[tuple[int, bool] | None]]
_finding_lookups: list[FindingLookup] = []


def finding_lookup(lookup: FindingLookup) -> FindingLookup:
    if lookup not in _finding_lookups:
        _finding_lookups.append(lookup)
    return lookup

# An active flag of the duplicate detector on the filing: a revoking finding then pre-fills the duplicate ground.
DUPLICATE_FLAG_SQL = "SELECT EXISTS (SELECT 1 FROM flags WHERE filing_id = $1 AND kind = 'duplicate' AND active)"
INSERT_REVOCATION = """
    INSERT INTO revocations (filing_id, ground, basis_kind, basis_reference, audit_item_id, rules_version,
                             revoked_on, revoked_at, revoked_by, note)
    VALUES ($1, $2, $3, $4, $5, $6, $7, now(), $8, $9)
"""
REVOCATION_SQL = """
    SELECT ground, basis_kind, basis_reference, audit_item_id, rules_version, revoked_on, revoked_at, revoked_by, note
    FROM revocations WHERE filing_id = $1
"""


def _bad_reference(message: str, message_en: str) -> InvalidInput:
    return InvalidInput(f"撤销依据：{message}", f"revocation basis: {message_en}",
                        errors=[{"field": "basis.reference", "message": message, "message_en": message_en}])


async def _finding_item(conn: asyncpg.Connection, filing_id: int, reference: str, deciding: int | None) -> int:
    """The audit item an inspection-finding basis names: of this filing, with its finding recorded (or the
    item whose finding is being recorded now)."""
    m = AUDIT_ITEM_NUMBER.match(reference.strip())
    if not m:
        raise _bad_reference(f"检查结论须写检查事项编号（数字），而不是 {reference}",
                             f"an inspection finding is named by its audit item number, not {reference}")
    item_id = int(m.group(1))
    found = None
    for lookup in _finding_lookups:
        found = found or await lookup(conn, item_id)
    if found is None or found[0] != filing_id:
        raise _bad_reference(f"检查事项 #{item_id} 不存在或不是对本申请的检查",
                             f"audit item #{item_id} does not exist or does not examine this filing")
    if item_id != deciding and not found[1]:
        raise _bad_reference(f"检查事项 #{item_id} 尚无检查结论", f"audit item #{item_id} has no finding yet")
    return item_id


async def _check_basis(conn: asyncpg.Connection, filing_id: int, body: RevocationBody, deciding: int | None
                       ) -> int | None:
    kind, reference = body.basis.kind, body.basis.reference.strip()
    if kind == "inspection_finding":
        return await _finding_item(conn, filing_id, reference, deciding)
    if kind == "court_judgment" and not JUDGMENT_NUMBER.match(reference):
        raise _bad_reference(f"判决书案号格式应如（2025）沪0101民初1234号，而不是 {reference}",
                             f"a judgment is named by its case number, e.g. （2025）沪0101民初1234号, not {reference}")
    return None     # a review decision: its number as written (the review procedure keeps its own records)


async def revoke(conn: asyncpg.Connection, key: bytes, settings: Settings, user: CurrentUser, ref: str,
                 body: RevocationBody, *, via: str | None = None, audit_item: int | None = None) -> FilingOut:
    """Revoke a registration on a ground and basis the rules in force today allow; `via`/`audit_item` name
    the inspection finding being recorded when it is that which revokes."""
    row = await _load(conn, user, ref, lock=True)
    await access.require_actor(conn, settings, user, row["point_code"], "revoke", via)
    if row["status"] != "registered":
        status_zh, status_en = pair("status", row["status"])
        raise Conflict(f"当前状态为「{status_zh}」，不能撤销登记", f"cannot revoke: the filing is {status_en}",
                       status=row["status"])
    day = today(settings)
    rules = rules_in_force(settings, day)
    check_choice(rules.revocation_grounds, body.ground, "ground", "revocation_ground", rules)
    check_choice(rules.revocation_bases, body.basis.kind, "basis.kind", "revocation_basis", rules)
    item_id = await _check_basis(conn, row["id"], body, audit_item)
    reference = f"#{item_id}" if item_id is not None else body.basis.reference.strip()
    await conn.execute(INSERT_REVOCATION, row["id"], body.ground, body.basis.kind, reference, item_id, rules.id, day,
                       user.username, body.note)
    detail = {"ground": body.ground, "basis": {"kind": body.basis.kind, "reference": reference}, "rules": rules.id}
    return await transition(conn, key, settings, user, ref, "revoke", DecisionBody(reasons=[body.ground], note=body.note),
                            via=via, revocation=detail)


async def finding_ground(conn: asyncpg.Connection, filing_id: int, ground: str | None) -> str:
    """The ground of a revoking finding: the inspector's, or, on a filing the duplicate detector flags,
    duplicate registration; otherwise the finding must name one."""
    if ground:
        return ground
    if await conn.fetchval(DUPLICATE_FLAG_SQL, filing_id):
        return "duplicate_registration"
    raise InvalidInput("结论为撤销登记时须选择撤销理由", "a finding that revokes needs a revocation ground",
                       errors=[{"field": "ground", "message": "请选择撤销理由", "message_en": "choose a ground"}])


async def suggested_ground(conn: asyncpg.Connection, filing_id: int) -> str | None:
    """What a revoking finding's form pre-selects: the duplicate ground on a filing flagged as a duplicate."""
    return "duplicate_registration" if await conn.fetchval(DUPLICATE_FLAG_SQL, filing_id) else None


async def revocation_of(conn: asyncpg.Connection, filing_id: int) -> RevocationOut | None:
    row = await conn.fetchrow(REVOCATION_SQL, filing_id)
    return msgspec.convert(dict(row), RevocationOut) if row else None


def rules_now(settings: Settings) -> Rules:
    return rules_in_force(settings, today(settings))


# -- the tax office's list ---------------------------------------------------------------------------------

class TaxNoticeRow(msgspec.Struct, kw_only=True):
    """One revoked registration for the tax office: who could have claimed what, with which certificate,
    over which days, and why it was revoked."""
    reg_no: str
    ref: str
    contract_no: str
    title: str
    kind: str
    seller_name: str
    seller_code: str
    buyer_name: str
    buyer_code: str
    amount: Decimal
    approved_amount: Decimal
    income_received: Decimal | None           # the latest technical-income check, if any
    income_as_of: dt.date | None
    registered_on: dt.date | None             # None: imported history, registered before it was kept here
    revoked_on: dt.date
    days_in_force: int | None
    ground: str
    basis_kind: str
    basis_reference: str
    revocation_rules: str
    point: str
    point_name: str


class TaxNotice(msgspec.Struct, kw_only=True):
    rule: str                                 # how "benefits may have been claimed" is decided, in words
    rule_en: str
    min_days: int
    revoked_from: dt.date | None
    revoked_to: dt.date | None
    items: list[TaxNoticeRow]


# Revoked registrations recorded with their grounds, whose certificate stood at least $1 days (imported history
# without its registration day stood for a time nobody recorded here: always listed), revoked within the
# period; with the latest technical-income check on the chain.
TAX_NOTICE_SQL = """
    SELECT f.reg_no, f.ref, f.contract_no, f.title, f.kind, f.seller_name, f.seller_code, f.buyer_name, f.buyer_code,
           f.amount, coalesce(f.approved_amount, f.tech_amount) AS approved_amount,
           (i.detail->>'received_amount')::numeric AS income_received, (i.detail->>'as_of')::date AS income_as_of,
           f.registered_on, r.revoked_on, r.revoked_on - f.registered_on AS days_in_force,
           r.ground, r.basis_kind, r.basis_reference, r.rules_version AS revocation_rules,
           f.point_code AS point, p.name AS point_name
    FROM revocations r
    JOIN filings f ON f.id = r.filing_id
    JOIN points p ON p.code = f.point_code
    LEFT JOIN LATERAL (SELECT e.detail FROM filing_events e WHERE e.filing_id = f.id AND e.action = 'income_check'
                       ORDER BY e.seq DESC LIMIT 1) i ON true
    WHERE (f.registered_on IS NULL OR r.revoked_on - f.registered_on >= $1)
      AND ($2::date IS NULL OR r.revoked_on >= $2) AND ($3::date IS NULL OR r.revoked_on <= $3)
    ORDER BY r.revoked_on, f.reg_no
"""


async def tax_notice(conn: asyncpg.Connection, settings: Settings, *, revoked_from: dt.date | None = None,
                     revoked_to: dt.date | None = None) -> TaxNotice:
    """Revoked registrations whose benefits may have been claimed: the certificate stood for at least
    TECHREG_TAX_NOTICE_MIN_DAYS days (1: a day; from the day it is issued a seller may claim the VAT exemption
    and income-tax relief with it), or was imported as history, registered before this registry kept the day.
    The caller has checked the user may read every point's registrations."""
    if revoked_from and revoked_to and revoked_to < revoked_from:
        raise InvalidInput("撤销日期止早于撤销日期起", "revoked_to is before revoked_from", field="revoked_to")
    n = settings.tax_notice_min_days
    rows = await conn.fetch(TAX_NOTICE_SQL, n, revoked_from, revoked_to)
    return TaxNotice(rule=f"登记证明自登记之日起至撤销之日有效满 {n} 天（导入的历史登记未记录登记日期，一律列入）："
                          "其间当事人可能已凭登记证明享受税收优惠",
                     rule_en=f"the certificate stood at least {n} day(s) from registration to revocation (imported "
                             "history without its registration day is always listed): the parties may have claimed "
                             "tax relief with it in that time",
                     min_days=n, revoked_from=revoked_from, revoked_to=revoked_to,
                     items=[msgspec.convert(dict(r), TaxNoticeRow) for r in rows])
