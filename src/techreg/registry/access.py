"""Who may read a filing.

Supervisors and administrators read every filing, a registrar the filings of their own point. Another area
may let a user read filings the registry alone would not show them: it hands its rule in with
`grant_reading` (audit does: an inspector reads the filings of their own queue and the filings their flags
cite), so the registry never reads another area's tables.
"""

from collections.abc import Awaitable, Callable

import asyncpg

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
