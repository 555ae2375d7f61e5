import datetime as dt

import asyncpg
import msgspec
from litestar import Controller, get

from ..auth import requires
from ...config import Settings
from ...registry import revocation, rulebook
from ...registry.revocation import TaxNotice
from ...registry.rulebook import RuleVersion, Rules
from ...registry.service import today


class RulesOut(msgspec.Struct, kw_only=True):
    on: dt.date
    in_force: Rules                   # the versions in force that day, composed, each value with its source
    catalogue: list[RuleVersion]


class RulesController(Controller):
    path = "/api/rules"
    tags = ["filings 技术合同登记"]

    @get("/", summary="规则版本：某日施行的规则及其取值 / the rules in force on a day and the catalogue of versions",
         description="on 缺省为今天；filing 按受理（申请）之日施行的规则办理，撤销按撤销之日施行的规则 / on defaults to "
                     "today; a filing is judged by the rules in force on its application day, a revocation by those "
                     "of its own day")
    async def rules(self, settings: Settings, on: dt.date | None = None) -> RulesOut:
        day = on or today(settings)
        rules = rulebook.rules_in_force(settings, day)
        return RulesOut(on=day, in_force=rules, catalogue=list(rulebook.catalogue(settings).versions))


class RevocationController(Controller):
    path = "/api/revocations"
    tags = ["filings 技术合同登记"]

    @get("/tax-notice", guards=[requires("supervisor", "admin")],
         summary="通报税务机关：可能已享受优惠的撤销登记 / revoked registrations whose benefits may have been claimed",
         description="登记证明自登记之日至撤销之日有效满 TECHREG_TAX_NOTICE_MIN_DAYS 天者；revoked_from/revoked_to "
                     "限定撤销日期 / the certificate stood at least TECHREG_TAX_NOTICE_MIN_DAYS days; revoked_from and "
                     "revoked_to bound the revocation day")
    async def tax_notice(self, db: asyncpg.Connection, settings: Settings, revoked_from: dt.date | None = None,
                         revoked_to: dt.date | None = None) -> TaxNotice:
        return await revocation.tax_notice(db, settings, revoked_from=revoked_from, revoked_to=revoked_to)
