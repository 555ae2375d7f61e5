-- Spot-check campaigns (双随机、一公开): frozen populations, seeded samples, inspector queues, findings.

CREATE TABLE campaigns (
    id                 bigserial PRIMARY KEY,
    name               text NOT NULL,
    status             text NOT NULL DEFAULT 'open' CHECK (status IN ('draft', 'open', 'closed')),
    params             jsonb NOT NULL,          -- population filter, sample size, cut-off, control share, due days
    seed               text NOT NULL,
    population_size    integer,
    population_digest  text,                    -- sha256 over sorted (ref, risk) at the freeze
    frozen_at          timestamptz,
    created_by         text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);

-- the population as frozen: who was in it and with what risk; never changes afterwards
CREATE TABLE campaign_population (
    campaign_id bigint NOT NULL REFERENCES campaigns (id),
    filing_id   bigint NOT NULL REFERENCES filings (id),
    ref         text NOT NULL,
    risk        double precision NOT NULL,
    flagged     boolean NOT NULL,
    PRIMARY KEY (campaign_id, filing_id)
);
CREATE TRIGGER campaign_population_frozen
    BEFORE UPDATE OR DELETE ON campaign_population
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();

-- declared ties between an inspector and a party (回避)
CREATE TABLE inspector_ties (
    inspector_id bigint NOT NULL REFERENCES users (id),
    credit_code  char(18) NOT NULL,
    note         text NOT NULL DEFAULT '',
    declared_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (inspector_id, credit_code)
);

CREATE TABLE audit_items (
    id              bigserial PRIMARY KEY,
    campaign_id     bigint NOT NULL REFERENCES campaigns (id),
    filing_id       bigint NOT NULL REFERENCES filings (id),
    stratum         text NOT NULL CHECK (stratum IN ('certainty', 'pps', 'control')),
    inclusion_prob  double precision NOT NULL CHECK (inclusion_prob > 0 AND inclusion_prob <= 1),
    risk            double precision NOT NULL,
    inspector_id    bigint REFERENCES users (id),
    due_on          date NOT NULL,
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    outcome         text CHECK (outcome IN ('cleared', 'rectification_ordered', 'revoked',
                                            'deregistration_ordered', 'referred')),
    reasons         jsonb,
    notes           text,
    evidence        text[],
    decided_by      text,
    decided_at      timestamptz,
    UNIQUE (campaign_id, filing_id)
);
CREATE INDEX audit_items_queue ON audit_items (inspector_id, status, due_on);
CREATE INDEX audit_items_filing ON audit_items (filing_id);

-- the record of each item: assignment, conflicts declared, reassignments, the finding; append-only
CREATE TABLE audit_item_history (
    id       bigserial PRIMARY KEY,
    item_id  bigint NOT NULL REFERENCES audit_items (id),
    at       timestamptz NOT NULL DEFAULT now(),
    actor    text NOT NULL,
    action   text NOT NULL,
    detail   jsonb NOT NULL DEFAULT '{}'
);
CREATE TRIGGER audit_item_history_append_only
    BEFORE UPDATE OR DELETE ON audit_item_history
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();
