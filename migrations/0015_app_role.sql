-- The service connects as techreg_app, a role with only what it needs: read and write rows, append to the
-- trails, temporary tables for imports and scans. No superuser, no DDL, no pg_read_server_files (so no
-- pg_read_file of the audit key), no session_replication_role (so no switching the append-only triggers
-- off). Migrations run as the owner of the schema; `techreg serve` refuses a privileged connection.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'techreg_app') THEN
        BEGIN
            CREATE ROLE techreg_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'create the role techreg_app first (CREATE ROLE techreg_app LOGIN PASSWORD ...), then migrate again';
        END;
    END IF;
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO techreg_app', current_database());
END $$;

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO techreg_app;
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO techreg_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO techreg_app;
-- the trails and frozen populations: appended to, never changed (the triggers refuse it as well)
REVOKE UPDATE ON filing_events, audit_item_history, campaign_population, schema_migrations FROM techreg_app;
-- rows the service removes: a session on log-out, a tie an inspector withdrew
GRANT DELETE ON sessions, inspector_ties TO techreg_app;
-- tables later migrations create get the same grants
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE ON TABLES TO techreg_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO techreg_app;
