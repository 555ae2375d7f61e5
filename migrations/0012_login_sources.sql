-- Log-in attempts carry where they came from, so the rate limit is per source address and per account
-- (a stranger cannot lock the owner out), and each attempt is a row of its own to be marked succeeded.
ALTER TABLE login_attempts ADD COLUMN id bigserial PRIMARY KEY;
ALTER TABLE login_attempts ADD COLUMN source text NOT NULL DEFAULT '';
CREATE INDEX login_attempts_source ON login_attempts (source, at);
