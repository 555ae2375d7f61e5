"""Detection commands: scans, the detectors and their settings, flags, the outlier model."""

import json
import sys

import click

from .common import CliError, Db, current_settings, main, with_database


@main.command()
@click.option("--full", is_flag=True, help="重新检测全部申请 / score every filing (default: what changed)")
@with_database()
def scan(db: Db, full: bool) -> None:
    """异常检测扫描 / score filings and store flags."""
    from ..db.replica import replica_connection
    from ..detection.scan import run_scan

    async def scan_with_replica(conn):            # the filings read on TECHREG_READ_DATABASE_URL when set
        async with replica_connection(db.settings) as replica:
            return await run_scan(conn, db.settings, full=full, replica=replica,
                                  progress=lambda m: click.echo(f"  … {m}", err=True))
    report = db.run(scan_with_replica)
    from ..labels import label

    mode_zh, mode_en = label("scan_mode", report.mode), label("scan_mode", report.mode, "en")
    click.echo(f"扫描 #{report.run_id}（{mode_zh}）：读取 {report.filings_read}，检测 {report.filings_scored}，"
               f"有效标记 {report.flags_active} / scan #{report.run_id} ({mode_en}): read {report.filings_read},"
               f" scored {report.filings_scored}, active flags {report.flags_active}")
    for d in report.detectors:
        click.echo(f"  {label('flag', d.detector.partition('/')[0])} / {label('flag', d.detector.partition('/')[0], 'en')}"
                   f" ({d.detector}): 适用 / applied {d.applied}，"
                   f"标记 / flagged {d.flagged}，排除 / excluded {d.excluded}" + (f"  ⚠ {d.warning}" if d.warning else ""))


@main.command()
def detectors() -> None:
    """检测器及其设置 / the detectors and their settings (values in force)."""
    import dataclasses

    from ..detection.base import env_names, rules_of
    from ..detection.detectors import DETECTORS, load_settings
    from ..registry.rulebook import version

    try:
        in_force = load_settings()
    except ValueError as exc:                    # a setting in the environment that does not parse
        raise CliError("检测器设置有误", f"a detector setting does not parse: {exc}") from None
    for d in DETECTORS:
        click.echo(f"{d.LABEL[0]} / {d.LABEL[1]} ({d.DETECTOR}, risk weight {d.RISK_WEIGHT}, docs/detectors/{d.KIND}.md)")
        values = dataclasses.asdict(in_force[d.KIND])
        rules = rules_of(d.Settings)
        for (variable, default, doc), (name, value) in zip(env_names(d.KIND, d.Settings), values.items()):
            mark = "" if value == default else f"  (default {default})"
            click.echo(f"  {variable:<46} {value}{mark}  — {doc}")
            if name in rules:                    # the rule the line comes from, and when that rule is in force
                v = version(current_settings(), rules[name])
                since = f"{v.effective_from} — {v.effective_to or '今 / now'}" if v else "规则目录中没有 / not in the rulebook"
                click.echo(f"  {'':<46} 规则 / rule: {rules[name]}（{since}）")


@main.group()
def flags() -> None:
    """异常标记 / flags."""


@flags.command("export")
@with_database()
def flags_export(db: Db) -> None:
    """导出有效标记 / export the active flags (JSONL on standard output)."""
    from ..detection.store import export_flags

    async def write(conn) -> None:
        async for line in export_flags(conn):
            sys.stdout.buffer.write(line)
        sys.stdout.buffer.flush()

    db.run(write)


@flags.command("evaluate")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / print JSON")
@with_database()
def flags_evaluate(db: Db, as_json: bool) -> None:
    """检测器确认率 / detectors' confirmation rates.

    每个检测器的标记经检查结论确认或排除的数量。/ Per detector: flags that inspectors' findings confirmed
    or cleared."""
    from ..audit.service import evaluate_flags, to_json

    rows = db.run(evaluate_flags)
    if as_json:
        click.echo(to_json(rows))
        return
    from ..labels import label

    for r in rows:
        rate = "—" if r.confirmation_rate is None else f"{r.confirmation_rate:.0%}"
        kind = r.detector.partition("/")[0]
        click.echo(f"{label('flag', kind)} / {label('flag', kind, 'en')} ({r.detector}): 已检查 / audited {r.audited}，"
                   f"确认 / confirmed {r.confirmed}，排除 / cleared {r.cleared}，确认率 / rate {rate}")


@main.group()
def model() -> None:
    """异常度模型 / the outlier model."""


@model.command("show")
def model_show() -> None:
    """模型元数据 / the current and the candidate model's metadata."""
    from ..detection.outlier import describe

    click.echo(json.dumps(describe(), ensure_ascii=False, indent=2))


@model.command("promote")
@click.option("--by", "by", required=True, help="监督员用户名 / the supervisor promoting it")
def model_promote(by: str) -> None:
    """启用候选模型 / promote the candidate model.

    先校验其哈希与类型。/ After checking its hash and the types it holds."""
    from ..detection.outlier import ModelError, promote

    if _role_of(by) != "supervisor":
        raise CliError(f"{by} 不是监督员", f"{by} is not a supervisor")
    try:
        meta = promote(by)
    except ModelError as exc:
        raise CliError(exc.message, exc.message_en) from None
    click.echo(f"已启用 / promoted: outlier/{meta['version']} (sha256 {meta['sha256'][:12]}…)")


@with_database()
def _role_of(db: Db, username: str) -> str | None:
    from ..registry.users import user_named

    async def role(conn) -> str | None:
        user = await user_named(conn, username)
        return user.role if user else None

    return db.run(role)
