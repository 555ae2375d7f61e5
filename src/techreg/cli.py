"""`techreg` command line."""

import asyncio
import contextlib
import datetime as dt
import json
import os
import sys
from pathlib import Path

import click

from .config import Settings, audit_key, load_settings
from .db.embedded import EmbeddedPostgres, EmbeddedServerError
from .db.migrate import migrate as run_migrations
from .db.migrate import pending
from .db.pool import connect


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


def _check_schema(url: str) -> None:
    todo = with_connection(url, pending)
    if todo:
        names = ", ".join(f"{m.version:04d}_{m.name}" for m in todo)
        raise click.ClickException(
            f"数据库结构版本落后于程序（缺少 {names}），请先运行 `techreg migrate`\n"
            f"database schema is older than the code (missing {names}); run `techreg migrate` first")


@contextlib.contextmanager
def database(settings: Settings, *, keep_running: bool = False, check_schema: bool = False):
    """Yield a database URL; start the embedded server when no URL is configured.

    The program stops an embedded server it started itself, unless asked to keep it.
    """
    if settings.database_url:
        if check_schema:
            _check_schema(settings.database_url)
        yield settings.database_url
        return
    server = EmbeddedPostgres(settings.data_dir)
    was_running = server.initialised() and server.running()
    try:
        url = server.start()
    except EmbeddedServerError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        if check_schema:
            _check_schema(url)
        yield url
    finally:
        if not was_running and not keep_running:
            server.stop()


def run(coro):
    return asyncio.run(coro)


def with_connection(url: str, work):
    """Run `work(conn)` on one connection to `url`, closing it afterwards."""
    async def go():
        conn = await connect(url)
        try:
            return await work(conn)
        finally:
            await conn.close()
    return run(go())


@click.group()
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="数据目录 / data folder (TECHREG_DATA_DIR, default ./var)")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None) -> None:
    """techreg 技术合同登记与稽查 — registry and audit of technology contracts."""
    ctx.obj = {"settings": load_settings(data_dir=data_dir)}


# -- database ------------------------------------------------------------------

@main.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """应用待执行的数据库迁移 / apply pending migrations."""
    settings = _settings(ctx)

    with database(settings) as url:
        applied = with_connection(url, lambda conn: run_migrations(conn, progress=click.echo))
    click.echo(f"数据库结构已是最新 / schema up to date ({len(applied)} applied)")


@main.group()
def db() -> None:
    """内置数据库 / the embedded PostgreSQL server."""


@db.command("start")
@click.pass_context
def db_start(ctx: click.Context) -> None:
    """启动内置数据库并保持运行 / start the embedded server and leave it running."""
    with database(_settings(ctx), keep_running=True) as url:
        click.echo(url)


@db.command("stop")
@click.pass_context
def db_stop(ctx: click.Context) -> None:
    """停止内置数据库 / stop the embedded server."""
    EmbeddedPostgres(_settings(ctx).data_dir).stop()
    click.echo("stopped")


@db.command("url")
@click.pass_context
def db_url(ctx: click.Context) -> None:
    """打印数据库连接串 / print the database URL."""
    settings = _settings(ctx)
    click.echo(settings.database_url or EmbeddedPostgres(settings.data_dir).url())


# -- serving -------------------------------------------------------------------

def _serve(settings: Settings, url: str, host: str, port: int, banner: str = "") -> None:
    import uvicorn

    from .web.app import create_app

    _check_schema(url)
    app = create_app(settings, url)
    click.echo(f"techreg 已启动 / running at http://{host}:{port}  (API docs: http://{host}:{port}/schema)")
    if banner:
        click.echo(banner)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@main.command()
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """启动服务 / run the web service and API."""
    settings = _settings(ctx)
    with database(settings) as url:
        _serve(settings, url, host or settings.host, port or settings.port)


DEMO_USERS = [
    ("admin", "系统管理员", "admin", None, "admin-demo-2026"),
    ("supervisor", "监督员 王敏", "supervisor", None, "supervisor-demo-2026"),
    ("registrar1", "登记员 李娜（黄浦）", "registrar", "310101", "registrar-demo-2026"),
    ("registrar2", "登记员 张伟（徐汇）", "registrar", "310104", "registrar-demo-2026"),
    ("inspector1", "检查员 陈刚", "inspector", None, "inspector-demo-2026"),
    ("inspector2", "检查员 刘洋", "inspector", None, "inspector-demo-2026"),
]


