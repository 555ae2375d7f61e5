"""Telling whoever scores filings that one was written: a notification on commit, nothing more.

The registry does not score filings itself; the detection package listens (detection/prompt.py) and
scores the changed filings and their neighbourhood within seconds, off the request path.
"""

import asyncpg

# the channel and the statement that notifies it; NOTIFY inside a transaction is delivered on commit,
# so a rolled-back filing wakes nobody
CHANNEL = "techreg_filing_changed"
NOTIFY_CHANGED = "SELECT pg_notify('techreg_filing_changed', '')"


async def notify_changed(conn: asyncpg.Connection) -> None:
    await conn.execute(NOTIFY_CHANGED)
