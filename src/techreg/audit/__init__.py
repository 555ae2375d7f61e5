"""Spot-check campaigns (双随机、一公开): seeded samples, inspector draws, findings, evidence files.

Owns campaigns, audit items, findings and evidence. May import: detection, registry, db, config,
errors, labels.
"""

from . import access  # noqa: E402,F401  hands the registry the rule of which filings inspectors read
