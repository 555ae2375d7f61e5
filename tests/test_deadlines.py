"""Decision deadlines in working days on the official calendar: holidays and weekend make-up working days
(调休) from the chinesecalendar package or a holiday file, the longer deadline for large contracts, a restart
on resubmission after a return for correction, the overdue list (API, page, CSV) and the daily notice."""

import re
import datetime as dt
import json

import pytest

from conftest import filing_body, new_ref, party_code
from techreg.config import load_settings
from techreg.registry.deadlines import deadlines
from techreg.registry.users import CurrentUser
from techreg.registry.workdays import CalendarFileError, work_calendar
from techreg.scheduling.jobs import JOBS

D = dt.date.fromisoformat

# Counted by hand on the State Council's 2026 holiday notice (国办发明电〔2025〕7号): days off 1/1–1/3, 2/15–2/23,
# 4/4–4/6, 5/1–5/5, 6/19–6/21, 9/25–9/27, 10/1–10/7; weekend days worked 1/4 (Sun), 2/14 (Sat), 2/28 (Sat),
# 5/9 (Sat), 9/20 (Sun), 10/10 (Sat). The first day is not counted (民法典 Art. 201).
# (application day, working days, due date, what the count goes through)
TABLE_2026 = [
    ("2026-01-30", 15, "2026-02-27", "Sat 2/14 worked, Spring Festival 2/16–2/23 off (Mon–Fri only: 2/20)"),
    ("2026-01-30", 30, "2026-03-19", "as above, and Sat 2/28 worked"),
    ("2026-02-14", 15, "2026-03-13", "applied on the make-up Saturday"),
    ("2026-02-16", 15, "2026-03-13", "applied during the Spring Festival holiday"),
    ("2026-03-31", 15, "2026-04-22", "Qingming: Mon 4/6 off"),
    ("2026-04-24", 15, "2026-05-19", "Labour Day 5/1–5/5 off, Sat 5/9 worked"),
    ("2026-04-24", 30, "2026-06-09", "as above, for a large contract"),
    ("2026-06-12", 15, "2026-07-06", "Dragon Boat: Fri 6/19 off"),
    ("2026-07-01", 15, "2026-07-22", "no holiday: three weeks"),
    ("2026-09-15", 15, "2026-10-12", "Sun 9/20 worked, Mid-autumn Fri 9/25 off, National Day 10/1–10/7 off, Sat 10/10 worked"),
    ("2026-09-15", 30, "2026-11-02", "as above, for a large contract"),
    ("2025-12-26", 15, "2026-01-19", "New Year 1/1–1/2 off, Sun 1/4 worked"),
]


def test_the_calendar_knows_2026_holidays_and_make_up_days(settings):
    calendar = work_calendar(settings)
    assert calendar.known(D("2026-06-01"))
    for day in ("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"):
        assert D(day).weekday() >= 5 and calendar.is_workday(D(day)), day
    for day in ("2026-01-01", "2026-02-16", "2026-02-23", "2026-04-06", "2026-05-05", "2026-06-19", "2026-09-25",
                "2026-10-07"):
        assert D(day).weekday() < 5 and not calendar.is_workday(D(day)), day


@pytest.mark.parametrize("start,days,due,_why", TABLE_2026)
def test_due_dates_equal_the_hand_computed_2026_table(settings, start, days, due, _why):
    assert work_calendar(settings).add_workdays(D(start), days) == (D(due), False)


def _parties(point: str) -> dict:
    """Parties of this office's own: the many dates filed here must not look like parts of another test's deal."""
    n = int(point) * 10
    return {"seller": {"name": "期限测试卖方有限公司", "credit_code": party_code(n + 1), "region": "310101"},
            "buyer": {"name": "期限测试买方有限公司", "credit_code": party_code(n + 2), "region": "310104"}}


async def _file(app, office, **over) -> str:
    ref = new_ref("DL")
    body = filing_body(ref, office.point, **{**_parties(office.point), **over})
    r = await app.post("/api/filings", json=body, headers=office.h("registrar"))
    assert r.status_code == 201, r.text
    return ref


def _dates(start: str) -> dict:
    return {"signed_on": start, "performance_start": start, "performance_end": "2026-12-31", "filed_on": start}


# Applied before the 2026 办法 (rulebook.json: in force from 2026-01-01): the 2001 rules' 30 calendar days, no
# large contracts; 2025-12-26 + 30 days is Sun 2026-01-25, a day off, so the last day is Mon 1/26 (民法典 Art. 203).
UNDER_THE_2001_RULES = {"2025-12-26": ("2026-01-26", "national-2001-规则+shanghai-2025-31号")}


