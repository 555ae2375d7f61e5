"""What `techreg demo` loads: every anomaly kind with its evidence, a queue per registrar, registered history,
and someone qualified to confirm what a registrar proposes (four eyes), named in the logins it prints."""

import asyncio
import datetime as dt

from click.testing import CliRunner

from techreg.cli import main
from techreg.cli.serve import DEMO_USERS, load_demo
from techreg.config import load_settings
from techreg.db.pool import connect
from techreg.demo import DEMO_REGISTRARS
from techreg.registry import review, service
from techreg.registry.schema import RegisterBody
from techreg.registry.users import user_named

KEY = "demo-test-key"


async def _cli(url: str, *args: str) -> str:
    """A `techreg` command in this process (click's runner, in a thread: the command runs its own event loop)."""
    result = await asyncio.to_thread(CliRunner().invoke, main, list(args), prog_name="techreg",
                                     env={"TECHREG_DATABASE_URL": url, "TECHREG_AUDIT_KEY": KEY})
    assert result.exit_code == 0, result.output
    return result.output


async def test_demo_shows_every_detector_and_gives_registrars_work(empty_database, tmp_path):
    settings = load_settings(database_url=empty_database, audit_key=KEY, data_dir=tmp_path)
    logins = await load_demo(empty_database, settings, 3000)
    conn = await connect(empty_database)
    try:
        kinds = dict(await conn.fetch("SELECT kind, count(*) FROM flags WHERE active GROUP BY kind"))
        assert {"split", "large_software", "backdated", "duplicate"} <= set(kinds), kinds
        # the inspector's side-by-side view needs splits whose parts are named as related filings
        assert await conn.fetchval("SELECT count(*) FROM flags WHERE kind = 'split' AND cardinality(related) > 0") > 0
        queues = dict(await conn.fetch("SELECT registrar, count(*) FROM filings WHERE status = 'submitted'"
                                       " GROUP BY registrar"))
        assert set(queues) == set(DEMO_REGISTRARS.values()) and min(queues.values()) >= 20
        # applied for in the last weeks before the demo was loaded (none after it): an office's queue, some of it
        # within its 15 working days and some overdue — not a list that is all red
        from techreg.registry.rules import office_today
        ages = [(office_today() - day).days for day in
                await conn.fetchval("SELECT array_agg(filed_on) FROM filings WHERE status = 'submitted'")]
        assert min(ages) >= 0 and max(ages) <= 32 and min(ages) < 14 < max(ages), sorted(ages)
        assert await conn.fetchval("SELECT max(filed_on) FROM filings") <= office_today()
        # registered history is complete: a number and a registrar wherever the point has one
        assert not await conn.fetchval("SELECT count(*) FROM filings WHERE status = 'registered' AND reg_no IS NULL")
        assert not await conn.fetchval("SELECT count(*) FROM filings WHERE point_code = any($1) AND registrar IS NULL",
                                       list(DEMO_REGISTRARS))
        await _four_eyes_in_the_demo(conn, settings, logins, empty_database)
    finally:
        await conn.close()


async def _four_eyes_in_the_demo(conn, settings, logins: str, url: str) -> None:
    """registrar1 registers a flagged filing of the queue: it is proposed; the printed logins name who confirms it
    (reviewer, a supervisor with a registrar qualification); the other supervisor reads why not and who may; with
    the qualification withdrawn (`techreg user qualify --clear`) the page says nobody may and how to grant it."""
    [reviewer_login] = [line for line in logins.splitlines() if "reviewer" in line]
    assert "复核确认" in reviewer_login and "fuhe-demo-2026" in reviewer_login
    assert {u[0] for u in DEMO_USERS} >= {"reviewer", "supervisor", "registrar1"}
    registrar1, supervisor, reviewer = [await user_named(conn, name) for name in ("registrar1", "supervisor",
                                                                                   "reviewer")]
    # the most flagged of registrar1's queue (a split, a back-dating …) calls for a second person
    ref = await conn.fetchval(
        "SELECT f.ref FROM filings f JOIN flags g ON g.filing_id = f.id AND g.active WHERE f.status = 'submitted'"
        " AND f.registrar = 'registrar1' ORDER BY g.score DESC, f.ref LIMIT 1")
    tech = await conn.fetchval("SELECT tech_amount FROM filings WHERE ref = $1", ref)
    async with conn.transaction():
        f = await service.register(conn, KEY.encode(), settings, registrar1, ref,
                                   RegisterBody(approved_amount=f"{tech:.2f}"))
    assert f.status == "proposed", f

    [seen] = [r for r in (await review.review_queue(conn, settings, supervisor)).items if r.ref == ref]
    assert not seen.may_decide and "资格" in seen.why_not.message and "qualification" in seen.why_not.message_en
    assert "登记员资格" in seen.who_decides.message and "李娜" in seen.who_decides.message   # by name
    assert [(d.username, d.display_name) for d in seen.deciders] == [("reviewer", "周洁")] and seen.how_to_qualify is None
    [mine] = [r for r in (await review.review_queue(conn, settings, registrar1)).items if r.ref == ref]
    assert not mine.may_decide and "他人" in mine.why_not.message and [d.username for d in mine.deciders] == ["reviewer"]

    # withdrawn: nobody may, and the answer says who grants the qualification and with which command
    await _cli(url, "user", "qualify", "reviewer", "--clear")
    [seen] = [r for r in (await review.review_queue(conn, settings, supervisor)).items if r.ref == ref]
    assert seen.deciders == [] and seen.decider_count == 0
    assert "techreg user qualify" in seen.how_to_qualify.message and "管理员或监督员" in seen.how_to_qualify.message
    assert "PUT /api/users/" in seen.how_to_qualify.message_en
    until = dt.date.today() + dt.timedelta(days=100)
    out = await _cli(url, "user", "qualify", "reviewer", "--until", until.isoformat())
    assert str(until) in out
    listed = next(line for line in (await _cli(url, "user", "list")).splitlines() if line.startswith("reviewer "))
    assert "周洁" in listed and f"资格至 {until}" in listed
    listed = next(line for line in (await _cli(url, "user", "list")).splitlines() if line.startswith("supervisor "))
    assert "无资格" in listed

    # the reviewer confirms: registered, both on the trail
    reviewer = await user_named(conn, "reviewer")
    [theirs] = [r for r in (await review.review_queue(conn, settings, reviewer)).items if r.ref == ref]
    assert theirs.may_decide and theirs.why_not is None
    async with conn.transaction():
        decided = await review.confirm(conn, KEY.encode(), settings, reviewer, ref, review.ConfirmIn(note="演示"))
    assert decided.outcome == "confirmed" and decided.decided_by == "reviewer"
    assert await conn.fetchval("SELECT status FROM filings WHERE ref = $1", ref) == "registered"
