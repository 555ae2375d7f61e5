"""Filings, parties, the registration workflow, registration numbers, the event trail."""
