-- Peer-group quartiles computed by a full scan, reused by incremental scans while the registry
-- has grown by less than a few per cent since (they move too little to change a verdict).
ALTER TABLE scan_runs ADD COLUMN peers jsonb;
