-- Rules by effective date (registry/rulebook.py) and the grounds of revocations (registry/revocation.py).
--
-- The rules a filing was accepted under: the id of the rule versions in force on its application day, stored
-- when it is filed (and again when a correction moves that day), so a later change to the catalogue's dates
-- does not move a past filing to other rules. NULL for filings older than this column and for imported
-- history: those are judged by the version their application day falls in.
ALTER TABLE filings ADD COLUMN rules_version text;

-- One row per revoked registration: the ground the rules list, the basis it rests on (an effective court
-- judgment, a review decision, an administrative inspection finding) with its reference, and the rules in
-- force on the day of the revocation. The revoke event on the filing's chain carries the same values; this
-- table is what the filing page, the certificate and the tax office's list read. Grounds and bases are
-- checked against the rules in force by the service (a catalogue may list other grounds), not here.
CREATE TABLE revocations (
    filing_id        bigint PRIMARY KEY REFERENCES filings (id),
    ground           text NOT NULL CHECK (ground <> ''),
    basis_kind       text NOT NULL CHECK (basis_kind <> ''),
    basis_reference  text NOT NULL CHECK (length(basis_reference) BETWEEN 1 AND 100),
    -- the inspection finding it rests on, when that is one of ours
    audit_item_id    bigint REFERENCES audit_items (id),
    rules_version    text NOT NULL,
    revoked_on       date NOT NULL,
    revoked_at       timestamptz NOT NULL,
    revoked_by       text NOT NULL,
    note             text NOT NULL DEFAULT ''
);
-- the tax office's list reads revocations by day
CREATE INDEX revocations_revoked_on ON revocations (revoked_on);

-- written once with the revocation, never changed (the trigger refuses it; the service role gets no UPDATE)
CREATE TRIGGER revocations_append_only
    BEFORE UPDATE OR DELETE ON revocations
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'techreg_app') THEN
        REVOKE UPDATE ON revocations FROM techreg_app;
    END IF;
END $$;
