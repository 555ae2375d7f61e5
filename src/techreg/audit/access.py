"""Who may act on an audit item: the inspector it is assigned to, supervisors and admins; to anyone else the
item does not exist."""

import asyncpg

from ..errors import Forbidden, NotFound
from ..registry.users import CurrentUser

# An item with its filing's ref; locked when a finding, a conflict or evidence is about to change it.
ITEM = "SELECT i.*, f.ref FROM audit_items i JOIN filings f ON f.id = i.filing_id WHERE i.id = $1"
ITEM_LOCKED = ITEM + " FOR UPDATE OF i"


def require(user: CurrentUser, *roles: str) -> None:
    if user.role not in roles:
        raise Forbidden("无权执行此操作", f"only {', '.join(roles)} may do this")


async def item_for(conn: asyncpg.Connection, user: CurrentUser, item_id: int, *, lock: bool = False):
    row = await conn.fetchrow(ITEM_LOCKED if lock else ITEM, item_id)
    # an inspector sees only their own items; anything else is as if it did not exist
    if row is None or not (user.role in ("supervisor", "admin") or
                           (user.role == "inspector" and row["inspector_id"] == user.id)):
        raise NotFound(f"检查事项 {item_id} 不存在或不在您的队列中", f"audit item {item_id} not found in your queue")
    return row


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
