"""`techreg` command line."""

import asyncio
import contextlib
import datetime as dt
import json
import os
import sys
from pathlib import Path

import click
import msgspec

from .config import Settings, audit_key, checkpoint_path, load_settings
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


def service_url(settings: Settings, url: str) -> str:
    """The service and the worker connect as techreg_app: on the embedded server with the owner's URL, the
    role swapped and its own password (set here, kept beside the server's); an external
    TECHREG_DATABASE_URL already names the role it should use."""
    import secrets

    from .db.roles import app_url, set_app_password

    if settings.database_url:
        return url
    path = EmbeddedPostgres(settings.data_dir).app_password_file
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(16))
    password = path.read_text().strip()
    with_connection(url, lambda conn: set_app_password(conn, password))
    return app_url(url, password)


def run(coro):
    return asyncio.run(coro)


def with_connection(url: str, work, *, transaction: bool = False):
    """Run `work(conn)` on one connection to `url` (in one transaction if asked), closing it afterwards."""
    async def go():
        conn = await connect(url)
        try:
            if transaction:
                async with conn.transaction():
                    return await work(conn)
            return await work(conn)
        finally:
            await conn.close()
    return run(go())


def fail(exc) -> None:
    """A domain error as the API would say it, and exit 1."""
    click.echo(f"错误 / error: {exc.message} / {exc.message_en}", err=True)
    sys.exit(1)


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

    if settings.database_url and settings.migrate_database_url:     # the schema's owner, not the service's role
        settings = msgspec.structs.replace(settings, database_url=settings.migrate_database_url)
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
    url = service_url(settings, url)
    # one command on one machine: on the embedded database the jobs run inside the service
    run_jobs = settings.run_jobs == "yes" or (settings.run_jobs == "auto" and settings.database_url is None)
    app = create_app(settings, url, run_jobs=run_jobs)
    click.echo(f"techreg 已启动 / running at http://{host}:{port}  (API docs: http://{host}:{port}/schema)"
               + ("\n  定时任务在本进程运行 / scheduled jobs run in this process" if run_jobs else ""))
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


async def _demo_scan_and_campaign(conn, settings: Settings) -> None:
    """Flags and a first spot-check campaign, so every role has something to work on."""
    from .audit.schema import CampaignIn
    from .audit.service import create_campaign
    from .detection.scan import run_scan

    if await conn.fetchval("SELECT count(*) FROM campaigns"):
        return
    await run_scan(conn, settings, full=True)
    supervisor = await _acting_user(conn, "supervisor")
    async with conn.transaction():
        await create_campaign(conn, supervisor, CampaignIn(
            name="演示：2025年度抽查 / demo campaign", registered_from=dt.date(2000, 1, 1),
            registered_to=dt.date(2100, 1, 1), sample_size=30, certainty_cutoff=0.999, control_share=0.2,
            seed="demo-2026"), settings)


async def load_demo(url: str, settings: Settings, n: int) -> str:
    import io

    import json

    from .demo import DEMO_POINTS, demo_filings
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
        data = io.BytesIO(b"".join(json.dumps(f, ensure_ascii=False).encode() + b"\n" for f in demo_filings(n)))
        await import_stream(conn, data, audit_key(settings), actor="demo", source="demo")
        await _demo_scan_and_campaign(conn, settings)
    finally:
        await conn.close()
    return "\n".join(f"  {role:<10} {username:<12} 密码/password: {password}"
                     for username, _, role, _, password in DEMO_USERS)


@main.command()
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.option("--filings", type=int, default=3000, help="演示数据条数 / number of demo filings")
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
    """校验事件哈希链与检查点 / recompute every filing's event chain and every registry-wide checkpoint."""
    from .registry import checkpoints
    from .registry.events import verify_chain

    settings = _settings(ctx)
    key, path = audit_key(settings), checkpoint_path(settings)

    async def both(conn):
        chain = await verify_chain(conn, key, progress=lambda n: click.echo(f"  … {n} filings", err=True))
        return chain, await checkpoints.verify(conn, key, path)

    with database(settings, check_schema=True) as url:
        report, sealed = with_connection(url, both)
    sealed_count = len(checkpoints.read(path))
    if report.ok and not sealed:
        click.echo(f"事件链完整 / chain intact: {report.filings} filings, {report.events} events;"
                   f" {sealed_count} checkpoint(s) in {path} match")
        return
    if not report.ok:
        first = report.breaks[0]
        click.echo(f"事件链被篡改 / CHAIN BROKEN: {len(report.breaks)} problem(s); first at filing {first.filing_ref}"
                   f" event id {first.event_id} seq {first.seq}: {first.problem}")
        for b in report.breaks[1:20]:
            click.echo(f"  filing {b.filing_ref} event id {b.event_id} seq {b.seq}: {b.problem}")
    for b in sealed[:20]:
        click.echo(f"检查点不符 / CHECKPOINT {b.seq} BROKEN: {b.problem}")
    sys.exit(2)


