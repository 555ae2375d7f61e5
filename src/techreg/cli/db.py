"""Database commands: migrations, the embedded server, backups."""

from pathlib import Path

import click

from ..db.embedded import EmbeddedPostgres
from .common import CliError, Db, ExistingFile, current_settings, main, run, with_database


@main.command()
@with_database(schema=False, owner=True)
def migrate(db: Db) -> None:
    """应用待执行的数据库迁移 / apply pending migrations.

    外部数据库（TECHREG_DATABASE_URL）：每次发布的步骤，以表结构所有者（TECHREG_MIGRATE_DATABASE_URL）运行；
    内置数据库首次启动时由各命令自行建立结构。/ On an external database (TECHREG_DATABASE_URL) this is the
    release step, run as the schema's owner (TECHREG_MIGRATE_DATABASE_URL); a fresh embedded database gets
    its schema from the first command that needs it."""
    from ..db.migrate import migrate as run_migrations

    applied = db.run(lambda conn: run_migrations(conn, progress=click.echo))
    click.echo(f"数据库结构已是最新 / schema up to date ({len(applied)} applied)")


@main.group()
def db() -> None:
    """内置数据库 / the embedded PostgreSQL server."""


@db.command("start")
@with_database(schema=False, keep_running=True)
def db_start(db: Db) -> None:
    """启动内置数据库并保持运行 / start the embedded server and leave it running (prints its URL)."""
    click.echo(db.url)


@db.command("stop")
def db_stop() -> None:
    """停止内置数据库 / stop the embedded server."""
    EmbeddedPostgres(current_settings().data_dir).stop()
    click.echo("stopped")


@db.command("url")
def db_url() -> None:
    """打印数据库连接串 / print the database URL."""
    settings = current_settings()
    if settings.database_url:
        click.echo(settings.database_url)
        return
    server = EmbeddedPostgres(settings.data_dir)
    if not server.initialised():
        raise CliError(f"内置数据库尚未建立（{settings.data_dir}）：先运行 `techreg db start` 或任一命令",
                       f"no embedded database in {settings.data_dir} yet: run `techreg db start` (or any command) first")
    click.echo(server.url())


@main.command()
@click.option("--out", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="备份目录（默认数据目录下的 backups）/ folder for the dump and its manifest (default: DATA_DIR/backups)")
@with_database(owner=True)
def backup(db: Db, folder: Path | None) -> None:
    """备份数据库 / back up the database.

    一致快照、校验和与事件链头。/ A consistent dump with its sha256 and the audit head."""
    from ..db.backup import BackupError, backup as take

    try:
        dump, m = run(take(db.url, folder or db.settings.data_dir / "backups"))
    except BackupError as exc:
        raise CliError("备份失败", f"backup failed: {exc}") from None
    click.echo(f"已备份 / backed up: {dump} ({m.bytes} bytes, sha256 {m.sha256[:16]}…); {m.filings} filings,"
               f" {m.events} events, last event {m.last_event_id}; manifest {dump.with_suffix('.json')}")


@main.command()
@click.argument("dump", type=ExistingFile())
@with_database(schema=False)
def restore(db: Db, dump: Path) -> None:
    """从备份恢复 / restore a backup.

    把 DUMP 恢复到空数据库（新的数据目录或空的服务器）。/ Restores DUMP into an empty database (a fresh data
    folder, or an empty server)."""
    from ..db.backup import BackupError, restore as put_back, service_grants

    grants = service_grants()
    try:
        m = run(put_back(dump, db.url, grants))
    except BackupError as exc:
        raise CliError("恢复失败", f"restore failed: {exc}") from None
    click.echo(f"已恢复 / restored: {m.filings} filings, {m.events} events, as backed up at"
               f" {_backed_up_at(m.taken_at, db.settings.timezone)}; now run `techreg audit verify`")


def _backed_up_at(stamp: str, timezone: str) -> str:
    """The manifest's UTC stamp (20261124T122542Z, as in the dump's name) in the office's zone, labelled."""
    import datetime as dt

    from ..labels import local_time

    try:
        moment = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return stamp
    return local_time(moment, timezone, seconds=True)
