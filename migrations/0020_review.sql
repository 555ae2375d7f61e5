-- Review (复核, registry/review.py): a second look by someone other than the first registrar at
-- registrations that matter (four eyes: large, or carrying a high flag), at refusals and returns a party
-- disputes, and at registered contracts a supervisor questions. Every step is also an event on the filing's
-- chain; this table is the queue and the record of who reviewed what and how it ended.

-- A registration that needs a second person waits as "proposed" until a second qualified person confirms it.
ALTER TABLE filings DROP CONSTRAINT filings_status_check;
ALTER TABLE filings ADD CONSTRAINT filings_status_check
    CHECK (status IN ('submitted', 'proposed', 'returned', 'registered', 'refused', 'revoked', 'cancelled'));

CREATE TABLE reviews (
    id             bigserial PRIMARY KEY,
    filing_id      bigint NOT NULL REFERENCES filings (id),
    kind           text NOT NULL CHECK (kind IN ('registration', 'party_request', 'supervision')),
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'decided')),
    -- the decision under review: the filing event (its seq), what it did, who took it and the state it left
    subject_seq    integer NOT NULL,
    subject_action text NOT NULL,
    subject_actor  text NOT NULL,
    subject_status text NOT NULL,
    opened_by      text NOT NULL,
    opened_at      timestamptz NOT NULL,
    opened_seq     integer NOT NULL,            -- the event that opened it
    requested_on   date,                        -- a party's request: the day the party asked
    party          text CHECK (party IN ('seller', 'buyer')),
    grounds        text NOT NULL DEFAULT '',
    proposal       jsonb,                       -- registration: the approval proposed and why it needs four eyes
    outcome        text CHECK (outcome IN ('confirmed', 'sent_back', 'upheld', 'overturned', 'returned',
                                           'corrected', 'revoked')),
    reasons        jsonb NOT NULL DEFAULT '[]',
    note           text NOT NULL DEFAULT '',
    decided_by     text,
    decided_at     timestamptz,
    decision_seq   integer,                     -- the event that ended it
    CHECK ((status = 'open') = (outcome IS NULL)),
    CHECK ((kind = 'party_request') = (requested_on IS NOT NULL))
);
-- one open review per filing: two people opening one at once get a conflict, not two reviews
CREATE UNIQUE INDEX reviews_one_open ON reviews (filing_id) WHERE status = 'open';
-- one party request per decision
CREATE UNIQUE INDEX reviews_one_request ON reviews (filing_id, subject_seq) WHERE kind = 'party_request';
CREATE INDEX reviews_filing ON reviews (filing_id, id);
CREATE INDEX reviews_queue ON reviews (kind, id) WHERE status = 'open';

-- who stepped aside from a review (回避): a standing tie to a party is kept in inspector_ties as well
CREATE TABLE review_recusals (
    review_id  bigint NOT NULL REFERENCES reviews (id),
    user_id    bigint NOT NULL REFERENCES users (id),
    reason     text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (review_id, user_id)
);

-- the decision clock starts again when a review overturns a refusal or a return (registry/deadlines.py)
CREATE INDEX filing_events_reopened ON filing_events (filing_id, at)
    WHERE action = 'review_decision' AND to_status = 'submitted';
