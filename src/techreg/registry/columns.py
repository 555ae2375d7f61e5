"""The columns of `filings` a filing of format v1 fills, in one order, and a filing's values in that order.

Every writer of a filing's own values uses these two: the API's create and the correction (service.py) and
the bulk import's stage (importer.py). The registrar is not among them: each writer decides it (the acting
registrar; a name the file gives, checked against the point's registrars).
"""

from decimal import Decimal

from .schema import FilingV1

FILING_FIELDS = (
    "ref", "contract_no", "title", "kind", "subkind", "software", "domain",
    "seller_code", "seller_name", "seller_region", "buyer_code", "buyer_name", "buyer_region",
    "amount", "tech_amount", "signed_on", "performance_start", "performance_end", "filed_on",
    "point_code", "description",
)


def filing_values(f: FilingV1) -> tuple:
    """The filing's values in FILING_FIELDS' order, as the columns take them."""
    return (f.ref, f.contract_no, f.title, f.kind, f.subkind, f.software, f.domain,
            f.seller.credit_code, f.seller.name, f.seller.region, f.buyer.credit_code, f.buyer.name, f.buyer.region,
            Decimal(f.amount), Decimal(f.tech_amount), f.signed_on, f.performance_start, f.performance_end,
            f.filed_on, f.point, f.description)
