-- Credit records (科技信用记录) and the red-line check (一票否决), registry/credit.
--
-- A record is one entry of a credit list (a tax red line, a major safety accident, a fraud this registry
-- found …) about one party. Its identity is `record_key`: its source and the source's own number for it
-- (source_ref), or, for a source that gives none, its source, party, type and first day. Everything else
-- about it may change at its source (a record lifted early, extended, corrected): each change the registry
-- learns of is a new version, never an overwrite, so what the registry knew on any day stays on record.
-- Both tables are appended to, never changed.
CREATE TABLE credit_records (
    id           bigserial PRIMARY KEY,
    record_key   text NOT NULL UNIQUE,
    source       text NOT NULL CHECK (length(source) BETWEEN 1 AND 200),
    source_ref   text CHECK (length(source_ref) BETWEEN 1 AND 100),
    origin       text NOT NULL CHECK (origin IN ('import', 'registry')),
    -- a record this registry made (a registration revoked for fraud): the filing it came from
    filing_id    bigint REFERENCES filings (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((origin = 'registry') = (filing_id IS NOT NULL))
);

CREATE TABLE credit_record_versions (
    id           bigserial PRIMARY KEY,
    record_id    bigint NOT NULL REFERENCES credit_records (id),
    version      integer NOT NULL CHECK (version >= 1),
    credit_code  text NOT NULL CHECK (length(credit_code) = 18),
    party_name   text CHECK (length(party_name) BETWEEN 1 AND 200),
    record_type  text NOT NULL,
    valid_from   date NOT NULL,
    valid_to     date,                                    -- none: in force until the source lifts it
    description  text NOT NULL DEFAULT '',
    imported_from text NOT NULL,                          -- the file, "api", or "revocation"
    recorded_by  text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (record_id, version),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
-- a party's records, and the latest version of each
CREATE INDEX credit_record_versions_party ON credit_record_versions (credit_code, record_id);
CREATE INDEX credit_records_filing ON credit_records (filing_id) WHERE filing_id IS NOT NULL;

-- the check at submission: both parties against the records valid on the day applied for, kept with the
-- filing whatever it found (the registrar reads it on the filing page)
CREATE TABLE credit_checks (
    id           bigserial PRIMARY KEY,
    filing_id    bigint NOT NULL REFERENCES filings (id),
    stage        text NOT NULL CHECK (stage IN ('submission')),
    checked_on   date NOT NULL,
    hits         jsonb NOT NULL,                          -- [{side, record_id, version_id}, …]
    actor        text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credit_checks_filing ON credit_checks (filing_id, id);

CREATE TRIGGER credit_records_append_only BEFORE UPDATE OR DELETE ON credit_records
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();
CREATE TRIGGER credit_records_no_truncate BEFORE TRUNCATE ON credit_records
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();
CREATE TRIGGER credit_record_versions_append_only BEFORE UPDATE OR DELETE ON credit_record_versions
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();
CREATE TRIGGER credit_record_versions_no_truncate BEFORE TRUNCATE ON credit_record_versions
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();
CREATE TRIGGER credit_checks_append_only BEFORE UPDATE OR DELETE ON credit_checks
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();
CREATE TRIGGER credit_checks_no_truncate BEFORE TRUNCATE ON credit_checks
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();

-- appended to, never changed, by privilege as well (0015 gives new tables SELECT, INSERT, UPDATE)
REVOKE UPDATE ON credit_records, credit_record_versions, credit_checks FROM techreg_app;