async def test_the_registry_gives_the_2026_table_and_the_longer_deadline_to_large_contracts(app, office):
    refs = {}
    for start, days, due, _ in TABLE_2026:
        large = {"amount": "6000000.00", "tech_amount": "5000000.00"} if days == 30 else {}
        refs[await _file(app, office, **_dates(start), **large)] = (start, days, due)
    r = await app.get("/api/deadlines", headers=office.h("registrar"))
    assert r.status_code == 200, r.text
    got = {d["ref"]: d for d in r.json()["items"]}
    assert set(got) == set(refs)
    for ref, (start, days, due) in refs.items():
        d = got[ref]
        if start in UNDER_THE_2001_RULES:       # accepted before the switch: the old rules' deadline
            old_due, rules = UNDER_THE_2001_RULES[start]
            assert (d["days"], d["day_kind"], d["working_days"], d["due_on"], d["large"], d["rules_version"]) == \
                (30, "calendar", None, old_due, False, rules), d
            continue
        assert (d["working_days"], d["due_on"], d["large"]) == (days, due, days == 30), d
        assert d["day_kind"] == "working" and d["rules_version"].startswith("national-2026-办法"), d
        assert not d["restarted"] and d["clock_from"] == d["filed_on"]
    # all of them long past (the suite runs in 2026 or later): every one is overdue
    assert {d["state"] for d in got.values()} == {"overdue"} and all(d["working_days_left"] < 0 for d in got.values())
    assert r.json()["counts"]["overdue"] == len(refs)


async def test_resubmission_restarts_the_count(app, office, settings):
    ref = await _file(app, office, **_dates("2026-01-30"))
    first = (await app.get("/api/deadlines", headers=office.h("registrar"))).json()
    assert {d["ref"]: d["due_on"] for d in first["items"]}[ref] == "2026-02-27"
    await app.post(f"/api/filings/{ref}/return", json={"note": "补正技术交易额"}, headers=office.h("registrar"))
    returned = (await app.get("/api/deadlines", headers=office.h("registrar"))).json()
    assert ref not in {d["ref"] for d in returned["items"]}            # the clock stops while it is returned
    r = await app.post(f"/api/filings/{ref}/resubmit", headers=office.h("registrar"))
    assert r.status_code == 200
    again = {d["ref"]: d for d in (await app.get("/api/deadlines", headers=office.h("registrar"))).json()["items"]}
    d = again[ref]
    today = D(returned["today"])
    assert d["restarted"] and d["clock_from"] == today.isoformat() and d["clock_from"] != d["filed_on"]
    expected, _ = work_calendar(settings).add_workdays(today, 15)
    assert d["due_on"] == expected.isoformat() and d["working_days"] == 15
    assert d["state"] == "pending" and d["working_days_left"] == 15
    app.cookies.set("techreg_session", office.tokens["registrar"])
    try:
        page_ = await app.get(f"/filings/{ref}")
    finally:
        app.cookies.clear()
    assert "补正后重新起算" in page_.text and expected.isoformat() in page_.text


async def test_overdue_list_in_the_api_the_page_and_csv(app, office, other_office):
    late = await _file(app, office, **_dates("2026-01-30"))
    fresh = await _file(app, office)
    # a filing applied for today is far from its deadline
    today = D((await app.get("/api/deadlines", headers=office.h("registrar"))).json()["today"])
    fresh_today = await _file(app, office, **{**_dates("2026-01-30"), "filed_on": today.isoformat()})
    r = await app.get("/api/deadlines", params={"due": "overdue"}, headers=office.h("registrar"))
    overdue = {d["ref"] for d in r.json()["items"]}
    assert late in overdue and fresh_today not in overdue
    assert all(d["state"] == "overdue" for d in r.json()["items"])
    mine = {d["ref"]: d for d in (await app.get("/api/deadlines", headers=office.h("registrar"))).json()["items"]}
    assert mine[fresh_today]["state"] == "pending" and mine[fresh_today]["working_days_left"] >= 10
    assert fresh in mine
    # another point's registrar sees none of them; a supervisor sees them, by point; inspectors none
    theirs = (await app.get("/api/deadlines", headers=other_office.h("registrar"))).json()["items"]
    assert not {late, fresh, fresh_today} & {d["ref"] for d in theirs}
    sup = await app.get("/api/deadlines", params={"due": "overdue", "point": office.point},
                        headers=office.h("supervisor"))
    assert late in {d["ref"] for d in sup.json()["items"]} and {d["point"] for d in sup.json()["items"]} == {office.point}
    assert (await app.get("/api/deadlines", headers=office.h("inspector"))).status_code == 403
    r = await app.get("/api/deadlines", params={"due": "late"}, headers=office.h("registrar"))
    assert r.status_code == 400 and "overdue" in r.text
    app.cookies.set("techreg_session", office.tokens["registrar"])
    try:
        page_ = await app.get("/deadlines", params={"due": "overdue"})
        assert page_.status_code == 200 and late in page_.text and fresh_today not in page_.text
        assert "已逾期" in page_.text and "2026-02-27" in page_.text
        # a deadline passed says by how many working days, never as a negative count left
        overdue_by = -mine[late]["working_days_left"]
        assert overdue_by > 0 and f"逾期 {overdue_by}<" in page_.text
        assert not re.search(r'<td class="num[^"]*">-\d', page_.text)
        csv = await app.get("/deadlines", params={"due": "overdue", "format": "csv"})
        lines = csv.content.decode("utf-8-sig").splitlines()
        assert "到期日" in lines[0] and any(late in line and "2026-02-27" in line and "已逾期" in line for line in lines)
        assert not any(fresh_today in line for line in lines)
    finally:
        app.cookies.clear()


