"""`techreg worker`: APScheduler fires each job at its cron times; the engine makes each slot run once."""

import asyncio
import logging
import signal
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from ..config import Settings
from .engine import Engine

log = logging.getLogger("techreg.jobs")


def start_scheduler(engine: Engine) -> AsyncIOScheduler:
    """Schedule every job on the running event loop; returns the started scheduler."""
    logging.getLogger("apscheduler").setLevel(logging.WARNING)     # our own log says what ran
    scheduler = AsyncIOScheduler(timezone=engine.zone)
    for job in engine.jobs.values():
        # coalesce/misfire handled by the engine against job_runs, which survives restarts
        scheduler.add_job(engine.tick, engine.trigger(job), kwargs={"only": job.name}, id=job.name,
                          coalesce=True, max_instances=1, misfire_grace_time=None)
    scheduler.add_job(engine.recover_stale, IntervalTrigger(seconds=60), id="recover", max_instances=1)
    # after downtime: run what was missed now, once per job, recorded as coalesced
    scheduler.add_job(engine.tick, id="catch-up", max_instances=1)
    scheduler.start()
    for job in scheduler.get_jobs():
        if job.id in engine.jobs:
            log.info("job %-20s next run %s", job.id, job.next_run_time)
    return scheduler


HEARTBEAT_SECONDS = 30


async def heartbeat(pool, path: Path) -> None:
    """Touch `path` once the database has answered: its age tells a health check the worker is alive and
    connected (a wedged loop or a lost database both let it go stale)."""
    await pool.fetchval("SELECT 1")
    path.touch()


async def run_worker(pool_factory, settings: Settings) -> None:
    pool = await pool_factory()
    engine = Engine(pool, settings)
    scheduler = start_scheduler(engine)
    if settings.worker_heartbeat:
        await heartbeat(pool, settings.worker_heartbeat)
        scheduler.add_job(heartbeat, IntervalTrigger(seconds=HEARTBEAT_SECONDS), args=(pool, settings.worker_heartbeat),
                          id="heartbeat", max_instances=1)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        await pool.close()
