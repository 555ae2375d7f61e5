"""Anomaly detection: pure functions over column arrays in, flags out.

Owns flags, scan runs, detector kinds and the outlier model. May import: registry, db, config, errors,
labels.
"""
