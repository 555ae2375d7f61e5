"""No test may depend on today's date: the date-sensitive tests run again with the clock a year ahead.

libfaketime (Debian's `faketime`, installed by the README's test command) moves the clock of the
test process and of everything it starts, the embedded PostgreSQL included, so the engine's clock and
the server's now() move together, as they do in production a year from now.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The tests that compare a date with today (or a moment with now()) and read the outcome: each is named, with
# what it compares. The rest of their modules (and the route table of test_access_control, whose outcome is only
# 401/403/404 or not; the Excel and CLI forms of the enforcement list, which print the figures the API test
# below checks; pages that only show these dates) are left to the whole-suite run a year ahead
# (README, Tests: `faketime -f +365d python -m pytest`).
DATE_SENSITIVE = [
    # qualification expiry (today - 1 day), registration numbers and their year (today's), gap-free per year;
    # a revocation names a ground of the rules in force today
    "tests/test_workflow.py::test_register_issues_a_16_digit_number",
    "tests/test_workflow.py::test_expired_registrar_is_refused_with_the_reason",
    "tests/test_workflow.py::test_revoke_is_for_supervisors_and_cancel_for_the_point",
    "tests/test_workflow.py::test_concurrent_registrations_get_distinct_gap_free_numbers",
    "tests/test_workflow.py::test_rolled_back_registration_does_not_burn_a_number",
    # a session's end against the database's now()
    "tests/test_login_limits.py::test_a_session_lasts_its_hours_on_the_database_clock_and_then_ends",
    # scheduled slots, coalescing and staleness (the engine's clock against the slots it wrote, the database's
    # now() against started_at); the qualification job against today; a job run now and the next runs
    "tests/test_jobs.py::test_two_workers_on_the_same_slot_run_it_once",
    "tests/test_jobs.py::test_downtime_across_three_slots_gives_one_coalesced_run",
    "tests/test_jobs.py::test_a_killed_run_is_marked_failed_and_the_next_slot_runs",
    "tests/test_jobs.py::test_staleness_is_judged_on_the_database_clock_not_the_engines",
    "tests/test_jobs.py::test_qualification_job_warns_and_blocks",
    "tests/test_jobs.py::test_supervisor_runs_a_job_now_and_sees_it",
    # decision deadlines against today: overdue, restarted from today, the daily job's notices
    "tests/test_deadlines.py::test_the_registry_gives_the_2026_table_and_the_longer_deadline_to_large_contracts",
    "tests/test_deadlines.py::test_resubmission_restarts_the_count",
    "tests/test_deadlines.py::test_overdue_list_in_the_api_the_page_and_csv",
    "tests/test_deadlines.py::test_the_daily_job_notices_what_runs_over",
    # a contract signed or applied for after today is refused (API, form, importer); today itself is not
    "tests/test_bad_dates.py::test_a_contract_signed_or_applied_for_after_today_is_refused_by_api_form_and_importer",
    # an income check may not be dated after today
    "tests/test_approved_amount.py::test_income_check_against_a_registered_contract",
    # orders issued today, due in working days from today; late answers, overdue and escalated orders
    "tests/test_orders.py::test_a_finding_issues_an_order_due_in_working_days_on_the_filing_trail",
    "tests/test_orders.py::test_the_party_response_is_recorded_with_its_documents",
    "tests/test_orders.py::test_the_daily_job_escalates_an_overdue_order_once",
    "tests/test_orders.py::test_the_enforcement_list_counts_and_amounts_overall_and_per_campaign",
    # times in words: job runs and the next run (from now) the same in the pages, exports, CLI and API
    "tests/test_wording.py::test_pages_exports_cli_and_api_say_the_same_words_and_times",
]


NODE = "tests/test_clock_ahead.py::test_date_sensitive_tests_pass_a_year_from_now"
ON_A_MOVED_CLOCK = os.environ.get("TECHREG_CLOCK_AHEAD") == "1" or bool(os.environ.get("FAKETIME"))
# The run a year ahead takes ~10 s of CPU, which the suite's two workers would otherwise wait for. It starts as soon
# as the suite is collected (conftest: `pytest_collection_finish`) and runs beside the rest of the suite; the test
# below waits for its outcome. One process of the suite starts it (the first to claim its folder), whichever
# worker runs the test reads it.
_started: dict[str, subprocess.Popen] = {}


_RUN_ID = pytest.StashKey[str]()


def run_folder(config) -> Path:
    """The folder the run a year ahead writes to: one per suite run, shared by its workers (xdist's run id)."""
    run_id = getattr(config, "workerinput", {}).get("testrunuid") or config.stash.setdefault(_RUN_ID, uuid.uuid4().hex)
    return Path(tempfile.gettempdir()) / f"techreg-year-ahead-{run_id}"


def start_if_selected(session) -> None:
    """Start the date-sensitive tests on a clock a year ahead, in the background, if this session runs the test
    that reads their outcome (and no other process of the session has started them)."""
    config = session.config
    if ON_A_MOVED_CLOCK or config.option.collectonly or not shutil.which("faketime"):
        return                                  # (the test says that faketime is missing)
    if not any(item.nodeid == NODE for item in session.items):
        return
    folder = run_folder(config)
    try:
        folder.mkdir()
    except FileExistsError:
        return                                  # another worker started it
    env = dict(os.environ, TECHREG_CLOCK_AHEAD="1", TECHREG_SCREENSHOTS=str(folder / "screenshots"))
    env.pop("TECHREG_DATABASE_URL", None)       # its own embedded server, on the moved clock too
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_XDIST_TESTRUNUID", None)
    # the exit code is written last, through a rename, so that a reader never sees half of it
    script = '"$@" > "$OUT/stdout" 2> "$OUT/stderr"; echo $? > "$OUT/rc.tmp"; mv "$OUT/rc.tmp" "$OUT/rc"'
    _started[str(folder)] = subprocess.Popen(
        ["bash", "-c", script, "year-ahead", "faketime", "-f", "+365d", sys.executable, "-m", "pytest", "-q",
         "-p", "no:cacheprovider", "-p", "no:xdist", *DATE_SENSITIVE],
        cwd=ROOT, env=dict(env, OUT=str(folder)), stdin=subprocess.DEVNULL, start_new_session=True)


def finish(session, exitstatus) -> None:
    """The process that started the run waits for it at the end (the test on the other worker may still read it),
    or stops it if the suite was interrupted; then removes its folder."""
    folder = run_folder(session.config)
    process = _started.pop(str(folder), None)
    if process is None:
        return
    wait = WAIT_AT_MOST
    if exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR) or session.shouldfail \
            or session.shouldstop:            # interrupted, or stopped at a first failure (-x): nobody will read it
        # as Ctrl-C would: its pytest stops and its fixtures stop the PostgreSQL they started
        os.killpg(process.pid, signal.SIGINT)
        wait = 30
    try:
        process.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    shutil.rmtree(folder, ignore_errors=True)


