"""Scoring a filing when it is submitted or corrected, so the registrar sees its flags before deciding.

The registry notifies a channel when it writes a filing (registry/changes.py, delivered on commit). Each
service process listens on a connection of its own, outside the request pool, and runs an incremental
scan (the changed filings and their neighbourhood) shortly after. Notifications that arrive while one is
waiting or running make one more scan, not one each; scans take the registry-wide scan lock, so a prompt
scan and the scheduled ones never overlap, and with several replicas the later ones find little to do.
"""

import asyncio
import logging

import asyncpg

from ..config import Settings
from ..db.pool import connect
from ..registry.changes import CHANNEL
from .scan import run_scan

log = logging.getLogger("techreg.detection.prompt")
SETTLE_SECONDS = 0.3      # let a burst of submissions (a form, an import batch) land before scoring
RETRY_SECONDS = 5.0


class PromptScanner:
    def __init__(self, pool: asyncpg.Pool, settings: Settings, database_url: str):
        self.pool, self.settings, self.database_url = pool, settings, database_url
        self.wanted = asyncio.Event()
        self.listener: asyncpg.Connection | None = None
        self.task: asyncio.Task | None = None
        self.scans = 0                      # scans run, for the record and the tests

    async def start(self) -> None:
        self.listener = await connect(self.database_url)
        await self.listener.add_listener(CHANNEL, lambda *_: self.wanted.set())
        self.wanted.set()                   # filings written while no one listened
        self.task = asyncio.create_task(self._run(), name="prompt-scan")

    @property
    def running(self) -> bool:
        """Listening and scoring: a filing written now is scored within seconds."""
        return self.task is not None and not self.task.done()

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass
        if self.listener:
            await self.listener.close()

    async def _run(self) -> None:
        while True:
            await self.wanted.wait()
            await asyncio.sleep(SETTLE_SECONDS)
            self.wanted.clear()
            try:
                async with self.pool.acquire() as conn:
                    report = await run_scan(conn, self.settings, full=False)
                self.scans += 1
                log.info("prompt scan #%d scored %d filing(s)", report.run_id, report.filings_scored)
            except asyncio.CancelledError:
                raise
            except Exception:               # the scheduled scan catches up; try again a little later
                log.exception("prompt scan failed")
                await asyncio.sleep(RETRY_SECONDS)
                self.wanted.set()
