"""登记证明: the certificate of a registered contract, stating the approved technology transaction amount
(核定技术交易额) and the items deducted to reach it, as the register event recorded them."""

import asyncio
import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

import asyncpg
import msgspec

from ..config import Settings
from ..errors import Conflict
from ..labels import pair
from .certificate_pdf import render as certificate_pdf_render
from .revocation import revocation_of
from .schema import CertificateOut, DeductionOut
from .service import _load, filing_from_row
from .users import CurrentUser
from .verification import grouped, verification_code

# the approval as the last registration recorded it on the chain
REGISTRATION_DETAIL = """
    SELECT detail FROM filing_events WHERE filing_id = $1 AND action IN ('register', 'import') ORDER BY seq DESC LIMIT 1
"""
POINT_NAME = "SELECT name FROM points WHERE code = $1"
# the registrar as the certificate names them: their display name (history may name someone with no account)
REGISTRAR_NAME = "SELECT display_name FROM users WHERE username = $1"


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
        revocation=await revocation_of(conn, row["id"]) if f.status == "revoked" else None,
        registrar_name=(await conn.fetchval(REGISTRAR_NAME, f.registrar) or f.registrar) if f.registrar else None)


class CertificateFile(msgspec.Struct, kw_only=True):
    filename: str
    content: bytes


async def certificate_pdf(conn: asyncpg.Connection, key: bytes, settings: Settings, user: CurrentUser, ref: str,
                          base_url: str) -> CertificateFile:
    """The printable certificate of a registration in force, with its verification code and a QR code of the
    public check at `base_url`. A revoked or cancelled registration gets none: its certificate no longer
    stands (the page and the public check say so)."""
    cert = await certificate(conn, user, ref)
    if not cert.valid:
        status_zh, status_en = pair("status", cert.status)
        raise Conflict(f"登记已{status_zh.removeprefix('已')}，不再出具登记证明",
                       f"no certificate is issued: the registration is {status_en}", status=cert.status)
    code = verification_code(key, cert.reg_no)
    url = f"{base_url.rstrip('/')}/verify?{urlencode({'reg_no': cert.reg_no, 'code': grouped(code)})}"
    content = await asyncio.to_thread(
        certificate_pdf_render, cert, code, url, timezone=settings.timezone, font=settings.certificate_font,
        issued_at=dt.datetime.now(dt.timezone.utc))
    return CertificateFile(filename=f"certificate-{cert.reg_no}.pdf", content=content)
