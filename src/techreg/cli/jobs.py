"""Scheduled-job commands: the worker, the job list, recorded runs, a run now."""

import sys
import zoneinfo

import click

from .common import CliError, Db, main, run, with_database


@main.command()
@with_database(keep_running=True)
def worker(db: Db) -> None:
    """运行定时任务 / run the scheduled jobs.

    可多副本运行，每个时段只运行一次。/ Safe to run on several replicas: each slot runs once."""
    import logging

    from ..db.pool import create_pool
    from ..scheduling.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    url = db.service_url()
    click.echo("定时任务已启动 / worker running (Ctrl-C to stop)")
    run(run_worker(lambda: create_pool(url, db.settings), db.settings))


@main.group(invoke_without_command=True)
@click.pass_context
def jobs(ctx: click.Context) -> None:
    """定时任务及下次运行时间 / jobs and their next run."""
    if not ctx.invoked_subcommand:
        _list_jobs()


@with_database()
def _list_jobs(db: Db) -> None:
    from ..scheduling.engine import job_list

    settings = db.settings
    rows = db.run(lambda conn: job_list(conn, settings))
    click.echo(f"{'job':<22}{'schedule':<16}{'next run (' + settings.timezone + ')':<30}last run")
    zone = zoneinfo.ZoneInfo(settings.timezone)
    for j in rows:
        last = j.last_run
        last_text = f"{last.status} {last.scheduled_for.astimezone(zone):%Y-%m-%d %H:%M}" if last else "—"
        nxt = f"{j.next_run.astimezone(zone):%Y-%m-%d %H:%M}" if j.next_run else "—"
        click.echo(f"{j.name:<22}{j.schedule:<16}{nxt:<30}{last_text}   {j.zh} / {j.en}")


@jobs.command("history")
@click.option("--job", default=None, help="只看这个任务 / only this job")
@click.option("--limit", default=30, show_default=True, help="最多显示条数 / at most this many runs")
@with_database()
def jobs_history(db: Db, job: str | None, limit: int) -> None:
    """运行记录 / recorded runs, newest first."""
    from ..scheduling.engine import history

    rows = db.run(lambda conn: history(conn, job, limit))
    for r in rows:
        took = f"{(r.finished_at - r.started_at).total_seconds():.1f}s" if r.finished_at else "…"
        click.echo(f"#{r.id:<5} {r.job:<20} slot {r.scheduled_for:%Y-%m-%d %H:%M} {r.trigger:<8} x{r.coalesced}"
                   f" {r.status:<9} {took:>7}  {r.counts or ''} {r.error or ''}")


@jobs.command("run")
@click.argument("name")
def jobs_run(name: str) -> None:
    """立即运行一次 / run a job now.

    任务 NAME 记录为手动运行；失败时退出码为 1。/ The job NAME, recorded as manual; exit 1 if it fails."""
    from ..scheduling.jobs import JOBS

    if name not in JOBS:
        raise CliError(f"没有任务 {name}；可用：{', '.join(JOBS)}", f"no such job {name}; jobs: {', '.join(JOBS)}")
    out = _run_job(name)
    click.echo(f"{out.job}: {out.status} {out.counts} {out.error or ''}")
    sys.exit(0 if out.status == "succeeded" else 1)


@with_database()
def _run_job(db: Db, name: str):
    from ..db.pool import create_pool
    from ..scheduling.engine import Engine, utc_now

    async def go():
        pool = await create_pool(db.url, db.settings)
        try:
            return await Engine(pool, db.settings).run(name, utc_now(), trigger="manual", requested_by="cli")
        finally:
            await pool.close()

    return run(go())
