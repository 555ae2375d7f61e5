"""Running scheduled jobs exactly once across replicas.

- A slot is claimed by inserting (job, scheduled_for) into job_runs; the unique key makes the
  first replica win and every other one skip (INSERT … ON CONFLICT DO NOTHING).
- The job then runs in one transaction holding a transaction-level advisory lock on the job's
  name, so two runs of one job never overlap (a later slot waits for the earlier to finish), and
  a killed run's lock dies with its connection.
- A run left 'running' whose lock nobody holds belonged to a worker that died: it is marked
  failed, and the next slot runs normally. "Left" is judged on the database's clock alone
  (started_at and now() are both the server's), so a worker's clock, or a test's, never enters it.
- Slots missed while no worker ran are coalesced into one run for the latest, recorded with the
  number of slots it stands for.

Two clocks, never mixed in one comparison: the engine's clock (a parameter, so tests can move
time) says which slots are due, against slot times it wrote itself; the database's now() stamps
started_at/finished_at and judges staleness.
"""

import asyncio
import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from zoneinfo import ZoneInfo

import asyncpg
import msgspec
from apscheduler.triggers.cron import CronTrigger

from ..config import Settings
from ..labels import pair
from .jobs import JOBS, Job

log = logging.getLogger("techreg.jobs")
LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('techreg-job:' || $1, 0))"
TRY_LOCK_SQL = "SELECT pg_try_advisory_xact_lock(hashtextextended('techreg-job:' || $1, 0))"
# a claim is followed at once by taking the lock; an unlocked 'running' row older than this is stale
STALE_AFTER = dt.timedelta(seconds=30)
# a job waits this long for a connection, then fails loudly instead of hanging its worker
ACQUIRE_TIMEOUT = 30.0
# what an interrupted run's record says (both languages: the API gives it as stored; pages pick theirs)
INTERRUPTED = " / ".join(pair("system_reason", "interrupted"))
# on a database that never ran a job, a slot this recent still runs (a fresh install waits otherwise)
FIRST_RUN_GRACE = dt.timedelta(hours=1)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class RunOut(msgspec.Struct):
    id: int
    job: str
    scheduled_for: dt.datetime
    trigger: str
    coalesced: int
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    worker: str
    requested_by: str | None
    counts: dict
    error: str | None


class JobInfo(msgspec.Struct):
    name: str
    zh: str                  # its words (techreg.labels)
    en: str
    schedule: str
    timezone: str
    next_run: dt.datetime | None
    last_run: RunOut | None


