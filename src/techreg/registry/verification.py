"""核验码: the verification code printed on a registration certificate, and the public check of a certificate by
its registration number and that code.

The code is derived, not stored: an HMAC of the registration number under the server's audit key (kept outside
the database, config.audit_key), 12 characters of Crockford's base32 (no I, L, O, U: nothing to misread) =
60 bits. Nobody without the key can produce the code of a number, so the public check tells a certificate's
standing only to whoever holds the certificate. Changing the audit key changes every code (reissue certificates).

The public answer (certificate.verify) is one of: valid, revoked (with its date), de-registered, each with the
facts printed on the certificate so that whoever holds the paper (a tax officer) can compare them — or one
identical "no match" for an unknown number, a wrong code or anything else, which says nothing more, reached by
the same work (the lookup and the derivation are always done, the comparison is constant-time).
"""

import datetime as dt
import hashlib
import hmac
from decimal import Decimal
from typing import Literal

import msgspec

from .schema import CertificateOut, Kind, PartyOut

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"      # Crockford base32
CODE_LENGTH = 12
# what people type for the letters left out of the alphabet
MISREAD = str.maketrans({"O": "0", "I": "1", "L": "1"})
# longest registration number or code the public check reads (a registration number has 16 characters)
MAX_INPUT = 64

Result = Literal["valid", "revoked", "cancelled", "unverifiable"]
# a filing's status -> what the public check says of its certificate
RESULT_OF_STATUS: dict[str, Result] = {"registered": "valid", "revoked": "revoked", "cancelled": "cancelled"}


class PrintedParty(msgspec.Struct, kw_only=True):
    name: str
    credit_code: str


class PrintedCertificate(msgspec.Struct, kw_only=True):
    """What the certificate (certificate_pdf.py) prints, and so what its holder may compare: nothing else of the
    filing (not its deductions, its registrar, its trail, a revocation's ground)."""
    reg_no: str
    title: str
    contract_no: str
    kind: Kind
    subkind: str | None
    software: bool
    domain: str
    seller: PrintedParty
    buyer: PrintedParty
    amount: Decimal
    approved_amount: Decimal
    registered_on: dt.date | None
    point: str
    point_name: str


def printed(cert: CertificateOut) -> PrintedCertificate:
    def party(p: PartyOut) -> PrintedParty:
        return PrintedParty(name=p.name, credit_code=p.credit_code)

    return PrintedCertificate(
        reg_no=cert.reg_no, title=cert.title, contract_no=cert.contract_no, kind=cert.kind, subkind=cert.subkind,
        software=cert.software, domain=cert.domain, seller=party(cert.seller), buyer=party(cert.buyer),
        amount=cert.amount, approved_amount=cert.approved_amount, registered_on=cert.registered_on, point=cert.point,
        point_name=cert.point_name)


class Verification(msgspec.Struct, kw_only=True):
    """What the public check answers: with the right code, the certificate's standing and what it prints; without
    it, UNVERIFIABLE alone."""
    result: Result
    revoked_on: dt.date | None = None
    cancelled_at: dt.datetime | None = None
    certificate: PrintedCertificate | None = None


UNVERIFIABLE = Verification(result="unverifiable")


def verification_code(key: bytes, reg_no: str) -> str:
    """The 12-character code of a registration number (plain, without grouping)."""
    digest = hmac.new(key, b"certificate-verification\x1f" + reg_no.encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big") >> (64 - 5 * CODE_LENGTH)
    return "".join(CODE_ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(CODE_LENGTH)))


def grouped(code: str) -> str:
    """As printed: ABCD-EFGH-JKMN."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalised_code(text: str) -> str:
    """What a person typed, as the code is compared: case, spaces and hyphens ignored, O/I/L read as 0/1/1."""
    return "".join(c for c in text.upper() if c not in " -\t").translate(MISREAD)
