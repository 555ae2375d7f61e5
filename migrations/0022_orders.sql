-- Orders with deadlines (audit/orders.py): a finding of 责令整改 (rectification_ordered) or 责令注销
-- (deregistration_ordered) issues an order to the contract's party, due in working days on the official
-- calendar. The row holds where the order stands; every step (issued, answered, fulfilled, escalated,
-- closed, reopened) is an event on the filing's own hash chain, so the order's record is the trail itself.

CREATE TABLE orders (
    id            bigserial PRIMARY KEY,
    item_id       bigint NOT NULL UNIQUE REFERENCES audit_items (id),    -- the finding that ordered it: one each
    filing_id     bigint NOT NULL REFERENCES filings (id),
    kind          text NOT NULL CHECK (kind IN ('rectification', 'deregistration')),
    status        text NOT NULL DEFAULT 'open'
                  CHECK (status IN ('open', 'answered', 'fulfilled', 'escalated', 'closed')),
    issued_on     date NOT NULL,              -- in TECHREG_TIMEZONE; the deadline counts from the day after
    working_days  integer NOT NULL CHECK (working_days > 0),
    due_on        date NOT NULL CHECK (due_on > issued_on),
    provisional   boolean NOT NULL DEFAULT false,     -- counted through a year the calendar does not know yet
    round         integer NOT NULL DEFAULT 1,         -- 1, and one more each time a supervisor reopens it
    issued_by     text NOT NULL,
    issued_at     timestamptz NOT NULL DEFAULT now(),
    answered_at   timestamptz,                -- the party's last response recorded
    fulfilled_at  timestamptz,                -- de-registration done (the filing cancelled)
    cancel_seq    integer,                    -- the filing's cancel event that fulfilled it
    closed_at     timestamptz,
    closed_by     text,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- the job reads the orders still waiting, by deadline; lists read them by filing
CREATE INDEX orders_waiting ON orders (due_on) WHERE status IN ('open', 'answered', 'escalated');
CREATE INDEX orders_filing ON orders (filing_id);

-- What the party sent in answer, recorded by staff on its behalf: kept as evidence files are (0016), in the
-- database, digest and size computed by the server, never changed or deleted.
CREATE TABLE order_documents (
    id           bigserial PRIMARY KEY,
    order_id     bigint NOT NULL REFERENCES orders (id),
    file_name    text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    media_type   text NOT NULL,
    content      bytea NOT NULL,
    size_bytes   bigint GENERATED ALWAYS AS (octet_length(content)) STORED,
    sha256       bytea GENERATED ALWAYS AS (sha256(content)) STORED,
    note         text NOT NULL DEFAULT '',
    uploaded_by  text NOT NULL,
    uploaded_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (octet_length(content) > 0)
);
ALTER TABLE order_documents ALTER COLUMN content SET STORAGE EXTERNAL;
CREATE INDEX order_documents_order ON order_documents (order_id, id);

-- An overdue order escalated to the supervisors: one row per order and round of its deadline, so a job run
-- again (or on another replica, or the next day) escalates nothing twice; a reopened order has a new round.
CREATE TABLE order_escalations (
    id            bigserial PRIMARY KEY,
    order_id      bigint NOT NULL REFERENCES orders (id),
    round         integer NOT NULL,
    due_on        date NOT NULL,              -- the deadline it missed
    escalated_on  date NOT NULL,              -- the job's day (its slot, in TECHREG_TIMEZONE)
    escalated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, round)
);

CREATE TRIGGER order_documents_append_only
    BEFORE UPDATE OR DELETE ON order_documents
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();
CREATE TRIGGER order_documents_no_truncate
    BEFORE TRUNCATE ON order_documents
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();
CREATE TRIGGER order_escalations_append_only
    BEFORE UPDATE OR DELETE ON order_escalations
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();
CREATE TRIGGER order_escalations_no_truncate
    BEFORE TRUNCATE ON order_escalations
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();

-- appended to, never changed, by privilege as well (0015 gives new tables SELECT, INSERT, UPDATE)
REVOKE UPDATE ON order_documents, order_escalations FROM techreg_app;
