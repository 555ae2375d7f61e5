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
# the tests that compare dates with today: scheduled slots and staleness, registration years and numbers,
# qualification and session expiry, decision deadlines, income checks against registered contracts, orders'
# deadlines (counted from today), and times in words. Pages that only show those dates (the browser's
# registration, the wording of every page) add no date arithmetic of their own and are left to the whole-suite
# run a year ahead (README, Tests: `faketime -f +365d python -m pytest`).
DATE_SENSITIVE = ["tests/test_jobs.py", "tests/test_workflow.py", "tests/test_access_control.py",
                  "tests/test_wording.py::test_pages_exports_cli_and_api_say_the_same_words_and_times",
                  "tests/test_deadlines.py", "tests/test_approved_amount.py", "tests/test_orders.py"]


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
