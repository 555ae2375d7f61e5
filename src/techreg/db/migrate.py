"""Numbered plain-SQL migrations, applied in order, each once, under an advisory lock."""

import hashlib
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import asyncpg

# one key for "the schema is being changed"; any two migrators serialise on it
MIGRATION_LOCK_KEY = 0x7EC4E6_0001

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def migrations_dir() -> Path:
    """The repository's migrations/ folder, or the copy shipped inside the package."""
    if os.environ.get("TECHREG_MIGRATIONS_DIR"):
        return Path(os.environ["TECHREG_MIGRATIONS_DIR"])
    repo = Path(__file__).resolve().parents[3] / "migrations"
    if repo.is_dir():
        return repo
    return Path(str(resources.files("techreg") / "migrations"))


def load_migrations(folder: Path | None = None) -> list[Migration]:
    folder = folder or migrations_dir()
    found = []
    for path in sorted(folder.glob("*.sql")):
        m = _NAME.match(path.name)
        if not m:
            raise ValueError(f"migration file name must look like 0001_name.sql: {path.name}")
        found.append(Migration(int(m.group(1)), m.group(2), path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError("two migration files share a number")
    return found


async def _ensure_table(conn: asyncpg.Connection) -> None:
    await conn.execute(
        """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    integer PRIMARY KEY,
            name       text NOT NULL,
            sha256     text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )


async def applied_versions(conn: asyncpg.Connection) -> dict[int, str]:
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return {}
    rows = await conn.fetch("SELECT version, sha256 FROM schema_migrations")
    return {r["version"]: r["sha256"] for r in rows}


async def pending(conn: asyncpg.Connection, migrations: list[Migration] | None = None) -> list[Migration]:
    migrations = load_migrations() if migrations is None else migrations
    done = await applied_versions(conn)
    return [m for m in migrations if m.version not in done]


async def migrate(conn: asyncpg.Connection, migrations: list[Migration] | None = None,
                  progress=print) -> list[Migration]:
    """Apply pending migrations. Each file runs in its own transaction with its record.

    A session-level advisory lock makes a second migrator wait, then find
    nothing left to do.
    """
    migrations = load_migrations() if migrations is None else migrations
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
    try:
        await _ensure_table(conn)
        done = await applied_versions(conn)
        for m in migrations:
            if m.version in done and done[m.version] != m.sha256:
                progress(f"警告 / warning: migration {m.version:04d}_{m.name} changed after it was applied")
        applied = []
        for m in migrations:
            if m.version in done:
                continue
            async with conn.transaction():
                await conn.execute(m.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)",
                    m.version, m.name, m.sha256,
                )
            progress(f"applied {m.version:04d}_{m.name}")
            applied.append(m)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
