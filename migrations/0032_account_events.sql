-- Changes to accounts, for audit: who created an account, granted or withdrew a registrar qualification
-- (which decides who may confirm a large registration, four eyes), activated or deactivated one, and when.
-- Appended to in the same transaction as the change (registry/users.py); never changed or removed.
CREATE TABLE account_events (
    id        bigserial PRIMARY KEY,
    username  text NOT NULL,                             -- the account changed (its login name)
    action    text NOT NULL,                             -- labels catalogue "account_event"
    detail    jsonb NOT NULL DEFAULT '{}'::jsonb,        -- role, point, qualification_until, active
    actor     text NOT NULL,                             -- a login name, or cli:<os user>, demo, setup
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_events_by_username ON account_events (username, id);

CREATE TRIGGER account_events_append_only
    BEFORE UPDATE OR DELETE ON account_events
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();
CREATE TRIGGER account_events_no_truncate
    BEFORE TRUNCATE ON account_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();

-- the service appends and reads, nothing more (0015's default privileges would also give it UPDATE)
REVOKE ALL ON account_events FROM techreg_app;
GRANT SELECT, INSERT ON account_events TO techreg_app;
REVOKE ALL ON SEQUENCE account_events_id_seq FROM techreg_app;
GRANT USAGE ON SEQUENCE account_events_id_seq TO techreg_app;
