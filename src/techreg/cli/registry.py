"""Registry commands: import and export of format v1, users, registration points, synthetic filings."""

import sys
from pathlib import Path

import click
import msgspec

from ..config import audit_key
from .common import CliError, Day, Db, ExistingFile, cli_actor, main, os_user, with_database


def _refuse_unreadable_encoding(file: Path) -> None:
    """One message for a file that is not UTF-8 or holds nothing, before the database is touched."""
    from ..registry.encoding import check_file

    check = check_file(file)
    if check.empty:
        raise CliError(f"文件 {file} 是空的，没有可导入的申请", f"{file} is empty: there is nothing to import")
    if check.not_utf8:
        source = check.convert_from or "原编码"
        source_en = check.convert_from or "ITS-ENCODING"
        seen = f"（看起来是 {check.looks_like}）" if check.looks_like else ""
        seen_en = f" (it looks like {check.looks_like})" if check.looks_like else ""
        target = file.with_name(f"{file.stem}.utf8{file.suffix}")
        raise CliError(f"文件 {file} 不是 UTF-8 编码{seen}，未导入任何一行。请先转换，再导入转换后的文件："
                       f"iconv -f {source} -t UTF-8 {file} > {target}",
                       f"{file} is not UTF-8{seen_en}; nothing was imported. Convert it, then import the converted"
                       f" file: iconv -f {source_en} -t UTF-8 {file} > {target}")


ACTOR_HELP = ("记录在审计轨迹中的操作人（默认：运行本命令的系统用户名）/ the actor recorded on the audit trail (default: the"
              " OS user running the command)")


@main.command("import")
@click.argument("file", type=ExistingFile())
@click.option("--batch-size", type=int, default=20_000, show_default=True,
              help="每批行数（每批一个事务）/ lines per batch (one transaction each)")
@click.option("--actor", default=None, help=ACTOR_HELP)
@click.option("--create-points", is_flag=True,
              help="为文件中尚未建立的登记点代码新建登记点（名称暂为代码），仅用于导入旧系统的历史数据；不加此项时，"
                   "登记点不存在的行被拒绝 / create the registration points the file names that do not exist yet (named"
                   " by their codes), for history from an older system only; without it a line naming an unknown"
                   " point is refused")
@click.option("--scan/--no-scan", default=True, show_default=True,
              help="导入后立即对导入的申请评分（增量检测）；--no-scan 留给正在运行的服务或定时检测 / score the"
                   " imported filings right after the import (incremental scan); --no-scan leaves them to the"
                   " running service or the scheduled scan")
@click.option("--errors-json", is_flag=True, help="错误以 JSON 行输出 / print errors as JSON lines")
def import_(file: Path, batch_size: int, actor: str | None, create_points: bool, scan: bool,
            errors_json: bool) -> None:
    """导入格式第1版 JSONL / import filing format v1 (JSON Lines).

    FILE 须为 UTF-8 编码；登记点须已建立（techreg point add）。有被拒绝的行、文件为空或不是 UTF-8 时退出码为 1。
    / FILE must be UTF-8; its points must exist (techreg point add). Exit 1 when a line is rejected, the file
    is empty or it is not UTF-8."""
    from ..registry.messages import field_label

    _refuse_unreadable_encoding(file)
    report = _import(file, batch_size, actor or os_user(), create_points, scan)
    for e in report.errors:
        if errors_json:
            click.echo(msgspec.json.encode(e).decode(), err=True)
        else:
            sent = "" if e.value is msgspec.UNSET else f"（值 / value: {msgspec.json.encode(e.value).decode()}）"
            click.echo(f"第 {e.line} 行 / line {e.line}: {field_label(e.field)} / {field_label(e.field, 'en')}"
                       f" ({e.field}): {e.message} / {e.message_en}{sent}", err=True)
    if report.unknown_points and not errors_json:
        codes = report.unknown_points
        click.echo(f"登记点不存在：{'、'.join(codes)}。请先用 techreg point add 建立；导入旧系统的历史数据时可加"
                   f" --create-points / unknown points: {', '.join(codes)}. Add them with techreg point add first;"
                   f" for history from an older system, --create-points creates them", err=True)
    if report.points_created:
        click.echo(f"新建登记点 {len(report.points_created)} 个（名称暂为代码）：{'、'.join(report.points_created)}"
                   f" / created {len(report.points_created)} point(s), named by their codes:"
                   f" {', '.join(report.points_created)}", err=True)
    click.echo(f"共 {report.lines} 行：导入 {report.imported}，已存在 {report.already_present}，拒绝 {report.rejected}"
               f" / {report.lines} lines: {report.imported} imported, {report.already_present} already present,"
               f" {report.rejected} rejected")
    if not (report.imported or report.already_present or report.rejected):
        raise CliError(f"文件 {file} 中没有申请记录（只有空行）", f"{file} holds no filings (blank lines only)")
    if report.rejected:
        sys.exit(1)


