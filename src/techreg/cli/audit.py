"""Audit commands: the event trail and its checkpoints, spot-check campaigns."""

import sys

import click
import msgspec

from ..config import audit_key, checkpoint_path
from .common import CliError, Day, Db, acting_user, main, with_database


@main.group()
def audit() -> None:
    """审计记录 / the audit trail."""


@audit.command("verify")
@with_database()
def audit_verify(db: Db) -> None:
    """校验事件哈希链与检查点 / verify the event chains and checkpoints.

    重算每份申请的事件链与全库检查点；被篡改时退出码为 2。/ Recomputes every filing's event chain and every
    registry-wide checkpoint; exit 2 when broken."""
    from ..registry import checkpoints
    from ..registry.events import verify_chain

    key, path = audit_key(db.settings), checkpoint_path(db.settings)

    async def both(conn):
        chain = await verify_chain(conn, key, progress=lambda n: click.echo(f"  … {n} filings", err=True))
        return chain, await checkpoints.verify(conn, key, path)

    report, sealed = db.run(both)
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
@with_database()
def audit_checkpoint(db: Db) -> None:
    """写入事件链检查点 / seal new events in a checkpoint.

    封存上次检查点以来的事件（每小时的任务也做同样的事）。/ Seals the events written since the last
    checkpoint (the hourly job does the same)."""
    from ..registry import checkpoints

    path = checkpoint_path(db.settings)
    sealed = db.run(lambda conn: checkpoints.write(conn, audit_key(db.settings), path))
    if sealed is None:
        click.echo("没有需要封存的新事件 / nothing new to seal")
    else:
        click.echo(f"检查点 {sealed.seq}：事件 {sealed.from_id + 1}–{sealed.to_id}（{sealed.count} 条）/ checkpoint "
                   f"{sealed.seq}: events {sealed.from_id + 1}-{sealed.to_id} ({sealed.count}) → {path}")


@main.group()
def campaign() -> None:
    """双随机抽查 / spot-check campaigns."""


@campaign.command("create")
@click.option("--name", required=True, help="抽查任务名称 / the campaign's name")
@click.option("--from", "registered_from", required=True, type=Day(),
              help="登记日期起 / registered on or after")
@click.option("--to", "registered_to", required=True, type=Day(),
              help="登记日期止 / registered on or before")
@click.option("--kind", "kinds", multiple=True, help="合同类别，可重复 / kind (repeatable)")
@click.option("--point", "points", multiple=True, help="登记点，可重复 / registration point (repeatable)")
@click.option("--software-only", is_flag=True, help="只抽含软件的合同 / software contracts only")
@click.option("--sample-size", required=True, type=int, help="样本量 / number of filings to draw")
@click.option("--cutoff", "certainty_cutoff", default=0.9, show_default=True, type=float,
              help="风险分不低于此值必查 / certainty cut-off on risk")
@click.option("--control-share", default=0.1, show_default=True, type=float,
              help="对照层（无标记申请）占样本的比例 / share of the sample drawn from unflagged filings")
