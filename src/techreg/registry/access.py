"""Who may read a filing and who may act on it: the registry's policy, in one place.

The role a route needs is its guard (web/auth.requires); what depends on the filing, the point, the action or
the registrar's standing is decided here, by the service functions, for the API, the pages and the CLI alike.

Supervisors and administrators read every filing, a registrar the filings of their own point. Another area
may let a user read filings the registry alone would not show them: it hands its rule in with
`grant_reading` (audit does: an inspector reads the filings of their own queue and the filings their flags
cite), so the registry never reads another area's tables.
"""

import datetime as dt
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

import asyncpg

from ..config import Settings, load_settings
from ..errors import Forbidden
from ..labels import pair
from .users import CurrentUser

# (connection, user, refs) -> those of the refs the user may read by the granting area's rule
ReadingGrant = Callable[[asyncpg.Connection, CurrentUser, list[str]], Awaitable[set[str]]]
_grants: list[ReadingGrant] = []

# Of the given refs, the filings that exist, with their point.
POINTS_OF_REFS = "SELECT ref, point_code FROM filings WHERE ref = any($1::text[])"


def grant_reading(grant: ReadingGrant) -> ReadingGrant:
    """Let users read the filings `grant` names for them, besides those of their point (once per rule)."""
    if grant not in _grants:
        _grants.append(grant)
    return grant


def sees_point(user: CurrentUser, point_code: str) -> bool:
    """The registry's own rule: every point for supervisors and administrators, their own for registrars."""
    if user.role in ("supervisor", "admin"):
        return True
    return user.role == "registrar" and user.point_code == point_code


async def granted(conn: asyncpg.Connection, user: CurrentUser, refs: list[str]) -> set[str]:
    """Of `refs`, those another area's rule lets this user read."""
    found: set[str] = set()
    for grant in _grants:
        rest = [r for r in refs if r not in found]
        if not rest:
            break
        found |= await grant(conn, user, rest)
    return found


async def may_read(conn: asyncpg.Connection, user: CurrentUser, ref: str, point_code: str) -> bool:
    return sees_point(user, point_code) or ref in await granted(conn, user, [ref])


async def readable_refs(conn: asyncpg.Connection, user: CurrentUser, refs: list[str]) -> set[str]:
    """Of `refs`, the filings this user may open (the same rule as reading one): evidence links only those."""
    if not refs:
        return set()
    refs = sorted(set(refs))
    readable = {r["ref"] for r in await conn.fetch(POINTS_OF_REFS, refs) if sees_point(user, r["point_code"])}
    return readable | await granted(conn, user, [r for r in refs if r not in readable])


# -- lists ----------------------------------------------------------------------------------------------------

def listing_point(user: CurrentUser) -> str | None:
    """The point a list (filings, flags, deadlines) is kept to: a registrar's own; none (every point) for
    supervisors, administrators and the system actor. Inspectors read filings through their queue."""
    if user.role == "registrar":
        return user.point_code
    if user.role in ("supervisor", "admin", "system"):
        return None
    raise Forbidden("检查员请通过检查队列查看申请", "inspectors read filings through their audit queue")


# -- acting -----------------------------------------------------------------------------------------------

def require_filer(user: CurrentUser, point_code: str) -> None:
    """A registrar files at their own point; an administrator at any point, on its behalf."""
    if user.role == "registrar" and point_code != user.point_code:
        raise Forbidden(f"登记员只能为本登记点（{user.point_code}）提交申请",
                        f"a registrar can only file at their own point ({user.point_code})")
    if user.role not in ("registrar", "admin"):
        raise Forbidden("只有登记员可以提交申请", "only registrars file contracts")


def require_point_registrar(user: CurrentUser, point_code: str, action: str) -> None:
    if user.role != "registrar" or user.point_code != point_code:
        zh, en = pair("action", action)
        raise Forbidden(f"只有本登记点的登记员可以{zh}", f"only a registrar of this point may {en} this filing")


