"""No test may depend on today's date: the date-sensitive tests run again with the clock a year ahead.

libfaketime (Debian's `faketime`, installed by the README's test command) moves the clock of the
test process and of everything it starts, the embedded PostgreSQL included, so the engine's clock and
the server's now() move together, as they do in production a year from now.
"""

import os
import shutil
import subprocess
import sys
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


@pytest.mark.skipif(os.environ.get("TECHREG_CLOCK_AHEAD") == "1" or bool(os.environ.get("FAKETIME")),
                    reason="the whole run is already on a moved clock")
def test_date_sensitive_tests_pass_a_year_from_now(tmp_path):
    faketime = shutil.which("faketime")
    assert faketime, "faketime is missing: apt-get install -y faketime (the README's test command does)"
    env = dict(os.environ, TECHREG_CLOCK_AHEAD="1", TECHREG_SCREENSHOTS=str(tmp_path))
    env.pop("TECHREG_DATABASE_URL", None)       # its own embedded server, on the moved clock too
    year = subprocess.run([faketime, "-f", "+365d", sys.executable, "-c", "import datetime; print(datetime.date.today().year)"],
                          capture_output=True, text=True, check=True).stdout.strip()
    import datetime as dt
    assert int(year) == (dt.date.today() + dt.timedelta(days=365)).year, "faketime did not move the clock"
    done = subprocess.run([faketime, "-f", "+365d", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *DATE_SENSITIVE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=540)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    # every one of them ran and passed (none renamed away, skipped or deselected)
    assert f"{len(DATE_SENSITIVE)} passed" in done.stdout, done.stdout[-4000:]
