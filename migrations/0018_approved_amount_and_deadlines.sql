-- The approved technology transaction amount (核定技术交易额): the registrar approves an amount when registering,
-- deducting the non-technical parts item by item (the items are in the register event's detail); the
-- certificate, the statistics and the detectors use it (registry/approval.py).
--
-- NULL until a registrar approves one. Registrations made before this migration have none: they count at
-- their declared amount (coalesce(approved_amount, tech_amount)), as back-filled history without one does.
ALTER TABLE filings ADD COLUMN approved_amount numeric(16, 2)
    CHECK (approved_amount >= 0 AND approved_amount <= tech_amount);

-- The approved amount is part of the filing's state (registry/events.py): the digest appends it only when
-- there is one, so the digest of every filing written before it, and the events that committed to those
-- digests, stay as they were.
ALTER TABLE filings DROP COLUMN state_digest;
ALTER TABLE filings ADD COLUMN state_digest bytea GENERATED ALWAYS AS (sha256(utf8_bytes(ref || chr(31) || contract_no || chr(31) || title || chr(31) || kind || chr(31) || coalesce(subkind, '') || chr(31) || software::text || chr(31) || domain || chr(31) || seller_code::text || chr(31) || seller_name || chr(31) || coalesce(seller_region::text, '') || chr(31) || buyer_code::text || chr(31) || buyer_name || chr(31) || coalesce(buyer_region::text, '') || chr(31) || amount::text || chr(31) || tech_amount::text || chr(31) || (signed_on - DATE '2000-01-01')::text || chr(31) || (performance_start - DATE '2000-01-01')::text || chr(31) || (performance_end - DATE '2000-01-01')::text || chr(31) || (filed_on - DATE '2000-01-01')::text || chr(31) || point_code || chr(31) || coalesce(registrar, '') || chr(31) || coalesce(description, '') || chr(31) || status || chr(31) || coalesce(reg_no, '') || chr(31) || coalesce((registered_on - DATE '2000-01-01')::text, '') || coalesce(chr(31) || approved_amount::text, '')))) STORED;

-- The detectors read the approved amount where one exists (the large line is on the approved amount):
-- filing_facts.tech_amount is the amount the registry counts, coalesce(approved_amount, tech_amount).
CREATE OR REPLACE FUNCTION filing_facts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO filing_facts AS x
    SELECT f.id, f.status = 'refused', s.party_no, b.party_no, s.brand_key, f.kind, f.domain, f.software,
           f.amount, coalesce(f.approved_amount, f.tech_amount), f.signed_on, f.performance_start,
           f.performance_end, f.filed_on,
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

-- Decision deadlines (registry/deadlines.py): the count restarts on the day a returned filing comes back,
-- read from its last resubmission; the pending filings are read by point.
CREATE INDEX filing_events_resubmits ON filing_events (filing_id, at) WHERE action = 'resubmit';
CREATE INDEX filings_pending ON filings (point_code, filed_on) WHERE status = 'submitted';
