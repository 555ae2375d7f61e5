-- A filing's dates are refused outside a plausible range by the API and the importer (registry/rules.py,
-- TECHREG_EARLIEST_DATE and TECHREG_LATEST_DAYS_AHEAD); the database holds a wide outer fence so nothing
-- that bypasses them (a script, a restore) can store an infinite or absurd date that stops every scan.
ALTER TABLE filings ADD CONSTRAINT filings_dates_finite CHECK (
    signed_on BETWEEN DATE '1900-01-01' AND DATE '2999-12-31'
    AND performance_start BETWEEN DATE '1900-01-01' AND DATE '2999-12-31'
    AND performance_end BETWEEN DATE '1900-01-01' AND DATE '2999-12-31'
    AND filed_on BETWEEN DATE '1900-01-01' AND DATE '2999-12-31') NOT VALID;

-- Rows written before the fence (or past it by hand) are left out of scans, which say so instead of failing.
ALTER TABLE scan_runs ADD COLUMN skipped integer NOT NULL DEFAULT 0, ADD COLUMN skipped_refs text[] NOT NULL DEFAULT '{}';
CREATE INDEX filing_facts_unreadable ON filing_facts (id) WHERE NOT (signed_on BETWEEN DATE '1900-01-01' AND DATE '2999-12-31' AND performance_start BETWEEN DATE '1900-01-01' AND DATE '2999-12-31' AND performance_end BETWEEN DATE '1900-01-01' AND DATE '2999-12-31' AND filed_on BETWEEN DATE '1900-01-01' AND DATE '2999-12-31');
