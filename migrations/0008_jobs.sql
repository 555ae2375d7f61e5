-- Scheduled jobs: every run on record, each (job, slot) claimed once across replicas.
CREATE TABLE job_runs (
    id            bigserial PRIMARY KEY,
    job           text NOT NULL,
    scheduled_for timestamptz NOT NULL,
    trigger       text NOT NULL DEFAULT 'schedule' CHECK (trigger IN ('schedule', 'manual')),
    coalesced     integer NOT NULL DEFAULT 1,      -- slots this run stands for (missed while down)
    status        text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    worker        text NOT NULL,
    requested_by  text,
    counts        jsonb NOT NULL DEFAULT '{}',
    error         text,
    UNIQUE (job, scheduled_for)
);
CREATE INDEX job_runs_recent ON job_runs (job, scheduled_for DESC);

-- registrars: a block set by the qualification check (年审过期), and notices for people to read
ALTER TABLE users ADD COLUMN blocked_reason text;
CREATE TABLE notices (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id),
    kind       text NOT NULL,
    message    text NOT NULL,
    about      date NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz,
    UNIQUE (user_id, kind, about)
);