async def load_demo(url: str, settings: Settings, n: int) -> str:
    import io

    from .demo import DEMO_POINTS, generate, jsonl
    from .registry.importer import import_stream
    from .registry.points import PointIn, create_point
    from .registry.users import UserIn, create_user
    from .errors import Conflict

    conn = await connect(url)
    try:
        await run_migrations(conn, progress=lambda _: None)
        for code, name in DEMO_POINTS:
            with contextlib.suppress(Conflict):
                async with conn.transaction():
                    await create_point(conn, PointIn(code=code, name=name))
        expires = dt.date.today() + dt.timedelta(days=365)
        for username, display, role, point, password in DEMO_USERS:
            with contextlib.suppress(Conflict):
                async with conn.transaction():
                    await create_user(conn, UserIn(username=username, display_name=display, role=role,
                                                   point_code=point, password=password,
                                                   qualification_expires=expires if role == "registrar" else None))
        data = io.BytesIO(b"".join(jsonl(generate(n, seed=2026, status="registered"))))
        await import_stream(conn, data, audit_key(settings), actor="demo", source="demo")
    finally:
        await conn.close()
    return "\n".join(f"  {role:<10} {username:<12} 密码/password: {password}"
                     for username, _, role, _, password in DEMO_USERS)


@main.command()
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.option("--filings", type=int, default=2000, help="演示数据条数 / number of demo filings")
@click.pass_context
def demo(ctx: click.Context, host: str | None, port: int | None, filings: int) -> None:
    """演示：建库、载入演示数据并启动服务 / migrate, load demo data, serve."""
    settings = _settings(ctx)
    with database(settings) as url:
        logins = run(load_demo(url, settings, filings))
        _serve(settings, url, host or settings.host, port or settings.port,
               banner="演示账号 / demo logins:\n" + logins)


# -- import / export -------------------------------------------------------------

@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch-size", type=int, default=20_000)
@click.option("--actor", default=None, help="记录为操作人 / recorded as the actor (default: OS user)")
@click.option("--errors-json", is_flag=True, help="错误以 JSON 行输出 / print errors as JSON lines")
@click.pass_context
def import_(ctx: click.Context, file: Path, batch_size: int, actor: str | None, errors_json: bool) -> None:
    """导入格式第1版 JSONL / import filing format v1 (JSON Lines)."""
    from tqdm import tqdm

    from .registry.importer import import_file

    settings = _settings(ctx)
    actor = actor or f"import:{os.environ.get('USER', 'cli')}"

    async def go(url: str):
        conn = await connect(url)
        try:
            bar = tqdm(total=file.stat().st_size, unit="B", unit_scale=True, desc="导入 import",
                       file=sys.stderr, disable=None)
            done = 0

            def progress(consumed: int) -> None:
                nonlocal done
                bar.update(consumed - done)
                done = consumed

            report = await import_file(conn, file, audit_key(settings), actor=actor, batch_size=batch_size,
                                       progress=progress)
            bar.close()
            return report
        finally:
            await conn.close()

    with database(settings, check_schema=True) as url:
        report = run(go(url))
    for e in report.errors:
        if errors_json:
            click.echo(json.dumps({"line": e.line, "field": e.field, "message": e.message,
                                   "message_en": e.message_en}, ensure_ascii=False), err=True)
        else:
            click.echo(f"第 {e.line} 行 / line {e.line}: {e.field}: {e.message} / {e.message_en}", err=True)
    click.echo(f"共 {report.lines} 行：导入 {report.imported}，已存在 {report.already_present}，拒绝 {report.rejected}"
               f" / {report.lines} lines: {report.imported} imported, {report.already_present} already present,"
               f" {report.rejected} rejected")
    if report.rejected:
        sys.exit(1)


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.pass_context
def export(ctx: click.Context, output: Path | None) -> None:
    """导出为格式第1版 JSONL / export filings as format v1 JSON Lines."""
    from .registry.exporter import export_lines

    settings = _settings(ctx)

    async def go(url: str) -> int:
        conn = await connect(url)
        out = open(output, "wb") if output else sys.stdout.buffer
        count = 0
        try:
            async for line in export_lines(conn):
                out.write(line)
                count += 1
        finally:
            if output:
                out.close()
            else:
                out.flush()
            await conn.close()
        return count

    with database(settings, check_schema=True) as url:
        count = run(go(url))
    click.echo(f"导出 {count} 条 / exported {count} filings", err=True)


# -- audit trail -------------------------------------------------------------------

@main.group()
def audit() -> None:
    """审计记录 / the audit trail."""


