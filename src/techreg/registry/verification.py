"""核验码: the verification code printed on a registration certificate, and the public check of a certificate by
its registration number and that code.

The code is derived, not stored: an HMAC of the registration number under the server's audit key (kept outside
the database, config.audit_key), 12 characters of Crockford's base32 (no I, L, O, U: nothing to misread) =
60 bits. Nobody without the key can produce the code of a number, so the public check tells a certificate's
standing only to whoever holds the certificate. Changing the audit key changes every code (reissue certificates).

The public answer is one of: valid, revoked (with its date), de-registered — or one identical "cannot be
verified" for an unknown number, a wrong code or anything else, reached by the same work (the lookup and the
derivation are always done, the comparison is constant-time).
"""

import datetime as dt
import hashlib
import hmac
from typing import Literal

import asyncpg
import msgspec

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"      # Crockford base32
CODE_LENGTH = 12
# what people type for the letters left out of the alphabet
MISREAD = str.maketrans({"O": "0", "I": "1", "L": "1"})
# longest registration number or code the public check reads (a registration number has 16 characters)
MAX_INPUT = 64

# the standing of a registered contract by its number, with the revocation's date when revoked
STANDING_SQL = """
    SELECT f.status, r.revoked_on
    FROM filings f LEFT JOIN revocations r ON r.filing_id = f.id
    WHERE f.reg_no = $1
"""

Result = Literal["valid", "revoked", "cancelled", "unverifiable"]
# a filing's status -> what the public check says of its certificate
RESULT_OF_STATUS: dict[str, Result] = {"registered": "valid", "revoked": "revoked", "cancelled": "cancelled"}


class Verification(msgspec.Struct, kw_only=True):
    """What the public check answers: nothing about the contract, only the certificate's standing."""
    result: Result
    revoked_on: dt.date | None = None


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


async def verify(conn: asyncpg.Connection, key: bytes, reg_no: str, code: str) -> Verification:
    """The public check: the certificate's standing only when the code is the number's, else UNVERIFIABLE."""
    reg_no, typed = reg_no.strip()[:MAX_INPUT], normalised_code(code[:MAX_INPUT])
    row = await conn.fetchrow(STANDING_SQL, reg_no)
    expected = verification_code(key, reg_no)
    matches = hmac.compare_digest(expected.encode(), typed.encode())
    result = RESULT_OF_STATUS.get(row["status"]) if row is not None else None
    if not matches or result is None:
        return UNVERIFIABLE
    return Verification(result=result, revoked_on=row["revoked_on"] if result == "revoked" else None)
