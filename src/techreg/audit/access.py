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
