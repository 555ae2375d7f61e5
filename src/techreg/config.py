"""Settings read from TECHREG_* environment variables, with documented defaults.

Figures the domain notes mark as policy (lines, deadlines) live here, never as
constants inside the code that uses them.
"""

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import msgspec


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str | None = None
    # the schema owner's URL for `techreg migrate` on an external server (the service's URL names techreg_app)
    migrate_database_url: str | None = None
    # a streaming replica of the database (pg_basebackup -R): lists, the dashboard, statistics and exports read
    # there (web/replica.py), and scans read their filings there once it has replayed up to the scan's start;
    # writes, registration numbers and the event chain stay on the primary. Unset: everything on the primary
    read_database_url: str | None = None
    # seconds a scan waits for the replica to replay the primary's WAL up to the scan's start; then it reads
    # on the primary instead (a lagging replica never makes a scan miss a filing)
    read_replay_wait: float = 10.0
    # "yes" lets the service run on a privileged connection (superuser, server files): never in production
    allow_privileged_database: str = "no"
    data_dir: Path = Path("./var")
    host: str = "127.0.0.1"
    port: int = 8000
    timezone: str = "Asia/Shanghai"
    # 大额合同 line (2024 draft rule): technology transaction amount, yuan
    large_line: Decimal = Decimal("5000000")
    # provinces delegate contracts below this line to city offices
    delegation_line: Decimal = Decimal("10000000")
    # plausible dates of a filing (signing, performance, application): from this day to this many days after
    # today; anything else is a typing error, and one 9999-12-31 must not stop every scan
    earliest_date: dt.date = dt.date(1980, 1, 1)
    latest_days_ahead: int = 366
    # decision deadline in working days (2024 draft: 15, 30 for large contracts), counted on the official
    # calendar (registry/workdays.py): the package chinesecalendar, with this JSON file's years over it
    decision_days: int = 15
    large_decision_days: int = 30
    holiday_calendar: Path | None = None
    # the rules by effective date (registry/rulebook.py): a catalogue file replacing the one shipped, and the
    # region whose local rules apply over the national ones ("none": national only)
    rulebook: Path | None = None
    local_rules: str = "shanghai"
    # a revoked registration goes to the tax office's list when its certificate stood this many days or more
    # (registry/revocation.py: from the day it was issued the seller may claim the exemptions with it)
    tax_notice_min_days: int = 1
    # a pending filing this many working days or fewer before its deadline is "due soon"
    deadline_warn_days: int = 3
    # review (复核, registry/review.py): a registration at or above large_line, or of a filing carrying an active
    # flag scoring at least this, waits for a second qualified person to confirm it (four eyes)
    review_flag_score: float = 0.8
    # a party asks for review of a refusal or a return within this many working days after the decision
    review_request_days: int = 15
    # a party's request and a supervisor's review are decided within this many working days of their opening
    review_days: int = 15
    # orders issued by a finding (audit/orders.py): working days the party has to rectify (责令整改) or to
    # de-register (责令注销), counted on the same calendar from the day after the finding
    rectification_days: int = 20
    deregistration_days: int = 15
    session_hours: int = 12
    pool_min: int = 2
    pool_max: int = 20
    # how long a request waits for a connection before answering 503
    acquire_timeout: float = 1.0
    statement_timeout_ms: int = 30000
    audit_key: str | None = None
    # registry-wide checkpoints of the event trail (registry/checkpoints.py); default: in the data folder.
    # Keep it where the database server cannot write: append-only storage, or a log shipped elsewhere
    audit_checkpoints: Path | None = None
    login_attempts_per_minute: int = 10
    # requests per source address per minute on the public routes (no log-in)
    anonymous_requests_per_minute: int = 60
    # largest evidence file an inspector may upload (bytes; default 20 MiB)
    evidence_max_bytes: int = 20 * 1024 * 1024
    # score a filing within seconds of its submission or correction (detection/prompt.py), so the registrar
    # sees its flags before deciding; "no" leaves it to the scheduled incremental scan
    score_on_submit: str = "yes"
    # the process that runs full scans (the worker) keeps the registry's detector numbers in memory (~80 bytes a
    # filing) and brings them up to date for each incremental scan instead of reading the changed filings'
    # parties' history again (detection/resident.py); "no" reads it from PostgreSQL every time
    scan_keep_numbers: str = "yes"
    # detectors keep their own settings (TECHREG_<KIND>_<FIELD>): techreg.detection.detectors
    # scheduled jobs (cron expressions in `timezone`); run_jobs: "auto" = in `serve` on the embedded database
    run_jobs: str = "auto"
    schedule_scan_incremental: str = "30 1 * * *"
    schedule_scan_full: str = "0 3 * * sun"
    schedule_campaign_draft: str = "0 6 1 * *"
    schedule_qualification_check: str = "0 7 * * *"
    schedule_retrain_check: str = "0 4 * * mon"
    schedule_audit_checkpoint: str = "10 * * * *"
    schedule_deadline_check: str = "0 8 * * *"
    schedule_order_deadlines: str = "30 8 * * *"
    # `techreg worker` touches this file after each successful database round trip (every 30 s): a container's
    # health check reads its age; unset, no file is written
    worker_heartbeat: Path | None = None
    qualification_warn_days: int = 30
    retrain_min_findings: int = 200
    # template of the monthly campaign draft (the previous month's registrations)
    campaign_sample_size: int = 100
    campaign_certainty_cutoff: float = 0.9
    campaign_control_share: float = 0.1
    campaign_due_days: int = 30
    # credit records (registry/credit): the source named on the records this registry makes when it revokes a
    # registration for fraud, and how many years such a record stands (0: until lifted)
    # the printable certificate (registry/certificate_pdf.py): the CJK TrueType font embedded in it (default: the
    # first known one installed, e.g. fonts-wqy-microhei), and the address its QR code and text send people to
    # for the public check (default: the address the certificate was downloaded from), e.g. https://jsht.example.cn
    certificate_font: Path | None = None
    public_base_url: str | None = None
    credit_source: str = "技术合同登记机构"
    credit_fraud_years: int = 3
    # a filing whose seller or buyer had a red-line credit record on the day applied for: its weight in the filing's
    # risk, one more signal in the noisy-or with the flags (detection/risk.py); 0 leaves credit out of sampling
    risk_weight_credit: float = 0.5


