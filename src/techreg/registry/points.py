"""Registration points (登记点)."""

import re
from typing import Annotated

import asyncpg
import msgspec
from msgspec import Meta

from ..errors import Conflict


class PointIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, Meta(min_length=1, max_length=32)]
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    number_prefix: Annotated[str, Meta(pattern=r"^[0-9]{6}$",
                                       description="province(2)+city(2)+point(2) digits of registration numbers")] | None = None


class PointOut(msgspec.Struct):
    code: str
    name: str
    number_prefix: str | None


def default_prefix(code: str) -> str | None:
    """A point whose code is six digits numbers its registrations with that code."""
    return code if re.fullmatch(r"[0-9]{6}", code) else None


async def create_point(conn: asyncpg.Connection, body: PointIn) -> PointOut:
    prefix = body.number_prefix or default_prefix(body.code)
    try:
        row = await conn.fetchrow(
            "INSERT INTO points (code, name, number_prefix) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING"
            " RETURNING code, name, number_prefix", body.code, body.name, prefix)
    except asyncpg.UniqueViolationError:
        raise Conflict(f"登记号前缀 {prefix} 已被其他登记点使用",
                       f"number prefix {prefix} is used by another point") from None
    if row is None:
        raise Conflict(f"登记点 {body.code} 已存在", f"point {body.code} already exists")
    return msgspec.convert(dict(row), PointOut)


async def list_points(conn: asyncpg.Connection) -> list[PointOut]:
    rows = await conn.fetch("SELECT code, name, number_prefix FROM points ORDER BY code")
    return [msgspec.convert(dict(r), PointOut) for r in rows]
