-- The search index's grams (0024) computed without a row per character: every filing written pays for them
-- (the gram computation was two thirds of the index's cost on an import, 54 µs of a filing's ~250 µs).
-- The same set as before: the text cut into pairs from its first character and from its second (a separator
-- after each pair, split on it) gives every two-character substring and the last character alone, as the
-- generate_series did. The separator is chr(1); a text that holds it takes the old way. The index keeps its
-- entries: the function gives the same tsvector for every text (tests/test_pages_at_scale.py compares them).
CREATE OR REPLACE FUNCTION search_grams(t text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
    SELECT CASE WHEN strpos(t, chr(1)) = 0
                THEN array_to_tsvector(array_remove(
                         string_to_array(regexp_replace(t, '..', E'\\&\x01', 'g'), E'\x01')
                         || string_to_array(regexp_replace(substr(t, 2), '..', E'\\&\x01', 'g'), E'\x01'), ''))
                ELSE array_to_tsvector(array(SELECT substr(t, i, 2) FROM generate_series(1, length(t)) i)) END
$$;
