"""What the tests and the benchmarks share: `techreg serve` run as an operator runs it, in a process of its
own, as the service role; and the password the service role logs in with on a throw-away server.

Used by tests/conftest.py and bench/_common.py. It starts real processes against a real PostgreSQL; it
never stands in for one.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import asyncpg

from .db import roles

# the service role's password on the throw-away servers of the tests and benchmarks
APP_PASSWORD = "throwaway-app-password"


def app_url(owner_url: str) -> str:
    return roles.app_url(owner_url, APP_PASSWORD)


async def prepare_service_role(conn: asyncpg.Connection) -> None:
    """As the owner, after migrating: the service role logs in with APP_PASSWORD."""
    await roles.set_app_password(conn, APP_PASSWORD)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_service(owner_url: str, data_dir: Path, **env: str):
    """`techreg serve` against the database at `owner_url`, connecting as techreg_app; yields its base URL.
    Stopped with SIGTERM on leaving; raises if it does not stop within 15 s."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "TECHREG_DATABASE_URL": app_url(owner_url), "TECHREG_RUN_JOBS": "no",
                   "TECHREG_DATA_DIR": str(data_dir), **{k: str(v) for k, v in env.items()}}
    log_path = data_dir / f"server-{port}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "techreg.cli", "serve", "--port", str(port)],
                                env=environment, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    urllib.request.urlopen(base + "/health", timeout=1)
                    break
                except OSError:
                    if proc.poll() is not None:
                        raise RuntimeError(log_path.read_text()) from None
                    time.sleep(0.1)
            else:
                raise RuntimeError(log_path.read_text())
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise AssertionError("the server did not stop on SIGTERM within 15 s:\n" + log_path.read_text()[-3000:])
