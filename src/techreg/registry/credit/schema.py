"""Credit records as msgspec structs: the interchange format (docs/credit-format.md) and API bodies."""

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

RecordType = Literal["tax_violation", "safety_accident", "dishonest_debtor", "environmental_violation",
                     "research_misconduct", "funds_not_returned", "fraudulent_registration", "other_red_line"]
Origin = Literal["import", "registry"]
Side = Literal["seller", "buyer"]
# what a batch check recommends for a filing with a hit (labels: credit_recommendation)
Recommendation = Literal["refuse", "review_revocation", "override_on_record", "no_action"]


class CreditRecordV1(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """One red-line record of credit format v1 (a JSONL line, a CSV row)."""
    credit_code: Annotated[str, Meta(description="统一社会信用代码 (GB 32100-2015)", examples=["91310101MA1FPX1234"])]
    party_name: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    record_type: RecordType
    source: Annotated[str, Meta(min_length=1, max_length=200, description="the list it comes from",
                                examples=["国家税务总局上海市税务局"])]
    source_ref: Annotated[str, Meta(min_length=1, max_length=100,
                                    description="the source's own number for the record (文书号、案号)")] | None = None
    valid_from: dt.date
    valid_to: Annotated[dt.date | None, Meta(description="last day in force; none: until lifted")] = None
    description: Annotated[str, Meta(max_length=2000)] = ""


class ImportIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Records to import through the API: objects of credit format v1, item n reported as line n."""
    records: Annotated[list[dict], Meta(min_length=1, max_length=50_000)]
    source_name: Annotated[str, Meta(min_length=1, max_length=200, description="recorded as where they came from")
                           ] = "api"


class LineError(msgspec.Struct, omit_defaults=True):
    line: int
    field: str
    message: str
    message_en: str
    value: str | int | float | bool | None | msgspec.UnsetType = msgspec.UNSET


class ImportReport(msgspec.Struct, kw_only=True):
    """lines read; records new to the registry; new versions of records it knew (changed); records that changed
    nothing (the same as known: importing a file twice changes nothing); lines a later line of the same file
    restates (the last line about a record is what the file says); lines refused."""
    lines: int = 0
    added: int = 0
    new_versions: int = 0
    unchanged: int = 0
    repeated: int = 0
    rejected: int = 0
    errors: list[LineError] = []


class VersionOut(msgspec.Struct, kw_only=True):
    id: int
    version: int
    credit_code: str
    party_name: str | None
    record_type: str
    valid_from: dt.date
    valid_to: dt.date | None
    description: str
    imported_from: str
    recorded_by: str
    recorded_at: dt.datetime


class RecordOut(msgspec.Struct, kw_only=True):
    """A record as it now stands (its latest version) with every version the registry learnt of, oldest first."""
    id: int
    source: str
    source_ref: str | None
    origin: Origin
    filing_ref: str | None
    current: VersionOut
    valid_on: bool                     # in force on the day asked about
    history: list[VersionOut]


class PartyCreditOut(msgspec.Struct, kw_only=True):
    credit_code: str
    name: str | None
    region: str | None
    filings: int                       # as seller or buyer, every status
    filings_as_seller: int
    filings_as_buyer: int
    checked_on: dt.date
    red_line: bool                     # a record in force on checked_on
    records: list[RecordOut]


class Hit(msgspec.Struct, kw_only=True):
    """A party of a filing with a record in force on the day checked."""
    side: Side
    credit_code: str
    party_name: str | None
    record_id: int
    version_id: int
    record_type: str
    source: str
    source_ref: str | None
    valid_from: dt.date
    valid_to: dt.date | None
    overridden: bool = False


class Override(msgspec.Struct, kw_only=True):
    seq: int
    at: dt.datetime
    actor: str
    records: list[int]
    reasons: str


class SubmissionCheck(msgspec.Struct, kw_only=True):
    checked_on: dt.date
    at: dt.datetime
    hits: list[Hit]


class FilingCreditOut(msgspec.Struct, kw_only=True):
    """A filing's red-line check: what was found at submission, what stands on `checked_on` (today while it
    awaits a decision, the registration day once registered), the supervisor overrides on its trail, and
    whether registering it now would be refused."""
    ref: str
    submission: SubmissionCheck | None
    checked_on: dt.date
    hits: list[Hit]
    overrides: list[Override]
    blocks_registration: bool


class OverrideIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A supervisor's written reasons to register despite the red-line records standing now."""
    reasons: Annotated[str, Meta(min_length=10, max_length=2000,
                                 description="书面理由（至少10个字）/ the written reasons (10 characters or more)")]


class BatchScope(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The filings a batch check covers: filed in `year`, at `point`, sampled by `campaign` (any together;
    none: every filing), checked for records in force on `as_of` (filings awaiting a decision) or on their
    registration day (registered ones)."""
    year: Annotated[int, Meta(ge=1980, le=2200)] | None = None
    point: Annotated[str, Meta(min_length=1, max_length=32)] | None = None
    campaign: Annotated[int, Meta(ge=1, le=2**63 - 1)] | None = None
    as_of: dt.date | None = None


class BatchItem(msgspec.Struct, kw_only=True):
    ref: str
    title: str
    status: str
    point: str
    reg_no: str | None
    registered_on: dt.date | None
    relevant_date: dt.date
    recommendation: Recommendation
    hits: list[Hit]


class BatchReport(msgspec.Struct, kw_only=True):
    """Like the commission's batches: filings checked, units (parties) with red-line records, and what to do
    with each filing concerned."""
    scope: BatchScope
    as_of: dt.date
    filings_checked: int
    filings_hit: int
    units_hit: int
    recommendations: dict[str, int]
    by_record_type: dict[str, int]     # units per record type
    items: list[BatchItem]


class ExportedRecord(msgspec.Struct, kw_only=True):
    """One line of the export for the national credit database (docs/credit-format.md, export v1)."""
    record_id: int
    version: int
    credit_code: str
    party_name: str | None
    record_type: str
    source: str
    source_ref: str | None
    valid_from: dt.date
    valid_to: dt.date | None
    description: str
    filing_ref: str | None
    reg_no: str | None
    reasons: list[str]
    recorded_at: dt.datetime
