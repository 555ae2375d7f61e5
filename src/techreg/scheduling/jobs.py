"""The jobs: what each does, under which schedule setting. Each takes one connection, already inside
the run's transaction, and returns counts for the record."""

import asyncio
import datetime as dt
import importlib.util
import os
import secrets
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

import asyncpg

from ..config import Settings
from ..labels import pair


@dataclass(frozen=True)
class Job:
    name: str                          # its words: techreg.labels, "job"
    setting: str                       # the Settings field holding its cron expression
    run: Callable[[asyncpg.Connection, Settings, dt.datetime], Awaitable[dict]]
    isolation: str = "read_committed"    # scans read one consistent snapshot


async def _scan(conn, settings, full: bool) -> dict:
    """A scan reads its filings on the read replica when there is one (db/replica.py), writes here."""
    from ..db.replica import replica_connection
    from ..detection.scan import run_scan
    async with replica_connection(settings) as replica:
        report = await run_scan(conn, settings, full=full, replica=replica)
    return {"scan_run": report.run_id, "filings_scored": report.filings_scored, "flags_active": report.flags_active,
            "read_from": report.read_from}


async def scan_incremental(conn, settings, slot) -> dict:
    return await _scan(conn, settings, full=False)


async def scan_full(conn, settings, slot) -> dict:
    return await _scan(conn, settings, full=True)


async def campaign_draft(conn, settings, slot) -> dict:
    """Last month's registrations as a draft campaign from the template; a supervisor confirms it."""
    from ..audit.schema import CampaignIn
    from ..audit.service import create_campaign
    from ..registry.users import SYSTEM

    local = slot.astimezone(_zone(settings)).date()
    month_end = local.replace(day=1) - dt.timedelta(days=1)
    body = CampaignIn(name=f"{month_end.year}年{month_end.month}月例行抽查",
                      registered_from=month_end.replace(day=1), registered_to=month_end,
                      sample_size=settings.campaign_sample_size, certainty_cutoff=settings.campaign_certainty_cutoff,
                      control_share=settings.campaign_control_share, due_days=settings.campaign_due_days,
                      seed=f"{month_end:%Y-%m}-{secrets.token_hex(8)}", draft=True)
    campaign = await create_campaign(conn, SYSTEM, body, settings)
    return {"campaign": campaign.id, "status": campaign.status}


async def qualification_check(conn, settings, slot) -> dict:
    """年审: warn registrars whose qualification ends within the warning window, block the expired."""
    today = slot.astimezone(_zone(settings)).date()
    warn_until = today + dt.timedelta(days=settings.qualification_warn_days)
    warned = await conn.fetch("""
        INSERT INTO notices (user_id, kind, message, about)
        SELECT id, 'qualification_expiring',
               '登记员资格将于 ' || qualification_expires || ' 到期，请及时年审 / qualification expires on '
               || qualification_expires || ': renew it in the annual review', qualification_expires
        FROM users WHERE role = 'registrar' AND active AND qualification_expires BETWEEN $1 AND $2
        ON CONFLICT (user_id, kind, about) DO NOTHING RETURNING user_id""", today, warn_until)
    blocked = await conn.fetch("""
        UPDATE users SET blocked_reason = '资格已于 ' || qualification_expires || ' 过期（未通过年审）/ qualification '
                                          || 'expired on ' || qualification_expires
        WHERE role = 'registrar' AND active AND blocked_reason IS NULL
          AND (qualification_expires IS NULL OR qualification_expires < $1)
        RETURNING id, qualification_expires""", today)
    await conn.executemany(
        "INSERT INTO notices (user_id, kind, message, about) VALUES ($1, 'qualification_blocked', $2, $3)"
        " ON CONFLICT (user_id, kind, about) DO NOTHING",
        [(r["id"], "资格过期，已停止办理登记 / qualification expired: blocked from registering", today) for r in blocked])
    return {"warned": len(warned), "blocked": len(blocked)}


async def retrain_check(conn, settings, slot) -> dict:
    """Enough new findings since the model was trained: train a candidate for a supervisor to promote.

    Training runs as its own process (`python -m ml.train`, installed with the package, the container included)
    so a long fit neither holds the scheduler's event loop nor shares its memory; it reads the registry as the
    service's role and writes the candidate beside the current model. A missing trainer is an error, never a
    quiet no-op."""
    from ..detection.outlier import MODEL_NAME, models_dir

    folder = models_dir()
    meta = folder / f"{MODEL_NAME}.json"
    since = dt.datetime.fromisoformat(__import__("json").loads(meta.read_text())["created"]) if meta.exists() \
        else dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    findings = await conn.fetchval("SELECT count(*) FROM audit_items WHERE status = 'done' AND decided_at > $1", since)
    if findings < settings.retrain_min_findings:
        return {"new_findings": findings, "trained": False}
    if importlib.util.find_spec("ml.train") is None:
        raise RuntimeError(" / ".join(pair("system_reason", "trainer_missing")))
    # the URL travels in the environment, not on a command line every process can read
    environment = {**os.environ, TRAIN_DATABASE_URL: _training_database_url(settings)}
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "ml.train", "--candidate", "--labels-from-findings", "--out", str(folder)],
        env=environment, capture_output=True, text=True, timeout=3600)
    if done.returncode:
        raise RuntimeError(f"training failed: {done.stderr[-500:]}")
    return {"new_findings": findings, "trained": True, "candidate": str(folder / f"{MODEL_NAME}-candidate.skops")}


