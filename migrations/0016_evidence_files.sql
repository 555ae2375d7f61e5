-- Evidence files an inspector uploads to an audit item, kept in the database itself: the file and the
-- trail entry that records it commit in one transaction (no orphan file, no entry without its file),
-- `techreg backup` / `restore` carry them with everything else, and every replica reads the same copy
-- without a shared folder. The digest and size are computed by the server from the bytes, so they
-- cannot disagree with them. A file is never changed or deleted: withdrawing one appends a row below.

CREATE TABLE evidence_files (
    id           bigserial PRIMARY KEY,
    item_id      bigint NOT NULL REFERENCES audit_items (id),
    file_name    text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),   -- as uploaded (no folder part)
    media_type   text NOT NULL,                                                -- from the content, not the name
    content      bytea NOT NULL,
    size_bytes   bigint GENERATED ALWAYS AS (octet_length(content)) STORED,
    sha256       bytea GENERATED ALWAYS AS (sha256(content)) STORED,
    note         text NOT NULL DEFAULT '',
    uploaded_by  text NOT NULL,
    uploaded_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (octet_length(content) > 0)
);
-- PDFs, images and Office files are compressed already: store them out of line as they are
ALTER TABLE evidence_files ALTER COLUMN content SET STORAGE EXTERNAL;
CREATE INDEX evidence_files_item ON evidence_files (item_id, id);

-- a withdrawn file stays on record (and downloadable by those who see the item), marked by this row
CREATE TABLE evidence_withdrawals (
    file_id       bigint PRIMARY KEY REFERENCES evidence_files (id),
    withdrawn_by  text NOT NULL,
    withdrawn_at  timestamptz NOT NULL DEFAULT now(),
    reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500)
);

CREATE TRIGGER evidence_files_append_only
    BEFORE UPDATE OR DELETE ON evidence_files
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();
CREATE TRIGGER evidence_files_no_truncate
    BEFORE TRUNCATE ON evidence_files
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();
CREATE TRIGGER evidence_withdrawals_append_only
    BEFORE UPDATE OR DELETE ON evidence_withdrawals
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();
CREATE TRIGGER evidence_withdrawals_no_truncate
    BEFORE TRUNCATE ON evidence_withdrawals
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();

-- appended to, never changed, by privilege as well (0015 gives new tables SELECT, INSERT, UPDATE)
REVOKE UPDATE ON evidence_files, evidence_withdrawals FROM techreg_app;
