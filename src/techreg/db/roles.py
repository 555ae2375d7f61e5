"""Who connects: the schema's owner migrates, the service connects as techreg_app (migrations/0015).

With the embedded server the service's URL is the owner's with the role swapped, and a password
generated once and kept beside the server's own (EmbeddedPostgres.app_password_file); with an external server TECHREG_DATABASE_URL names techreg_app and its password,
and `techreg migrate` uses TECHREG_MIGRATE_DATABASE_URL (the owner).
"""

from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

APP_ROLE = "techreg_app"

# What the service must not be able to do, whoever configured its URL: be a superuser, create roles,
# bypass row security, read or write server files, run programs, change the schema.
PRIVILEGES_SQL = """
    SELECT array_remove(ARRAY[
        CASE WHEN r.rolsuper THEN 'superuser' END,
        CASE WHEN r.rolcreaterole THEN 'createrole' END,
        CASE WHEN r.rolbypassrls THEN 'bypassrls' END,
        CASE WHEN pg_has_role(current_user, 'pg_read_server_files', 'USAGE') THEN 'pg_read_server_files' END,
        CASE WHEN pg_has_role(current_user, 'pg_write_server_files', 'USAGE') THEN 'pg_write_server_files' END,
        CASE WHEN pg_has_role(current_user, 'pg_execute_server_program', 'USAGE') THEN 'pg_execute_server_program' END,
        CASE WHEN has_schema_privilege('public', 'CREATE') THEN 'create in schema public' END], NULL)
    FROM pg_roles r WHERE r.rolname = current_user
"""


def app_url(url: str, password: str) -> str:
    """The same database as `url` (the owner's), as techreg_app with its password."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{quote(APP_ROLE)}:{quote(password, safe='')}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


async def set_app_password(conn: asyncpg.Connection, password: str) -> None:
    """As the owner: give techreg_app the password the embedded server's service will log in with."""
    literal = await conn.fetchval("SELECT quote_literal($1)", password)
    # sql-lint: ALTER ROLE takes no parameters; the password is quoted by the server's own quote_literal
    await conn.execute(f"ALTER ROLE {APP_ROLE} PASSWORD {literal}")


async def excess_privileges(conn: asyncpg.Connection) -> list[str]:
    return list(await conn.fetchval(PRIVILEGES_SQL) or [])
