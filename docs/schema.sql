-- techreg: the schema every migration in migrations/ produces, for reading (never applied).
-- Regenerate: python -m techreg.db.schema_dump URL > docs/schema.sql  (a freshly migrated database)

CREATE FUNCTION public.filing_facts_sync() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.filing_search_text(ref text, reg_no text, title text, contract_no text, seller_name text, buyer_name text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT lower(ref || E'\n' || coalesce(reg_no, '') || E'\n' || title || E'\n' || contract_no || E'\n'
                 || seller_name || E'\n' || buyer_name || E'\n')
$$;

CREATE FUNCTION public.filing_tally_on_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.filing_tally_on_insert() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.filing_tally_on_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.flag_tally_on_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    WITH d AS (
        SELECT date_trunc('month', first_seen AT TIME ZONE 'UTC')::date AS month, kind, -1 AS sign
        FROM replaced_flags WHERE active)
    INSERT INTO flag_month_tally AS t (month, kind, flags)
    SELECT month, kind, sum(sign) FROM d GROUP BY 1, 2 HAVING sum(sign) <> 0 ORDER BY 1, 2
    ON CONFLICT (month, kind) DO UPDATE SET flags = t.flags + excluded.flags;
    RETURN NULL;
END $$;

CREATE FUNCTION public.flag_tally_on_insert() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    WITH d AS (
        SELECT date_trunc('month', first_seen AT TIME ZONE 'UTC')::date AS month, kind, 1 AS sign
        FROM written_flags WHERE active)
    INSERT INTO flag_month_tally AS t (month, kind, flags)
    SELECT month, kind, sum(sign) FROM d GROUP BY 1, 2 HAVING sum(sign) <> 0 ORDER BY 1, 2
    ON CONFLICT (month, kind) DO UPDATE SET flags = t.flags + excluded.flags;
    RETURN NULL;
END $$;

CREATE FUNCTION public.flag_tally_on_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.rebuild_tallies() RETURNS void
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.refuse_event_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE FUNCTION public.search_grams(t text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE STRICT COST 1000 PARALLEL SAFE
    AS $$
    SELECT CASE WHEN strpos(t, chr(1)) = 0
                THEN array_to_tsvector(array_remove(
                         string_to_array(regexp_replace(t, '..', E'\\&\x01', 'g'), E'\x01')
                         || string_to_array(regexp_replace(substr(t, 2), '..', E'\\&\x01', 'g'), E'\x01'), ''))
                ELSE array_to_tsvector(array(SELECT substr(t, i, 2) FROM generate_series(1, length(t)) i)) END
$$;

CREATE FUNCTION public.search_query(q text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
    SELECT CASE WHEN length(q) = 1
                THEN ('''' || replace(replace(q, '\', '\\'), '''', '''''') || ''':*')::tsquery
                ELSE (SELECT string_agg('''' || replace(replace(substr(q, i, 2), '\', '\\'), '''', '''''') || '''',
                                        ' & ')
                      FROM generate_series(1, length(q) - 1) i)::tsquery END
$$;

CREATE FUNCTION public.utf8_bytes(value text) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT convert_to(value, 'UTF8') $$;

CREATE TABLE public.account_events (
    id bigint NOT NULL,
    username text NOT NULL,
    action text NOT NULL,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    actor text NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE SEQUENCE public.account_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.account_events_id_seq OWNED BY public.account_events.id;

CREATE TABLE public.audit_item_history (
    id bigint NOT NULL,
    item_id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL
);

CREATE SEQUENCE public.audit_item_history_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.audit_item_history_id_seq OWNED BY public.audit_item_history.id;

CREATE TABLE public.audit_items (
    id bigint NOT NULL,
    campaign_id bigint NOT NULL,
    filing_id bigint NOT NULL,
    stratum text NOT NULL,
    inclusion_prob double precision NOT NULL,
    risk double precision NOT NULL,
    inspector_id bigint,
    due_on date NOT NULL,
    status text DEFAULT 'open'::text NOT NULL,
    outcome text,
    reasons jsonb,
    notes text,
    evidence text[],
    decided_by text,
    decided_at timestamp with time zone,
    flagged boolean NOT NULL,
    CONSTRAINT audit_items_inclusion_prob_check CHECK (((inclusion_prob > (0)::double precision) AND (inclusion_prob <= (1)::double precision))),
    CONSTRAINT audit_items_outcome_check CHECK ((outcome = ANY (ARRAY['cleared'::text, 'rectification_ordered'::text, 'revoked'::text, 'deregistration_ordered'::text, 'referred'::text]))),
    CONSTRAINT audit_items_status_check CHECK ((status = ANY (ARRAY['open'::text, 'done'::text]))),
    CONSTRAINT audit_items_stratum_check CHECK ((stratum = ANY (ARRAY['certainty'::text, 'pps'::text, 'control'::text])))
);

CREATE SEQUENCE public.audit_items_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.audit_items_id_seq OWNED BY public.audit_items.id;

CREATE TABLE public.campaign_numbers (
    one_row boolean DEFAULT true NOT NULL,
    last_no integer NOT NULL,
    CONSTRAINT campaign_numbers_one_row_check CHECK (one_row)
);

CREATE TABLE public.campaigns (
    id bigint NOT NULL,
    name text NOT NULL,
    status text DEFAULT 'open'::text NOT NULL,
    params jsonb NOT NULL,
    seed text NOT NULL,
    population_size integer,
    population_digest text,
    frozen_at timestamp with time zone,
    created_by text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    population_strata jsonb,
    public_no integer,
    CONSTRAINT campaigns_published_numbered CHECK (((status = 'draft'::text) = (public_no IS NULL))),
    CONSTRAINT campaigns_status_check CHECK ((status = ANY (ARRAY['draft'::text, 'open'::text, 'closed'::text])))
);

CREATE SEQUENCE public.campaigns_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.campaigns_id_seq OWNED BY public.campaigns.id;

CREATE TABLE public.credit_checks (
    id bigint NOT NULL,
    filing_id bigint NOT NULL,
    stage text NOT NULL,
    checked_on date NOT NULL,
    hits jsonb NOT NULL,
    actor text NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT credit_checks_stage_check CHECK ((stage = 'submission'::text))
);

CREATE SEQUENCE public.credit_checks_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.credit_checks_id_seq OWNED BY public.credit_checks.id;

CREATE TABLE public.credit_record_versions (
    id bigint NOT NULL,
    record_id bigint NOT NULL,
    version integer NOT NULL,
    credit_code text NOT NULL,
    party_name text,
    record_type text NOT NULL,
    valid_from date NOT NULL,
    valid_to date,
    description text DEFAULT ''::text NOT NULL,
    imported_from text NOT NULL,
    recorded_by text NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT credit_record_versions_check CHECK (((valid_to IS NULL) OR (valid_to >= valid_from))),
    CONSTRAINT credit_record_versions_credit_code_check CHECK ((length(credit_code) = 18)),
    CONSTRAINT credit_record_versions_party_name_check CHECK (((length(party_name) >= 1) AND (length(party_name) <= 200))),
    CONSTRAINT credit_record_versions_version_check CHECK ((version >= 1))
);

CREATE SEQUENCE public.credit_record_versions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.credit_record_versions_id_seq OWNED BY public.credit_record_versions.id;

CREATE TABLE public.credit_records (
    id bigint NOT NULL,
    record_key text NOT NULL,
    source text NOT NULL,
    source_ref text,
    origin text NOT NULL,
    filing_id bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT credit_records_check CHECK (((origin = 'registry'::text) = (filing_id IS NOT NULL))),
    CONSTRAINT credit_records_origin_check CHECK ((origin = ANY (ARRAY['import'::text, 'registry'::text]))),
    CONSTRAINT credit_records_source_check CHECK (((length(source) >= 1) AND (length(source) <= 200))),
    CONSTRAINT credit_records_source_ref_check CHECK (((length(source_ref) >= 1) AND (length(source_ref) <= 100)))
);

CREATE SEQUENCE public.credit_records_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.credit_records_id_seq OWNED BY public.credit_records.id;

CREATE TABLE public.detector_kinds (
    kind text NOT NULL,
    label_zh text NOT NULL,
    label_en text NOT NULL,
    weight double precision NOT NULL,
    CONSTRAINT detector_kinds_weight_check CHECK (((weight > (0)::double precision) AND (weight <= (1)::double precision)))
);

CREATE TABLE public.evidence_files (
    id bigint NOT NULL,
    item_id bigint NOT NULL,
    file_name text NOT NULL,
    media_type text NOT NULL,
    content bytea NOT NULL,
    size_bytes bigint GENERATED ALWAYS AS (octet_length(content)) STORED,
    sha256 bytea GENERATED ALWAYS AS (sha256(content)) STORED,
    note text DEFAULT ''::text NOT NULL,
    uploaded_by text NOT NULL,
    uploaded_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT evidence_files_content_check CHECK ((octet_length(content) > 0)),
    CONSTRAINT evidence_files_file_name_check CHECK (((length(file_name) >= 1) AND (length(file_name) <= 255)))
);
ALTER TABLE ONLY public.evidence_files ALTER COLUMN content SET STORAGE EXTERNAL;

CREATE SEQUENCE public.evidence_files_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.evidence_files_id_seq OWNED BY public.evidence_files.id;

CREATE TABLE public.evidence_withdrawals (
    file_id bigint NOT NULL,
    withdrawn_by text NOT NULL,
    withdrawn_at timestamp with time zone DEFAULT now() NOT NULL,
    reason text NOT NULL,
    CONSTRAINT evidence_withdrawals_reason_check CHECK (((length(reason) >= 1) AND (length(reason) <= 500)))
);

CREATE TABLE public.filing_events (
    id bigint NOT NULL,
    filing_id bigint NOT NULL,
    seq integer NOT NULL,
    at timestamp with time zone NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    from_status text,
    to_status text,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    prev_hash bytea,
    hash bytea NOT NULL,
    state_digest bytea
);

CREATE SEQUENCE public.filing_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.filing_events_id_seq OWNED BY public.filing_events.id;

CREATE TABLE public.filing_facts (
    id bigint NOT NULL,
    refused boolean NOT NULL,
    seller_no integer NOT NULL,
    buyer_no integer NOT NULL,
    seller_brand integer NOT NULL,
    kind text NOT NULL,
    domain text NOT NULL,
    software boolean NOT NULL,
    amount double precision NOT NULL,
    tech_amount double precision NOT NULL,
    signed_on date NOT NULL,
    performance_start date NOT NULL,
    performance_end date NOT NULL,
    filed_on date NOT NULL,
    contract_prefix_hash integer NOT NULL,
    contract_seq bigint NOT NULL,
    contract_hash integer NOT NULL,
    core_hash integer NOT NULL,
    peer_group integer GENERATED ALWAYS AS ((((array_position(ARRAY['development'::text, 'transfer'::text, 'license'::text, 'consulting'::text, 'service'::text], kind) * 32) + (array_position(ARRAY['electronic_information'::text, 'advanced_manufacturing'::text, 'aerospace'::text, 'modern_transport'::text, 'agriculture'::text, 'new_materials'::text, 'new_energy'::text, 'environment'::text, 'nuclear'::text, 'biomedicine'::text, 'urban_social'::text], domain) * 2)) + (software)::integer)) STORED
);

CREATE TABLE public.filing_month_tally (
    month date NOT NULL,
    status text NOT NULL,
    filings bigint NOT NULL,
    counted_amount numeric NOT NULL
);

CREATE TABLE public.flags (
    id bigint NOT NULL,
    filing_id bigint NOT NULL,
    kind text NOT NULL,
    detector text NOT NULL,
    score double precision NOT NULL,
    reasons jsonb NOT NULL,
    related text[] DEFAULT '{}'::text[] NOT NULL,
    first_seen timestamp with time zone DEFAULT now() NOT NULL,
    last_seen timestamp with time zone DEFAULT now() NOT NULL,
    first_run bigint,
    last_run bigint,
    active boolean DEFAULT true NOT NULL,
    CONSTRAINT flags_score_check CHECK (((score >= (0)::double precision) AND (score <= (1)::double precision)))
);

CREATE VIEW public.filing_risk AS
 SELECT g.filing_id,
    ((1)::double precision - exp(sum(ln(((1)::double precision - LEAST((g.score * COALESCE(k.weight, (1)::double precision)), (0.999)::double precision)))))) AS risk,
    count(*) AS flag_count,
    array_agg(DISTINCT g.kind ORDER BY g.kind) AS kinds
   FROM (public.flags g
     LEFT JOIN public.detector_kinds k ON ((k.kind = g.kind)))
  WHERE g.active
  GROUP BY g.filing_id;

CREATE TABLE public.filing_tally (
    point_code text NOT NULL,
    status text NOT NULL,
    kind text NOT NULL,
    software boolean NOT NULL,
    domain text NOT NULL,
    filings bigint NOT NULL,
    counted_amount numeric NOT NULL
);

CREATE SEQUENCE public.filings_change_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

CREATE TABLE public.filings (
    id bigint NOT NULL,
    ref text NOT NULL,
    contract_no text NOT NULL,
    title text NOT NULL,
    kind text NOT NULL,
    subkind text,
    software boolean NOT NULL,
    domain text NOT NULL,
    seller_code character(18) NOT NULL,
    seller_name text NOT NULL,
    seller_region character(6),
    buyer_code character(18) NOT NULL,
    buyer_name text NOT NULL,
    buyer_region character(6),
    amount numeric(16,2) NOT NULL,
    tech_amount numeric(16,2) NOT NULL,
    signed_on date NOT NULL,
    performance_start date NOT NULL,
    performance_end date NOT NULL,
    filed_on date NOT NULL,
    point_code text NOT NULL,
    registrar text,
    description text,
    status text DEFAULT 'submitted'::text NOT NULL,
    reg_no text,
    registered_on date,
    created_by text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    change_seq bigint DEFAULT nextval('public.filings_change_seq'::regclass) NOT NULL,
    event_count integer DEFAULT 0 NOT NULL,
    last_event_hash bytea,
    title_core text GENERATED ALWAYS AS (regexp_replace(regexp_replace(regexp_replace(lower(title), '第|期|阶段|部分|标段|分包|批次|模块|子系统|子项目|续签|续|phase|part|module|stage|lot|no\.'::text, ''::text, 'g'::text), '(?<![a-z])([a-z]|[ivx]+)(?![a-z])'::text, ''::text, 'g'::text), '[0-9一二三四五六七八九十百零〇ⅰ-ⅿⅠ-Ⅻ①-⑳]|[[:punct:][:space:]（）【】《》〈〉「」『』，、。：；！？“”‘’—－·…]'::text, ''::text, 'g'::text)) STORED,
    title_marks text GENERATED ALWAYS AS (regexp_replace(regexp_replace(regexp_replace(lower(title), '(19|20)[0-9]{2}'::text, ''::text, 'g'::text), '(?<![a-z])(?![ivx]+(?![a-z]))[a-z]{2,}'::text, ''::text, 'g'::text), '[^0-9一二三四五六七八九十百零〇ⅰ-ⅿⅠ-Ⅻ①-⑳a-z]'::text, ''::text, 'g'::text)) STORED,
    contract_key text GENERATED ALWAYS AS (upper(regexp_replace(contract_no, '[^0-9A-Za-z]'::text, ''::text, 'g'::text))) STORED,
    title_subject text GENERATED ALWAYS AS (regexp_replace(regexp_replace(regexp_replace(regexp_replace(lower(title), '(19|20)[0-9]{2}'::text, ''::text, 'g'::text), '关于|的|项目|合同书|合同|协议书|协议|技术开发|技术服务|技术咨询|技术转让|技术许可|技术|开发|研发|服务|咨询|转让|许可|委托|合作|补充|追加|续签|续期|续|增补|变更|延期|年度|第|期|阶段|部分|标段|分包|号包|批次|子模块|模块|子系统|分系统|子项目|组件|phase|part|module|stage|lot|no\.'::text, ''::text, 'g'::text), '(?<![a-z])([a-z]|[ivx]+)(?![a-z])'::text, ''::text, 'g'::text), '[0-9一二三四五六七八九十百零〇ⅰ-ⅿⅠ-Ⅻ①-⑳]|[[:punct:][:space:]（）【】《》〈〉「」『』，、。：；！？“”‘’—－·…]'::text, ''::text, 'g'::text)) STORED,
    contract_prefix text GENERATED ALWAYS AS (regexp_replace(regexp_replace(contract_no, '[0-9]+[^0-9]*$'::text, ''::text), '(19|20)[0-9]{2}'::text, ''::text, 'g'::text)) STORED,
    contract_seq bigint GENERATED ALWAYS AS (
CASE
    WHEN ((length("substring"(contract_no, '([0-9]+)[^0-9]*$'::text)) >= 1) AND (length("substring"(contract_no, '([0-9]+)[^0-9]*$'::text)) <= 9)) THEN (("substring"(contract_no, '([0-9]+)[^0-9]*$'::text))::bigint + (COALESCE(("substring"(regexp_replace(contract_no, '[0-9]+[^0-9]*$'::text, ''::text), '((19|20)[0-9]{2})'::text))::bigint, (0)::bigint) * 1000000000))
    WHEN ((length("substring"(contract_no, '([0-9]+)[^0-9]*$'::text)) >= 10) AND (length("substring"(contract_no, '([0-9]+)[^0-9]*$'::text)) <= 15)) THEN ("substring"(contract_no, '([0-9]+)[^0-9]*$'::text))::bigint
    ELSE ('-1'::integer)::bigint
END) STORED,
    title_part_marks text GENERATED ALWAYS AS (regexp_replace(regexp_replace(lower(title), '(19|20)[0-9]{2}'::text, ''::text, 'g'::text), '(第[0-9一二三四五六七八九十]+[期阶段部分标段批包]|[0-9一二三四五六七八九十]+期|[-—－–]?[0-9一二三四五六七八九十]*(阶段|部分|标段|分包|批次)([0-9一二三四五六七八九十]|[a-z])*|[0-9一二三四五六七八九十]+号?包|(子模块|模块|子系统|分系统|子项目)([0-9一二三四五六七八九十]|[a-z])+(?!次)|(子模块|模块|子系统|分系统|子项目)(?=技术|开发|研发|服务|咨询|转让|许可|合同|协议|项目|[^一-龥]|$)|补充[0-9一二三四五六七八九十]*|追加|增补|续签|续期|后续|[（(]续[0-9一二三四五六七八九十]*[)）]|续$|(phase|part|stage|lot|module)[[:space:]]*[0-9a-z]+|[（(]([0-9一二三四五六七八九十]+|(i|ii|iii|iv|v|vi|vii|viii|ix|x))[)）]|[[:space:]](i|ii|iii|iv|v|vi|vii|viii|ix|x)$|^((i|ii|iii|iv|v|vi|vii|viii|ix|x)|[0-9]+|[一二三四五六七八九十]+)[、.．:：—－-]|[-—－–][[:space:]]*[0-9]+[[:space:]]*$|[^[:space:]][-—－–][^0-9])|.'::text, '\1'::text, 'g'::text)) STORED,
    approved_amount numeric(16,2),
    state_digest bytea GENERATED ALWAYS AS (sha256(public.utf8_bytes((((((((((((((((((((((((((((((((((((((((((((((((((ref || chr(31)) || contract_no) || chr(31)) || title) || chr(31)) || kind) || chr(31)) || COALESCE(subkind, ''::text)) || chr(31)) || (software)::text) || chr(31)) || domain) || chr(31)) || (seller_code)::text) || chr(31)) || seller_name) || chr(31)) || COALESCE((seller_region)::text, ''::text)) || chr(31)) || (buyer_code)::text) || chr(31)) || buyer_name) || chr(31)) || COALESCE((buyer_region)::text, ''::text)) || chr(31)) || (amount)::text) || chr(31)) || (tech_amount)::text) || chr(31)) || ((signed_on - '2000-01-01'::date))::text) || chr(31)) || ((performance_start - '2000-01-01'::date))::text) || chr(31)) || ((performance_end - '2000-01-01'::date))::text) || chr(31)) || ((filed_on - '2000-01-01'::date))::text) || chr(31)) || point_code) || chr(31)) || COALESCE(registrar, ''::text)) || chr(31)) || COALESCE(description, ''::text)) || chr(31)) || status) || chr(31)) || COALESCE(reg_no, ''::text)) || chr(31)) || COALESCE(((registered_on - '2000-01-01'::date))::text, ''::text)) || COALESCE((chr(31) || (approved_amount)::text), ''::text))))) STORED,
    rules_version text,
    change_xid xid8 DEFAULT pg_current_xact_id(),
    CONSTRAINT filings_amount_check CHECK ((amount > (0)::numeric)),
    CONSTRAINT filings_check CHECK (((tech_amount >= (0)::numeric) AND (tech_amount <= amount))),
    CONSTRAINT filings_check1 CHECK ((performance_end >= performance_start)),
    CONSTRAINT filings_check2 CHECK ((filed_on >= signed_on)),
    CONSTRAINT filings_check3 CHECK ((seller_code <> buyer_code)),
    CONSTRAINT filings_check4 CHECK (((approved_amount >= (0)::numeric) AND (approved_amount <= tech_amount))),
    CONSTRAINT filings_kind_check CHECK ((kind = ANY (ARRAY['development'::text, 'transfer'::text, 'license'::text, 'consulting'::text, 'service'::text]))),
    CONSTRAINT filings_status_check CHECK ((status = ANY (ARRAY['submitted'::text, 'proposed'::text, 'returned'::text, 'registered'::text, 'refused'::text, 'revoked'::text, 'cancelled'::text])))
);

CREATE SEQUENCE public.filings_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.filings_id_seq OWNED BY public.filings.id;

CREATE TABLE public.flag_month_tally (
    month date NOT NULL,
    kind text NOT NULL,
    flags bigint NOT NULL
);

CREATE SEQUENCE public.flags_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.flags_id_seq OWNED BY public.flags.id;

CREATE TABLE public.frozen_populations (
    campaign_id bigint NOT NULL,
    filing_ids bigint[] NOT NULL,
    refs text[] NOT NULL,
    risks double precision[] NOT NULL,
    flagged boolean[] NOT NULL,
    CONSTRAINT frozen_populations_check CHECK (((cardinality(refs) = cardinality(filing_ids)) AND (cardinality(risks) = cardinality(filing_ids)) AND (cardinality(flagged) = cardinality(filing_ids))))
);
ALTER TABLE ONLY public.frozen_populations ALTER COLUMN filing_ids SET STORAGE EXTERNAL;
ALTER TABLE ONLY public.frozen_populations ALTER COLUMN refs SET STORAGE EXTERNAL;
ALTER TABLE ONLY public.frozen_populations ALTER COLUMN risks SET STORAGE EXTERNAL;
ALTER TABLE ONLY public.frozen_populations ALTER COLUMN flagged SET STORAGE EXTERNAL;

CREATE TABLE public.idempotency_keys (
    user_id bigint NOT NULL,
    key text NOT NULL,
    request_hash bytea NOT NULL,
    status_code integer,
    response jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.inspector_ties (
    inspector_id bigint NOT NULL,
    credit_code character(18) NOT NULL,
    note text DEFAULT ''::text NOT NULL,
    declared_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.job_runs (
    id bigint NOT NULL,
    job text NOT NULL,
    scheduled_for timestamp with time zone NOT NULL,
    trigger text DEFAULT 'schedule'::text NOT NULL,
    coalesced integer DEFAULT 1 NOT NULL,
    status text DEFAULT 'running'::text NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    worker text NOT NULL,
    requested_by text,
    counts jsonb DEFAULT '{}'::jsonb NOT NULL,
    error text,
    CONSTRAINT job_runs_status_check CHECK ((status = ANY (ARRAY['running'::text, 'succeeded'::text, 'failed'::text]))),
    CONSTRAINT job_runs_trigger_check CHECK ((trigger = ANY (ARRAY['schedule'::text, 'manual'::text])))
);

CREATE SEQUENCE public.job_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.job_runs_id_seq OWNED BY public.job_runs.id;

CREATE TABLE public.login_attempts (
    username text NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    succeeded boolean NOT NULL,
    id bigint NOT NULL,
    source text DEFAULT ''::text NOT NULL
);

CREATE SEQUENCE public.login_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.login_attempts_id_seq OWNED BY public.login_attempts.id;

CREATE TABLE public.notices (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    kind text NOT NULL,
    message text NOT NULL,
    about date NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    read_at timestamp with time zone
);

CREATE SEQUENCE public.notices_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.notices_id_seq OWNED BY public.notices.id;

CREATE TABLE public.order_documents (
    id bigint NOT NULL,
    order_id bigint NOT NULL,
    file_name text NOT NULL,
    media_type text NOT NULL,
    content bytea NOT NULL,
    size_bytes bigint GENERATED ALWAYS AS (octet_length(content)) STORED,
    sha256 bytea GENERATED ALWAYS AS (sha256(content)) STORED,
    note text DEFAULT ''::text NOT NULL,
    uploaded_by text NOT NULL,
    uploaded_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT order_documents_content_check CHECK ((octet_length(content) > 0)),
    CONSTRAINT order_documents_file_name_check CHECK (((length(file_name) >= 1) AND (length(file_name) <= 255)))
);
ALTER TABLE ONLY public.order_documents ALTER COLUMN content SET STORAGE EXTERNAL;

CREATE SEQUENCE public.order_documents_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.order_documents_id_seq OWNED BY public.order_documents.id;

CREATE TABLE public.order_escalations (
    id bigint NOT NULL,
    order_id bigint NOT NULL,
    round integer NOT NULL,
    due_on date NOT NULL,
    escalated_on date NOT NULL,
    escalated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE SEQUENCE public.order_escalations_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.order_escalations_id_seq OWNED BY public.order_escalations.id;

CREATE TABLE public.orders (
    id bigint NOT NULL,
    item_id bigint NOT NULL,
    filing_id bigint NOT NULL,
    kind text NOT NULL,
    status text DEFAULT 'open'::text NOT NULL,
    issued_on date NOT NULL,
    working_days integer NOT NULL,
    due_on date NOT NULL,
    provisional boolean DEFAULT false NOT NULL,
    round integer DEFAULT 1 NOT NULL,
    issued_by text NOT NULL,
    issued_at timestamp with time zone DEFAULT now() NOT NULL,
    answered_at timestamp with time zone,
    fulfilled_at timestamp with time zone,
    cancel_seq integer,
    closed_at timestamp with time zone,
    closed_by text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT orders_check CHECK ((due_on > issued_on)),
    CONSTRAINT orders_kind_check CHECK ((kind = ANY (ARRAY['rectification'::text, 'deregistration'::text]))),
    CONSTRAINT orders_status_check CHECK ((status = ANY (ARRAY['open'::text, 'answered'::text, 'fulfilled'::text, 'escalated'::text, 'closed'::text]))),
    CONSTRAINT orders_working_days_check CHECK ((working_days > 0))
);

CREATE SEQUENCE public.orders_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.orders_id_seq OWNED BY public.orders.id;

CREATE TABLE public.parties (
    credit_code character(18) NOT NULL,
    name text NOT NULL,
    region character(6),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    party_no integer NOT NULL,
    brand_key integer GENERATED ALWAYS AS (
CASE
    WHEN (char_length(name) >= 6) THEN hashtext("left"(regexp_replace(regexp_replace(lower(name), '中国|中华|北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|贵州|云南|陕西|甘肃|青海|内蒙古|广西|西藏|宁夏|新疆|香港|澳门|深圳|广州|杭州|南京|苏州|武汉|成都|西安|合肥|宁波|无锡|青岛|厦门|长沙|郑州|济南|大连|沈阳|哈尔滨|长春|福州|昆明|贵阳|南宁|太原|石家庄|省|市|自治区'::text, ''::text, 'g'::text), '[[:punct:][:space:]（）【】《》〈〉「」『』，、。：；！？“”‘’—－·…]'::text, ''::text, 'g'::text), 2))
    ELSE '-1'::integer
END) STORED
);

ALTER TABLE public.parties ALTER COLUMN party_no ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.parties_party_no_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.points (
    code text NOT NULL,
    name text NOT NULL,
    number_prefix character(6),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT points_number_prefix_check CHECK ((number_prefix ~ '^[0-9]{6}$'::text))
);

CREATE TABLE public.reg_counters (
    point_code text NOT NULL,
    year integer NOT NULL,
    last_seq integer NOT NULL
);

CREATE TABLE public.review_recusals (
    review_id bigint NOT NULL,
    user_id bigint NOT NULL,
    reason text NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.reviews (
    id bigint NOT NULL,
    filing_id bigint NOT NULL,
    kind text NOT NULL,
    status text DEFAULT 'open'::text NOT NULL,
    subject_seq integer NOT NULL,
    subject_action text NOT NULL,
    subject_actor text NOT NULL,
    subject_status text NOT NULL,
    opened_by text NOT NULL,
    opened_at timestamp with time zone NOT NULL,
    opened_seq integer NOT NULL,
    requested_on date,
    party text,
    grounds text DEFAULT ''::text NOT NULL,
    proposal jsonb,
    outcome text,
    reasons jsonb DEFAULT '[]'::jsonb NOT NULL,
    note text DEFAULT ''::text NOT NULL,
    decided_by text,
    decided_at timestamp with time zone,
    decision_seq integer,
    CONSTRAINT reviews_check CHECK (((status = 'open'::text) = (outcome IS NULL))),
    CONSTRAINT reviews_check1 CHECK (((kind = 'party_request'::text) = (requested_on IS NOT NULL))),
    CONSTRAINT reviews_kind_check CHECK ((kind = ANY (ARRAY['registration'::text, 'party_request'::text, 'supervision'::text]))),
    CONSTRAINT reviews_outcome_check CHECK ((outcome = ANY (ARRAY['confirmed'::text, 'sent_back'::text, 'upheld'::text, 'overturned'::text, 'returned'::text, 'corrected'::text, 'revoked'::text]))),
    CONSTRAINT reviews_party_check CHECK ((party = ANY (ARRAY['seller'::text, 'buyer'::text]))),
    CONSTRAINT reviews_status_check CHECK ((status = ANY (ARRAY['open'::text, 'decided'::text])))
);

CREATE SEQUENCE public.reviews_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.reviews_id_seq OWNED BY public.reviews.id;

CREATE TABLE public.revocations (
    filing_id bigint NOT NULL,
    ground text NOT NULL,
    basis_kind text NOT NULL,
    basis_reference text NOT NULL,
    audit_item_id bigint,
    rules_version text NOT NULL,
    revoked_on date NOT NULL,
    revoked_at timestamp with time zone NOT NULL,
    revoked_by text NOT NULL,
    note text DEFAULT ''::text NOT NULL,
    CONSTRAINT revocations_basis_kind_check CHECK ((basis_kind <> ''::text)),
    CONSTRAINT revocations_basis_reference_check CHECK (((length(basis_reference) >= 1) AND (length(basis_reference) <= 100))),
    CONSTRAINT revocations_ground_check CHECK ((ground <> ''::text))
);

CREATE TABLE public.scan_detector_stats (
    run_id bigint NOT NULL,
    detector text NOT NULL,
    applied integer NOT NULL,
    flagged integer NOT NULL,
    excluded integer NOT NULL,
    warning text
);

CREATE TABLE public.scan_runs (
    id bigint NOT NULL,
    mode text NOT NULL,
    status text DEFAULT 'running'::text NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    filings_read integer,
    filings_scored integer,
    high_water bigint,
    error text,
    peers jsonb,
    skipped integer DEFAULT 0 NOT NULL,
    skipped_refs text[] DEFAULT '{}'::text[] NOT NULL,
    snapshot pg_snapshot,
    CONSTRAINT scan_runs_mode_check CHECK ((mode = ANY (ARRAY['full'::text, 'incremental'::text]))),
    CONSTRAINT scan_runs_status_check CHECK ((status = ANY (ARRAY['running'::text, 'succeeded'::text, 'failed'::text])))
);

CREATE SEQUENCE public.scan_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.scan_runs_id_seq OWNED BY public.scan_runs.id;

CREATE TABLE public.schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    sha256 text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.sessions (
    token_hash bytea NOT NULL,
    user_id bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL
);

CREATE TABLE public.users (
    id bigint NOT NULL,
    username text NOT NULL,
    display_name text NOT NULL,
    role text NOT NULL,
    point_code text,
    password_hash text,
    qualification_expires date,
    active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    blocked_reason text,
    CONSTRAINT users_check CHECK (((role <> 'registrar'::text) OR (point_code IS NOT NULL))),
    CONSTRAINT users_role_check CHECK ((role = ANY (ARRAY['registrar'::text, 'inspector'::text, 'supervisor'::text, 'admin'::text])))
);

CREATE SEQUENCE public.users_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;

ALTER TABLE ONLY public.account_events ALTER COLUMN id SET DEFAULT nextval('public.account_events_id_seq'::regclass);

ALTER TABLE ONLY public.audit_item_history ALTER COLUMN id SET DEFAULT nextval('public.audit_item_history_id_seq'::regclass);

ALTER TABLE ONLY public.audit_items ALTER COLUMN id SET DEFAULT nextval('public.audit_items_id_seq'::regclass);

ALTER TABLE ONLY public.campaigns ALTER COLUMN id SET DEFAULT nextval('public.campaigns_id_seq'::regclass);

ALTER TABLE ONLY public.credit_checks ALTER COLUMN id SET DEFAULT nextval('public.credit_checks_id_seq'::regclass);

ALTER TABLE ONLY public.credit_record_versions ALTER COLUMN id SET DEFAULT nextval('public.credit_record_versions_id_seq'::regclass);

ALTER TABLE ONLY public.credit_records ALTER COLUMN id SET DEFAULT nextval('public.credit_records_id_seq'::regclass);

ALTER TABLE ONLY public.evidence_files ALTER COLUMN id SET DEFAULT nextval('public.evidence_files_id_seq'::regclass);

ALTER TABLE ONLY public.filing_events ALTER COLUMN id SET DEFAULT nextval('public.filing_events_id_seq'::regclass);

ALTER TABLE ONLY public.filings ALTER COLUMN id SET DEFAULT nextval('public.filings_id_seq'::regclass);

ALTER TABLE ONLY public.flags ALTER COLUMN id SET DEFAULT nextval('public.flags_id_seq'::regclass);

ALTER TABLE ONLY public.job_runs ALTER COLUMN id SET DEFAULT nextval('public.job_runs_id_seq'::regclass);

ALTER TABLE ONLY public.login_attempts ALTER COLUMN id SET DEFAULT nextval('public.login_attempts_id_seq'::regclass);

ALTER TABLE ONLY public.notices ALTER COLUMN id SET DEFAULT nextval('public.notices_id_seq'::regclass);

ALTER TABLE ONLY public.order_documents ALTER COLUMN id SET DEFAULT nextval('public.order_documents_id_seq'::regclass);

ALTER TABLE ONLY public.order_escalations ALTER COLUMN id SET DEFAULT nextval('public.order_escalations_id_seq'::regclass);

ALTER TABLE ONLY public.orders ALTER COLUMN id SET DEFAULT nextval('public.orders_id_seq'::regclass);

ALTER TABLE ONLY public.reviews ALTER COLUMN id SET DEFAULT nextval('public.reviews_id_seq'::regclass);

ALTER TABLE ONLY public.scan_runs ALTER COLUMN id SET DEFAULT nextval('public.scan_runs_id_seq'::regclass);

ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);

ALTER TABLE ONLY public.account_events
    ADD CONSTRAINT account_events_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.audit_item_history
    ADD CONSTRAINT audit_item_history_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.audit_items
    ADD CONSTRAINT audit_items_campaign_id_filing_id_key UNIQUE (campaign_id, filing_id);

ALTER TABLE ONLY public.audit_items
    ADD CONSTRAINT audit_items_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.campaign_numbers
    ADD CONSTRAINT campaign_numbers_pkey PRIMARY KEY (one_row);

ALTER TABLE ONLY public.campaigns
    ADD CONSTRAINT campaigns_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.campaigns
    ADD CONSTRAINT campaigns_public_no_key UNIQUE (public_no);

ALTER TABLE ONLY public.credit_checks
    ADD CONSTRAINT credit_checks_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.credit_record_versions
    ADD CONSTRAINT credit_record_versions_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.credit_record_versions
    ADD CONSTRAINT credit_record_versions_record_id_version_key UNIQUE (record_id, version);

ALTER TABLE ONLY public.credit_records
    ADD CONSTRAINT credit_records_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.credit_records
    ADD CONSTRAINT credit_records_record_key_key UNIQUE (record_key);

ALTER TABLE ONLY public.detector_kinds
    ADD CONSTRAINT detector_kinds_pkey PRIMARY KEY (kind);

ALTER TABLE ONLY public.evidence_files
    ADD CONSTRAINT evidence_files_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.evidence_withdrawals
    ADD CONSTRAINT evidence_withdrawals_pkey PRIMARY KEY (file_id);

ALTER TABLE ONLY public.filing_events
    ADD CONSTRAINT filing_events_filing_id_seq_key UNIQUE (filing_id, seq);

ALTER TABLE ONLY public.filing_events
    ADD CONSTRAINT filing_events_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.filing_facts
    ADD CONSTRAINT filing_facts_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.filing_month_tally
    ADD CONSTRAINT filing_month_tally_pkey PRIMARY KEY (month, status);

ALTER TABLE ONLY public.filing_tally
    ADD CONSTRAINT filing_tally_pkey PRIMARY KEY (point_code, status, kind, software, domain);

ALTER TABLE public.filings
    ADD CONSTRAINT filings_dates_finite CHECK ((((signed_on >= '1900-01-01'::date) AND (signed_on <= '2999-12-31'::date)) AND ((performance_start >= '1900-01-01'::date) AND (performance_start <= '2999-12-31'::date)) AND ((performance_end >= '1900-01-01'::date) AND (performance_end <= '2999-12-31'::date)) AND ((filed_on >= '1900-01-01'::date) AND (filed_on <= '2999-12-31'::date)))) NOT VALID;

ALTER TABLE ONLY public.filings
    ADD CONSTRAINT filings_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.filings
    ADD CONSTRAINT filings_ref_key UNIQUE (ref);

ALTER TABLE ONLY public.filings
    ADD CONSTRAINT filings_reg_no_key UNIQUE (reg_no);

ALTER TABLE ONLY public.flag_month_tally
    ADD CONSTRAINT flag_month_tally_pkey PRIMARY KEY (month, kind);

ALTER TABLE ONLY public.flags
    ADD CONSTRAINT flags_filing_id_kind_detector_key UNIQUE (filing_id, kind, detector);

ALTER TABLE ONLY public.flags
    ADD CONSTRAINT flags_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.frozen_populations
    ADD CONSTRAINT frozen_populations_pkey PRIMARY KEY (campaign_id);

ALTER TABLE ONLY public.idempotency_keys
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (user_id, key);

ALTER TABLE ONLY public.inspector_ties
    ADD CONSTRAINT inspector_ties_pkey PRIMARY KEY (inspector_id, credit_code);

ALTER TABLE ONLY public.job_runs
    ADD CONSTRAINT job_runs_job_scheduled_for_key UNIQUE (job, scheduled_for);

ALTER TABLE ONLY public.job_runs
    ADD CONSTRAINT job_runs_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.login_attempts
    ADD CONSTRAINT login_attempts_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.notices
    ADD CONSTRAINT notices_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.notices
    ADD CONSTRAINT notices_user_id_kind_about_key UNIQUE (user_id, kind, about);

ALTER TABLE ONLY public.order_documents
    ADD CONSTRAINT order_documents_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.order_escalations
    ADD CONSTRAINT order_escalations_order_id_round_key UNIQUE (order_id, round);

ALTER TABLE ONLY public.order_escalations
    ADD CONSTRAINT order_escalations_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_item_id_key UNIQUE (item_id);

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.parties
    ADD CONSTRAINT parties_pkey PRIMARY KEY (credit_code);

ALTER TABLE ONLY public.points
    ADD CONSTRAINT points_number_prefix_key UNIQUE (number_prefix);

ALTER TABLE ONLY public.points
    ADD CONSTRAINT points_pkey PRIMARY KEY (code);

ALTER TABLE ONLY public.reg_counters
    ADD CONSTRAINT reg_counters_pkey PRIMARY KEY (point_code, year);

ALTER TABLE ONLY public.review_recusals
    ADD CONSTRAINT review_recusals_pkey PRIMARY KEY (review_id, user_id);

ALTER TABLE ONLY public.reviews
    ADD CONSTRAINT reviews_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.revocations
    ADD CONSTRAINT revocations_pkey PRIMARY KEY (filing_id);

ALTER TABLE ONLY public.scan_detector_stats
    ADD CONSTRAINT scan_detector_stats_pkey PRIMARY KEY (run_id, detector);

ALTER TABLE ONLY public.scan_runs
    ADD CONSTRAINT scan_runs_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (token_hash);

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_username_key UNIQUE (username);

CREATE INDEX account_events_by_username ON public.account_events USING btree (username, id);

CREATE INDEX audit_items_filing ON public.audit_items USING btree (filing_id);

CREATE INDEX audit_items_queue ON public.audit_items USING btree (inspector_id, status, due_on);

CREATE INDEX credit_checks_filing ON public.credit_checks USING btree (filing_id, id);

CREATE INDEX credit_record_versions_party ON public.credit_record_versions USING btree (credit_code, record_id);

CREATE INDEX credit_records_filing ON public.credit_records USING btree (filing_id) WHERE (filing_id IS NOT NULL);

CREATE INDEX evidence_files_item ON public.evidence_files USING btree (item_id, id);

CREATE INDEX filing_events_corrections ON public.filing_events USING btree (filing_id) WHERE (action = 'correct'::text);

CREATE INDEX filing_events_reopened ON public.filing_events USING btree (filing_id, at) WHERE ((action = 'review_decision'::text) AND (to_status = 'submitted'::text));

CREATE INDEX filing_events_resubmits ON public.filing_events USING btree (filing_id, at) WHERE (action = 'resubmit'::text);

CREATE INDEX filing_facts_buyer ON public.filing_facts USING btree (buyer_no);

CREATE INDEX filing_facts_seller ON public.filing_facts USING btree (seller_no);

CREATE INDEX filing_facts_unreadable ON public.filing_facts USING btree (id) WHERE (NOT (((signed_on >= '1900-01-01'::date) AND (signed_on <= '2999-12-31'::date)) AND ((performance_start >= '1900-01-01'::date) AND (performance_start <= '2999-12-31'::date)) AND ((performance_end >= '1900-01-01'::date) AND (performance_end <= '2999-12-31'::date)) AND ((filed_on >= '1900-01-01'::date) AND (filed_on <= '2999-12-31'::date))));

CREATE INDEX filings_buyer ON public.filings USING btree (buyer_code, signed_on);

CREATE INDEX filings_change ON public.filings USING btree (change_seq);

CREATE INDEX filings_change_xid ON public.filings USING btree (change_xid);

CREATE INDEX filings_pending ON public.filings USING btree (point_code, filed_on) WHERE (status = 'submitted'::text);

CREATE INDEX filings_point_status ON public.filings USING btree (point_code, status, id);

CREATE INDEX filings_search ON public.filings USING gin (public.search_grams(public.filing_search_text(ref, reg_no, title, contract_no, seller_name, buyer_name)));

CREATE INDEX filings_seller ON public.filings USING btree (seller_code, signed_on);

CREATE INDEX filings_signed ON public.filings USING btree (signed_on);

CREATE INDEX filings_status_id ON public.filings USING btree (status, id);

CREATE INDEX flags_active_kind ON public.flags USING btree (kind, score DESC) WHERE active;

CREATE INDEX job_runs_recent ON public.job_runs USING btree (job, scheduled_for DESC);

CREATE INDEX login_attempts_recent ON public.login_attempts USING btree (username, at);

CREATE INDEX login_attempts_source ON public.login_attempts USING btree (source, at);

CREATE INDEX order_documents_order ON public.order_documents USING btree (order_id, id);

CREATE INDEX orders_filing ON public.orders USING btree (filing_id);

CREATE INDEX orders_waiting ON public.orders USING btree (due_on) WHERE (status = ANY (ARRAY['open'::text, 'answered'::text, 'escalated'::text]));

CREATE UNIQUE INDEX parties_party_no ON public.parties USING btree (party_no);

CREATE INDEX reviews_filing ON public.reviews USING btree (filing_id, id);

CREATE UNIQUE INDEX reviews_one_open ON public.reviews USING btree (filing_id) WHERE (status = 'open'::text);

CREATE UNIQUE INDEX reviews_one_request ON public.reviews USING btree (filing_id, subject_seq) WHERE (kind = 'party_request'::text);

CREATE INDEX reviews_queue ON public.reviews USING btree (kind, id) WHERE (status = 'open'::text);

CREATE INDEX revocations_revoked_on ON public.revocations USING btree (revoked_on);

CREATE INDEX sessions_user ON public.sessions USING btree (user_id);

CREATE TRIGGER account_events_append_only BEFORE DELETE OR UPDATE ON public.account_events FOR EACH ROW EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER account_events_no_truncate BEFORE TRUNCATE ON public.account_events FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER audit_item_history_append_only BEFORE DELETE OR UPDATE ON public.audit_item_history FOR EACH ROW EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER credit_checks_append_only BEFORE DELETE OR UPDATE ON public.credit_checks FOR EACH ROW EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER credit_checks_no_truncate BEFORE TRUNCATE ON public.credit_checks FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER credit_record_versions_append_only BEFORE DELETE OR UPDATE ON public.credit_record_versions FOR EACH ROW EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER credit_record_versions_no_truncate BEFORE TRUNCATE ON public.credit_record_versions FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER credit_records_append_only BEFORE DELETE OR UPDATE ON public.credit_records FOR EACH ROW EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER credit_records_no_truncate BEFORE TRUNCATE ON public.credit_records FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER evidence_files_append_only BEFORE DELETE OR UPDATE ON public.evidence_files FOR EACH ROW EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER evidence_files_no_truncate BEFORE TRUNCATE ON public.evidence_files FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER evidence_withdrawals_append_only BEFORE DELETE OR UPDATE ON public.evidence_withdrawals FOR EACH ROW EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER evidence_withdrawals_no_truncate BEFORE TRUNCATE ON public.evidence_withdrawals FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER filing_events_append_only BEFORE DELETE OR UPDATE ON public.filing_events FOR EACH ROW EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER filing_events_no_truncate BEFORE TRUNCATE ON public.filing_events FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER filing_facts_on_insert AFTER INSERT ON public.filings REFERENCING NEW TABLE AS written_filings FOR EACH STATEMENT EXECUTE FUNCTION public.filing_facts_sync();

CREATE TRIGGER filing_facts_on_update AFTER UPDATE ON public.filings REFERENCING NEW TABLE AS written_filings FOR EACH STATEMENT EXECUTE FUNCTION public.filing_facts_sync();

CREATE TRIGGER filing_tally_on_delete AFTER DELETE ON public.filings REFERENCING OLD TABLE AS replaced_filings FOR EACH STATEMENT EXECUTE FUNCTION public.filing_tally_on_delete();

CREATE TRIGGER filing_tally_on_insert AFTER INSERT ON public.filings REFERENCING NEW TABLE AS written_filings FOR EACH STATEMENT EXECUTE FUNCTION public.filing_tally_on_insert();

CREATE TRIGGER filing_tally_on_update AFTER UPDATE ON public.filings REFERENCING OLD TABLE AS replaced_filings NEW TABLE AS written_filings FOR EACH STATEMENT EXECUTE FUNCTION public.filing_tally_on_update();

CREATE TRIGGER filings_no_delete BEFORE DELETE ON public.filings FOR EACH ROW EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER flag_tally_on_delete AFTER DELETE ON public.flags REFERENCING OLD TABLE AS replaced_flags FOR EACH STATEMENT EXECUTE FUNCTION public.flag_tally_on_delete();

CREATE TRIGGER flag_tally_on_insert AFTER INSERT ON public.flags REFERENCING NEW TABLE AS written_flags FOR EACH STATEMENT EXECUTE FUNCTION public.flag_tally_on_insert();

CREATE TRIGGER flag_tally_on_update AFTER UPDATE ON public.flags REFERENCING OLD TABLE AS replaced_flags NEW TABLE AS written_flags FOR EACH STATEMENT EXECUTE FUNCTION public.flag_tally_on_update();

CREATE TRIGGER frozen_populations_frozen BEFORE DELETE OR UPDATE ON public.frozen_populations FOR EACH ROW EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER order_documents_append_only BEFORE DELETE OR UPDATE ON public.order_documents FOR EACH ROW EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER order_documents_no_truncate BEFORE TRUNCATE ON public.order_documents FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER order_escalations_append_only BEFORE DELETE OR UPDATE ON public.order_escalations FOR EACH ROW EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER order_escalations_no_truncate BEFORE TRUNCATE ON public.order_escalations FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER parties_insert_only BEFORE DELETE OR UPDATE ON public.parties FOR EACH ROW EXECUTE FUNCTION public.refuse_event_change();

CREATE TRIGGER revocations_append_only BEFORE DELETE OR UPDATE ON public.revocations FOR EACH ROW EXECUTE FUNCTION public.refuse_event_change();

ALTER TABLE ONLY public.audit_item_history
    ADD CONSTRAINT audit_item_history_item_id_fkey FOREIGN KEY (item_id) REFERENCES public.audit_items(id);

ALTER TABLE ONLY public.audit_items
    ADD CONSTRAINT audit_items_campaign_id_fkey FOREIGN KEY (campaign_id) REFERENCES public.campaigns(id);

ALTER TABLE ONLY public.audit_items
    ADD CONSTRAINT audit_items_filing_id_fkey FOREIGN KEY (filing_id) REFERENCES public.filings(id);

ALTER TABLE ONLY public.audit_items
    ADD CONSTRAINT audit_items_inspector_id_fkey FOREIGN KEY (inspector_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.credit_checks
    ADD CONSTRAINT credit_checks_filing_id_fkey FOREIGN KEY (filing_id) REFERENCES public.filings(id);

ALTER TABLE ONLY public.credit_record_versions
    ADD CONSTRAINT credit_record_versions_record_id_fkey FOREIGN KEY (record_id) REFERENCES public.credit_records(id);

ALTER TABLE ONLY public.credit_records
    ADD CONSTRAINT credit_records_filing_id_fkey FOREIGN KEY (filing_id) REFERENCES public.filings(id);

ALTER TABLE ONLY public.evidence_files
    ADD CONSTRAINT evidence_files_item_id_fkey FOREIGN KEY (item_id) REFERENCES public.audit_items(id);

ALTER TABLE ONLY public.evidence_withdrawals
    ADD CONSTRAINT evidence_withdrawals_file_id_fkey FOREIGN KEY (file_id) REFERENCES public.evidence_files(id);

ALTER TABLE ONLY public.filing_events
    ADD CONSTRAINT filing_events_filing_id_fkey FOREIGN KEY (filing_id) REFERENCES public.filings(id);

ALTER TABLE ONLY public.filing_facts
    ADD CONSTRAINT filing_facts_id_fkey FOREIGN KEY (id) REFERENCES public.filings(id);

ALTER TABLE ONLY public.filings
    ADD CONSTRAINT filings_buyer_code_fkey FOREIGN KEY (buyer_code) REFERENCES public.parties(credit_code);

ALTER TABLE ONLY public.filings
    ADD CONSTRAINT filings_point_code_fkey FOREIGN KEY (point_code) REFERENCES public.points(code);

ALTER TABLE ONLY public.filings
    ADD CONSTRAINT filings_seller_code_fkey FOREIGN KEY (seller_code) REFERENCES public.parties(credit_code);

ALTER TABLE ONLY public.flags
    ADD CONSTRAINT flags_filing_id_fkey FOREIGN KEY (filing_id) REFERENCES public.filings(id);

ALTER TABLE ONLY public.flags
    ADD CONSTRAINT flags_first_run_fkey FOREIGN KEY (first_run) REFERENCES public.scan_runs(id);

ALTER TABLE ONLY public.flags
    ADD CONSTRAINT flags_last_run_fkey FOREIGN KEY (last_run) REFERENCES public.scan_runs(id);

ALTER TABLE ONLY public.frozen_populations
    ADD CONSTRAINT frozen_populations_campaign_id_fkey FOREIGN KEY (campaign_id) REFERENCES public.campaigns(id);

ALTER TABLE ONLY public.idempotency_keys
    ADD CONSTRAINT idempotency_keys_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.inspector_ties
    ADD CONSTRAINT inspector_ties_inspector_id_fkey FOREIGN KEY (inspector_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.notices
    ADD CONSTRAINT notices_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.order_documents
    ADD CONSTRAINT order_documents_order_id_fkey FOREIGN KEY (order_id) REFERENCES public.orders(id);

ALTER TABLE ONLY public.order_escalations
    ADD CONSTRAINT order_escalations_order_id_fkey FOREIGN KEY (order_id) REFERENCES public.orders(id);

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_filing_id_fkey FOREIGN KEY (filing_id) REFERENCES public.filings(id);

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_item_id_fkey FOREIGN KEY (item_id) REFERENCES public.audit_items(id);

ALTER TABLE ONLY public.reg_counters
    ADD CONSTRAINT reg_counters_point_code_fkey FOREIGN KEY (point_code) REFERENCES public.points(code);

ALTER TABLE ONLY public.review_recusals
    ADD CONSTRAINT review_recusals_review_id_fkey FOREIGN KEY (review_id) REFERENCES public.reviews(id);

ALTER TABLE ONLY public.review_recusals
    ADD CONSTRAINT review_recusals_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.reviews
    ADD CONSTRAINT reviews_filing_id_fkey FOREIGN KEY (filing_id) REFERENCES public.filings(id);

ALTER TABLE ONLY public.revocations
    ADD CONSTRAINT revocations_audit_item_id_fkey FOREIGN KEY (audit_item_id) REFERENCES public.audit_items(id);

ALTER TABLE ONLY public.revocations
    ADD CONSTRAINT revocations_filing_id_fkey FOREIGN KEY (filing_id) REFERENCES public.filings(id);

ALTER TABLE ONLY public.scan_detector_stats
    ADD CONSTRAINT scan_detector_stats_run_id_fkey FOREIGN KEY (run_id) REFERENCES public.scan_runs(id);

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_point_code_fkey FOREIGN KEY (point_code) REFERENCES public.points(code);