@audit.command("checkpoint")
@click.pass_context
def audit_checkpoint(ctx: click.Context) -> None:
    """写入事件链检查点 / seal the events written since the last checkpoint (the hourly job does the same)."""
    from .registry import checkpoints

    settings = _settings(ctx)
    with database(settings, check_schema=True) as url:
        sealed = with_connection(url, lambda conn: checkpoints.write(conn, audit_key(settings),
                                                                      checkpoint_path(settings)))
    if sealed is None:
        click.echo("没有需要封存的新事件 / nothing new to seal")
    else:
        click.echo(f"检查点 {sealed.seq}：事件 {sealed.from_id + 1}–{sealed.to_id}（{sealed.count} 条）/ checkpoint "
                   f"{sealed.seq}: events {sealed.from_id + 1}-{sealed.to_id} ({sealed.count}) → {checkpoint_path(settings)}")


# -- backups -----------------------------------------------------------------------

@main.command()
@click.option("--out", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="备份目录（默认数据目录下的 backups）/ folder for the dump and its manifest (default: DATA_DIR/backups)")
@click.pass_context
def backup(ctx: click.Context, folder: Path | None) -> None:
    """备份数据库（一致快照、校验和、事件链头）/ a consistent dump with its sha256 and the audit head."""
    from .db.backup import BackupError, backup as take

    settings = _settings(ctx)
    owner = settings.migrate_database_url if settings.database_url and settings.migrate_database_url else None
    with database(settings if owner is None else msgspec.structs.replace(settings, database_url=owner),
                  check_schema=True) as url:
        try:
            dump, m = run(take(url, folder or settings.data_dir / "backups"))
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"已备份 / backed up: {dump} ({m.bytes} bytes, sha256 {m.sha256[:16]}…); {m.filings} filings,"
               f" {m.events} events, last event {m.last_event_id}; manifest {dump.with_suffix('.json')}")


@main.command()
@click.argument("dump", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def restore(ctx: click.Context, dump: Path) -> None:
    """从备份恢复到空数据库 / restore a dump into an empty database (a fresh data folder, or an empty server)."""
    from .db.backup import BackupError, restore as put_back, service_grants

    settings = _settings(ctx)
    grants = service_grants()
    with database(settings) as url:
        try:
            m = run(put_back(dump, url, grants))
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"已恢复 / restored: {m.filings} filings, {m.events} events, as backed up at {m.taken_at};"
               f" now run `techreg audit verify`")


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


@main.command()
def detectors() -> None:
    """检测器及其设置 / the detectors and their settings, with the values in force."""
    import dataclasses

    from .detection.base import env_names
    from .detection.detectors import DETECTORS, load_settings

    try:
        in_force = load_settings()
    except ValueError as exc:                    # a setting in the environment that does not parse
        raise click.ClickException(str(exc)) from None
    for d in DETECTORS:
        click.echo(f"{d.LABEL[0]} / {d.LABEL[1]} ({d.DETECTOR}, risk weight {d.RISK_WEIGHT}, docs/detectors/{d.KIND}.md)")
        values = dataclasses.asdict(in_force[d.KIND])
        for (variable, default, doc), value in zip(env_names(d.KIND, d.Settings), values.values()):
            mark = "" if value == default else f"  (default {default})"
            click.echo(f"  {variable:<46} {value}{mark}  — {doc}")


@main.group()
def flags() -> None:
    """异常标记 / flags."""


@flags.command("export")
@click.pass_context
def flags_export(ctx: click.Context) -> None:
    """导出标记（JSONL）/ write active flags in the flag export format."""
    from .detection.store import export_flags

    settings = _settings(ctx)

    async def write(conn) -> None:
        async for line in export_flags(conn):
            sys.stdout.buffer.write(line)
        sys.stdout.buffer.flush()

    with database(settings, check_schema=True) as url:
        with_connection(url, write)


# -- users and points -----------------------------------------------------------------

@flags.command("evaluate")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def flags_evaluate(ctx: click.Context, as_json: bool) -> None:
    """检测器确认率 / per detector: flags that inspectors' findings confirmed or cleared."""
    from .audit.service import evaluate_flags, to_json

    with database(_settings(ctx), check_schema=True) as url:
        rows = with_connection(url, evaluate_flags)
    if as_json:
        click.echo(to_json(rows))
        return
    click.echo(f"{'detector':<24}{'audited':>9}{'confirmed':>11}{'cleared':>9}{'rate':>8}")
    for r in rows:
        rate = "—" if r.confirmation_rate is None else f"{r.confirmation_rate:.0%}"
        click.echo(f"{r.detector:<24}{r.audited:>9}{r.confirmed:>11}{r.cleared:>9}{rate:>8}")


