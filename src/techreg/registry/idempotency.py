"""Idempotency-Key support: a retried POST returns the first result and creates nothing new.

The key row is written in the same transaction as the filing, so a failed
first attempt leaves no key behind and a retry simply runs again; a concurrent
duplicate waits on the key's unique index until the first commits.
"""

import hashlib

import asyncpg

from ..errors import InvalidInput


def request_digest(method: str, path: str, body: bytes) -> bytes:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).digest()


async def claim(conn: asyncpg.Connection, user_id: int, key: str, digest: bytes) -> tuple[int, object] | None:
    """None when this key is new (go ahead); else the stored (status, body) to replay."""
    if not 1 <= len(key) <= 200:
        raise InvalidInput("Idempotency-Key 长度须为1-200个字符", "Idempotency-Key must be 1-200 characters")
    fresh = await conn.fetchval(
        "INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING RETURNING true", user_id, key, digest)
    if fresh:
        return None
    row = await conn.fetchrow(
        "SELECT request_hash, status_code, response FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        user_id, key)
    if row["request_hash"] != digest:
        raise InvalidInput("同一 Idempotency-Key 已用于内容不同的请求", "Idempotency-Key was already used with a different request",
                           errors=[{"field": "Idempotency-Key", "message": "已用于不同请求",
                                    "message_en": "reused with a different body"}])
    return row["status_code"], row["response"]


async def record(conn: asyncpg.Connection, user_id: int, key: str, status: int, body: object) -> None:
    await conn.execute("UPDATE idempotency_keys SET status_code = $3, response = $4 WHERE user_id = $1 AND key = $2",
                       user_id, key, status, body)
