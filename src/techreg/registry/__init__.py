"""Filings, parties, the registration workflow, registration numbers, the event trail, the approved
technology amount and income checks, decision deadlines on the official working-day calendar, review
(复核: four eyes on registrations that matter, parties' requests, supervisors' reviews).

Owns filings (their list, search and running counts), parties, points, users, sessions, events,
checkpoints and reviews (reading the detectors' flags and the audit package's declared ties in SQL).
May import: db, config, errors, labels.
"""
