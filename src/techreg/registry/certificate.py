"""登记证明: the certificate of a registered contract, stating the approved technology transaction amount
(核定技术交易额) and the items deducted to reach it, as the register event recorded them."""

from decimal import Decimal

import asyncpg
import msgspec

from ..errors import Conflict
from ..labels import pair
from .revocation import revocation_of
from .schema import CertificateOut, DeductionOut
from .service import _load, filing_from_row
from .users import CurrentUser

# the approval as the last registration recorded it on the chain
REGISTRATION_DETAIL = """
    SELECT detail FROM filing_events WHERE filing_id = $1 AND action IN ('register', 'import') ORDER BY seq DESC LIMIT 1
"""
POINT_NAME = "SELECT name FROM points WHERE code = $1"


async def approval_of(conn: asyncpg.Connection, filing_id: int) -> dict:
    """The register (or import) event's detail: approved_amount, declared_tech_amount, deductions when recorded."""
    return await conn.fetchval(REGISTRATION_DETAIL, filing_id) or {}


async def certificate(conn: asyncpg.Connection, user: CurrentUser, ref: str) -> CertificateOut:
    """The certificate of a filing that was registered; `valid` only while it still is."""
    row = await _load(conn, user, ref, lock=False)
    if row["reg_no"] is None or row["status"] not in ("registered", "revoked", "cancelled"):
        status_zh, status_en = pair("status", row["status"])
        raise Conflict(f"当前状态为「{status_zh}」，尚未登记，没有登记证明",
                       f"no certificate: the filing is not registered (it is {status_en})", status=row["status"])
    f = filing_from_row(row)
    detail = await approval_of(conn, row["id"])
    approved = f.approved_amount if f.approved_amount is not None else f.tech_amount
    return CertificateOut(
        reg_no=f.reg_no, registered_on=f.registered_on, status=f.status, valid=f.status == "registered", ref=f.ref,
        contract_no=f.contract_no, title=f.title, kind=f.kind, subkind=f.subkind, software=f.software,
        domain=f.domain, seller=f.seller, buyer=f.buyer, amount=f.amount, declared_tech_amount=f.tech_amount,
        approved_amount=approved,
        deductions=[msgspec.convert({**d, "amount": Decimal(d["amount"])}, DeductionOut)
                    for d in detail.get("deductions") or []],
        signed_on=f.signed_on, performance_start=f.performance_start, performance_end=f.performance_end,
        point=f.point, point_name=await conn.fetchval(POINT_NAME, f.point) or f.point, registrar=f.registrar,
        revocation=await revocation_of(conn, row["id"]) if f.status == "revoked" else None)
