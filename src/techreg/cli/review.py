"""Review (复核) commands: the review queue, as the page and GET /api/reviews show it."""

import click
import msgspec

from .common import Db, acting_user, main, with_database


@main.group()
def review() -> None:
    """复核：须由第二人确认的登记、当事人申请的复核与监督复核 / reviews: registrations a second person
    confirms, parties' requests for review, supervisory reviews."""


@review.command("list")
@click.option("--by", required=True, help="以该用户身份查看（登记员只看本登记点）/ the user asking (a registrar sees their point)")
@click.option("--kind", type=click.Choice(["registration", "party_request", "supervision"]), default=None,
              help="复核类型：registration 登记复核，party_request 当事人申请，supervision 监督复核 / review kind")
@click.option("--due", type=click.Choice(["overdue", "due_soon", "pending"]), default=None,
              help="期限状态：overdue 已逾期，due_soon 即将到期，pending 办理中 / deadline state")
@click.option("--point", default=None, help="登记点代码 / registration point")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / print JSON")
@with_database()
def review_list(db: Db, by: str, kind: str | None, due: str | None, point: str | None, as_json: bool) -> None:
    """复核队列 / the review queue.

    待复核事项，按到期日排序，逾期的标出；退出码 0。/ Open reviews, soonest due first, the overdue marked."""
    from ..labels import both, days_left, local_time
    from ..registry.review import review_queue

    from ..registry.users import display_names

    async def work(conn):
        names = await display_names(conn)
        user = await acting_user(conn, by)
        return await review_queue(conn, db.settings, user, kind=kind, point=point, state=due, names=names), names

    found, names = db.run(work)
    if as_json:
        click.echo(msgspec.json.encode(found).decode())
        return
    zone = db.settings.timezone
    counts = "，".join(f"{both('deadline_state', s)} {found.counts[s]}" for s in ("overdue", "due_soon", "pending"))
    click.echo(f"今天 / today {found.today}：{counts}")
    for r in found.items:
        mark = "!" if r.deadline_state == "overdue" else " "
        left = f"{days_left(r.working_days_left, unit=True)} / {days_left(r.working_days_left, 'en', unit=True)}"
        click.echo(f"{mark} {r.ref:<24} {both('review_kind', r.kind)}  到期 / due {r.due_on}"
                   f"（{both('deadline_state', r.deadline_state)}，{left}）"
                   f"  原决定人 / decision by {names.get(r.subject_actor, r.subject_actor)}"
                   f"  提起 / opened {local_time(r.opened_at, zone)} {names.get(r.opened_by, r.opened_by)}")
        # as the queue page says under a row the user asking may not decide: why, and who may
        if not r.may_decide and r.why_not is not None:
            click.echo(f"    不能办理 / not yours to decide：{r.why_not.message} / {r.why_not.message_en}")
            if r.deciders:
                names = "、".join(d.display_name for d in r.deciders)
                more = f" 等 {r.decider_count} 人 / {r.decider_count} in all" if r.decider_count > len(r.deciders) else ""
                click.echo(f"    可以办理 / may decide：{names}{more}")
            elif r.how_to_qualify is not None:
                click.echo(f"    现在无人可以办理 / nobody may decide now：{r.how_to_qualify.message} / {r.how_to_qualify.message_en}")
    if not found.items:
        click.echo("没有待复核的事项 / nothing awaits review")