@with_database()
def _import(db: Db, file: Path, batch_size: int, actor: str, create_points: bool, scan: bool):
    from tqdm import tqdm

    from ..registry.importer import import_file

    async def work(conn):
        bar = tqdm(total=file.stat().st_size, unit="B", unit_scale=True, desc="导入 import", file=sys.stderr,
                   disable=None)
        done = 0

        def progress(consumed: int) -> None:
            nonlocal done
            bar.update(consumed - done)
            done = consumed

        report = await import_file(conn, file, audit_key(db.settings), actor=actor, batch_size=batch_size,
                                   progress=progress, create_points=create_points)
        bar.close()
        if scan and report.imported:
            await _score_imported(conn, db)
        return report

    return db.run(work)


async def _score_imported(conn, db: Db) -> None:
    """The imported filings scored as a submitted one is (an incremental scan), so their pages show flags, not
    "scoring", whether or not a service is running. The import is committed already: a scan that fails is
    said, and left to the service or the scheduled scan, never undoes it."""
    from ..detection.scan import run_scan

    click.echo("评分：对导入的申请做增量检测 / scoring the imported filings (incremental scan)", err=True)
    try:
        report = await run_scan(conn, db.settings, full=False, progress=lambda m: click.echo(f"  … {m}", err=True))
    except Exception as exc:            # noqa: BLE001 - any failure of the scan leaves the import as it is
        click.echo(f"评分未完成（{exc}）：已导入的申请由正在运行的服务或下一次检测评分 / scoring failed ({exc}): the"
                   " running service or the next scan scores the imported filings", err=True)
        return
    click.echo(f"评分完成：扫描 #{report.run_id} 检测 {report.filings_scored} 件，有效标记 {report.flags_active} /"
               f" scored: scan #{report.run_id} scored {report.filings_scored}, active flags {report.flags_active}",
               err=True)


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="输出文件（默认标准输出）/ file to write (default: standard output)")
@with_database()
def export(db: Db, output: Path | None) -> None:
    """导出为格式第1版 JSONL / export filings as format v1 JSON Lines."""
    from ..registry.exporter import export_lines

    async def work(conn) -> int:
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
        return count

    count = db.run(work)
    click.echo(f"导出 {count} 条 / exported {count} filings", err=True)


@main.group()
def user() -> None:
    """用户 / users."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["registrar", "inspector", "supervisor", "admin"]), required=True,
              help="角色：登记员、检查员、监督员、管理员 / role")
@click.option("--name", "display_name", default=None, help="显示名（默认用户名）/ display name (default: the username)")
@click.option("--point", default=None, help="所属登记点代码（登记员必填）/ registration point (registrars)")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="密码（不给出则提示输入）/ password (asked for when not given)")
@click.option("--expires", type=Day(), default=None,
              help="资格有效期 / qualification expiry")
@with_database()
def user_add(db: Db, username, role, display_name, point, password, expires) -> None:
    """新建用户 USERNAME / add the user USERNAME."""
    from ..registry.users import UserIn, create_user

    body = UserIn(username=username, display_name=display_name or username, role=role, point_code=point,
                  password=password, qualification_expires=expires.date() if expires else None)
    created = db.run(lambda conn: create_user(conn, body, actor=cli_actor()))
    from ..labels import both

    click.echo(f"已创建用户 / created {created.username}（{both('role', created.role)}）")


@user.command("qualify")
@click.argument("username")
@click.option("--until", type=Day(), default=None,
              help="登记员资格有效期（年审通过后的截止日）/ the registrar qualification's expiry (after the annual review)")
@click.option("--clear", is_flag=True, help="撤销资格（清除有效期）/ withdraw the qualification (clear its expiry)")
@with_database()
def user_qualify(db: Db, username: str, until, clear: bool) -> None:
    """登记或撤销用户 USERNAME 的登记员资格 / record or withdraw USERNAME's registrar qualification.

    持有效资格的登记员办理登记；持有效资格的监督员或本登记点其他登记员可复核确认大额或高风险登记（四眼）。
    登记有效期同时解除因资格过期而停止办理的状态；与 PUT /api/users/USERNAME/qualification 相同。
    / A qualified registrar registers; a qualified supervisor or another registrar of the point confirms large or
    highly flagged registrations (four eyes). Recording an expiry also lifts a block for a lapsed qualification;
    the same as PUT /api/users/USERNAME/qualification."""
    from ..registry.users import set_qualification

    if clear == (until is not None):
        raise CliError("请给出 --until 有效期，或 --clear 撤销资格（二者选一）",
                       "give --until with the expiry, or --clear to withdraw the qualification (one of the two)")
    expires = None if clear else until.date()
    updated = db.run(lambda conn: set_qualification(conn, username, expires, actor=cli_actor()),
                     transaction=True)
    if expires is None:
        click.echo(f"已撤销 {updated.username} 的登记员资格 / {updated.username}'s registrar qualification withdrawn")
    else:
        click.echo(f"{updated.username} 的登记员资格有效期至 {expires} / {updated.username}'s registrar qualification"
                   f" runs until {expires}")


@user.command("history")
@click.argument("username")
@with_database()
def user_history(db: Db, username: str) -> None:
    """账户 USERNAME 的变更记录 / the changes to USERNAME's account.

    谁、何时创建、授予或撤销资格、启用或停用 / who created the account, granted or withdrew its qualification,
    activated or deactivated it, and when (GET /api/users/USERNAME/events)."""
    from ..labels import both, local_time, person
    from ..registry.users import account_events, display_names

    async def work(conn):
        return await account_events(conn, username), await display_names(conn)

    events, names = db.run(work)
    for e in events:
        by_zh, by_en = person(e.actor, names, "zh"), person(e.actor, names, "en")
        by = by_zh if by_zh == by_en else f"{by_zh} / {by_en}"
        click.echo(f"{local_time(e.at, db.settings.timezone, seconds=True)}  {both('account_event', e.action)}"
                   f"{_account_detail(e.detail)}  操作人 / by: {by}")


def _account_detail(detail: dict) -> str:
    """What a change set, in words: the role and point of a new account, a qualification's expiry."""
    from ..labels import both

    parts = []
    if "role" in detail:
        parts.append(f"角色 / role: {both('role', detail['role'])}")
    if "point" in detail:
        parts.append(f"登记点 / point: {detail['point']}")
    if "qualification_until" in detail:
        parts.append(f"资格有效期至 / qualified until: {detail['qualification_until']}")
    return "（" + "；".join(parts) + "）" if parts else ""