@click.option("--seed", required=True, help="公开的随机种子 / the published seed")
@click.option("--due-days", default=30, show_default=True, type=int, help="完成期限（天）/ days to complete")
@click.option("--draft", is_flag=True, help="仅起草，待确认后冻结 / draft only, freeze on confirmation")
@click.option("--by", "by", required=True, help="监督员用户名 / supervisor creating it")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / print JSON")
def campaign_create(name, registered_from, registered_to, kinds, points, software_only, sample_size,
                    certainty_cutoff, control_share, seed, due_days, draft, by, as_json) -> None:
    """创建抽查任务 / create a spot-check campaign.

    冻结范围、抽取样本、分配检查员。/ Freezes the population, draws the sample, assigns inspectors."""
    from ..audit.schema import CampaignIn
    from ..audit.service import to_json

    try:
        body = msgspec.convert(dict(
            name=name, registered_from=registered_from.date(), registered_to=registered_to.date(), kinds=list(kinds),
            points=list(points), software_only=software_only, sample_size=sample_size,
            certainty_cutoff=certainty_cutoff, control_share=control_share, seed=seed, due_days=due_days,
            draft=draft), CampaignIn)
    except msgspec.ValidationError as exc:
        raise CliError(f"抽查参数有误：{exc}", f"invalid campaign: {exc}") from None

    out = _create_campaign(body, by)
    if as_json:
        click.echo(to_json(out))
    else:
        published = (f"，公示编号 {out.public_no}", f", public number {out.public_no}") if out.public_no else ("", "")
        click.echo(f"抽查任务 #{out.id}「{out.name}」{published[0]}：范围 {out.population_size} 份，"
                   f"摘要 {out.population_digest}，抽取 {len(out.items)} 份 / campaign #{out.id}{published[1]}:"
                   f" population {out.population_size}, {len(out.items)} sampled")


@with_database()
def _create_campaign(db: Db, body, by: str):
    from ..audit.service import create_campaign

    async def work(conn):
        return await create_campaign(conn, await acting_user(conn, by), body, db.settings)

    return db.run(work, transaction=True)


@campaign.command("show")
@click.argument("campaign_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / print JSON")
@with_database()
def campaign_show(db: Db, campaign_id: int, as_json: bool) -> None:
    """显示抽查任务 / show a campaign.

    抽查任务 CAMPAIGN_ID 的参数、种子、范围摘要与每份样本。/ Campaign CAMPAIGN_ID's parameters, seed,
    population digest and every sampled item."""
    from ..audit.service import get_campaign, to_json

    out = db.run(lambda conn: get_campaign(conn, campaign_id))
    if as_json:
        click.echo(to_json(out))
        return
    from ..labels import both, local_time, values_text

    zone = db.settings.timezone
    click.echo(f"#{out.id} {out.name}（{both('campaign_status', out.status)}）\n"
               f"  公示编号 / public number: {out.public_no or '—'}\n"
               f"  随机种子 / seed: {out.seed}\n"
               f"  参数：{values_text('campaign_param', out.params, 'zh')}\n"
               f"  parameters: {values_text('campaign_param', out.params, 'en')}\n"
               f"  抽查范围 / population: {out.population_size if out.population_size is not None else '—'}，"
               f"摘要 / digest {out.population_digest or '—'}\n"
               f"  冻结时间 / frozen at: {local_time(out.frozen_at, zone) or '—'}")
    for i in out.items:
        decided = both("outcome", i.outcome) if i.outcome else both("item_status", i.status)
        click.echo(f"  {i.ref:<24} {i.reg_no or '—':<17} {both('stratum', i.stratum)}  π={i.inclusion_prob:.4f}"
                   f"  {i.inspector or '—'}  {decided}")


@campaign.command("verify")
@click.argument("campaign_id", type=int)
@with_database()
def campaign_verify(db: Db, campaign_id: int) -> None:
    """按种子重算抽样并比对 / recompute a sample from its seed.

    重算抽查任务 CAMPAIGN_ID 的抽样并与记录比对；不一致时退出码为 2。/ Recomputes campaign CAMPAIGN_ID's
    sample and compares it with the record; exit 2 if it differs."""
    from ..audit.service import verify_campaign

    out = db.run(lambda conn: verify_campaign(conn, campaign_id))
    if out.matches:
        click.echo(f"一致 / MATCH: campaign #{campaign_id}, population {out.population_size},"
                   f" digest {out.recomputed_digest}")
        return
    click.echo(f"不一致 / MISMATCH: campaign #{campaign_id}: digest {'ok' if out.digest_matches else 'differs'},"
               f" sample {'ok' if out.sample_matches else 'differs'}; missing {', '.join(out.missing[:10]) or '—'},"
               f" unexpected {', '.join(out.unexpected[:10]) or '—'}")
    sys.exit(2)
