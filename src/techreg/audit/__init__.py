"""Spot-check campaigns (双随机、一公开): seeded samples, inspector draws, findings, evidence files; the orders
findings issue (责令整改 / 责令注销, orders.py) and the enforcement list (执法企业名录, enforcement.py).

Owns campaigns, audit items, findings, evidence, orders and their documents and escalations, and the
supervisor's dashboard figures. May import: detection, registry, db, config,
errors, labels.
"""

from . import access  # noqa: E402,F401  hands the registry the rule of which filings inspectors read