# -- spot-check campaigns -------------------------------------------------------------

@main.group()
def campaign() -> None:
    """双随机抽查 / spot-check campaigns."""


async def _acting_user(conn, username: str):
    from .registry.users import user_named

    user = await user_named(conn, username)
    if user is None:
        from .errors import NotFound
        raise NotFound(f"用户 {username} 不存在", f"no active user {username}")
    return user


@campaign.command("create")
@click.option("--name", required=True)
@click.option("--from", "registered_from", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="登记日期起 / registered on or after")
@click.option("--to", "registered_to", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="登记日期止 / registered on or before")
@click.option("--kind", "kinds", multiple=True, help="合同类别，可重复 / kind (repeatable)")
@click.option("--point", "points", multiple=True, help="登记点，可重复 / registration point (repeatable)")
@click.option("--software-only", is_flag=True)
@click.option("--sample-size", required=True, type=int)
@click.option("--cutoff", "certainty_cutoff", default=0.9, show_default=True, type=float,
              help="风险分不低于此值必查 / certainty cut-off on risk")
@click.option("--control-share", default=0.1, show_default=True, type=float)
@click.option("--seed", required=True, help="公开的随机种子 / the published seed")
@click.option("--due-days", default=30, show_default=True, type=int)
@click.option("--draft", is_flag=True, help="仅起草，待确认后冻结 / draft only, freeze on confirmation")
@click.option("--by", "by", required=True, help="监督员用户名 / supervisor creating it")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def campaign_create(ctx, name, registered_from, registered_to, kinds, points, software_only, sample_size,
                    certainty_cutoff, control_share, seed, due_days, draft, by, as_json) -> None:
    """创建抽查任务：冻结范围、抽取样本、分配检查员 / create a campaign: freeze, draw, assign."""
    import msgspec

    from .audit.schema import CampaignIn
    from .audit.service import create_campaign, to_json
    from .errors import DomainError

    settings = _settings(ctx)
    try:
        body = msgspec.convert(dict(
            name=name, registered_from=registered_from.date(), registered_to=registered_to.date(), kinds=list(kinds),
            points=list(points), software_only=software_only, sample_size=sample_size,
            certainty_cutoff=certainty_cutoff, control_share=control_share, seed=seed, due_days=due_days,
            draft=draft), CampaignIn)
    except msgspec.ValidationError as exc:
        click.echo(f"错误 / error: {exc}", err=True)
        sys.exit(1)

    async def work(conn):
        return await create_campaign(conn, await _acting_user(conn, by), body, settings)

    with database(settings, check_schema=True) as url:
        try:
            out = with_connection(url, work, transaction=True)
        except DomainError as exc:
            fail(exc)
    if as_json:
        click.echo(to_json(out))
    else:
        click.echo(f"抽查任务 #{out.id}「{out.name}」：范围 {out.population_size} 份，摘要 {out.population_digest}，"
                   f"抽取 {len(out.items)} 份 / campaign #{out.id}: population {out.population_size},"
                   f" {len(out.items)} sampled")


