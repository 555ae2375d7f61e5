-- A campaign's frozen population as one row of parallel arrays in filing order, written and read whole.
-- A national campaign freezes a million filings: a row each cost a million inserts, index entries and two
-- foreign-key checks per row, twenty times the time to read them. The filings named cannot go away
-- (filings are never deleted), so one row per campaign keeps the same record. Uncompressed (EXTERNAL):
-- written and read whole, compression would only add time.
-- The strata sizes (by the campaign's cut-off) are kept with the campaign and each item keeps whether it
-- was flagged, so an estimate never reads the population again.
CREATE TABLE frozen_populations (
    campaign_id bigint PRIMARY KEY REFERENCES campaigns (id),
    filing_ids  bigint[] NOT NULL,
    refs        text[] NOT NULL,
    risks       double precision[] NOT NULL,     -- to 6 decimals, as digested
    flagged     boolean[] NOT NULL,
    CHECK (cardinality(refs) = cardinality(filing_ids) AND cardinality(risks) = cardinality(filing_ids)
           AND cardinality(flagged) = cardinality(filing_ids))
);
ALTER TABLE frozen_populations ALTER COLUMN filing_ids SET STORAGE EXTERNAL, ALTER COLUMN refs SET STORAGE EXTERNAL,
    ALTER COLUMN risks SET STORAGE EXTERNAL, ALTER COLUMN flagged SET STORAGE EXTERNAL;
CREATE TRIGGER frozen_populations_frozen
    BEFORE UPDATE OR DELETE ON frozen_populations
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();

INSERT INTO frozen_populations (campaign_id, filing_ids, refs, risks, flagged)
SELECT campaign_id, array_agg(filing_id ORDER BY ref COLLATE "C"), array_agg(ref ORDER BY ref COLLATE "C"),
       array_agg(risk ORDER BY ref COLLATE "C"), array_agg(flagged ORDER BY ref COLLATE "C")
FROM campaign_population GROUP BY campaign_id;

ALTER TABLE campaigns ADD COLUMN population_strata jsonb;    -- {"certainty": n, "flagged": n, "unflagged": n}
UPDATE campaigns c SET population_strata = s.strata
FROM (SELECT p.campaign_id, jsonb_build_object(
             'certainty', count(*) FILTER (WHERE p.risk >= coalesce((c.params->>'certainty_cutoff')::float8, 1.0)),
             'flagged', count(*) FILTER (WHERE p.risk < coalesce((c.params->>'certainty_cutoff')::float8, 1.0)
                                              AND p.flagged),
             'unflagged', count(*) FILTER (WHERE p.risk < coalesce((c.params->>'certainty_cutoff')::float8, 1.0)
                                                AND NOT p.flagged)) AS strata
      FROM campaign_population p JOIN campaigns c ON c.id = p.campaign_id GROUP BY p.campaign_id) s
WHERE s.campaign_id = c.id;

ALTER TABLE audit_items ADD COLUMN flagged boolean;
UPDATE audit_items i SET flagged = p.flagged
FROM campaign_population p WHERE p.campaign_id = i.campaign_id AND p.filing_id = i.filing_id;
UPDATE audit_items SET flagged = false WHERE flagged IS NULL;
ALTER TABLE audit_items ALTER COLUMN flagged SET NOT NULL;

DROP TABLE campaign_population;

-- appended to, never changed (the trigger refuses it as well); the service role gets no UPDATE
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'techreg_app') THEN
        REVOKE UPDATE ON frozen_populations FROM techreg_app;
    END IF;
END $$;