class Engine:
    def __init__(self, pool: asyncpg.Pool, settings: Settings, *, jobs: dict[str, Job] | None = None,
                 clock: Callable[[], dt.datetime] = utc_now, worker: str | None = None,
                 stale_after: dt.timedelta = STALE_AFTER):
        self.pool, self.settings, self.jobs, self.clock = pool, settings, jobs or JOBS, clock
        self.stale_after = stale_after
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.zone = ZoneInfo(settings.timezone)
        self._background: set[asyncio.Task] = set()      # runs started by "run now", until they finish

    def trigger(self, job: Job) -> CronTrigger:
        return CronTrigger.from_crontab(getattr(self.settings, job.setting), timezone=self.zone)

    def slots_between(self, job: Job, after: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
        """Fire times of the job's schedule in (after, until]."""
        trigger, slots = self.trigger(job), []
        previous, current = None, after + dt.timedelta(microseconds=1)
        while True:
            fire = trigger.get_next_fire_time(previous, current)
            if fire is None or fire > until:
                return slots
            slots.append(fire.astimezone(dt.timezone.utc))
            previous, current = fire, fire + dt.timedelta(microseconds=1)

    def next_run(self, job: Job, now: dt.datetime) -> dt.datetime | None:
        fire = self.trigger(job).get_next_fire_time(None, now)
        return fire.astimezone(dt.timezone.utc) if fire else None

    async def recover_stale(self) -> int:
        """Mark failed the runs whose worker died (still 'running', nobody holds the job's lock)."""
        recovered = 0
        async with self.pool.acquire(timeout=ACQUIRE_TIMEOUT) as conn:
            # started_at is the server's now() at the claim: compare it with the server's now()
            stale = await conn.fetch("SELECT id, job FROM job_runs WHERE status = 'running'"
                                     " AND started_at <= now() - $1::interval", self.stale_after)
            for row in stale:
                async with conn.transaction():
                    if await conn.fetchval(TRY_LOCK_SQL, row["job"]):
                        recovered += int(await conn.fetchval(
                            "UPDATE job_runs SET status = 'failed', finished_at = now(), error = $2"
                            " WHERE id = $1 AND status = 'running' RETURNING 1", row["id"],
                            INTERRUPTED) or 0)
        if recovered:
            log.warning("marked %d interrupted run(s) failed", recovered)
        return recovered

    async def due(self, job: Job, now: dt.datetime) -> tuple[dt.datetime, int] | None:
        """The slot to run now and how many slots it stands for, or None."""
        async with self.pool.acquire(timeout=ACQUIRE_TIMEOUT) as conn:
            last = await conn.fetchval("SELECT max(scheduled_for) FROM job_runs WHERE job = $1 AND trigger = 'schedule'",
                                       job.name)
        if last is None:
            slots = self.slots_between(job, now - FIRST_RUN_GRACE, now)
            return (slots[-1], 1) if slots else None
        slots = self.slots_between(job, last, now)
        return (slots[-1], len(slots)) if slots else None

    async def tick(self, now: dt.datetime | None = None, only: str | None = None) -> list[RunOut]:
        """Recover interrupted runs, then run every job whose slot has come (once, coalesced)."""
        now = now or self.clock()
        await self.recover_stale()
        results = []
        for job in self.jobs.values():
            if only and job.name != only:
                continue
            slot = await self.due(job, now)
            if slot:
                out = await self.run(job.name, slot[0], coalesced=slot[1])
                if out:
                    results.append(out)
        return results

    async def claim(self, job: str, slot: dt.datetime, *, coalesced: int = 1, trigger: str = "schedule",
                    requested_by: str | None = None) -> int | None:
        async with self.pool.acquire(timeout=ACQUIRE_TIMEOUT) as conn:
            return await conn.fetchval(
                "INSERT INTO job_runs (job, scheduled_for, trigger, coalesced, worker, requested_by)"
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (job, scheduled_for) DO NOTHING RETURNING id",
                job, slot, trigger, coalesced, self.worker, requested_by)

    async def run(self, job_name: str, slot: dt.datetime, *, coalesced: int = 1, trigger: str = "schedule",
                  requested_by: str | None = None) -> RunOut | None:
        """Claim the slot and run it; None when another replica already has it."""
        run_id = await self.claim(job_name, slot, coalesced=coalesced, trigger=trigger, requested_by=requested_by)
        if run_id is None:
            return None
        return await self.run_claimed(run_id)

    async def run_claimed(self, run_id: int) -> RunOut:
        async with self.pool.acquire(timeout=ACQUIRE_TIMEOUT) as conn:
            row = await conn.fetchrow("SELECT job, scheduled_for FROM job_runs WHERE id = $1", run_id)
            job = self.jobs[row["job"]]
            log.info("job %s (slot %s) starting", job.name, row["scheduled_for"])
            try:
                async with conn.transaction(isolation=job.isolation):
                    await conn.execute(LOCK_SQL, job.name)
                    counts = await job.run(conn, self.settings, row["scheduled_for"])
                    await conn.execute("UPDATE job_runs SET status = 'succeeded', finished_at = now(), counts = $2"
                                       " WHERE id = $1", run_id, counts or {})
            except Exception as exc:            # the job's own work is rolled back; the failure is recorded
                log.exception("job %s failed", job.name)
                await conn.execute("UPDATE job_runs SET status = 'failed', finished_at = now(), error = $2"
                                   " WHERE id = $1", run_id, f"{type(exc).__name__}: {exc}"[:4000])
            return await get_run(conn, run_id)

    async def start_now(self, job_name: str, requested_by: str) -> RunOut:
        """A supervisor's 'run now': claimed at once, executed in the background."""
        if job_name not in self.jobs:
            from ..errors import NotFound
            raise NotFound(f"没有任务 {job_name}", f"no such job: {job_name}")
        run_id = await self.claim(job_name, self.clock(), trigger="manual", requested_by=requested_by)
        # keep a reference until it is done: the event loop holds tasks only weakly
        task = asyncio.get_running_loop().create_task(self.run_claimed(run_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        async with self.pool.acquire(timeout=ACQUIRE_TIMEOUT) as conn:
            return await get_run(conn, run_id)


RUN_COLUMNS = ("id, job, scheduled_for, trigger, coalesced, status, started_at, finished_at, worker, requested_by,"
               " counts, error")


async def get_run(conn: asyncpg.Connection, run_id: int) -> RunOut:
    return msgspec.convert(dict(await conn.fetchrow(f"SELECT {RUN_COLUMNS} FROM job_runs WHERE id = $1", run_id)),
                           RunOut)


async def history(conn: asyncpg.Connection, job: str | None = None, limit: int = 50) -> list[RunOut]:
    rows = await conn.fetch(f"SELECT {RUN_COLUMNS} FROM job_runs WHERE ($1::text IS NULL OR job = $1)"
                            " ORDER BY started_at DESC, id DESC LIMIT $2", job, limit)
    return [msgspec.convert(dict(r), RunOut) for r in rows]


async def job_list(conn: asyncpg.Connection, settings: Settings, now: dt.datetime | None = None) -> list[JobInfo]:
    engine = Engine(None, settings)
    now = now or utc_now()
    last = {r["job"]: msgspec.convert(dict(r), RunOut) for r in await conn.fetch(
        f"SELECT DISTINCT ON (job) {RUN_COLUMNS} FROM job_runs ORDER BY job, started_at DESC, id DESC")}
    zone = ZoneInfo(settings.timezone)
    return [JobInfo(job.name, *pair("job", job.name), getattr(settings, job.setting), settings.timezone,
                    _in_zone(engine.next_run(job, now), zone), last.get(job.name)) for job in JOBS.values()]


def _in_zone(moment: dt.datetime | None, zone: ZoneInfo) -> dt.datetime | None:
    """A moment a person reads (and the API gives) in the office's zone, like every stored one."""
    return moment.astimezone(zone) if moment else None
