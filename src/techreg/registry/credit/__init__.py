"""Credit records (科技信用记录) and the red-line check (一票否决), part of the registry.

records: the records and their versions (history), the party view, the records valid on a day.
importer: red-line lists in JSONL or CSV (docs/credit-format.md), incremental, a report per line.
checks: both parties checked at submission (recorded) and at registration (refused unless a supervisor
overrode the record in writing, on the filing's event trail).
batch: the check of a set of filings (a year, a point, a campaign's sample) with a recommendation each.
fraud: a registration revoked for fraud becomes a credit record of the seller; the export of such records
for the national credit database.
"""
