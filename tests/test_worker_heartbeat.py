"""`techreg worker`'s heartbeat: touched only after the database answered (the container health check reads it)."""

import os

import pytest

from techreg.config import load_settings
from techreg.db.pool import create_pool
from techreg.scheduling.worker import heartbeat


async def test_heartbeat_is_touched_only_when_the_database_answers(empty_database, tmp_path):
    path = tmp_path / "worker.heartbeat"
    pool = await create_pool(empty_database, load_settings(database_url=empty_database))
    await heartbeat(pool, path)
    assert path.exists()
    os.utime(path, (0, 0))                                   # an old beat
    await heartbeat(pool, path)
    assert path.stat().st_mtime > 0
    os.utime(path, (0, 0))
    await pool.close()
    with pytest.raises(Exception):                           # no database: no beat
        await heartbeat(pool, path)
    assert path.stat().st_mtime == 0
