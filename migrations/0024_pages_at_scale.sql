-- Pages at 5,000,000 filings (issue #14, item 3).

-- 1. Search by title, party name, contract number, ref or registration number: a Chinese substring, case-insensitive, through an index.
-- The embedded server has no pg_trgm, so each filing's searched text (lower-cased, the fields joined and ended
-- by a newline) is indexed as the set of its two-character grams, a tsvector under GIN. A query's grams must
-- all be there (`@@`, all ANDed), which every row containing the query as a substring satisfies; the ILIKE
-- that follows keeps only real matches. A one-character query is a prefix (`'c':*`): every character of the
-- text starts a gram, the last one of a field the gram with the newline. The index is on an expression of
-- the filing's own columns, so a correction (补正) of a title or party is searchable in the same transaction.
CREATE FUNCTION search_grams(t text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
    SELECT array_to_tsvector(array(SELECT substr(t, i, 2) FROM generate_series(1, length(t)) i))
$$;

-- The grams a query needs (its text lower-cased by the caller), as a tsquery: each lexeme quoted ('' for a
-- quote, \\ for a backslash), so no character of the query is read as tsquery syntax.
CREATE FUNCTION search_query(q text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN length(q) = 1
                THEN ('''' || replace(replace(q, '\', '\\'), '''', '''''') || ''':*')::tsquery
                ELSE (SELECT string_agg('''' || replace(replace(substr(q, i, 2), '\', '\\'), '''', '''''') || '''',
                                        ' & ')
                      FROM generate_series(1, length(q) - 1) i)::tsquery END
$$;

-- What is searched, as one text: the ref, registration number, title, contract number and both parties' names
-- (registry/listing.py SEARCHED_GRAMS writes the same expression, so the planner matches it to the index).
CREATE FUNCTION filing_search_text(ref text, reg_no text, title text, contract_no text, seller_name text,
                                   buyer_name text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT lower(ref || E'\n' || coalesce(reg_no, '') || E'\n' || title || E'\n' || contract_no || E'\n'
                 || seller_name || E'\n' || buyer_name || E'\n')
$$;

CREATE INDEX filings_search ON filings
    USING gin (search_grams(filing_search_text(ref, reg_no, title, contract_no, seller_name, buyer_name)));

-- A status that is rare (revoked, refused …) listed newest first without reading the registry backwards.
CREATE INDEX filings_status_id ON filings (status, id);


-- 2. The dashboard's and the list's counts, kept up to date in the same transaction as the filings they
-- count (statement-level triggers over the rows each statement wrote: one set-based upsert per statement,
-- so a bulk import pays once per batch), never recomputed per view. `rebuild_tallies()` recomputes them
-- from scratch (repair; `techreg tallies rebuild`).
--
-- Filings by point, status, kind, software and domain: the list's total for any filter on those, and the
-- dashboard's kinds and domains. The amount is the technology amount every statistic counts (核定技术交易额,
-- the declared one for older registrations: registry/approval.py COUNTED_AMOUNT_SQL).
CREATE TABLE filing_tally (
    point_code     text NOT NULL,
    status         text NOT NULL,
    kind           text NOT NULL,
    software       boolean NOT NULL,
    domain         text NOT NULL,
    filings        bigint NOT NULL,
    counted_amount numeric NOT NULL,
    PRIMARY KEY (point_code, status, kind, software, domain)
);
-- Filings by month of application and status: the dashboard's months.
CREATE TABLE filing_month_tally (
    month          date NOT NULL,
    status         text NOT NULL,
    filings        bigint NOT NULL,
    counted_amount numeric NOT NULL,
    PRIMARY KEY (month, status)
);
-- Active flags by month first seen (UTC, as the dashboard has always counted them) and kind.
CREATE TABLE flag_month_tally (
    month  date NOT NULL,
    kind   text NOT NULL,
    flags  bigint NOT NULL,
    PRIMARY KEY (month, kind)
);

-- Each statement's change as signed rows, +1 for each row it wrote (new), -1 for each it replaced (old), summed
-- by key and upserted in key order, so two transactions touching the same tally rows lock them in the same
-- order. (A transition table is visible only in its trigger's own function: each writes its statements out.)
CREATE FUNCTION filing_tally_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH d AS (
        SELECT point_code, status, kind, software, domain, date_trunc('month', filed_on)::date AS month,
               1 AS sign, coalesce(approved_amount, tech_amount) AS amount FROM written_filings)
    INSERT INTO filing_tally AS t (point_code, status, kind, software, domain, filings, counted_amount)
    SELECT point_code, status, kind, software, domain, sum(sign), sum(sign * amount) FROM d
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(sign) <> 0 OR sum(sign * amount) <> 0 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (point_code, status, kind, software, domain) DO UPDATE
    SET filings = t.filings + excluded.filings, counted_amount = t.counted_amount + excluded.counted_amount;
    WITH d AS (
        SELECT point_code, status, kind, software, domain, date_trunc('month', filed_on)::date AS month,
               1 AS sign, coalesce(approved_amount, tech_amount) AS amount FROM written_filings)
    INSERT INTO filing_month_tally AS t (month, status, filings, counted_amount)
    SELECT month, status, sum(sign), sum(sign * amount) FROM d
    GROUP BY 1, 2 HAVING sum(sign) <> 0 OR sum(sign * amount) <> 0 ORDER BY 1, 2
    ON CONFLICT (month, status) DO UPDATE
    SET filings = t.filings + excluded.filings, counted_amount = t.counted_amount + excluded.counted_amount;
    RETURN NULL;
END $$;
CREATE FUNCTION filing_tally_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH d AS (
        SELECT point_code, status, kind, software, domain, date_trunc('month', filed_on)::date AS month,
               1 AS sign, coalesce(approved_amount, tech_amount) AS amount FROM written_filings
        UNION ALL
        SELECT point_code, status, kind, software, domain, date_trunc('month', filed_on)::date AS month,
               -1 AS sign, coalesce(approved_amount, tech_amount) AS amount FROM replaced_filings)
    INSERT INTO filing_tally AS t (point_code, status, kind, software, domain, filings, counted_amount)
    SELECT point_code, status, kind, software, domain, sum(sign), sum(sign * amount) FROM d
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(sign) <> 0 OR sum(sign * amount) <> 0 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (point_code, status, kind, software, domain) DO UPDATE
    SET filings = t.filings + excluded.filings, counted_amount = t.counted_amount + excluded.counted_amount;
    WITH d AS (
        SELECT point_code, status, kind, software, domain, date_trunc('month', filed_on)::date AS month,
               1 AS sign, coalesce(approved_amount, tech_amount) AS amount FROM written_filings
        UNION ALL
        SELECT point_code, status, kind, software, domain, date_trunc('month', filed_on)::date AS month,
               -1 AS sign, coalesce(approved_amount, tech_amount) AS amount FROM replaced_filings)
    INSERT INTO filing_month_tally AS t (month, status, filings, counted_amount)
    SELECT month, status, sum(sign), sum(sign * amount) FROM d
    GROUP BY 1, 2 HAVING sum(sign) <> 0 OR sum(sign * amount) <> 0 ORDER BY 1, 2
    ON CONFLICT (month, status) DO UPDATE
    SET filings = t.filings + excluded.filings, counted_amount = t.counted_amount + excluded.counted_amount;
    RETURN NULL;
END $$;
CREATE FUNCTION filing_tally_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH d AS (
        SELECT point_code, status, kind, software, domain, date_trunc('month', filed_on)::date AS month,
               -1 AS sign, coalesce(approved_amount, tech_amount) AS amount FROM replaced_filings)
    INSERT INTO filing_tally AS t (point_code, status, kind, software, domain, filings, counted_amount)
    SELECT point_code, status, kind, software, domain, sum(sign), sum(sign * amount) FROM d
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(sign) <> 0 OR sum(sign * amount) <> 0 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (point_code, status, kind, software, domain) DO UPDATE
    SET filings = t.filings + excluded.filings, counted_amount = t.counted_amount + excluded.counted_amount;
    WITH d AS (
        SELECT point_code, status, kind, software, domain, date_trunc('month', filed_on)::date AS month,
               -1 AS sign, coalesce(approved_amount, tech_amount) AS amount FROM replaced_filings)
    INSERT INTO filing_month_tally AS t (month, status, filings, counted_amount)
    SELECT month, status, sum(sign), sum(sign * amount) FROM d
    GROUP BY 1, 2 HAVING sum(sign) <> 0 OR sum(sign * amount) <> 0 ORDER BY 1, 2
    ON CONFLICT (month, status) DO UPDATE
    SET filings = t.filings + excluded.filings, counted_amount = t.counted_amount + excluded.counted_amount;
    RETURN NULL;
END $$;

CREATE TRIGGER filing_tally_on_insert
    AFTER INSERT ON filings REFERENCING NEW TABLE AS written_filings
    FOR EACH STATEMENT EXECUTE FUNCTION filing_tally_on_insert();
CREATE TRIGGER filing_tally_on_update
    AFTER UPDATE ON filings REFERENCING OLD TABLE AS replaced_filings NEW TABLE AS written_filings
    FOR EACH STATEMENT EXECUTE FUNCTION filing_tally_on_update();
CREATE TRIGGER filing_tally_on_delete
    AFTER DELETE ON filings REFERENCING OLD TABLE AS replaced_filings
    FOR EACH STATEMENT EXECUTE FUNCTION filing_tally_on_delete();

CREATE FUNCTION flag_tally_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH d AS (
        SELECT date_trunc('month', first_seen AT TIME ZONE 'UTC')::date AS month, kind, 1 AS sign
        FROM written_flags WHERE active)
    INSERT INTO flag_month_tally AS t (month, kind, flags)
    SELECT month, kind, sum(sign) FROM d GROUP BY 1, 2 HAVING sum(sign) <> 0 ORDER BY 1, 2
    ON CONFLICT (month, kind) DO UPDATE SET flags = t.flags + excluded.flags;
    RETURN NULL;
END $$;
CREATE FUNCTION flag_tally_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH d AS (
        SELECT date_trunc('month', first_seen AT TIME ZONE 'UTC')::date AS month, kind, 1 AS sign
        FROM written_flags WHERE active
        UNION ALL
        SELECT date_trunc('month', first_seen AT TIME ZONE 'UTC')::date AS month, kind, -1 AS sign
        FROM replaced_flags WHERE active)
    INSERT INTO flag_month_tally AS t (month, kind, flags)
    SELECT month, kind, sum(sign) FROM d GROUP BY 1, 2 HAVING sum(sign) <> 0 ORDER BY 1, 2
    ON CONFLICT (month, kind) DO UPDATE SET flags = t.flags + excluded.flags;
    RETURN NULL;
END $$;
CREATE FUNCTION flag_tally_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH d AS (
        SELECT date_trunc('month', first_seen AT TIME ZONE 'UTC')::date AS month, kind, -1 AS sign
        FROM replaced_flags WHERE active)
    INSERT INTO flag_month_tally AS t (month, kind, flags)
    SELECT month, kind, sum(sign) FROM d GROUP BY 1, 2 HAVING sum(sign) <> 0 ORDER BY 1, 2
    ON CONFLICT (month, kind) DO UPDATE SET flags = t.flags + excluded.flags;
    RETURN NULL;
END $$;

CREATE TRIGGER flag_tally_on_insert
    AFTER INSERT ON flags REFERENCING NEW TABLE AS written_flags
    FOR EACH STATEMENT EXECUTE FUNCTION flag_tally_on_insert();
CREATE TRIGGER flag_tally_on_update
    AFTER UPDATE ON flags REFERENCING OLD TABLE AS replaced_flags NEW TABLE AS written_flags
    FOR EACH STATEMENT EXECUTE FUNCTION flag_tally_on_update();
CREATE TRIGGER flag_tally_on_delete
    AFTER DELETE ON flags REFERENCING OLD TABLE AS replaced_flags
    FOR EACH STATEMENT EXECUTE FUNCTION flag_tally_on_delete();

-- Every tally recomputed from the filings and flags, writers held off meanwhile (repair; the migration's
-- first fill).
CREATE FUNCTION rebuild_tallies() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE filings, flags IN SHARE MODE;
    DELETE FROM filing_tally;
    DELETE FROM filing_month_tally;
    DELETE FROM flag_month_tally;
    INSERT INTO filing_tally
    SELECT point_code, status, kind, software, domain, count(*), sum(coalesce(approved_amount, tech_amount))
    FROM filings GROUP BY 1, 2, 3, 4, 5;
    INSERT INTO filing_month_tally
    SELECT date_trunc('month', filed_on)::date, status, count(*), sum(coalesce(approved_amount, tech_amount))
    FROM filings GROUP BY 1, 2;
    INSERT INTO flag_month_tally
    SELECT date_trunc('month', first_seen AT TIME ZONE 'UTC')::date, kind, count(*)
    FROM flags WHERE active GROUP BY 1, 2;
END $$;

-- derived figures, not a trail: the service may empty them to rebuild
GRANT DELETE ON filing_tally, filing_month_tally, flag_month_tally TO techreg_app;

SELECT rebuild_tallies();
