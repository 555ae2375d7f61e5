"""The approved technology transaction amount (核定技术交易额).

The registrar does not take the declared `tech_amount` as it is: registering approves an amount, deducting
the non-technical parts item by item (2000 办法 Art. 14; 2001 规则 ch. 7), and the certificate, every statistic
and the detectors use the approved figure. Rules: approved ≤ declared ≤ contract amount (the last one is the
filing's own rule), and the items deducted add up to declared − approved exactly. The items go into the
register event's detail, so they are on the event chain with the approved amount the filing row keeps.
"""

from decimal import Decimal

from .messages import FilingRejected
from ..labels import label
from .schema import FieldError, RegisterBody

# the amount the registry counts for a filing: the approved one once there is one, else the declared one
# (registrations older than migrations/0018, and history imported without one, count as declared)
COUNTED_AMOUNT_SQL = "coalesce(f.approved_amount, f.tech_amount)"


def approval_errors(declared: Decimal, body: RegisterBody) -> list[FieldError]:
    """What is wrong with an approval of a filing declared at `declared`; empty when it may be registered."""
    errors: list[FieldError] = []
    approved = Decimal(body.approved_amount)
    if approved > declared:
        errors.append(FieldError("approved_amount", f"核定技术交易额（{approved}）不得超过申报的技术交易额（{declared}）",
                                 f"approved_amount ({approved}) must not exceed the declared tech_amount ({declared})",
                                 body.approved_amount))
    for i, d in enumerate(body.deductions):
        if Decimal(d.amount) <= 0:
            errors.append(FieldError(f"deductions[{i}].amount", "核减金额须大于0", "a deduction must be greater than 0",
                                     d.amount))
        if not d.item.strip():
            errors.append(FieldError(f"deductions[{i}].item", "请写明核减的项目", "name the item deducted"))
    if not errors:
        deducted = sum((Decimal(d.amount) for d in body.deductions), Decimal(0))
        if deducted != declared - approved:
            errors.append(FieldError(
                "deductions", f"核减项目合计 {deducted} 元，应等于申报技术交易额与核定额之差 {declared - approved} 元"
                              f"（{declared} − {approved}）",
                f"the items deducted add up to {deducted} yuan; they must equal the declared less the approved "
                f"amount, {declared - approved} yuan ({declared} − {approved})"))
    return errors


def approval_detail(declared: Decimal, body: RegisterBody) -> dict:
    """The register event's record of the approval; raises FilingRejected naming every bad field."""
    if errors := approval_errors(declared, body):
        raise FilingRejected(errors)
    return {"approved_amount": f"{Decimal(body.approved_amount):.2f}", "declared_tech_amount": f"{declared:.2f}",
            "deductions": [{"item": d.item.strip(), "category": d.category, "amount": f"{Decimal(d.amount):.2f}"}
                           for d in body.deductions]}


def deductions_text(deductions: list[dict]) -> tuple[str, str]:
    """The items of an approval in words, Chinese and English."""
    zh = "、".join(f"{d['item']}（{label('deduction', d['category'])}）{d['amount']} 元" for d in deductions)
    en = ", ".join(f"{d['item']} ({label('deduction', d['category'], 'en')}) {d['amount']} yuan" for d in deductions)
    return zh, en
