"""The catalogue of words (techreg.labels): every code the schema, the types and the registries allow has a
Chinese and an English word; one function gives the word, one writes a moment. No database."""

import datetime as dt
import re

from techreg import labels
from techreg.detection.detectors import DETECTORS


# -- the catalogue names every code the registry stores ---------------------------------------------------

def _check_values(column: str, table: str) -> set[str]:
    """The values a migration's CHECK allows a table's column."""
    from pathlib import Path

    sql = "\n".join(p.read_text() for p in sorted(Path(__file__).resolve().parents[1].glob("migrations/*.sql")))
    body = re.search(rf"CREATE TABLE {table} \((.*?)\n\);", sql, re.S).group(1)
    allowed = re.search(rf"\b{column}\s+text\b.*?CHECK \({column} IN \(([^)]*)\)", body, re.S).group(1)
    return set(re.findall(r"'([^']+)'", allowed))


def test_the_catalogue_names_every_code_in_both_languages():
    from typing import get_args

    from techreg.audit.enforcement import CAMPAIGN_COLUMNS, COLUMNS
    from techreg.audit.orders import STEPS, OrderKind, OrderStatus
    from techreg.audit.schema import CampaignIn, Outcome
    from techreg.detection.features import NAMES
    from techreg.registry.schema import (SUBKINDS_BY_KIND, Domain, FilingV1, Kind, PartyV1, RefusalReason,
                                         RevocationReason, Status, Subkind)
    from techreg.registry.service import TRANSITIONS
    from techreg.registry.users import Role, SystemRole
    from techreg.scheduling.jobs import JOBS

    wanted = {
        "role": set(get_args(Role)) | set(get_args(SystemRole)) | _check_values("role", "users"),
        "status": set(get_args(Status)) | _check_values("status", "filings"),
        "action": set(TRANSITIONS) | {"create", "correct", "import"},
        "event": set(TRANSITIONS) | {"create", "correct", "import"},
        "kind": set(get_args(Kind)) | _check_values("kind", "filings"),
        "domain": set(get_args(Domain)),
        "reason": set(get_args(RefusalReason)) | set(get_args(RevocationReason)),
        "outcome": set(get_args(Outcome)) | _check_values("outcome", "audit_items"),
        "stratum": _check_values("stratum", "audit_items"),
        "item_status": _check_values("status", "audit_items"),
        "campaign_status": _check_values("status", "campaigns"),
        "run_status": _check_values("status", "job_runs") | _check_values("status", "scan_runs"),
        "trigger": _check_values("trigger", "job_runs"),
        "scan_mode": _check_values("mode", "scan_runs"),
        "job": set(JOBS),
        "feature": set(NAMES),
        "campaign_param": set(CampaignIn.__struct_fields__) - {"name", "seed", "draft"},
        "field": set(FilingV1.__struct_fields__) | {f"{side}.{f}" for side in ("seller", "buyer")
                                                    for f in PartyV1.__struct_fields__},
        "flag": {d.KIND for d in DETECTORS},
        "order_kind": set(get_args(OrderKind)) | _check_values("kind", "orders"),
        "order_status": set(get_args(OrderStatus)) | _check_values("status", "orders"),
        "order_step": set(STEPS) | {"issued"},
        "enforcement": set(COLUMNS) | set(CAMPAIGN_COLUMNS),
    }
    wanted["event"] |= {f"order_{step}" for step in wanted["order_step"]}
    wanted["action"] |= {f"order_{step}" for step in wanted["order_step"]}
    for group, codes in wanted.items():
        missing = sorted(c for c in codes if not labels.is_known(group, c))
        assert not missing, (group, missing)
        for code in codes:
            zh, en = labels.pair(group, code)
            assert re.search(r"[\u4e00-\u9fff]", zh), (group, code, zh)
            assert en and en.isascii() and not re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", en), (group, code, en)
    assert set(labels.codes("subkind")) == set(get_args(Subkind))
    for kind, subkinds in SUBKINDS_BY_KIND.items():
        assert set(labels.subkind_choices(kind)) == subkinds == set(labels.subkind_choices(kind, "en"))
    # one function, both languages, the same word wherever it is asked for
    assert labels.label("status", "registered") == "已登记" and labels.label("status", "registered", "en") == "registered"
    assert labels.subkind("license", "patent") == "专利实施许可" and labels.subkind("transfer", "patent") == "专利权转让"
    assert labels.both("role", "inspector") == "检查员 / inspector"
    assert labels.label("flag", "split") == DETECTORS[0].LABEL[0]
    moment = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.timezone.utc)
    assert labels.local_time(moment, "Asia/Shanghai") == "2026-03-01 10:00 UTC+08:00"
    assert labels.local_time(moment, "Europe/Berlin", seconds=True) == "2026-03-01 03:00:00 UTC+01:00"
    # a deadline passed says by how many working days, never a negative count left (pages, CLI)
    assert [labels.days_left(n) for n in (None, 3, -2)] == ["—", "3", "逾期 2"]
    assert [labels.days_left(n, "en") for n in (3, -2)] == ["3", "2 overdue"]
    assert labels.days_left(-2, unit=True) == "逾期 2 个工作日" and labels.days_left(3, "en", unit=True) == "3 working days left"
    assert labels.values_text("count", {"trained": False, "checkpoint": None, "status": "draft"}) == \
        "状态 草稿，已训练 否，检查点 —"


def test_log_lines_are_stamped_in_the_office_zone_with_its_offset():
    """The service's and the worker's log lines: the office's time with its offset, as every time a person reads
    (a line once said 04:49:33 in UTC, unlabelled, beside a slot written 12:49:33+08:00)."""
    import logging

    from techreg.config import load_settings
    from techreg.labels.times import OfficeTimeFormatter
    from techreg.web.app import create_app

    record = logging.makeLogRecord({"msg": "scan done", "created": 1795582173.377, "msecs": 377.0})
    assert OfficeTimeFormatter("%(asctime)s %(message)s", timezone="Asia/Shanghai").format(record) == \
        "2026-11-25 12:49:33,377+08:00 scan done"
    assert OfficeTimeFormatter("%(asctime)s", timezone="Europe/Berlin").format(record) == "2026-11-25 05:49:33,377+01:00"
    app = create_app(load_settings(database_url="postgresql://u@localhost/x", audit_key="k", timezone="Asia/Shanghai"),
                     "postgresql://u@localhost/x")
    standard = app.logging_config.formatters["standard"]
    assert standard["()"] is OfficeTimeFormatter and standard["timezone"] == "Asia/Shanghai"


def test_a_schedule_is_said_as_people_say_it():
    said = {"30 1 * * *": ("每天 01:30", "daily at 01:30"), "0 3 * * sun": ("每周日 03:00", "every Sunday at 03:00"),
            "0 4 * * 1": ("每周一 04:00", "every Monday at 04:00"), "0 6 1 * *": ("每月 1 日 06:00", "monthly on day 1 at 06:00"),
            "10 * * * *": ("每小时第 10 分钟", "hourly at minute 10")}
    for cron, (zh, en) in said.items():
        assert (labels.schedule_text(cron), labels.schedule_text(cron, "en")) == (zh, en)
    assert labels.schedule_text("*/5 9-17 * * mon-fri") == "*/5 9-17 * * mon-fri"      # another shape: as it is
    assert labels.schedule_text("30 1 * * *", "zh", "Asia/Shanghai") == "每天 01:30 UTC+08:00"