def _cast(annotation):
    """The type to parse an environment string into, from a Settings field's annotation."""
    if annotation is dt.date:
        return dt.date.fromisoformat
    for kind in (int, float, Decimal, Path):
        if annotation is kind or kind in getattr(annotation, "__args__", ()):
            return kind
    return str


_ENV_FIELDS = {f.name: _cast(f.type) for f in msgspec.structs.fields(Settings)}


class SettingsError(ValueError):
    pass


def _from_file(variable: str, path: str) -> str:
    """A setting kept in a file (a mounted secret): its text without the trailing newline."""
    try:
        return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise SettingsError(f"{variable}_FILE={path}: 无法读取 / cannot be read ({exc.strerror})") from None


def load_settings(**overrides) -> Settings:
    """Each setting from TECHREG_<NAME>, or from the file TECHREG_<NAME>_FILE names (docker and compose secrets,
    so a key or a password is never an environment literal); naming both is a mistake worth stopping for."""
    values = {}
    for name, cast in _ENV_FIELDS.items():
        variable = f"TECHREG_{name.upper()}"
        raw, file = os.environ.get(variable), os.environ.get(f"{variable}_FILE")
        if file not in (None, ""):
            if raw not in (None, ""):
                raise SettingsError(f"{variable} 与 {variable}_FILE 只能设置一个 / set {variable} or {variable}_FILE,"
                                    " not both")
            raw = _from_file(variable, file)
        if raw not in (None, ""):
            values[name] = cast(raw)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)


def checkpoint_path(settings: Settings) -> Path:
    return settings.audit_checkpoints or settings.data_dir / "audit-checkpoints.jsonl"


def audit_key(settings: Settings) -> bytes:
    """Key for the event hash chain (HMAC), kept outside the database.

    Without a key in the environment, one is generated once under the data
    folder, so a person with only database access cannot forge a chain.
    """
    if settings.audit_key:
        return settings.audit_key.encode()
    path = settings.data_dir / "audit.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(os.urandom(32).hex())
    return path.read_text().strip().encode()