@user.command("list")
@with_database()
def user_list(db: Db) -> None:
    """用户及其角色、登记点、登记员资格 / users with their role, point and registrar qualification."""
    from ..labels import both
    from ..registry.service import today
    from ..registry.users import list_users

    on = today(db.settings)
    for u in db.run(list_users):
        if u.qualification_expires is None:
            qualification = "无资格 / no qualification"
        elif u.qualification_expires < on:
            qualification = f"资格已于 {u.qualification_expires} 过期 / expired {u.qualification_expires}"
        else:
            qualification = f"资格至 {u.qualification_expires} / qualified until {u.qualification_expires}"
        state = "" if u.active else "  已停用 / deactivated"
        click.echo(f"{u.username:<20} {u.display_name}  {both('role', u.role)}"
                   f"{'  登记点 / point ' + u.point_code if u.point_code else ''}  {qualification}{state}")


@main.group()
def point() -> None:
    """登记点 / registration points."""


@point.command("add")
@click.argument("code")
@click.option("--name", required=True, help="登记点名称 / the point's name")
@click.option("--prefix", default=None, help="登记号中的省市点6位代码 / 6-digit number prefix")
@with_database()
def point_add(db: Db, code, name, prefix) -> None:
    """新建登记点 CODE / add the registration point CODE."""
    from ..registry.points import PointIn, create_point

    body = PointIn(code=code, name=name, number_prefix=prefix)
    created = db.run(lambda conn: create_point(conn, body))
    click.echo(f"created point {created.code} prefix {created.number_prefix}")


@main.command()
@click.argument("count", type=int)
@click.option("--seed", type=int, default=1, show_default=True, help="随机种子 / random seed")
@click.option("--status", default="submitted", show_default=True, type=click.Choice(["submitted", "registered"]),
              help="申请状态：submitted 待审查，registered 已登记 / status of the filings")
def synth(count: int, seed: int, status: str) -> None:
    """生成演示数据 / synthetic demo filings.

    COUNT 条格式第1版 JSONL，写到标准输出。/ COUNT filings as format v1 JSONL on standard output."""
    from ..demo import generate, jsonl

    out = sys.stdout.buffer
    for line in jsonl(generate(count, seed=seed, status=status)):
        out.write(line)


@main.group()
def tallies() -> None:
    """统计汇总（仪表板与列表总数，由触发器随申请同步更新）/ the running counts behind the dashboard and list totals."""


@tallies.command("check")
@with_database()
def tallies_check(db: Db) -> None:
    """与从头统计的结果比较，列出不一致之处（不一致时退出码 2）/ compare with a count from scratch; exit 2 on a difference."""
    from ..registry.tally import differences

    found = db.run(differences)
    for line in found:
        click.echo(line)
    click.echo(f"不一致 {len(found)} 处 / {len(found)} difference(s)", err=True)
    if found:
        sys.exit(2)


@tallies.command("rebuild")
@with_database()
def tallies_rebuild(db: Db) -> None:
    """从头重新统计（修复；统计期间暂停写入）/ recompute them from scratch (repair; writes wait meanwhile)."""
    from ..registry.tally import rebuild

    async def work(conn) -> None:
        async with conn.transaction():
            await rebuild(conn)

    db.run(work)
    click.echo("已重新统计 / rebuilt", err=True)
