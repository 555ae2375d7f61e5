"""Filings, parties, the registration workflow, registration numbers, the event trail.

Owns filings, parties, points, users, sessions, events and checkpoints. May import: db, config,
errors, labels.
"""
