"""Review (复核) bodies and answers (registry/review.py)."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from .schema import DeadlineState, FilingCorrection, RevocationBasis, RevocationGround

ReviewKind = Literal["registration", "party_request", "supervision"]
ReviewStatus = Literal["open", "decided"]
# registration: confirmed | sent_back; party_request: upheld | overturned | returned;
# supervision: confirmed | corrected | revoked
ReviewOutcome = Literal["confirmed", "sent_back", "upheld", "overturned", "returned", "corrected", "revoked"]
RequestOutcome = Literal["uphold", "overturn", "return"]
SupervisionOutcome = Literal["confirm", "correct", "revoke"]
Party = Literal["seller", "buyer"]

Note = Annotated[str, Meta(max_length=2000)]
Reasons = Annotated[str, Meta(min_length=1, max_length=2000, description="理由 / the reasons, in words")]


class ConfirmIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """复核确认: the second person confirms the proposed registration (the approval as proposed)."""
    note: Note = ""


class SendBackIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """复核退回: the proposal goes back to the registrar (awaiting review again), with reasons."""
    reasons: Reasons


class ReviewRequestIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """当事人申请复核: recorded by a registrar or supervisor on the party's behalf."""
    requested_on: Annotated[dt.date, Meta(description="当事人提出申请的日期 / the day the party asked")]
    requested_by: Party
    grounds: Annotated[str, Meta(min_length=1, max_length=4000, description="当事人的理由 / the party's grounds")]


class RequestDecisionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """复核决定: uphold the refusal or return, overturn it (the filing awaits a decision again), or return the
    filing for correction (what to correct in `reasons`)."""
    outcome: RequestOutcome
    reasons: Reasons


class SupervisionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """监督复核: a supervisor opens a review of a registered filing, saying what is questioned."""
    grounds: Annotated[str, Meta(min_length=1, max_length=4000)]


class ReviewCorrection(FilingCorrection, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """The fields a supervisory review corrects: any correctable field, and the approved amount."""
    approved_amount: Annotated[str, Meta(pattern=r"^(0|[1-9][0-9]{0,13})(\.[0-9]{1,2})?$")] | None = None


class SupervisionDecisionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The outcome of a supervisory review: confirm, correct (`changes`), or revoke (`ground`, one the rules in
    force list; `basis`, by default this review's decision, where the rules accept that)."""
    outcome: SupervisionOutcome
    reasons: Reasons
    changes: ReviewCorrection | None = None
    ground: RevocationGround | None = None
    basis: RevocationBasis | None = None


class RecusalIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """回避: step aside from the filing's open review; naming a party records a standing tie to it as well."""
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]
    party: Annotated[str, Meta(min_length=18, max_length=18)] | None = None


class FlagTrigger(msgspec.Struct):
    kind: str
    score: float


class ProposalOut(msgspec.Struct, kw_only=True):
    """What a registrar proposed, and why a second person must confirm it."""
    approved_amount: Decimal
    declared_tech_amount: Decimal
    deductions: list[dict]
    large: bool                         # declared technology amount at or above the large line
    large_line: Decimal
    flags: list[FlagTrigger]            # active flags scoring at least the review score
    flag_score: float


class Sentence(msgspec.Struct):
    """Words a person reads, Chinese and English."""
    message: str
    message_en: str


class Decider(msgspec.Struct):
    """Someone who may decide an open review now."""
    username: str
    display_name: str
    role: str


class ReviewOut(msgspec.Struct, kw_only=True):
    id: int
    kind: ReviewKind
    status: ReviewStatus
    ref: str
    title: str
    point: str
    filing_status: str
    reg_no: str | None
    subject_action: str                 # the decision under review (its event): propose, refuse, return, register…
    subject_actor: str                  # who took it: never the one who decides the review
    subject_seq: int
    opened_by: str
    opened_at: dt.datetime
    requested_on: dt.date | None
    requested_by: Party | None
    grounds: str
    proposal: ProposalOut | None
    due_on: dt.date
    deadline_state: DeadlineState | None     # open reviews only
    working_days_left: int | None
    outcome: ReviewOutcome | None
    reasons: str                        # the reviewer's reasons, in words
    revocation_reasons: list[str]       # a revocation's reason codes
    decided_by: str | None
    decided_at: dt.datetime | None
    recused: list[str]                  # who stepped aside
    may_decide: bool                    # whether the user asking may decide it now
    # open reviews only: why the user asking may not decide it; who may decide a review of its kind (the role and
    # qualification it asks); the people who may decide it now (registrars of the point first, at most
    # DECIDERS_SHOWN of decider_count); when nobody may, who grants the qualification and how
    why_not: Sentence | None = None
    who_decides: Sentence | None = None
    deciders: list[Decider] = []
    decider_count: int = 0
    how_to_qualify: Sentence | None = None


class ReviewQueue(msgspec.Struct, kw_only=True):
    today: dt.date
    counts: dict[str, int]              # open reviews by deadline state
    items: list[ReviewOut]
