"""Scheduled jobs that run exactly once across replicas.

Owns job runs and slots. May import: audit, detection, registry, db, config, errors, labels.
"""
