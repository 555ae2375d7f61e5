-- Registry foundation: points, parties, users, filings, the event trail.

CREATE TABLE points (
    code          text PRIMARY KEY,
    name          text NOT NULL,
    -- province (2) + city (2) + point (2) digits used in registration numbers
    number_prefix char(6) UNIQUE CHECK (number_prefix ~ '^[0-9]{6}$'),
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE parties (
    credit_code char(18) PRIMARY KEY,
    name        text NOT NULL,
    region      char(6),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id                    bigserial PRIMARY KEY,
    username              text NOT NULL UNIQUE,
    display_name          text NOT NULL,
    role                  text NOT NULL CHECK (role IN ('registrar', 'inspector', 'supervisor', 'admin')),
    point_code            text REFERENCES points (code),
    password_hash         text,            -- NULL: cannot log in (e.g. created by an import)
    qualification_expires date,            -- registrars: 年审 expiry
    active                boolean NOT NULL DEFAULT true,
    created_at            timestamptz NOT NULL DEFAULT now(),
    CHECK (role <> 'registrar' OR point_code IS NOT NULL)
);

CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_attempts (
    username   text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    succeeded  boolean NOT NULL
);
CREATE INDEX login_attempts_recent ON login_attempts (username, at);

CREATE TABLE filings (
    id                bigserial PRIMARY KEY,
    ref               text NOT NULL UNIQUE,
    contract_no       text NOT NULL,
    title             text NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('development', 'transfer', 'license', 'consulting', 'service')),
    subkind           text,
    software          boolean NOT NULL,
    domain            text NOT NULL,
    seller_code       char(18) NOT NULL REFERENCES parties (credit_code),
    seller_name       text NOT NULL,
    seller_region     char(6),
    buyer_code        char(18) NOT NULL REFERENCES parties (credit_code),
    buyer_name        text NOT NULL,
    buyer_region      char(6),
    amount            numeric(16, 2) NOT NULL CHECK (amount > 0),
    tech_amount       numeric(16, 2) NOT NULL CHECK (tech_amount >= 0 AND tech_amount <= amount),
    signed_on         date NOT NULL,
    performance_start date NOT NULL,
    performance_end   date NOT NULL CHECK (performance_end >= performance_start),
    filed_on          date NOT NULL CHECK (filed_on >= signed_on),
    point_code        text NOT NULL REFERENCES points (code),
    registrar         text,
    description       text,
    status            text NOT NULL DEFAULT 'submitted'
                      CHECK (status IN ('submitted', 'returned', 'registered', 'refused', 'revoked', 'cancelled')),
    reg_no            text UNIQUE,
    registered_on     date,
    created_by        text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    -- bumped on every change; incremental scans pick up rows with a newer version
    change_seq        bigint NOT NULL,
    -- head of this filing's event chain, so a removed last event is detectable
    event_count       integer NOT NULL DEFAULT 0,
    last_event_hash   bytea,
    CHECK (seller_code <> buyer_code)
);
CREATE SEQUENCE filings_change_seq;
ALTER TABLE filings ALTER COLUMN change_seq SET DEFAULT nextval('filings_change_seq');
CREATE INDEX filings_point_status ON filings (point_code, status, id);
CREATE INDEX filings_seller ON filings (seller_code, signed_on);
CREATE INDEX filings_buyer ON filings (buyer_code, signed_on);
CREATE INDEX filings_change ON filings (change_seq);
CREATE INDEX filings_signed ON filings (signed_on);

-- per point and year, the last sequence number issued; row lock makes issue gap-free
CREATE TABLE reg_counters (
    point_code text NOT NULL REFERENCES points (code),
    year       integer NOT NULL,
    last_seq   integer NOT NULL,
    PRIMARY KEY (point_code, year)
);

-- append-only, hash-chained (HMAC) per filing
CREATE TABLE filing_events (
    id          bigserial PRIMARY KEY,
    filing_id   bigint NOT NULL REFERENCES filings (id),
    seq         integer NOT NULL,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    from_status text,
    to_status   text,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
    prev_hash   bytea,
    hash        bytea NOT NULL,
    UNIQUE (filing_id, seq)
);

CREATE FUNCTION refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER filing_events_append_only
    BEFORE UPDATE OR DELETE ON filing_events
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();
CREATE TRIGGER filing_events_no_truncate
    BEFORE TRUNCATE ON filing_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();

-- filings are retained for ever; their state changes, they are never deleted
CREATE TRIGGER filings_no_delete
    BEFORE DELETE ON filings
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();

CREATE TABLE idempotency_keys (
    user_id      bigint NOT NULL REFERENCES users (id),
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    status_code  integer,
    response     jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
