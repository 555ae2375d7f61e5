"""Orders issued by findings and the enforcement list (执法企业名录): read, and written to Excel."""

import datetime as dt
from pathlib import Path

import click
import msgspec

from .common import CliError, Db, main, os_reason, with_database


@main.command("orders")
@click.option("--status", default=None,
              type=click.Choice(["open", "answered", "fulfilled", "escalated", "closed", "overdue"]),
              help="只看这种状态（overdue：已逾期）/ only this state (overdue: past the deadline)")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / print JSON")
@with_database()
def orders_command(db: Db, status: str | None, as_json: bool) -> None:
    """责令事项及其期限 / orders issued by findings, with their deadlines.

    检查结论「责令整改」「责令注销」下达的事项，按期限排列。/ The orders that findings of rectification or
    de-registration issued, by deadline."""
    from ..audit.orders import list_orders
    from ..labels import both
    from ..registry.users import SYSTEM

    found = db.run(lambda conn: list_orders(conn, db.settings, SYSTEM, status=status))
    if as_json:
        click.echo(msgspec.json.encode(found).decode())
        return
    click.echo(f"今天 / today {found.today}: " + "，".join(f"{both('order_status', s)} {n}" for s, n in
                                                         found.counts.items() if s != "overdue")
               + f"，已逾期 / overdue {found.counts['overdue']}")
    for o in found.items:
        late = "  已逾期 / OVERDUE" if o.overdue else ""
        click.echo(f"  #{o.id:<5} {both('order_kind', o.kind)}  {both('order_status', o.status)}  {o.ref}"
                   f"  {o.seller_code} {o.seller_name}  期限 / due {o.due_on}{late}")


@main.command("enforcement")
@click.option("--campaign", type=int, default=None, help="只看这次抽查 / only this campaign")
@click.option("--xlsx", "xlsx", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="写出 Excel 工作簿（总表、各抽查汇总、每次抽查）/ write the Excel workbook (overall, campaigns, "
                   "each campaign)")
@click.option("--lang", "language", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="工作簿的语言 / the workbook's language")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / print JSON")
@with_database()
def enforcement_command(db: Db, campaign: int | None, xlsx: Path | None, language: str, as_json: bool) -> None:
    """执法企业名录 / the enforcement list.

    被撤销登记、责令整改或注销、或逾期未履行的合同所属企业（卖方），合同数与金额（核定技术交易额，未核定的按申报额）。
    / The enterprises (sellers) whose contracts were revoked, ordered, or left an order overdue, with counts and
    amounts (approved, else declared)."""
    from ..audit.enforcement import AMOUNT_BASIS, enforcement_list, full_workbook

    if xlsx is not None:
        made_at = dt.datetime.now(dt.timezone.utc)
        content = db.run(lambda conn: full_workbook(conn, db.settings, language, made_at=made_at))
        try:
            xlsx.write_bytes(content)
        except OSError as exc:
            raise CliError(f"无法写入 {xlsx}：{os_reason(exc)[0]}", f"cannot write {xlsx}: {os_reason(exc)[1]}") from None
        click.echo(f"已写出 / written: {xlsx}")
        return
    found = db.run(lambda conn: enforcement_list(conn, db.settings, campaign=campaign))
    if as_json:
        click.echo(msgspec.json.encode(found).decode())
        return
    click.echo(f"执法企业名录 / enforcement list: {found.campaign or '全部 / overall'}（逾期截至 / overdue as of "
               f"{found.on}）\n{AMOUNT_BASIS[0]}\n{AMOUNT_BASIS[1]}")
    for r in found.enterprises:
        click.echo(f"  {r.credit_code}  {r.name}  合同 / contracts {r.contracts}  金额 / amount {r.amount:,.2f}"
                   f"  撤销 / revoked {r.revoked}  整改 / rectify {r.rectification}"
                   f"  注销 / de-register {r.deregistration}  逾期 / overdue {r.overdue}"
                   f"  按申报额 / at declared {r.declared_only}")
    t = found.totals
    click.echo(f"合计 / total: {len(found.enterprises)} 企业 / enterprises, {t.contracts} 合同 / contracts,"
               f" {t.amount:,.2f} 元 / yuan")
