from typing import Annotated

import asyncpg
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import Parameter

from ...config import Settings
from ..auth import requires
from ...scheduling.engine import JobInfo, RunOut, history, job_list
from ...scheduling.jobs import JobName




class JobController(Controller):
    path = "/api/jobs"
    tags = ["jobs 定时任务"]
    guards = [requires("supervisor", "admin")]

    @get("/", summary="定时任务与下次运行时间 / jobs with their next run")
    async def jobs(self, request: Request, db: asyncpg.Connection, settings: Settings) -> list[JobInfo]:
        return await job_list(db, settings)

    @get("/runs", summary="运行记录 / job runs, newest first")
    async def runs(self, request: Request, db: asyncpg.Connection, job: JobName | None = None,
                   limit: Annotated[int, Parameter(ge=1, le=500)] = 50) -> list[RunOut]:
        return await history(db, job, limit)

    @post("/{name:str}/run", summary="立即运行 / run a job now (in the background)", status_code=202)
    async def run_now(self, request: Request, name: str, state: State) -> RunOut:
        return await state.engine.start_now(name, request.user.username)
