"""Scheduled-job commands: the worker, the job list, recorded runs, a run now."""

import sys

import click

from .common import CliError, Db, current_settings, main, run, with_database


@main.command()
@with_database(keep_running=True)
def worker(db: Db) -> None:
    """运行定时任务 / run the scheduled jobs.

    可多副本运行，每个时段只运行一次。/ Safe to run on several replicas: each slot runs once."""
    import logging

    from ..db.pool import create_pool
    from ..labels.times import OfficeTimeFormatter
    from ..scheduling.worker import run_worker

    handler = logging.StreamHandler()
    handler.setFormatter(OfficeTimeFormatter("%(asctime)s %(name)s %(message)s", timezone=db.settings.timezone))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
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
    from ..labels import both, local_time, schedule_text
    from ..scheduling.engine import job_list

    settings = db.settings
    rows = db.run(lambda conn: job_list(conn, settings))
    for j in rows:
        last = j.last_run
        last_text = f"{both('run_status', last.status)} {local_time(last.started_at, settings.timezone)}" if last else "—"
        click.echo(f"{j.name}  {both('job', j.name)}\n"
                   f"    计划 / schedule: {schedule_text(j.schedule, 'zh', settings.timezone)} /"
                   f" {schedule_text(j.schedule, 'en', settings.timezone)} (cron {j.schedule})\n"
                   f"    下次运行 / next run: {local_time(j.next_run, settings.timezone) or '—'}\n"
                   f"    上次运行 / last run: {last_text}")


@jobs.command("history")
@click.option("--job", default=None, help="只看这个任务 / only this job")
@click.option("--limit", default=30, show_default=True, help="最多显示条数 / at most this many runs")
@with_database()
def jobs_history(db: Db, job: str | None, limit: int) -> None:
    """运行记录 / recorded runs, newest first."""
    from ..scheduling.engine import history

    rows = db.run(lambda conn: history(conn, job, limit))
    for r in rows:
        click.echo(run_text(r, db.settings.timezone))


def run_text(r, timezone: str) -> str:
    """One recorded run in words, both languages, times in the office's zone: the same words as the jobs page."""
    from ..labels import both, local_time, values_text

    took = f"{(r.finished_at - r.started_at).total_seconds():.1f}s" if r.finished_at else "…"
    lines = [f"#{r.id} {both('job', r.job)}: {both('run_status', r.status)}（{both('trigger', r.trigger)}）",
             f"    时段 / slot: {local_time(r.scheduled_for, timezone)}"
             + (f"（合并 {r.coalesced} 个时段 / {r.coalesced} slots coalesced）" if r.coalesced > 1 else ""),
             f"    开始 / started: {local_time(r.started_at, timezone, seconds=True)}，用时 / took {took}"]
    if r.counts:
        lines.append(f"    计数：{values_text('count', r.counts, 'zh')} / counts: {values_text('count', r.counts, 'en')}")
    if r.error:
        lines.append(f"    错误 / error: {r.error}")
    return "\n".join(lines)


@jobs.command("run")
@click.argument("name")
def jobs_run(name: str) -> None:
    """立即运行一次 / run a job now.

    任务 NAME 记录为手动运行；失败时退出码为 1。/ The job NAME, recorded as manual; exit 1 if it fails."""
    from ..scheduling.jobs import JOBS

    if name not in JOBS:
        from ..labels import label
        named = {j: (label("job", j), label("job", j, "en")) for j in JOBS}
        raise CliError(f"没有任务 {name}；可用：{'、'.join(f'{j}（{zh}）' for j, (zh, _) in named.items())}",
                       f"no such job {name}; jobs: {', '.join(f'{j} ({en})' for j, (_, en) in named.items())}")
    out = _run_job(name)
    click.echo(run_text(out, current_settings().timezone))
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