async def test_the_daily_job_notices_what_runs_over(app, office, conn, settings, database_url):
    late = await _file(app, office, **_dates("2026-01-30"))
    job = JOBS["deadline_check"]
    assert job.setting == "schedule_deadline_check" and settings.schedule_deadline_check
    slot = dt.datetime.now(dt.timezone.utc)
    async with conn.transaction():
        counts = await job.run(conn, settings, slot)
    assert counts["overdue"] >= 1 and counts["notices"] >= 1
    notice = await conn.fetchrow(
        "SELECT n.message, n.about FROM notices n JOIN users u ON u.id = n.user_id"
        " WHERE u.username = $1 AND n.kind = 'deadline'", office.usernames["registrar"])
    assert notice is not None and late in notice["message"] and "已逾期" in notice["message"]
    assert await conn.fetchval(
        "SELECT count(*) FROM notices n JOIN users u ON u.id = n.user_id WHERE u.role = 'supervisor'"
        " AND n.kind = 'deadline' AND n.message LIKE '%' || $1 || '%'", late) >= 1
    async with conn.transaction():                                   # the same day again: one notice each
        await job.run(conn, settings, slot)
    assert await conn.fetchval("SELECT count(*) FROM notices n JOIN users u ON u.id = n.user_id"
                               " WHERE u.username = $1 AND n.kind = 'deadline'", office.usernames["registrar"]) == 1


def _holiday_file(path, **content):
    path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return path


async def test_a_holiday_file_lays_down_a_year_the_package_does_not_know(tmp_path, settings, conn, app, office):
    """Updatable without a code change: a year's notice put in a file is used at once, and read again when it
    changes; without it a year the package lacks is counted Monday to Friday, and marked provisional."""
    plain = work_calendar(settings)
    start = D("2030-09-27")                    # a Friday, in a year chinesecalendar 1.11 does not have
    assert not plain.known(start)
    assert plain.add_workdays(start, 5) == (D("2030-10-04"), True)
    path = _holiday_file(tmp_path / "holidays.json", years=[2030],
                         holidays={f"2030-10-0{d}": "国庆节" for d in range(1, 8)},
                         workdays={"2030-09-29": "国庆节调休上班", "2030-10-12": "国庆节调休上班"})
    with_file = load_settings(data_dir=settings.data_dir, database_url=settings.database_url,
                              audit_key=settings.audit_key, holiday_calendar=path)
    calendar = work_calendar(with_file)
    assert calendar.known(start) and calendar.is_workday(D("2030-09-29")) and not calendar.is_workday(D("2030-10-01"))
    # Sun 9/29 worked (1), 9/30 (2), 10/1–10/7 off, 10/8 (3), 10/9 (4), 10/10 (5)
    assert calendar.add_workdays(start, 5) == (D("2030-10-10"), False)
    assert calendar.add_workdays(D("2026-01-30"), 15) == (D("2026-02-27"), False)      # the package's years stay
    # the office publishes a correction: the file is read again, no restart
    _holiday_file(path, years=[2030], holidays={f"2030-10-0{d}": "国庆节" for d in range(1, 9)},
                  workdays={"2030-09-29": "国庆节调休上班"})
    assert work_calendar(with_file).add_workdays(start, 5) == (D("2030-10-11"), False)
    # the registry uses it: a filing counted through the file's year
    ref = new_ref("DL")
    body = filing_body(ref, office.point, **_dates("2026-01-30"), **_parties(office.point))
    assert (await app.post("/api/filings", json=body, headers=office.h("registrar"))).status_code == 201
    registrar = CurrentUser(id=0, username=office.usernames["registrar"], display_name="r", role="registrar",
                            point_code=office.point, qualification_expires=None)
    on_file = {d.ref: d for d in (await deadlines(conn, with_file, registrar, on=D("2030-10-09"))).items}
    assert on_file[ref].due_on == D("2026-02-27") and on_file[ref].state == "overdue"
    assert not on_file[ref].provisional
    without = {d.ref: d for d in (await deadlines(conn, settings, registrar, on=D("2030-10-09"))).items}
    assert without[ref].provisional and without[ref].working_days_left < on_file[ref].working_days_left
    # a broken file is said plainly, naming the file
    _holiday_file(path, years=[2030], holidays={"2031-01-01": "元旦"})
    with pytest.raises(CalendarFileError, match="holidays.json"):
        work_calendar(with_file)
