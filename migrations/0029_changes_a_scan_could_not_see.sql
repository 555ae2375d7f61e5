-- A filing's change_seq comes from a sequence when it is written, not when its transaction commits. A scan that
-- ran while a long transaction (an import) was open saw a later, shorter one's higher number and took it as its
-- mark: the next incremental scan, reading "change_seq above the mark", skipped the import's filings. Each change
-- now also records its transaction (xid8), and each scan its snapshot: the next scan takes as changed what is
-- above the mark or was written by a transaction that snapshot could not see (detection/loader.py CHANGED_SINCE).
ALTER TABLE filings ADD COLUMN change_xid xid8;          -- older changes: none (every scan since saw them)
ALTER TABLE filings ALTER COLUMN change_xid SET DEFAULT pg_current_xact_id();   -- no rewrite of the table
-- only the recent ones are ever asked for (at or after the last scan's oldest open transaction)
CREATE INDEX filings_change_xid ON filings (change_xid);
ALTER TABLE scan_runs ADD COLUMN snapshot pg_snapshot;
