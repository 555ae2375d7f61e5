-- Split parts share a subject, not a title (src/techreg/detection/text.py TITLE_SUBJECT_SQL): the title
-- without wrappers, kind words, part numbers in any notation, module words, supplements and years.
-- and the marks by which a title names itself a part (二期, 模块, （补充）, Phase II, -3): TITLE_PART_MARKS_SQL.
ALTER TABLE filings ADD COLUMN title_part_marks text GENERATED ALWAYS AS (regexp_replace(regexp_replace(lower(title), '(19|20)[0-9]{2}', '', 'g'), '(第[0-9一二三四五六七八九十]+[期阶段部分标段批包]|[0-9一二三四五六七八九十]+期|[-—－–]?[0-9一二三四五六七八九十]*(阶段|部分|标段|分包|批次)([0-9一二三四五六七八九十]|[a-z])*|[0-9一二三四五六七八九十]+号?包|(子模块|模块|子系统|分系统|子项目)([0-9一二三四五六七八九十]|[a-z])*|补充[0-9一二三四五六七八九十]*|追加|增补|续签|续期|后续|[（(]续[0-9一二三四五六七八九十]*[)）]|续$|(phase|part|stage|lot|module)[[:space:]]*[0-9a-z]+|[（(]([0-9一二三四五六七八九十]+|(i|ii|iii|iv|v|vi|vii|viii|ix|x))[)）]|[[:space:]](i|ii|iii|iv|v|vi|vii|viii|ix|x)$|^((i|ii|iii|iv|v|vi|vii|viii|ix|x)|[0-9]+|[一二三四五六七八九十]+)[、.．:：—－-]|[-—－–][[:space:]]*[0-9]+[[:space:]]*$|[^[:space:]][-—－–][^0-9])|.', '\1', 'g')) STORED;
ALTER TABLE filings ADD COLUMN title_subject text GENERATED ALWAYS AS (regexp_replace(regexp_replace(regexp_replace(regexp_replace(lower(title), '(19|20)[0-9]{2}', '', 'g'), '关于|的|项目|合同书|合同|协议书|协议|技术开发|技术服务|技术咨询|技术转让|技术许可|技术|开发|研发|服务|咨询|转让|许可|委托|合作|补充|追加|续签|续期|续|增补|变更|延期|年度|第|期|阶段|部分|标段|分包|号包|批次|子模块|模块|子系统|分系统|子项目|组件|phase|part|module|stage|lot|no\.', '', 'g'), '(?<![a-z])([a-z]|[ivx]+)(?![a-z])', '', 'g'), '[0-9一二三四五六七八九十百零〇ⅰ-ⅿⅠ-Ⅻ①-⑳]|[[:punct:][:space:]（）【】《》〈〉「」『』，、。：；！？“”‘’—－·…]', '', 'g')) STORED;

-- Sister companies sit in other cities as often as not: the trade-name key no longer carries the region.
ALTER TABLE parties DROP COLUMN brand_key;
ALTER TABLE parties ADD COLUMN brand_key integer GENERATED ALWAYS AS (CASE WHEN char_length(name) >= 6 THEN hashtext(left(regexp_replace(regexp_replace(lower(name), '中国|中华|北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|贵州|云南|陕西|甘肃|青海|内蒙古|广西|西藏|宁夏|新疆|香港|澳门|深圳|广州|杭州|南京|苏州|武汉|成都|西安|合肥|宁波|无锡|青岛|厦门|长沙|郑州|济南|大连|沈阳|哈尔滨|长春|福州|昆明|贵阳|南宁|太原|石家庄|省|市|自治区', '', 'g'), '[[:punct:][:space:]（）【】《》〈〉「」『』，、。：；！？“”‘’—－·…]', '', 'g'), 2)) ELSE -1 END) STORED;

UPDATE filing_facts x SET seller_brand = s.brand_key
FROM filings f JOIN parties s ON s.credit_code = f.seller_code
WHERE f.id = x.id AND x.seller_brand IS DISTINCT FROM s.brand_key;

-- A seller's numbering series spans years (text.py CONTRACT_SERIES_SQL, CONTRACT_NUMBER_SQL): the year in
-- HT-2023-041 folds into the number, so a contract numbered among next year's is seen as such.
ALTER TABLE filings DROP COLUMN contract_prefix, DROP COLUMN contract_seq;
ALTER TABLE filings ADD COLUMN contract_prefix text GENERATED ALWAYS AS (regexp_replace(regexp_replace(contract_no, '[0-9]+[^0-9]*$', ''), '(19|20)[0-9]{2}', '', 'g')) STORED,
                    ADD COLUMN contract_seq bigint GENERATED ALWAYS AS (CASE WHEN length(substring(contract_no from '([0-9]+)[^0-9]*$')) BETWEEN 1 AND 9 THEN substring(contract_no from '([0-9]+)[^0-9]*$')::bigint + coalesce(substring(regexp_replace(contract_no, '[0-9]+[^0-9]*$', '') from '((19|20)[0-9]{2})')::bigint, 0) * 1000000000 WHEN length(substring(contract_no from '([0-9]+)[^0-9]*$')) BETWEEN 10 AND 15 THEN substring(contract_no from '([0-9]+)[^0-9]*$')::bigint ELSE -1 END) STORED;
UPDATE filing_facts x SET contract_prefix_hash = hashtext(f.contract_prefix), contract_seq = f.contract_seq
FROM filings f WHERE f.id = x.id;

-- The detectors the code registers (techreg.detection.detectors.DETECTORS), written by every scan:
-- their names and their weight in a filing's risk, so the risk view and the pages read one list.
CREATE TABLE detector_kinds (
    kind     text PRIMARY KEY,
    label_zh text NOT NULL,
    label_en text NOT NULL,
    weight   double precision NOT NULL CHECK (weight > 0 AND weight <= 1)
);

-- Risk per filing: the active flags combined (noisy-or), each weighted as its detector declares.
CREATE OR REPLACE VIEW filing_risk AS
SELECT g.filing_id,
       1 - exp(sum(ln(1 - least(g.score * coalesce(k.weight, 1), 0.999)))) AS risk,
       count(*) AS flag_count,
       array_agg(DISTINCT g.kind ORDER BY g.kind) AS kinds
FROM flags g LEFT JOIN detector_kinds k ON k.kind = g.kind
WHERE g.active
GROUP BY g.filing_id;
