"""Spot-check campaigns (双随机、一公开): seeded samples, inspector draws, findings."""