@audit.command("verify")
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """校验事件哈希链 / recompute the event hash chain and name the first broken row."""
    from .registry.events import verify_chain

    settings = _settings(ctx)

    with database(settings, check_schema=True) as url:
        report = with_connection(url, lambda conn: verify_chain(
            conn, audit_key(settings), progress=lambda n: click.echo(f"  … {n} filings", err=True)))
    if report.ok:
        click.echo(f"事件链完整 / chain intact: {report.filings} filings, {report.events} events")
        return
    first = report.breaks[0]
    click.echo(f"事件链被篡改 / CHAIN BROKEN: {len(report.breaks)} problem(s); first at filing {first.filing_ref}"
               f" event id {first.event_id} seq {first.seq}: {first.problem}")
    for b in report.breaks[1:20]:
        click.echo(f"  filing {b.filing_ref} event id {b.event_id} seq {b.seq}: {b.problem}")
    sys.exit(2)


# -- detection -----------------------------------------------------------------------

@main.command()
@click.option("--full", is_flag=True, help="重新检测全部申请 / score every filing (default: what changed)")
@click.pass_context
def scan(ctx: click.Context, full: bool) -> None:
    """异常检测扫描 / score filings and store flags."""
    from .detection.scan import run_scan

    settings = _settings(ctx)

    with database(settings, check_schema=True) as url:
        report = with_connection(url, lambda conn: run_scan(
            conn, settings, full=full, progress=lambda m: click.echo(f"  … {m}", err=True)))
    click.echo(f"扫描 #{report.run_id}（{report.mode}）：读取 {report.filings_read}，检测 {report.filings_scored}，"
               f"有效标记 {report.flags_active} / scan #{report.run_id} ({report.mode}): read {report.filings_read},"
               f" scored {report.filings_scored}, active flags {report.flags_active}")
    for d in report.detectors:
        click.echo(f"  {d.detector:<22} applied {d.applied:>8}  flagged {d.flagged:>7}  excluded {d.excluded:>6}"
                   + (f"  ⚠ {d.warning}" if d.warning else ""))


@main.group()
def flags() -> None:
    """异常标记 / flags."""


@flags.command("export")
@click.pass_context
def flags_export(ctx: click.Context) -> None:
    """导出标记（JSONL）/ write active flags in the flag export format."""
    from .detection.scan import export_flags

    settings = _settings(ctx)

    async def write(conn) -> None:
        async for line in export_flags(conn):
            sys.stdout.buffer.write(line)
        sys.stdout.buffer.flush()

    with database(settings, check_schema=True) as url:
        with_connection(url, write)


# -- users and points -----------------------------------------------------------------

@main.group()
def user() -> None:
    """用户 / users."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["registrar", "inspector", "supervisor", "admin"]), required=True)
@click.option("--name", "display_name", default=None)
@click.option("--point", default=None)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--expires", type=click.DateTime(["%Y-%m-%d"]), default=None, help="资格有效期 / qualification expiry")
@click.pass_context
def user_add(ctx, username, role, display_name, point, password, expires) -> None:
    """新建用户 / add a user."""
    from .errors import DomainError
    from .registry.users import UserIn, create_user

    body = UserIn(username=username, display_name=display_name or username, role=role, point_code=point,
                  password=password, qualification_expires=expires.date() if expires else None)
    with database(_settings(ctx), check_schema=True) as url:
        try:
            created = with_connection(url, lambda conn: create_user(conn, body))
        except DomainError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"created {created.username} ({created.role})")


@main.group()
def point() -> None:
    """登记点 / registration points."""


@point.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--prefix", default=None, help="登记号中的省市点6位代码 / 6-digit number prefix")
@click.pass_context
def point_add(ctx, code, name, prefix) -> None:
    """新建登记点 / add a registration point."""
    from .errors import DomainError
    from .registry.points import PointIn, create_point

    body = PointIn(code=code, name=name, number_prefix=prefix)
    with database(_settings(ctx), check_schema=True) as url:
        try:
            created = with_connection(url, lambda conn: create_point(conn, body))
        except DomainError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"created point {created.code} prefix {created.number_prefix}")


@main.command()
@click.argument("count", type=int)
@click.option("--seed", type=int, default=1)
@click.option("--status", default="submitted", type=click.Choice(["submitted", "registered"]))
def synth(count: int, seed: int, status: str) -> None:
    """生成演示数据（格式第1版）/ write COUNT synthetic demo filings as JSONL to stdout."""
    from .demo import generate, jsonl

    out = sys.stdout.buffer
    for line in jsonl(generate(count, seed=seed, status=status)):
        out.write(line)


if __name__ == "__main__":
    main()
