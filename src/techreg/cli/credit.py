"""Credit commands: import red-line records, the batch credit check, the export for the national database."""

import sys
from pathlib import Path

import click
import msgspec

from ..labels import both
from .common import CliError, Day, Db, ExistingFile, acting_user, main, os_user, with_database


@main.group()
def credit() -> None:
    """信用记录与红线核查 / credit records and red-line checks."""


@credit.command("import")
@click.argument("file", type=ExistingFile())
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default=None,
              help="文件格式（默认按扩展名）/ file format (default: by the extension)")
@click.option("--actor", default=None, help="记录在审计轨迹中的操作人（默认：运行本命令的系统用户名）/ the actor recorded on the"
                                           " audit trail (default: the OS user running the command)")
def import_(file: Path, fmt: str | None, actor: str | None) -> None:
    """导入红线记录（信用记录格式第1版，JSONL 或 CSV）/ import red-line records (credit format v1).

    FILE 为 UTF-8 编码的 JSONL 或 CSV 文件 / FILE is a UTF-8 JSONL or CSV file (docs/credit-format.md).
    已知记录有变化时新增版本；重复导入不产生变化；有被拒绝的行时退出码为 1。/ A known record that changed gets a
    new version; importing again changes nothing; exit 1 when a line is rejected."""
    from ..registry.messages import field_label

    report = _import(file, fmt, actor or os_user())
    for e in report.errors:
        click.echo(f"第 {e.line} 行 / line {e.line}: {field_label(e.field)} / {field_label(e.field, 'en')}"
                   f" ({e.field}): {e.message} / {e.message_en}", err=True)
    click.echo(f"共 {report.lines} 行：新增记录 {report.added}，新增版本 {report.new_versions}，无变化 {report.unchanged}，"
               f"同一记录的重复行 {report.repeated}，拒绝 {report.rejected} / {report.lines} lines: {report.added} new "
               f"records, {report.new_versions} new versions, {report.unchanged} unchanged, {report.repeated} repeating"
               f" a record, {report.rejected} rejected")
    if report.rejected:
        sys.exit(1)


@with_database()
def _import(db: Db, file: Path, fmt: str | None, actor: str):
    from ..registry.credit.importer import format_of, import_content

    content = file.read_bytes()

    async def work(conn):
        return await import_content(conn, content, fmt or format_of(file.name, content), actor=actor,
                                    source_name=file.name)

    return db.run(work, transaction=True)


@credit.command("check")
@click.option("--year", type=int, default=None, help="申请年度 / filings applied for in this year")
@click.option("--point", default=None, help="登记点 / registration point")
@click.option("--campaign", type=int, default=None, help="抽查任务编号（其样本）/ a campaign's sample")
@click.option("--as-of", type=Day(), default=None,
              help="核查日期（默认今天）/ day of the check (default: today)")
@click.option("--by", "by", required=True, help="监督员或管理员用户名 / supervisor or administrator running it")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="另将命中明细写入 CSV / also write the hits to this CSV file")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / print JSON")
def check(year, point, campaign, as_of, by, csv_file, as_json) -> None:
    """批量信用核查 / batch credit check of a year, a point or a campaign's sample."""
    from ..registry.credit.schema import BatchScope

    try:
        scope = BatchScope(year=year, point=point, campaign=campaign, as_of=as_of.date() if as_of else None)
        msgspec.convert(msgspec.to_builtins(scope), BatchScope)
    except msgspec.ValidationError as exc:
        raise CliError(f"核查范围有误：{exc}", f"invalid scope: {exc}") from None
    report = _check(scope, by)
    if as_json:
        click.echo(msgspec.json.encode(report).decode())
    else:
        counts = "，".join(f"{both('credit_recommendation', c)} {n}" for c, n in report.recommendations.items())
        click.echo(f"核查申请 {report.filings_checked} 件，命中 {report.filings_hit} 件，有红线记录的单位 {report.units_hit} 个"
                   f" / {report.filings_checked} filings checked, {report.filings_hit} hit, {report.units_hit} units "
                   f"with red-line records（{report.as_of}）")
        click.echo(counts)
        for i in report.items:
            hits = "; ".join(f"{h.credit_code} {both('credit_record_type', h.record_type)}（{h.source}）"
                             for h in i.hits)
            click.echo(f"{i.ref}\t{both('status', i.status)}\t{both('credit_recommendation', i.recommendation)}\t{hits}")
    if csv_file:
        _write_csv(csv_file, report)


def _write_csv(path: Path, report) -> None:
    import csv

    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["ref", "reg_no", "status", "point", "relevant_date", "recommendation", "side", "credit_code",
                         "party_name", "record_type", "source", "source_ref", "valid_from", "valid_to"])
        for i in report.items:
            for h in i.hits:
                writer.writerow([i.ref, i.reg_no or "", i.status, i.point, i.relevant_date, i.recommendation, h.side,
                                 h.credit_code, h.party_name or "", h.record_type, h.source, h.source_ref or "",
                                 h.valid_from, h.valid_to or ""])


@with_database()
def _check(db: Db, scope, by: str):
    from ..audit.service import get_campaign
    from ..registry.credit.batch import batch_check
    from ..registry.service import today

    async def work(conn):
        user = await acting_user(conn, by)
        refs = None
        if scope.campaign is not None:
            refs = [item.ref for item in (await get_campaign(conn, scope.campaign)).items]
        return await batch_check(conn, user, scope, scope.as_of or today(db.settings), refs)

    return db.run(work, transaction=True)


@credit.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="输出文件（默认标准输出）/ file to write (default: standard output)")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True,
              help="导出格式 / export format")
@click.option("--since", type=Day(), default=None,
              help="只导出该日（本地时区）以后记录的 / only records recorded from this day (local time zone)")
@with_database()
def export(db: Db, output: Path | None, fmt: str, since) -> None:
    """导出本机构形成的信用记录（报送全国信用数据库）/ export this registry's credit records for the national
    credit database (credit export v1)."""
    from zoneinfo import ZoneInfo

    from ..registry.credit.fraud import csv_bytes, jsonl, registry_records

    moment = since.replace(tzinfo=ZoneInfo(db.settings.timezone)) if since else None
    found = db.run(lambda conn: registry_records(conn, moment))
    data = csv_bytes(found) if fmt == "csv" else jsonl(found)
    if output:
        output.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    click.echo(f"导出 {len(found)} 条 / exported {len(found)} records", err=True)