# read by ml.train when no --database-url is given
TRAIN_DATABASE_URL = "TECHREG_TRAIN_DATABASE_URL"


def _training_database_url(settings: Settings) -> str:
    """The registry the worker reads, as the service's role: the configured URL, or the embedded server's."""
    if settings.database_url:
        return settings.database_url
    from ..db.embedded import EmbeddedPostgres
    from ..db.roles import app_url

    server = EmbeddedPostgres(settings.data_dir)
    return app_url(server.url(), server.app_password_file.read_text().strip())


async def audit_checkpoint(conn, settings, slot) -> dict:
    """Seal the events written since the last checkpoint in the file the operator keeps."""
    from ..config import audit_key, checkpoint_path
    from ..registry import checkpoints

    sealed = await checkpoints.write(conn, audit_key(settings), checkpoint_path(settings))
    return {"checkpoint": sealed.seq, "events": sealed.count} if sealed else {"checkpoint": None, "events": 0}


async def deadline_check(conn, settings, slot) -> dict:
    """Decision deadlines: tell each point's registrars, and the supervisors, which filings run over their
    deadline within TECHREG_DEADLINE_WARN_DAYS working days and which already have (one notice a day each)."""
    from ..registry.deadlines import deadlines
    from ..registry.users import SYSTEM

    today = slot.astimezone(_zone(settings)).date()
    found = await deadlines(conn, settings, SYSTEM, on=today)
    late = [d for d in found.items if d.state in ("due_soon", "overdue")]
    by_point: dict[str, list] = {}
    for d in late:
        by_point.setdefault(d.point, []).append(d)
    notices = []
    for point, items in sorted(by_point.items()):
        message = _deadline_message(items, f"登记点 {point}：", f"point {point}: ")
        for user_id in await conn.fetch(POINT_REGISTRARS, point):
            notices.append((user_id["id"], message, today))
    if late:
        message = _deadline_message(late, "全部登记点：", "all points: ")
        for user_id in await conn.fetch(SUPERVISORS):
            notices.append((user_id["id"], message, today))
    await conn.executemany(INSERT_DEADLINE_NOTICE, notices)
    return {"pending": sum(found.counts.values()), "due_soon": found.counts["due_soon"],
            "overdue": found.counts["overdue"], "notices": len(notices)}


async def order_deadlines(conn, settings, slot) -> dict:
    """Orders issued by findings (audit/orders.py): de-registrations done through the registry fulfil theirs;
    every order past its deadline on the slot's day is escalated to the supervisors, once per deadline."""
    from ..audit.orders import escalate_overdue
    from ..config import audit_key

    return await escalate_overdue(conn, audit_key(settings), slot.astimezone(_zone(settings)).date())


# the active registrars of one point, and the active supervisors: who hears of deadlines running over
POINT_REGISTRARS = "SELECT id FROM users WHERE role = 'registrar' AND active AND point_code = $1 ORDER BY id"
SUPERVISORS = "SELECT id FROM users WHERE role = 'supervisor' AND active ORDER BY id"
INSERT_DEADLINE_NOTICE = """
    INSERT INTO notices (user_id, kind, message, about) VALUES ($1, 'deadline', $2, $3)
    ON CONFLICT (user_id, kind, about) DO UPDATE SET message = excluded.message
"""


def _deadline_message(items: list, zh_prefix: str, en_prefix: str) -> str:
    overdue = [d.ref for d in items if d.state == "overdue"]
    soon = [d.ref for d in items if d.state == "due_soon"]

    def refs(found: list[str]) -> str:
        return "、".join(found[:10]) + (f" 等 {len(found)} 件" if len(found) > 10 else "")

    zh = "；".join(part for part in (f"已逾期 {len(overdue)} 件：{refs(overdue)}" if overdue else "",
                                     f"即将到期 {len(soon)} 件：{refs(soon)}" if soon else "") if part)
    en = "; ".join(part for part in (f"{len(overdue)} overdue" if overdue else "",
                                     f"{len(soon)} due soon" if soon else "") if part)
    return f"办理期限 {zh_prefix}{zh} / decision deadlines, {en_prefix}{en}"


def _zone(settings: Settings):
    from zoneinfo import ZoneInfo
    return ZoneInfo(settings.timezone)


JOBS: dict[str, Job] = {j.name: j for j in [
    Job("scan_incremental", "schedule_scan_incremental", scan_incremental, "repeatable_read"),
    Job("scan_full", "schedule_scan_full", scan_full, "repeatable_read"),
    Job("campaign_draft", "schedule_campaign_draft", campaign_draft),
    Job("qualification_check", "schedule_qualification_check", qualification_check),
    Job("retrain_check", "schedule_retrain_check", retrain_check),
    # the seal reads one snapshot (repeatable read, as checkpoints.write asks): the run's own transaction is it
    Job("audit_checkpoint", "schedule_audit_checkpoint", audit_checkpoint, "repeatable_read"),
    Job("deadline_check", "schedule_deadline_check", deadline_check),
    Job("order_deadlines", "schedule_order_deadlines", order_deadlines),
]}
# the job names as a type: a filter on any other name is refused, naming these
JobName = Literal[tuple(JOBS)]
