"""Who may act on an audit item: the inspector it is assigned to, supervisors and admins; to anyone else the
item does not exist. And which filings an inspector reads: the registry is handed that rule (below)."""

import asyncpg

from ..errors import Forbidden, NotFound
from ..registry import access as registry_access
from ..registry.users import CurrentUser

# An item with its filing's ref; locked when a finding, a conflict or evidence is about to change it.
ITEM = "SELECT i.*, f.ref FROM audit_items i JOIN filings f ON f.id = i.filing_id WHERE i.id = $1"
ITEM_LOCKED = ITEM + " FOR UPDATE OF i"


def require(user: CurrentUser, *roles: str) -> None:
    if user.role not in roles:
        raise Forbidden("无权执行此操作", f"only {', '.join(roles)} may do this")


def require_campaign_author(user: CurrentUser, *, draft: bool) -> None:
    """Supervisors create campaigns; the system actor (the monthly job) only drafts them, for a supervisor to
    confirm."""
    if not (user.role == "supervisor" or (draft and user.role == "system")):
        require(user, "supervisor")


async def item_for(conn: asyncpg.Connection, user: CurrentUser, item_id: int, *, lock: bool = False):
    row = await conn.fetchrow(ITEM_LOCKED if lock else ITEM, item_id)
    # an inspector sees only their own items; anything else is as if it did not exist
    if row is None or not (user.role in ("supervisor", "admin") or
                           (user.role == "inspector" and row["inspector_id"] == user.id)):
        raise NotFound(f"检查事项 {item_id} 不存在或不在您的队列中", f"audit item {item_id} not found in your queue")
    return row


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