WAIT_AT_MOST = 540


@pytest.mark.skipif(ON_A_MOVED_CLOCK, reason="the whole run is already on a moved clock")
def test_date_sensitive_tests_pass_a_year_from_now(request):
    faketime = shutil.which("faketime")
    assert faketime, "faketime is missing: apt-get install -y faketime (the README's test command does)"
    year = subprocess.run([faketime, "-f", "+365d", sys.executable, "-c", "import datetime; print(datetime.date.today().year)"],
                          capture_output=True, text=True, check=True).stdout.strip()
    import datetime as dt
    assert int(year) == (dt.date.today() + dt.timedelta(days=365)).year, "faketime did not move the clock"
    folder = run_folder(request.config)
    deadline = time.monotonic() + WAIT_AT_MOST
    while not (folder / "rc").exists():
        assert folder.is_dir(), f"the run a year ahead was not started ({folder})"
        assert time.monotonic() < deadline, f"the run a year ahead took over {WAIT_AT_MOST} s"
        time.sleep(0.2)
    code = int((folder / "rc").read_text())
    stdout, stderr = (folder / "stdout").read_text(), (folder / "stderr").read_text()
    assert code == 0, stdout[-4000:] + stderr[-2000:]
    # every one of them ran and passed (none renamed away, skipped or deselected)
    assert f"{len(DATE_SENSITIVE)} passed" in stdout, stdout[-4000:]
