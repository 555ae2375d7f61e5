"""登记证明: the certificate of a registered contract, stating the approved technology transaction amount
(核定技术交易额) and the items deducted to reach it, as the register event recorded them; and its public check
(证明核验) by registration number and verification code (verification.py).

`certificate_of` is the one reading of a certificate's facts: the certificate page, the PDF and the public check
all show what it returns."""

import asyncio
import datetime as dt
import hmac
from decimal import Decimal
from urllib.parse import urlencode

import asyncpg
import msgspec

from ..config import Settings
from ..errors import Conflict
from ..labels import pair
from .revocation import revocation_of
from .schema import CertificateOut, DeductionOut
from .service import FILING_COLUMNS, _load, filing_from_row
from .users import CurrentUser
from .verification import UNVERIFIABLE, RESULT_OF_STATUS, Verification, grouped, normalised_code, printed, \
    verification_code, MAX_INPUT

# the approval as the last registration recorded it on the chain
REGISTRATION_DETAIL = """
    SELECT detail FROM filing_events WHERE filing_id = $1 AND action IN ('register', 'import') ORDER BY seq DESC LIMIT 1
"""
POINT_NAME = "SELECT name FROM points WHERE code = $1"
# when the registration was de-registered (注销), the latest time if more than once
CANCELLED_AT = "SELECT max(at) FROM filing_events WHERE filing_id = $1 AND action = 'cancel'"
# the filing a registration number was issued to, read as _load reads a filing by its ref
BY_REG_NO = f"SELECT {FILING_COLUMNS} FROM filings f WHERE f.reg_no = $1"
# the states in which a filing has a certificate (in force only while registered)
CERTIFIED = ("registered", "revoked", "cancelled")


async def approval_of(conn: asyncpg.Connection, filing_id: int) -> dict:
    """The register (or import) event's detail: approved_amount, declared_tech_amount, deductions when recorded."""
    return await conn.fetchval(REGISTRATION_DETAIL, filing_id) or {}


async def certificate(conn: asyncpg.Connection, user: CurrentUser, ref: str) -> CertificateOut:
    """The certificate of a filing that was registered; `valid` only while it still is."""
    row = await _load(conn, user, ref, lock=False)
    if row["reg_no"] is None or row["status"] not in CERTIFIED:
        status_zh, status_en = pair("status", row["status"])
        raise Conflict(f"当前状态为「{status_zh}」，尚未登记，没有登记证明",
                       f"no certificate: the filing is not registered (it is {status_en})", status=row["status"])
    return await certificate_of(conn, row)


async def certificate_of(conn: asyncpg.Connection, row: asyncpg.Record) -> CertificateOut:
    """The certificate's facts from a registered (revoked, cancelled) filing's row (service.FILING_COLUMNS)."""
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
        cancelled_at=await conn.fetchval(CANCELLED_AT, row["id"]) if f.status == "cancelled" else None)


async def verify(conn: asyncpg.Connection, key: bytes, reg_no: str, code: str) -> Verification:
    """The public check: when the code is the number's, the certificate's standing and the facts printed on it
    (from `certificate_of`, as the certificate itself shows them); else UNVERIFIABLE and nothing more. The lookup
    and the code's derivation are done whatever was typed, the comparison is constant-time."""
    reg_no, typed = reg_no.strip()[:MAX_INPUT], normalised_code(code[:MAX_INPUT])
    row = await conn.fetchrow(BY_REG_NO, reg_no)
    expected = verification_code(key, reg_no)
    matches = hmac.compare_digest(expected.encode(), typed.encode())
    if not matches or row is None or row["status"] not in CERTIFIED:
        return UNVERIFIABLE
    cert = await certificate_of(conn, row)
    return Verification(result=RESULT_OF_STATUS[cert.status],
                        revoked_on=cert.revocation.revoked_on if cert.revocation else None,
                        cancelled_at=cert.cancelled_at, certificate=printed(cert))


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
    from .certificate_pdf import render       # reportlab and segno: loaded with the first certificate, not at start

    code = verification_code(key, cert.reg_no)
    url = f"{base_url.rstrip('/')}/verify?{urlencode({'reg_no': cert.reg_no, 'code': grouped(code)})}"
    content = await asyncio.to_thread(
        render, cert, code, url, timezone=settings.timezone, font=settings.certificate_font,
        issued_at=dt.datetime.now(dt.timezone.utc))
    return CertificateFile(filename=f"certificate-{cert.reg_no}.pdf", content=content)
