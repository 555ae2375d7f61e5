-- What the detectors read of each filing, in a narrow table of its own (about a quarter of a filing row):
-- an incremental scan reads the whole history of the changed filings' parties, scattered across the
-- registry, and from here touches a fraction of the pages it would in filings; a full scan reads it in one
-- sequential pass. Parties come as their numbers and the seller's trade-name key (0005), text keys as
-- hashes (0004). Statement-level triggers keep it in the same transaction as the filings it mirrors, so it
-- is never behind, and a bulk import fills it with one set-based insert per statement.
CREATE TABLE filing_facts (
    id                   bigint PRIMARY KEY REFERENCES filings (id),
    refused              boolean NOT NULL,
    seller_no            integer NOT NULL,
    buyer_no             integer NOT NULL,
    seller_brand         integer NOT NULL,
    kind                 text NOT NULL,
    domain               text NOT NULL,
    software             boolean NOT NULL,
    amount               numeric(16, 2) NOT NULL,
    tech_amount          numeric(16, 2) NOT NULL,
    signed_on            date NOT NULL,
    performance_start    date NOT NULL,
    performance_end      date NOT NULL,
    filed_on             date NOT NULL,
    contract_prefix_hash integer NOT NULL,
    contract_seq         bigint NOT NULL,
    contract_hash        integer NOT NULL,   -- 0: no contract number
    core_hash            integer NOT NULL
);

CREATE FUNCTION filing_facts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO filing_facts AS x
    SELECT f.id, f.status = 'refused', s.party_no, b.party_no, s.brand_key, f.kind, f.domain, f.software,
           f.amount, f.tech_amount, f.signed_on, f.performance_start, f.performance_end, f.filed_on,
           hashtext(f.contract_prefix), f.contract_seq,
           CASE WHEN f.contract_key = '' THEN 0 ELSE hashtext(f.contract_key) END, hashtext(f.title_core)
    FROM written_filings f
    JOIN parties s ON s.credit_code = f.seller_code
    JOIN parties b ON b.credit_code = f.buyer_code
    ON CONFLICT (id) DO UPDATE SET
        refused = excluded.refused, seller_no = excluded.seller_no, buyer_no = excluded.buyer_no,
        seller_brand = excluded.seller_brand, kind = excluded.kind, domain = excluded.domain,
        software = excluded.software, amount = excluded.amount, tech_amount = excluded.tech_amount,
        signed_on = excluded.signed_on, performance_start = excluded.performance_start,
        performance_end = excluded.performance_end, filed_on = excluded.filed_on,
        contract_prefix_hash = excluded.contract_prefix_hash, contract_seq = excluded.contract_seq,
        contract_hash = excluded.contract_hash, core_hash = excluded.core_hash
    -- most updates of a filing (its event counter, a registration) change nothing here: write nothing then
    WHERE (x.*) IS DISTINCT FROM (excluded.*);
    RETURN NULL;
END $$;

CREATE TRIGGER filing_facts_on_insert
    AFTER INSERT ON filings REFERENCING NEW TABLE AS written_filings
    FOR EACH STATEMENT EXECUTE FUNCTION filing_facts_sync();
CREATE TRIGGER filing_facts_on_update
    AFTER UPDATE ON filings REFERENCING NEW TABLE AS written_filings
    FOR EACH STATEMENT EXECUTE FUNCTION filing_facts_sync();

INSERT INTO filing_facts
SELECT f.id, f.status = 'refused', s.party_no, b.party_no, s.brand_key, f.kind, f.domain, f.software,
       f.amount, f.tech_amount, f.signed_on, f.performance_start, f.performance_end, f.filed_on,
       hashtext(f.contract_prefix), f.contract_seq,
       CASE WHEN f.contract_key = '' THEN 0 ELSE hashtext(f.contract_key) END, hashtext(f.title_core)
FROM filings f
JOIN parties s ON s.credit_code = f.seller_code
JOIN parties b ON b.credit_code = f.buyer_code;

CREATE INDEX filing_facts_seller ON filing_facts (seller_no);
CREATE INDEX filing_facts_buyer ON filing_facts (buyer_no);

-- parties are insert-only (ON CONFLICT DO NOTHING everywhere): a rename would leave the trade-name keys
-- above, and the names on the filings, behind
CREATE TRIGGER parties_insert_only
    BEFORE UPDATE OR DELETE ON parties
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();

-- an incremental scan looks up which changed filings were corrected (and from which parties)
CREATE INDEX filing_events_corrections ON filing_events (filing_id) WHERE action = 'correct';
