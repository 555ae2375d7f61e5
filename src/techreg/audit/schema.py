"""Request and response bodies of campaigns, queues and findings."""

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from ..detection.store import FlagOut
from ..registry.schema import EventOut, FilingOut, Kind, RevocationGround

# the audit queue's filter: open items, decided ones, or all
QueueStatus = Literal["open", "done", "all"]
Outcome = Literal["cleared", "rectification_ordered", "revoked", "deregistration_ordered", "referred"]
# the words for outcomes, strata and states: techreg.labels


class CampaignIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    registered_from: dt.date
    registered_to: dt.date
    kinds: list[Kind] = []
    points: list[Annotated[str, Meta(min_length=1, max_length=32)]] = []
    software_only: bool = False
    sample_size: Annotated[int, Meta(ge=1, le=100_000)]
    certainty_cutoff: Annotated[float, Meta(ge=0, le=1)] = 0.9
    control_share: Annotated[float, Meta(ge=0, le=0.9)] = 0.1
    seed: Annotated[str, Meta(min_length=1, max_length=200)]
    due_days: Annotated[int, Meta(ge=1, le=365)] = 30
    draft: bool = False

    def __post_init__(self):
        if self.registered_from > self.registered_to:
            raise ValueError("registered_from (登记日期起) must not be after registered_to (登记日期止)")


class ItemOut(msgspec.Struct):
    id: int
    ref: str
    reg_no: str | None
    stratum: str
    inclusion_prob: float
    risk: float
    inspector: str | None
    due_on: dt.date
    status: str
    outcome: str | None


class CampaignRecord(msgspec.Struct, kw_only=True):
    """What a campaign publishes about itself: the method, the seed and the frozen population's digest; its public
    number (公示编号) once published, the address of its public record (a draft has none)."""
    id: int
    public_no: int | None
    name: str
    status: str
    params: dict
    seed: str
    population_size: int | None
    population_digest: str | None
    frozen_at: dt.datetime | None


class CampaignOut(CampaignRecord, kw_only=True):
    created_by: str
    items: list[ItemOut]


class VerifyOut(msgspec.Struct):
    campaign_id: int
    matches: bool
    digest_matches: bool
    sample_matches: bool
    population_size: int
    recomputed_digest: str
    missing: list[str]       # refs the recomputation draws that the record lacks
    unexpected: list[str]    # refs the record has that the recomputation does not draw


class PublicItem(msgspec.Struct):
    reg_no: str | None
    stratum: str
    inclusion_prob: float
    outcome: str | None


class PublicCampaign(CampaignRecord, kw_only=True):
    items: list[PublicItem]


class QueueItem(msgspec.Struct):
    id: int
    campaign: str
    ref: str
    reg_no: str | None
    title: str
    due_on: dt.date
    risk: float
    flag_kinds: list[str]
    status: str
    outcome: str | None


class RelatedFiling(msgspec.Struct):
    ref: str
    reg_no: str | None
    title: str
    seller_name: str
    buyer_name: str
    tech_amount: str
    signed_on: dt.date
    point_code: str
    status: str
    approved_amount: str | None = None      # 核定技术交易额, once registered: what the lines are read against


class HistoryOut(msgspec.Struct):
    at: dt.datetime
    actor: str
    action: str        # assigned | unassigned | conflict_declared | reassigned | evidence_added | evidence_withdrawn | finding
    detail: dict
    inspector: str | None = None     # the user the detail's inspector_id names


class EvidenceOut(msgspec.Struct, kw_only=True):
    """An evidence file on an item: what was uploaded, by whom and when, and whether it was withdrawn."""
    id: int
    file_name: str                   # as uploaded
    media_type: str                  # from the content, not the name
    size_bytes: int
    sha256: str                      # hex, computed by the database from the stored bytes
    note: str
    uploaded_by: str
    uploaded_at: dt.datetime
    withdrawn: bool = False
    withdrawn_by: str | None = None
    withdrawn_at: dt.datetime | None = None
    withdraw_reason: str | None = None
    download: str                    # the API address that returns the file (to those who may see the item)


class FindingOut(msgspec.Struct, kw_only=True):
    """The finding as recorded: outcome, reasons, notes, who decided and when, the evidence it rests on."""
    outcome: Outcome
    reasons: list[str]
    notes: str
    decided_by: str
    decided_at: dt.datetime
    evidence: list[int] = []         # the files (ids in `evidence`) not withdrawn when the finding was recorded
    evidence_names: list[str] = []   # file names typed in before evidence was uploaded (older findings only)
    ground: str | None = None        # a revoking finding's ground (the revocation's, as recorded)


class ItemDetail(msgspec.Struct, kw_only=True):
    item: ItemOut
    campaign: str
    filing: FilingOut
    flags: list[FlagOut]
    related: list[RelatedFiling]
    events: list[EventOut]
    history: list[HistoryOut]
    finding: FindingOut | None = None
    evidence: list[EvidenceOut] = []


class FindingIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    outcome: Outcome
    # for "revoked": the revocation ground (on a filing flagged as a duplicate, duplicate registration unless given)
    ground: RevocationGround | None = None
    reasons: Annotated[list[Annotated[str, Meta(min_length=1, max_length=500)]], Meta(min_length=1, max_length=20)]
    notes: Annotated[str, Meta(max_length=4000)] = ""
    # evidence files are uploaded to the item (POST /api/audit/items/{id}/evidence) before the finding


class WithdrawIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Annotated[str, Meta(min_length=1, max_length=500)]


class ConflictIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Annotated[str, Meta(min_length=1, max_length=500)]
    party: Annotated[str, Meta(min_length=18, max_length=18)] | None = None   # record a standing tie to this party


class DetectorEvaluation(msgspec.Struct):
    detector: str
    audited: int
    confirmed: int
    cleared: int
    confirmation_rate: float | None


class StratumEstimate(msgspec.Struct):
    stratum: str                          # certainty | flagged | unflagged (of the frozen population)
    population: int
    decided: int                          # sampled items of the stratum with a finding
    violations: int                       # among those
    estimated_violations: float
    low: float
    high: float
    method: str


class Estimate(msgspec.Struct):
    campaign_id: int
    population_size: int
    decided: int
    violation_rate: float | None          # share of the frozen population breaking the rules (estimate)
    ci_low: float | None                  # 95 % interval
    ci_high: float | None
    control_decided: int
    control_violation_rate: float | None  # among unflagged filings: what the detectors miss
    undecided: int = 0                    # sampled items still without a finding (left out until decided)
    strata: list[StratumEstimate] = []
    method: str = ("stratified: certainty census, Horvitz–Thompson over flagged filings, Wilson interval on "
                   "unflagged filings; strata combined by MOVER (docs/sampling.md)")
    of_what: str = ("在冻结时的抽查范围内，违反规定（检查结论不是「未发现问题」）的登记所占比例 / the share of the "
                    "campaign's frozen population whose inspection finding is anything but cleared")