"""Who sees what of a flag: the detection area's policy.

A flag is read with its filing (the registry's rule decides who may open that). Its evidence may cite
filings of other points: a registrar sees the evidence of their own point in full, of other points only that
it exists; everyone else who may read the filing sees it whole. Lists of flags are kept to the points a user
lists filings of (registry/access.listing_point).
"""

from ..registry.access import listing_point
from ..registry.users import CurrentUser

__all__ = ["evidence_point", "listing_point"]


def evidence_point(user: CurrentUser) -> str | None:
    """The point whose evidence this user sees in full (None: every point's)."""
    return user.point_code if user.role == "registrar" else None
