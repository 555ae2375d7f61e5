"""Spot-check campaigns (双随机、一公开): seeded samples, inspector draws, findings, evidence files.

Owns campaigns, audit items, findings, evidence and the supervisor's dashboard figures. May import: detection, registry, db, config,
errors, labels.
"""
