"""Filings, parties, the registration workflow, registration numbers, the event trail, the approved
technology amount and income checks, decision deadlines on the official working-day calendar.

Owns filings (their list, search and running counts), parties, points, users, sessions, events and
checkpoints. May import: db, config,
errors, labels.
"""