@campaign.command("show")
@click.argument("campaign_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def campaign_show(ctx, campaign_id: int, as_json: bool) -> None:
    """抽查任务：参数、种子、范围摘要、每份样本 / parameters, seed, digest and every sampled item."""
    from .audit.service import get_campaign, to_json
    from .errors import DomainError

    with database(_settings(ctx), check_schema=True) as url:
        try:
            out = with_connection(url, lambda conn: get_campaign(conn, None, campaign_id))
        except DomainError as exc:
            fail(exc)
    if as_json:
        click.echo(to_json(out))
        return
    click.echo(f"#{out.id} {out.name} [{out.status}] seed={out.seed} population={out.population_size}"
               f" digest={out.population_digest}")
    for i in out.items:
        click.echo(f"  {i.ref:<24} {i.reg_no or '':<17} {i.stratum:<9} π={i.inclusion_prob:.4f}"
                   f" {i.inspector or '—':<12} {i.status} {i.outcome or ''}")


@campaign.command("verify")
@click.argument("campaign_id", type=int)
@click.pass_context
def campaign_verify(ctx, campaign_id: int) -> None:
    """按种子重算抽样并与记录比对 / recompute the sample from the seed; exit 2 if it differs."""
    from .audit.service import verify_campaign
    from .errors import DomainError

    with database(_settings(ctx), check_schema=True) as url:
        try:
            out = with_connection(url, lambda conn: verify_campaign(conn, campaign_id))
        except DomainError as exc:
            fail(exc)
    if out.matches:
        click.echo(f"一致 / MATCH: campaign #{campaign_id}, population {out.population_size},"
                   f" digest {out.recomputed_digest}")
        return
    click.echo(f"不一致 / MISMATCH: campaign #{campaign_id}: digest {'ok' if out.digest_matches else 'differs'},"
               f" sample {'ok' if out.sample_matches else 'differs'}; missing {out.missing[:10]},"
               f" unexpected {out.unexpected[:10]}")
    sys.exit(2)


@main.group()
def model() -> None:
    """异常度模型 / the outlier model."""


@model.command("show")
def model_show() -> None:
    """当前模型与候选模型的元数据 / metadata of the current and the candidate model."""
    import json as _json

    from .detection.outlier import describe
    click.echo(_json.dumps(describe(), ensure_ascii=False, indent=2))


@model.command("promote")
@click.option("--by", "by", required=True, help="监督员用户名 / the supervisor promoting it")
@click.pass_context
def model_promote(ctx: click.Context, by: str) -> None:
    """启用候选模型（校验哈希与类型）/ promote the candidate after checking its hash and types."""
    from .detection.outlier import ModelError, promote

    async def role(conn):
        return await conn.fetchval("SELECT role FROM users WHERE username = $1 AND active", by)

    with database(_settings(ctx), check_schema=True) as url:
        if with_connection(url, role) != "supervisor":
            click.echo(f"错误 / error: {by} 不是监督员 / is not a supervisor", err=True)
            sys.exit(1)
    try:
        meta = promote(by)
    except ModelError as exc:
        click.echo(f"错误 / error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"已启用 / promoted: outlier/{meta['version']} (sha256 {meta['sha256'][:12]}…)")


# -- scheduled jobs -------------------------------------------------------------------

@main.command()
@click.pass_context
def worker(ctx: click.Context) -> None:
    """运行定时任务（可多副本，每个时段只运行一次）/ run scheduled jobs; safe to run on several replicas."""
    import logging

    from .db.pool import create_pool
    from .scheduling.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = _settings(ctx)
    with database(settings, keep_running=True, check_schema=True) as url:
        click.echo("定时任务已启动 / worker running (Ctrl-C to stop)")
        run(run_worker(lambda: create_pool(service_url(settings, url), settings), settings))


@main.group(invoke_without_command=True)
@click.pass_context
def jobs(ctx: click.Context) -> None:
    """定时任务及下次运行时间 / jobs and their next run."""
    if ctx.invoked_subcommand:
        return
    from .scheduling.engine import job_list

    settings = _settings(ctx)
    with database(settings, check_schema=True) as url:
        rows = with_connection(url, lambda conn: job_list(conn, settings))
    click.echo(f"{'job':<22}{'schedule':<16}{'next run (' + settings.timezone + ')':<30}last run")
    zone = __import__("zoneinfo").ZoneInfo(settings.timezone)
    for j in rows:
        last = j.last_run
        last_text = f"{last.status} {last.scheduled_for.astimezone(zone):%Y-%m-%d %H:%M}" if last else "—"
        nxt = f"{j.next_run.astimezone(zone):%Y-%m-%d %H:%M}" if j.next_run else "—"
        click.echo(f"{j.name:<22}{j.schedule:<16}{nxt:<30}{last_text}   {j.zh} / {j.en}")


@jobs.command("history")
@click.option("--job", default=None)
@click.option("--limit", default=30, show_default=True)
@click.pass_context
def jobs_history(ctx: click.Context, job: str | None, limit: int) -> None:
    """运行记录 / recorded runs, newest first."""
    from .scheduling.engine import history

    with database(_settings(ctx), check_schema=True) as url:
        rows = with_connection(url, lambda conn: history(conn, job, limit))
    for r in rows:
        took = f"{(r.finished_at - r.started_at).total_seconds():.1f}s" if r.finished_at else "…"
        click.echo(f"#{r.id:<5} {r.job:<20} slot {r.scheduled_for:%Y-%m-%d %H:%M} {r.trigger:<8} x{r.coalesced}"
                   f" {r.status:<9} {took:>7}  {r.counts or ''} {r.error or ''}")


@jobs.command("run")
@click.argument("name")
@click.pass_context
def jobs_run(ctx: click.Context, name: str) -> None:
    """立即运行一次（记录为手动）/ run a job now, recorded as manual."""
    from .db.pool import create_pool
    from .scheduling.engine import Engine, utc_now
    from .scheduling.jobs import JOBS

    if name not in JOBS:
        click.echo(f"没有任务 {name} / no such job; jobs: {', '.join(JOBS)}", err=True)
        sys.exit(1)
    settings = _settings(ctx)

    async def go(url):
        pool = await create_pool(url, settings)
        try:
            return await Engine(pool, settings).run(name, utc_now(), trigger="manual", requested_by="cli")
        finally:
            await pool.close()

    with database(settings, check_schema=True) as url:
        out = run(go(url))
    click.echo(f"{out.job}: {out.status} {out.counts} {out.error or ''}")
    sys.exit(0 if out.status == "succeeded" else 1)


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
