"""Filing interchange format v1 (filing-format.md) as msgspec structs, plus API bodies."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from ..labels import SUBKIND

Kind = Literal["development", "transfer", "license", "consulting", "service"]
Subkind = Literal[
    "commissioned", "cooperative", "patent", "patent_application", "technical_secret", "other",
    "service", "training", "intermediary",
]
Domain = Literal[
    "electronic_information", "advanced_manufacturing", "aerospace", "modern_transport", "agriculture",
    "new_materials", "new_energy", "environment", "nuclear", "biomedicine", "urban_social",
]
FormatStatus = Literal["submitted", "registered", "refused", "revoked", "cancelled"]
# proposed: registered by one registrar, waiting for a second qualified person to confirm (registry/review.py)
Status = Literal["submitted", "proposed", "returned", "registered", "refused", "revoked", "cancelled"]

# the subkinds each kind allows (their words: techreg.labels, SUBKIND)
SUBKINDS_BY_KIND: dict[str, frozenset[str]] = {kind: frozenset(names) for kind, names in SUBKIND.items()}

AMOUNT_PATTERN = r"^(0|[1-9][0-9]{0,13})(\.[0-9]{1,2})?$"
REGION_PATTERN = r"^[0-9]{6}$"

AmountStr = Annotated[str, Meta(pattern=AMOUNT_PATTERN, description="decimal string in yuan, at most 2 decimals",
                                examples=["1250000.00"])]


class PartyV1(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    credit_code: Annotated[str, Meta(description="统一社会信用代码 (GB 32100-2015), 18 characters",
                                     examples=["91350100M000100Y43"])]
    region: Annotated[str, Meta(pattern=REGION_PATTERN)] | None = None


REF_PATTERN = r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._:-]*$"


class FilingV1(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    # letters, digits and . _ : - (no spaces, slashes, line breaks or ".."): a ref goes into URLs, file names
    # and headers as it is
    ref: Annotated[str, Meta(min_length=1, max_length=64, pattern=REF_PATTERN)]
    contract_no: Annotated[str, Meta(max_length=64)]
    title: Annotated[str, Meta(min_length=1, max_length=200)]
    kind: Kind
    subkind: Subkind | None = None
    software: bool
    domain: Domain
    seller: PartyV1
    buyer: PartyV1
    amount: AmountStr
    tech_amount: AmountStr
    signed_on: dt.date
    performance_start: dt.date
    performance_end: dt.date
    filed_on: dt.date
    point: Annotated[str, Meta(min_length=1, max_length=32)]
    registrar: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    description: Annotated[str, Meta(max_length=4000)] | None = None
    status: FormatStatus = "submitted"
    reg_no: Annotated[str, Meta(min_length=1, max_length=32)] | None = None
    # history only (registered, revoked, cancelled): the amount the registrar approved (核定技术交易额);
    # registered history without one is taken at its declared tech_amount
    approved_amount: AmountStr | None = None


class FieldError(msgspec.Struct, omit_defaults=True):
    """One bad field: its path (`seller.credit_code`), the reason in Chinese and English, the value that was
    refused when it is short plain text or a number, and the allowed values (code -> Chinese name) of a choice."""
    field: str
    message: str
    message_en: str
    value: str | int | float | bool | None | msgspec.UnsetType = msgspec.UNSET
    allowed: dict[str, str] | msgspec.UnsetType = msgspec.UNSET


class PartyOut(msgspec.Struct):
    name: str
    credit_code: str
    region: str | None = None


class FilingOut(msgspec.Struct, kw_only=True):
    id: int
    ref: str
    contract_no: str
    title: str
    kind: Kind
    subkind: str | None
    software: bool
    domain: str
    seller: PartyOut
    buyer: PartyOut
    amount: Decimal
    tech_amount: Decimal
    # 核定技术交易额: set when registered (None before; registrations older than the field count at tech_amount)
    approved_amount: Decimal | None = None
    signed_on: dt.date
    performance_start: dt.date
    performance_end: dt.date
    filed_on: dt.date
    point: str
    registrar: str | None
    description: str | None
    status: Status
    reg_no: str | None
    registered_on: dt.date | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    # the rules it was accepted under (registry/rulebook.py); None: history, judged by its application day
    rules_version: str | None = None
    revocation_ground: str | None = None       # once revoked: the ground (registry/revocation.py)


class FilingPage(msgspec.Struct, kw_only=True):
    """One page of the list, newest first: `next_cursor` / `prev_cursor` are the anchors of the pages after and
    before (`?cursor=` / `?before=`, None at an end); `total` is exact unless `total_capped` (then: more than it)."""
    items: list[FilingOut]
    next_cursor: int | None
    prev_cursor: int | None = None
    total: int | None = None
    total_capped: bool = False


class EventOut(msgspec.Struct):
    seq: int
    at: dt.datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    detail: dict
    hash: str


RefusalReason = Literal[
    "void_or_not_effective",      # 合同无效或尚未生效
    "not_technology_contract",    # 不属于技术合同
    "unclear_terms",              # 当事人、标的或价款不明确
    "approval_missing",           # 缺少须经批准的批准文件
    "title_mismatch",             # 合同名称与权利义务不符且未更正
    "restrictive_clauses",        # 含有限制性条款
    "proofs_missing",             # 缺少证明文件
    "seal_mismatch",              # 未盖章或印章与当事人不符
    "other",
]

RevocationReason = Literal[
    "fraudulent",                  # 弄虚作假、骗取登记
    "voided_not_deregistered",     # 合同被确认无效而未注销
    "duplicate_registration",      # 重复登记
    "inspection_finding",          # 检查结论
    "court_or_review_decision",    # 法院判决或复议决定
    "other",
]


# the grounds and bases of a revocation (their words: techreg.labels; the rules in force list which apply)
RevocationGround = Literal["fraudulent", "voided_not_deregistered", "duplicate_registration", "other"]
RevocationBasisKind = Literal["court_judgment", "review_decision", "inspection_finding"]


class RevocationBasis(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What the revocation rests on: an effective court judgment (its number, （2025）沪0101民初1234号), a review
    decision (its number), or an inspection finding of ours (the audit item's number)."""
    kind: RevocationBasisKind
    reference: Annotated[str, Meta(min_length=1, max_length=100, examples=["（2025）沪0101民初1234号"])]


class RevocationBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """撤销登记: a ground the rules in force list, and the basis it rests on."""
    ground: RevocationGround
    basis: RevocationBasis
    note: Annotated[str, Meta(max_length=2000)] = ""


class RevocationOut(msgspec.Struct, kw_only=True):
    ground: str
    basis_kind: str
    basis_reference: str
    audit_item_id: int | None
    rules_version: str               # the rules in force on the day of the revocation
    revoked_on: dt.date
    revoked_at: dt.datetime
    revoked_by: str
    note: str


class DecisionBody(msgspec.Struct, forbid_unknown_fields=True):
    """Body for refuse / return / revoke / cancel: reason codes and free text."""
    reasons: list[str] = []
    note: Annotated[str, Meta(max_length=2000)] = ""


# the non-technical parts a registrar deducts from the declared technology amount (2000 办法 Art. 14, 2001 规则
# ch. 7): purchased equipment and instruments, parts, raw materials, other non-technical costs. Carriers of
# the technology in reasonable number (documents, media, one or two sets of equipment) stay in.
DeductionCategory = Literal["equipment", "parts", "materials", "other"]


class Deduction(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One non-technical item deducted from the declared technology amount."""
    item: Annotated[str, Meta(min_length=1, max_length=200, description="what is deducted, e.g. 服务器 3 台",
                              examples=["服务器 3 台"])]
    category: DeductionCategory
    amount: AmountStr


class RegisterBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """登记: the approved technology transaction amount (核定技术交易额), required, and the items deducted from
    the declared amount to reach it; the items add up to declared − approved."""
    approved_amount: Annotated[str, Meta(pattern=AMOUNT_PATTERN, description="核定技术交易额, yuan: at most the "
                                         "declared tech_amount", examples=["1000000.00"])]
    deductions: Annotated[list[Deduction], Meta(max_length=100)] = []
    note: Annotated[str, Meta(max_length=2000)] = ""


class IncomeCheckIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """技术性收入核定: the technical income actually received under a registered contract, up to a date."""
    received_amount: Annotated[str, Meta(pattern=AMOUNT_PATTERN, description="technical income received, yuan",
                                         examples=["950000.00"])]
    as_of: Annotated[dt.date, Meta(description="receipts counted up to this day (收入截至日期)")]
    note: Annotated[str, Meta(max_length=2000)] = ""


IncomeVerdict = Literal["matches", "below", "above"]


class IncomeCheckOut(msgspec.Struct, kw_only=True):
    seq: int
    at: dt.datetime
    actor: str
    as_of: dt.date
    received_amount: Decimal
    approved_amount: Decimal
    difference: Decimal              # received − approved
    verdict: IncomeVerdict
    note: str


# where a filing awaiting a decision stands against its deadline (registry/deadlines.py)
DeadlineState = Literal["pending", "due_soon", "overdue"]


class DeductionOut(msgspec.Struct):
    item: str
    category: str
    amount: Decimal


class CertificateOut(msgspec.Struct, kw_only=True):
    """登记证明: what the registered party receives, with the approved amount; `valid` only while registered."""
    reg_no: str
    registered_on: dt.date | None
    status: Status
    valid: bool
    ref: str
    contract_no: str
    title: str
    kind: Kind
    subkind: str | None
    software: bool
    domain: str
    seller: PartyOut
    buyer: PartyOut
    amount: Decimal
    declared_tech_amount: Decimal
    approved_amount: Decimal
    deductions: list[DeductionOut]
    signed_on: dt.date
    performance_start: dt.date
    performance_end: dt.date
    point: str
    point_name: str
    registrar: str | None
    revocation: RevocationOut | None = None    # why it is no longer valid, when revoked
    cancelled_at: dt.datetime | None = None    # when it was de-registered (注销) here; imported history has none


class FilingCorrection(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """补正: any subset of the correctable v1 fields."""
    contract_no: Annotated[str, Meta(max_length=64)] | None = None
    title: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    kind: Kind | None = None
    subkind: Subkind | None = None
    software: bool | None = None
    domain: Domain | None = None
    seller: PartyV1 | None = None
    buyer: PartyV1 | None = None
    amount: AmountStr | None = None
    tech_amount: AmountStr | None = None
    signed_on: dt.date | None = None
    performance_start: dt.date | None = None
    performance_end: dt.date | None = None
    filed_on: dt.date | None = None
    description: Annotated[str, Meta(max_length=4000)] | None = None
