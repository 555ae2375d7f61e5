"""证明核验: the public check of a registration certificate, no log-in, limited per source address."""

import datetime as dt

import asyncpg
from litestar import Controller, Request, get
from litestar.response import Template

from ...registry import certificate, verification
from ..auth import anonymous_limit
from .common import page


class CertificateVerifyPages(Controller):
    """Anyone holding a certificate checks it: its registration number and verification code give its standing
    (valid, revoked with the date, de-registered) and the facts printed on it, to compare with the paper, and
    nothing else; anything wrong, one identical answer."""
    guards = [anonymous_limit]

    @get("/verify", include_in_schema=False)
    async def verify(self, request: Request, db: asyncpg.Connection, audit_key: bytes,
                     reg_no: str | None = None, code: str | None = None) -> Template:
        asked = bool((reg_no or "").strip() and (code or "").strip())
        answer = await certificate.verify(db, audit_key, reg_no or "", code or "") if asked else None
        return page(request, "verify.html", answer=answer, reg_no=(reg_no or "").strip()[:verification.MAX_INPUT],
                    code=(code or "").strip()[:verification.MAX_INPUT], incomplete=bool(reg_no or code) and not asked,
                    checked_at=dt.datetime.now(dt.timezone.utc), timezone=request.app.state.settings.timezone)
