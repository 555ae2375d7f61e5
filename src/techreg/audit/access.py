"""The audit area's policy. The role a route needs is its guard (web/auth.requires); here is what depends on the
item, the campaign or the actor. An audit item is seen by the inspector it is assigned to, supervisors and
admins (to anyone else it does not exist), and changed by its inspector alone; a campaign is public once it is
past its draft; supervisors create campaigns, the system actor drafts them. An order a finding issued is seen
by the staff, the registrars of the contract's point and the inspector whose finding issued it. And which
filings an inspector reads: the registry is handed that rule (below)."""

import asyncpg

from ..errors import Forbidden, NotFound
from ..registry import access as registry_access
from ..registry import revocation
from ..registry.users import CurrentUser

# An item with its filing's ref; locked when a finding, a conflict or evidence is about to change it.
ITEM = "SELECT i.*, f.ref FROM audit_items i JOIN filings f ON f.id = i.filing_id WHERE i.id = $1"
ITEM_LOCKED = ITEM + " FOR UPDATE OF i"


def require_campaign_author(user: CurrentUser, *, draft: bool) -> None:
    """Supervisors create campaigns; the system actor (the monthly job) only drafts them, for a supervisor to
    confirm."""
    if not (user.role == "supervisor" or (draft and user.role == "system")):
        raise Forbidden("只有监督员可以创建抽查任务", "only a supervisor may create a campaign")


async def item_for(conn: asyncpg.Connection, user: CurrentUser, item_id: int, *, lock: bool = False,
                   acting: bool = False):
    """The item, if this user may see it (404 otherwise); `acting`: to change it (a finding, a conflict,
    evidence), which only its own inspector does (403 for the staff who may see it)."""
    row = await conn.fetchrow(ITEM_LOCKED if lock else ITEM, item_id)
    own = row is not None and user.role == "inspector" and row["inspector_id"] == user.id
    # an inspector sees only their own items; anything else is as if it did not exist
    if row is None or not (own or user.role in ("supervisor", "admin")):
        raise NotFound(f"检查事项 {item_id} 不存在或不在您的队列中", f"audit item {item_id} not found in your queue")
    if acting and not own:
        raise Forbidden("只有该事项的检查员可以办理", "only the item's own inspector may act on it")
    return row


# A campaign's status: the public sees a campaign once it is past its draft.
CAMPAIGN_STATUS = "SELECT status FROM campaigns WHERE id = $1"


async def require_published(conn: asyncpg.Connection, campaign_id: int) -> None:
    status = await conn.fetchval(CAMPAIGN_STATUS, campaign_id)
    if status is None:
        raise NotFound(f"抽查任务 {campaign_id} 不存在", f"campaign {campaign_id} not found")
    if status == "draft":
        raise NotFound(f"抽查任务 {campaign_id} 尚未公布", f"campaign {campaign_id} is not published")


# Of the given refs, those an inspector reads: the filings of their own audit queue, and the filings the flags
# on those cite as evidence (the other parts of a split, the seller's other contracts, the earlier filing of a
# duplicate).
INSPECTOR_READABLE = """
    SELECT f.ref FROM filings f
    WHERE f.ref = any($1::text[]) AND (
        EXISTS (SELECT 1 FROM audit_items WHERE filing_id = f.id AND inspector_id = $2)
        OR EXISTS (SELECT 1 FROM audit_items i JOIN flags g ON g.filing_id = i.filing_id
                   WHERE i.inspector_id = $2 AND f.ref = any(g.related)))
"""


@registry_access.grant_reading
async def inspector_reads(conn: asyncpg.Connection, user: CurrentUser, refs: list[str]) -> set[str]:
    """Of `refs`, the filings an inspector reads because of their queue (nothing for anyone else)."""
    if user.role != "inspector" or not refs:
        return set()
    return {r["ref"] for r in await conn.fetch(INSPECTOR_READABLE, refs, user.id)}


# An audit item as the basis of a revocation (registry/revocation.py): the filing it examines, and whether its
# finding is recorded.
ITEM_AS_BASIS = "SELECT filing_id, status = 'done' AS decided FROM audit_items WHERE id = $1"


@revocation.finding_lookup
async def item_as_basis(conn: asyncpg.Connection, item_id: int) -> tuple[int, bool] | None:
    row = await conn.fetchrow(ITEM_AS_BASIS, item_id)
    return None if row is None else (row["filing_id"], row["decided"])


# Declared ties (回避), kept for every user: the review procedure (registry) reads and records them through
# registry.access.
TIES_OF = "SELECT inspector_id, credit_code FROM inspector_ties WHERE inspector_id = any($1::bigint[])"
RECORD_TIE = "INSERT INTO inspector_ties (inspector_id, credit_code, note) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"


async def ties_of(conn: asyncpg.Connection, user_ids: list[int]) -> dict[int, frozenset[str]]:
    """The parties each of these users declared a tie to (the users with none left out)."""
    found: dict[int, set[str]] = {}
    for r in await conn.fetch(TIES_OF, user_ids):
        found.setdefault(r["inspector_id"], set()).add(r["credit_code"])
    return {user_id: frozenset(codes) for user_id, codes in found.items()}


async def record_tie(conn: asyncpg.Connection, user_id: int, credit_code: str, note: str) -> None:
    await conn.execute(RECORD_TIE, user_id, credit_code, note)


registry_access.keep_ties(ties_of, record_tie)
# An order with its filing's ref and point and the inspector whose finding issued it; locked when a step is
# about to change it.
ORDER = """
    SELECT o.*, f.ref, f.point_code, i.inspector_id
    FROM orders o JOIN filings f ON f.id = o.filing_id JOIN audit_items i ON i.id = o.item_id WHERE o.id = $1
"""
ORDER_LOCKED = ORDER + " FOR UPDATE OF o"


async def order_for(conn: asyncpg.Connection, user: CurrentUser, order_id: int, *, lock: bool = False):
    """An order, to those who may see it: supervisors and admins; a registrar of the contract's point (who
    records the party's response); the inspector whose finding issued it. To anyone else it does not exist."""
    row = await conn.fetchrow(ORDER_LOCKED if lock else ORDER, order_id)
    if row is None or not (user.role in ("supervisor", "admin")
                           or (user.role == "registrar" and row["point_code"] == user.point_code)
                           or (user.role == "inspector" and row["inspector_id"] == user.id)):
        raise NotFound(f"责令事项 {order_id} 不存在或无权查看", f"order {order_id} not found or not visible to you")
    return row