# a registrar's standing, read when they act (the session may be older than a block)
BLOCKED_REASON = "SELECT blocked_reason FROM users WHERE id = $1"


async def require_qualified(conn: asyncpg.Connection, user: CurrentUser, settings: Settings | None = None) -> None:
    """A registrar acts (files, corrects, decides, cancels) only with a valid qualification and no block."""
    if user.role != "registrar":
        return
    settings = settings or load_settings()
    expires = user.qualification_expires
    if expires is None:
        raise Forbidden("登记员资格有效期未登记，不能办理登记", "registrar has no recorded qualification; may not decide")
    if expires < dt.datetime.now(ZoneInfo(settings.timezone)).date():
        raise Forbidden(f"登记员资格已于 {expires} 过期（未通过年审），不能办理登记",
                        f"registrar qualification expired on {expires}; renew it (annual review) before deciding")
    blocked = await conn.fetchval(BLOCKED_REASON, user.id)
    if blocked:
        raise Forbidden(f"登记员已被停止办理登记：{blocked}", f"registrar is blocked: {blocked}")


async def require_actor(conn: asyncpg.Connection, settings: Settings | None, user: CurrentUser, point_code: str,
                        action: str, via: str | None = None) -> None:
    """Who may take `action` (a workflow transition, or `correct`) on a filing of `point_code` (403 otherwise);
    the caller has read the filing (404 when not visible). `via` names the internal path (an audit finding)
    that lets an inspector revoke."""
    if action in ("register", "refuse", "return", "resubmit", "correct"):
        require_point_registrar(user, point_code, action)
        if action != "resubmit":
            await require_qualified(conn, user, settings)
    elif action == "revoke":
        if not (user.role == "supervisor" or (via == "finding" and user.role == "inspector")):
            raise Forbidden("只有监督员或检查结论可以撤销登记", "only a supervisor or an inspection finding may revoke")
    elif action == "cancel":
        if not (user.role == "supervisor" or (user.role == "registrar" and user.point_code == point_code)):
            raise Forbidden("只有本登记点登记员或监督员可以注销", "only this point's registrar or a supervisor may cancel")
        await require_qualified(conn, user, settings)
    elif action == "income_check":
        if not (user.role == "supervisor" or (user.role == "registrar" and user.point_code == point_code)):
            raise Forbidden("只有本登记点的登记员或监督员可以核定技术性收入",
                            "only a registrar of this point or a supervisor may record an income check")
        await require_qualified(conn, user, settings)
    else:
        raise Forbidden("无权执行此操作", f"no one may {action} a filing")


# Declared ties to parties (回避) are the audit area's record, kept for every user; it hands in how to read and
# record them (audit/access.py), and the review procedure asks here.
TieReader = Callable[[asyncpg.Connection, list[int]], Awaitable[dict[int, frozenset[str]]]]
TieRecorder = Callable[[asyncpg.Connection, int, str, str], Awaitable[None]]
_tie_keeper: list[tuple[TieReader, TieRecorder]] = []


def keep_ties(read: TieReader, record: TieRecorder) -> None:
    _tie_keeper[:] = [(read, record)]


async def ties_of(conn: asyncpg.Connection, user_id: int) -> frozenset[str]:
    """The credit codes of the parties this user has declared a tie to."""
    return (await ties_of_users(conn, [user_id])).get(user_id, frozenset())


async def ties_of_users(conn: asyncpg.Connection, user_ids: list[int]) -> dict[int, frozenset[str]]:
    """The same for many users at once (those with no tie left out)."""
    return await _tie_keeper[0][0](conn, user_ids) if _tie_keeper else {}


async def record_tie(conn: asyncpg.Connection, user_id: int, credit_code: str, note: str) -> None:
    if not _tie_keeper:
        raise RuntimeError("no area keeps declared ties (techreg.audit is not loaded)")
    await _tie_keeper[0][1](conn, user_id, credit_code, note)
