"""Backups: a consistent dump of the whole database with its checksum and the audit head at that moment,
and a restore that checks both before it trusts the copy.

`backup` opens a repeatable-read transaction, exports its snapshot and reads the audit head in it (filings,
events, the newest event's id and hash), then runs pg_dump on that same snapshot: the dump and the head
describe one moment. A manifest (JSON) beside the dump keeps the head and the dump's sha256. `restore`
refuses a dump whose checksum differs, restores it into an empty database, gives the service's role its
grants again (roles live outside a database), and compares the restored counts with the manifest; run
`techreg audit verify` afterwards to recompute every chain and checkpoint.
"""

import datetime as dt
import hashlib
import json
import re
import os
import subprocess
from pathlib import Path

import asyncpg
import msgspec

from .embedded import find_bin_dir

HEAD_SQL = """
    SELECT (SELECT count(*) FROM filings) AS filings, (SELECT count(*) FROM filing_events) AS events,
           (SELECT max(id) FROM filing_events) AS last_event_id,
           (SELECT encode(hash, 'hex') FROM filing_events ORDER BY id DESC LIMIT 1) AS last_event_hash,
           (SELECT max(version) FROM schema_migrations) AS schema_version
"""


class Manifest(msgspec.Struct):
    dump: str
    sha256: str
    bytes: int
    taken_at: str
    filings: int
    events: int
    last_event_id: int | None
    last_event_hash: str | None
    schema_version: int


class BackupError(RuntimeError):
    pass


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _run(args: list[str], url: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "PGCONNECT_TIMEOUT": "10"})
    if done.returncode:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-2000:]}")


async def backup(url: str, folder: Path) -> tuple[Path, Manifest]:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    dump = folder / f"techreg-{stamp}.dump"
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            head = dict(await conn.fetchrow(HEAD_SQL))
            # the dump reads the very snapshot the head was read in, while this transaction holds it open
            _run([str(find_bin_dir() / "pg_dump"), "--format=custom", f"--snapshot={snapshot}",
                  f"--file={dump}", f"--dbname={url}"], url)
    finally:
        await conn.close()
    manifest = Manifest(dump.name, _sha256(dump), dump.stat().st_size, stamp, **head)
    dump.with_suffix(".json").write_text(msgspec.json.encode(manifest).decode() + "\n")
    return dump, manifest


async def restore(dump: Path, url: str, grants_sql: str) -> Manifest:
    manifest = msgspec.json.decode(dump.with_suffix(".json").read_bytes(), type=Manifest)
    if _sha256(dump) != manifest.sha256:
        raise BackupError(f"{dump} does not match the sha256 in its manifest: the copy is damaged")
    conn = await asyncpg.connect(url)
    try:
        if await conn.fetchval("SELECT to_regclass('filings') IS NOT NULL"):
            raise BackupError("the target database is not empty: restore into a fresh one")
    finally:
        await conn.close()
    _run([str(find_bin_dir() / "pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
          f"--dbname={url}", str(dump)], url)
    conn = await asyncpg.connect(url)
    try:
        # roles live outside a database: give techreg_app its grants, statement by statement; a table a later
        # migration dropped (0019: campaign_population) is taken out of its statement, the rest still applies
        for statement in _statements(grants_sql):
            await _apply_grant(conn, statement)
        head = dict(await conn.fetchrow(HEAD_SQL))
    finally:
        await conn.close()
    for name in ("filings", "events", "last_event_id", "last_event_hash"):
        if head[name] != getattr(manifest, name):
            raise BackupError(f"restored {name} {head[name]} differs from the backup's {getattr(manifest, name)}")
    return manifest


async def _apply_grant(conn: asyncpg.Connection, statement: str) -> None:
    for _ in range(8):
        try:
            async with conn.transaction():
                # sql-lint: the statements are the migration files' own grants, no value of anyone's in them
                await conn.execute(statement)
            return
        except asyncpg.UndefinedTableError as exc:
            gone = re.search(r'relation "([^"]+)" does not exist', str(exc))
            if not gone:
                raise
            name = re.escape(gone.group(1))
            shorter = re.sub(rf"(,\s*{name}\b|\b{name}\s*,\s*)", "", statement, count=1)
            if shorter == statement:           # the statement names only that table: nothing left to grant
                return
            statement = shorter


def _statements(sql: str) -> list[str]:
    """The statements of a migration's grants: `;` at a line's end closes one (a DO block's body has none)."""
    out, current = [], []
    for line in sql.splitlines():
        current.append(line)
        if line.rstrip().endswith(";") and not line.startswith((" ", "\t")):
            out.append("\n".join(current))
            current = []
    if "".join(current).strip():
        out.append("\n".join(current))
    return [s for s in out if s.strip() and not all(l.strip().startswith("--") or not l.strip() for l in s.splitlines())]


def service_grants() -> str:
    """The service role's grants (roles live outside a database, so a restore gives them again): 0015's, then
    the one-line grants and revocations of later migrations (0016 keeps evidence append-only by privilege)."""
    from .migrate import load_migrations

    migrations = load_migrations()
    app_role = next(m for m in migrations if m.name == "app_role")
    later = [line for m in migrations if m.version > app_role.version for line in m.sql.splitlines()
             if line.startswith(("GRANT ", "REVOKE "))]
    return "\n".join([app_role.sql, *later])


def manifest_text(m: Manifest) -> str:
    return json.dumps(msgspec.to_builtins(m), ensure_ascii=False)
