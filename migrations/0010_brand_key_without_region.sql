-- The filing format makes a party's region optional: a sister company filed without one did not meet its
-- sibling. The brand key now falls back to the region digits of the credit code (text.py BRAND_KEY_SQL),
-- and the copies in filing_facts follow.
ALTER TABLE parties DROP COLUMN brand_key;
ALTER TABLE parties ADD COLUMN brand_key integer GENERATED ALWAYS AS (CASE WHEN char_length(name) >= 6 THEN hashtext(left(regexp_replace(regexp_replace(lower(name), '北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|贵州|云南|陕西|甘肃|青海|内蒙古|广西|西藏|宁夏|新疆|香港|澳门|深圳|广州|杭州|南京|苏州|武汉|成都|西安|合肥|宁波|无锡|青岛|厦门|长沙|郑州|济南|大连|沈阳|哈尔滨|长春|福州|昆明|贵阳|南宁|太原|石家庄|省|市|自治区', '', 'g'), '[[:punct:][:space:]（）【】《》〈〉「」『』，、。：；！？“”‘’—－·…]', '', 'g'), 2) || coalesce(region, substr(credit_code, 3, 6))) ELSE -1 END) STORED;

UPDATE filing_facts x SET seller_brand = s.brand_key
FROM filings f JOIN parties s ON s.credit_code = f.seller_code
WHERE f.id = x.id AND x.seller_brand IS DISTINCT FROM s.brand_key;
