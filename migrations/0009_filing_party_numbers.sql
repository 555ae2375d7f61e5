-- The parties' numbers (and the seller's trade-name key) on each filing, so a scan reads filings
-- without joining parties twice per row. Parties are only ever inserted (ON CONFLICT DO NOTHING),
-- never renamed, so these copies cannot go stale; a trigger fills them on every insert or party change.
ALTER TABLE filings
    ADD COLUMN seller_no integer,
    ADD COLUMN buyer_no integer,
    ADD COLUMN seller_brand integer;

UPDATE filings f
SET seller_no = s.party_no, seller_brand = s.brand_key, buyer_no = b.party_no
FROM parties s, parties b
WHERE s.credit_code = f.seller_code AND b.credit_code = f.buyer_code;

ALTER TABLE filings
    ALTER COLUMN seller_no SET NOT NULL,
    ALTER COLUMN buyer_no SET NOT NULL,
    ALTER COLUMN seller_brand SET NOT NULL;

CREATE FUNCTION filing_party_numbers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT party_no, brand_key INTO NEW.seller_no, NEW.seller_brand FROM parties WHERE credit_code = NEW.seller_code;
    SELECT party_no INTO NEW.buyer_no FROM parties WHERE credit_code = NEW.buyer_code;
    RETURN NEW;
END $$;

CREATE TRIGGER filings_party_numbers
    BEFORE INSERT OR UPDATE OF seller_code, buyer_code ON filings
    FOR EACH ROW EXECUTE FUNCTION filing_party_numbers();

-- parties are insert-only: a rename would leave the copies above (and the event trail) behind
CREATE TRIGGER parties_insert_only
    BEFORE UPDATE OR DELETE ON parties
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();
