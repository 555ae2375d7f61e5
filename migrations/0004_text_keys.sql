-- Text keys the detectors compare (see src/techreg/detection/text.py), computed once when a filing
-- is written instead of at every scan.
ALTER TABLE filings
    ADD COLUMN title_core text GENERATED ALWAYS AS (regexp_replace(regexp_replace(regexp_replace(lower(title), '第|期|阶段|部分|标段|分包|批次|模块|子系统|子项目|续签|续|phase|part|module|stage|lot|no\.', '', 'g'), '(?<![a-z])([a-z]|[ivx]+)(?![a-z])', '', 'g'), '[0-9一二三四五六七八九十百零〇ⅰ-ⅿⅠ-Ⅻ①-⑳]|[[:punct:][:space:]（）【】《》〈〉「」『』，、。：；！？“”‘’—－·…]', '', 'g')) STORED,
    ADD COLUMN title_marks text GENERATED ALWAYS AS (regexp_replace(regexp_replace(regexp_replace(lower(title), '(19|20)[0-9]{2}', '', 'g'), '(?<![a-z])(?![ivx]+(?![a-z]))[a-z]{2,}', '', 'g'), '[^0-9一二三四五六七八九十百零〇ⅰ-ⅿⅠ-Ⅻ①-⑳a-z]', '', 'g')) STORED,
    ADD COLUMN contract_key text GENERATED ALWAYS AS (upper(regexp_replace(contract_no, '[^0-9A-Za-z]', '', 'g'))) STORED,
    ADD COLUMN contract_prefix text GENERATED ALWAYS AS (regexp_replace(contract_no, '[0-9]+[^0-9]*$', '')) STORED,
    ADD COLUMN contract_seq bigint GENERATED ALWAYS AS (
        CASE WHEN length(substring(contract_no from '([0-9]+)[^0-9]*$')) BETWEEN 1 AND 15
             THEN substring(contract_no from '([0-9]+)[^0-9]*$')::bigint ELSE -1 END) STORED;
