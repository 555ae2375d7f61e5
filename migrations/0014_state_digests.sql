-- Every event commits to the filing's fields as they are after it (registry/events.py): the filing row
-- carries the digest of its fields, kept by PostgreSQL, and each new event stores the digest it was
-- hashed with. `techreg audit verify` compares the row's digest with its last event's, so a field changed
-- behind the trail's back (an amount multiplied, a status or number erased) is found.

-- convert_to is only STABLE (it could depend on the server encoding); with the encoding named, its result
-- depends on its argument alone, which a generated column needs
CREATE FUNCTION utf8_bytes(value text) RETURNS bytea LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT convert_to(value, 'UTF8') $$;

ALTER TABLE filings ADD COLUMN state_digest bytea GENERATED ALWAYS AS (sha256(utf8_bytes(ref || chr(31) || contract_no || chr(31) || title || chr(31) || kind || chr(31) || coalesce(subkind, '') || chr(31) || software::text || chr(31) || domain || chr(31) || seller_code::text || chr(31) || seller_name || chr(31) || coalesce(seller_region::text, '') || chr(31) || buyer_code::text || chr(31) || buyer_name || chr(31) || coalesce(buyer_region::text, '') || chr(31) || amount::text || chr(31) || tech_amount::text || chr(31) || (signed_on - DATE '2000-01-01')::text || chr(31) || (performance_start - DATE '2000-01-01')::text || chr(31) || (performance_end - DATE '2000-01-01')::text || chr(31) || (filed_on - DATE '2000-01-01')::text || chr(31) || point_code || chr(31) || coalesce(registrar, '') || chr(31) || coalesce(description, '') || chr(31) || status || chr(31) || coalesce(reg_no, '') || chr(31) || coalesce((registered_on - DATE '2000-01-01')::text, '')))) STORED;
ALTER TABLE filing_events ADD COLUMN state_digest bytea;
