"""Rules by effective date, revocations on a ground and basis, and the tax office's list of revocations."""

import csv
import datetime as dt
import sys
from pathlib import Path

import click

from ..config import audit_key
from ..labels import label
from .common import CliError, Day, Db, current_settings, main, with_database

GROUNDS = ["fraudulent", "voided_not_deregistered", "duplicate_registration", "other"]
BASES = ["court_judgment", "review_decision", "inspection_finding"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@main.command("rules")
@click.option("--on", "day", type=Day(), default=None,
              help="日期（默认今天）/ the day (default: today)")
def rules(day) -> None:
    """某日施行的规则及其取值 / the rules in force on a day, each value with the rule it comes from."""
    from ..labels import label
    from ..registry.rulebook import catalogue, describe, rules_in_force
    from ..registry.service import today

    settings = current_settings()
    on = day.date() if day else today(settings)
    r = rules_in_force(settings, on)
    zh, en = describe(settings, r.id)
    click.echo(f"{on}：{r.id}\n  {zh}\n  {en}")
    large = (f"{r.large_line:,.0f} 元 → {r.large_decision_days} {label('day_kind', r.day_kind)}"
             if r.large_line is not None else "无 / none")

    def src(name: str) -> str:
        return label("rule_source", r.sources[name], default=r.sources[name])
    click.echo(f"  办理期限 / deadline: {r.decision_days} {label('day_kind', r.day_kind)} / "
               f"{label('day_kind', r.day_kind, 'en')}  ← {src('decision_days')}")
    click.echo(f"  大额 / large: {large}  ← {src('large_line')}")
    click.echo(f"  不予登记理由 / refusal reasons: {'、'.join(label('reason', c) for c in r.refusal_reasons)}"
               f"  ← {src('refusal_reasons')}")
    click.echo(f"  撤销理由 / revocation grounds: {'、'.join(label('revocation_ground', c) for c in r.revocation_grounds)}"
               f"  ← {src('revocation_grounds')}")
    click.echo(f"  撤销依据 / bases: {'、'.join(label('revocation_basis', c) for c in r.revocation_bases)}"
               f"  ← {src('revocation_bases')}")
    click.echo("规则目录 / catalogue:")
    for v in catalogue(settings).versions:
        unverified = f"  [待核实 / unverified: {', '.join(v.unverified)}]" if v.unverified else ""
        click.echo(f"  {v.id:<28} {v.effective_from} — {v.effective_to or '今 / now'}  {v.title}{unverified}")


@main.command("revoke")
@click.argument("ref")
@click.option("--ground", type=click.Choice(GROUNDS), required=True,
              help="撤销理由（须为现行规则所列）/ the ground (one the rules in force list): "
                   + "; ".join(f"{code} = {label('revocation_ground', code)}" for code in GROUNDS))
@click.option("--basis", "basis_kind", type=click.Choice(BASES), required=True,
              help="依据类别 / the basis: " + "; ".join(f"{code} = {label('revocation_basis', code)}" for code in BASES))
@click.option("--reference", required=True,
              help="判决书案号、复核决定编号或检查事项编号 / case number, review decision number or audit item number")
@click.option("--as", "username", required=True, help="以该监督员身份撤销 / revoke as this supervisor")
@click.option("--note", default="", help="说明 / note")
@with_database()
def revoke(db: Db, ref: str, ground: str, basis_kind: str, reference: str, username: str, note: str) -> None:
    """撤销登记：理由与依据 / revoke a registration on a ground and its basis.

    REF 为申请编号，须为已登记的申请 / REF is the filing's ref; it must be registered."""
    import msgspec

    from ..registry.revocation import revoke as revoke_filing
    from ..registry.schema import RevocationBody
    from ..registry.users import user_named

    try:
        body = msgspec.convert({"ground": ground, "note": note, "basis": {"kind": basis_kind, "reference": reference}},
                               RevocationBody)
    except msgspec.ValidationError as exc:
        raise CliError(f"参数有误：{exc}", f"bad option: {exc}") from None

    async def work(conn):
        user = await user_named(conn, username)
        if user is None:
            raise CliError(f"没有有效用户 {username}", f"no active user {username}")
        return await revoke_filing(conn, audit_key(db.settings), db.settings, user, ref, body)

    filing = db.run(work, transaction=True)
    click.echo(f"已撤销 {filing.ref}（登记号 {filing.reg_no}）/ revoked {filing.ref} (registration no. {filing.reg_no})")


@main.group()
def revocations() -> None:
    """撤销登记 / revocations."""


@revocations.command("tax-notice")
@click.option("--from", "revoked_from", type=Day(), default=None,
              help="撤销日期起 / revoked on or after")
@click.option("--to", "revoked_to", type=Day(), default=None,
              help="撤销日期止 / revoked on or before")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV 文件（默认标准输出）/ CSV file to write (default: standard output)")
@click.option("--lang", "language", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="表头与用语的语言 / language of the headers and words")
@with_database()
def tax_notice(db: Db, revoked_from, revoked_to, output: Path | None, language: str) -> None:
    """通报税务机关：可能已享受优惠的撤销登记（CSV）/ revoked registrations whose benefits may have been
    claimed, for the tax office (CSV)."""
    import msgspec

    from ..labels import label
    from ..registry.revocation import TaxNoticeRow, tax_notice as notice_of
    from ..registry.rulebook import describe

    async def work(conn):
        return await notice_of(conn, db.settings, revoked_from=revoked_from.date() if revoked_from else None,
                               revoked_to=revoked_to.date() if revoked_to else None)

    notice = db.run(work)
    words = {"kind": "kind", "ground": "revocation_ground", "basis_kind": "revocation_basis"}
    columns = [c for c in TaxNoticeRow.__struct_fields__]

    def cell(name: str, value):
        if value is None:
            return ""
        if name in words:
            return label(words[name], value, language)
        if name == "revocation_rules":
            return describe(db.settings, value)[0 if language == "zh" else 1]
        text = str(value)
        return "'" + text if text.startswith(FORMULA_STARTS) else text

    out = open(output, "w", encoding="utf-8-sig", newline="") if output else sys.stdout
    try:
        writer = csv.writer(out)
        writer.writerow([label("field", c, language) for c in columns])
        for row in notice.items:
            values = msgspec.structs.asdict(row)
            writer.writerow([cell(c, values[c]) for c in columns])
    finally:
        if output:
            out.close()
    click.echo(f"{len(notice.items)} 条；{notice.rule} / {len(notice.items)} rows; {notice.rule_en}", err=True)
