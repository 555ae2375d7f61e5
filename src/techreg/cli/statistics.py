"""Annual statistics (年度统计): the year's registered contracts by kind, field, region, point and party type."""

import datetime as dt
from pathlib import Path

import click
import msgspec

from .common import CliError, Db, main, os_reason, with_database


@main.command("statistics")
@click.argument("year", type=int)
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="写出 Excel 工作簿（每种分类一张表，另有说明表）/ write the Excel workbook (a sheet per breakdown, "
                   "and a notes sheet)")
@click.option("--lang", "language", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="工作簿的语言 / the workbook's language")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（金额单位：元）/ print JSON (amounts in yuan)")
@with_database()
def statistics_command(db: Db, year: int, output: Path | None, language: str, as_json: bool) -> None:
    """年度统计 / annual statistics of registered contracts.

    YEAR：统计年度，如 2026（按登记日期划分）/ YEAR: the year, e.g. 2026 (by registration date).

    当年登记且现仍有效的技术合同，按合同类别、技术领域、买卖双方所在省份、登记点、买卖双方类型统计合同数、合同成交额与
    核定技术交易额（未核定的按申报额，另列）。/ The year's registered contracts in force, counted and summed by kind,
    field, the parties' provinces, point and the parties' types (approved amount; declared where none, shown apart)."""
    from ..labels import both
    from ..registry.statistics import annual_statistics, workbook

    found = db.run(lambda conn: annual_statistics(conn, db.settings, year))
    if output is not None:
        content = workbook(found, language, db.settings.timezone, dt.datetime.now(dt.timezone.utc))
        try:
            output.write_bytes(content)
        except OSError as exc:
            raise CliError(f"无法写入 {output}：{os_reason(exc)[0]}", f"cannot write {output}: {os_reason(exc)[1]}") from None
        click.echo(f"已写出 / written: {output}（{year}年 {found.total.contracts} 项 / contracts）")
        return
    if as_json:
        click.echo(msgspec.json.encode(found).decode())
        return
    click.echo(f"{year}年技术合同登记统计 / {year} statistics: {found.total.contracts} 项 / contracts，"
               f"合同成交额 / contract amount {found.total.amount:,.2f} 元 / yuan，"
               f"核定技术交易额 / approved technology amount {found.total.counted_amount:,.2f} 元 / yuan"
               f"（其中按申报额 / of which declared {found.total.declared_only} 项, {found.total.declared_amount:,.2f} 元）")
    for b in found.breakdowns:
        click.echo(f"{b.title} / {b.title_en}")
        for r in b.rows:
            if r.contracts:
                click.echo(f"  {r.code:<24} {r.name} / {r.name_en}: {r.contracts} 项, {r.amount:,.2f} 元, "
                           f"{r.counted_amount:,.2f} 元")
    click.echo(" / ".join(both("status", s) + f" {n}" for s, n in found.left_out.items()) + "（未计入 / left out）")
