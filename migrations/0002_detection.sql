-- Detection: scan runs with per-detector counts, and flags that outlive rescans.

CREATE TABLE scan_runs (
    id             bigserial PRIMARY KEY,
    mode           text NOT NULL CHECK (mode IN ('full', 'incremental')),
    status         text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    filings_read   integer,
    filings_scored integer,
    -- filings with change_seq up to this value were scored by this run
    high_water     bigint,
    error          text
);

CREATE TABLE scan_detector_stats (
    run_id   bigint NOT NULL REFERENCES scan_runs (id),
    detector text NOT NULL,
    applied  integer NOT NULL,
    flagged  integer NOT NULL,
    excluded integer NOT NULL,
    warning  text,
    PRIMARY KEY (run_id, detector)
);

CREATE TABLE flags (
    id         bigserial PRIMARY KEY,
    filing_id  bigint NOT NULL REFERENCES filings (id),
    kind       text NOT NULL,
    detector   text NOT NULL,        -- name/version: a new version adds rows, never rewrites old ones
    score      double precision NOT NULL CHECK (score >= 0 AND score <= 1),
    reasons    jsonb NOT NULL,
    related    text[] NOT NULL DEFAULT '{}',
    first_seen timestamptz NOT NULL DEFAULT now(),
    last_seen  timestamptz NOT NULL DEFAULT now(),
    first_run  bigint REFERENCES scan_runs (id),
    last_run   bigint REFERENCES scan_runs (id),
    active     boolean NOT NULL DEFAULT true,
    UNIQUE (filing_id, kind, detector)
);
CREATE INDEX flags_active_kind ON flags (kind, score DESC) WHERE active;
