"""Text keys for comparing titles and party names, computed in SQL so no Python runs per row.

- title core: the title without numbering and part markers (一期/二期, 模块A, Part 2,
  第3部分, digits, punctuation), so the parts of one deal share a core;
- title marks: only the numbering (digits, latin letters, Chinese numerals), so parts
  differ there while a re-registered copy does not;
- party brand: the start of the trade name (字号) once region names are removed, so
  上海云图信息技术有限公司 and 云图（上海）软件有限公司 share one.
"""

import numpy as np

_NUMERALS = "0-9一二三四五六七八九十百零〇ⅰ-ⅿⅠ-Ⅻ①-⑳"
_PART_WORDS = "第|期|阶段|部分|标段|分包|批次|模块|子系统|子项目|续签|续|phase|part|module|stage|lot|no\\."
# a lone latin letter or roman numeral (模块A, Phase II) is numbering; a longer latin word is not
_LONE_LATIN = "(?<![a-z])([a-z]|[ivx]+)(?![a-z])"
_LATIN_WORD = "(?<![a-z])(?![ivx]+(?![a-z]))[a-z]{2,}"
_PUNCT = r"[[:punct:][:space:]（）【】《》〈〉「」『』，、。：；！？“”‘’—－·…]"

TITLE_CORE_SQL = ("regexp_replace(regexp_replace(regexp_replace(lower(title),"
                  f" '{_PART_WORDS}', '', 'g'), '{_LONE_LATIN}', '', 'g'), '[{_NUMERALS}]|{_PUNCT}', '', 'g')")
# years (2025年度) are not part numbers: a renewal's year differs, its numbering does not
TITLE_MARKS_SQL = (f"regexp_replace(regexp_replace(regexp_replace(lower(title), '(19|20)[0-9]{{2}}', '', 'g'),"
                   f" '{_LATIN_WORD}', '', 'g'), '[^{_NUMERALS}a-z]', '', 'g')")
CONTRACT_KEY_SQL = "upper(regexp_replace(contract_no, '[^0-9A-Za-z]', '', 'g'))"

_REGIONS = ("北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|"
            "四川|贵州|云南|陕西|甘肃|青海|内蒙古|广西|西藏|宁夏|新疆|香港|澳门|深圳|广州|杭州|南京|苏州|武汉|成都|"
            "西安|合肥|宁波|无锡|青岛|厦门|长沙|郑州|济南|大连|沈阳|哈尔滨|长春|福州|昆明|贵阳|南宁|太原|石家庄|"
            "省|市|自治区")
# the trade name (字号) follows the region: its first two characters, after region names and brackets are gone
BRAND_SQL = f"left(regexp_replace(regexp_replace(lower(name), '{_REGIONS}', '', 'g'), '{_PUNCT}', '', 'g'), 2)"
# one integer per trade name and region (a hash); -1 for names too short to carry a trade name.
# The region is optional in the filing format: without it, the region digits of the credit code
# (characters 3-8, the registering authority's division) stand in, so a sister company filed
# without a region still meets its sibling
BRAND_KEY_SQL = ("CASE WHEN char_length(name) >= 6 THEN hashtext("
                 f"{BRAND_SQL} || coalesce(region, substr(credit_code, 3, 6))) ELSE -1 END")


def similarity(a: np.ndarray, b: np.ndarray, at_least: float = 0.0, a_ids: np.ndarray | None = None,
               b_ids: np.ndarray | None = None) -> np.ndarray:
    """Character-bigram Jaccard similarity of paired strings (1.0 where equal).

    `a_ids`/`b_ids` (optional) give each string an integer identity (a hash), so
    equal strings are found without comparing text and each distinct string is
    handled once. Pairs whose lengths alone rule out `at_least` get 0. The rest
    are compared as sparse bigram-indicator rows (scikit-learn's CountVectorizer),
    so the work is per distinct string, not a Python loop per pair.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    if a_ids is None or b_ids is None:
        both = np.concatenate([a, b]).astype(str)
        ids = np.unique(both, return_inverse=True)[1]
        a_ids, b_ids = ids[:len(a)], ids[len(a):]
    ids, first, inverse = np.unique(np.concatenate([a_ids, b_ids]), return_index=True, return_inverse=True)
    strings = np.concatenate([a, b])[first].astype(str)      # one per distinct string
    ia, ib = inverse[:len(a)], inverse[len(a):]
    out = (ia == ib).astype(np.float64)
    lengths = np.char.str_len(strings).astype(float)
    la, lb = lengths[ia], lengths[ib]
    todo = np.nonzero((out < 1) & (np.minimum(la, lb) - 1 >= at_least * (np.maximum(la, lb) - 1))
                      & (la > 1) & (lb > 1))[0]
    if len(todo) == 0:
        return out
    used = np.unique(np.concatenate([ia[todo], ib[todo]]))
    grams = CountVectorizer(analyzer="char", ngram_range=(2, 2), binary=True, lowercase=False,
                            dtype=np.float32).fit_transform(strings[used]).tocsr()
    ra, rb = np.searchsorted(used, ia[todo]), np.searchsorted(used, ib[todo])
    sizes = np.asarray(grams.sum(axis=1)).ravel()
    common = np.asarray(grams[ra].multiply(grams[rb]).sum(axis=1)).ravel()
    out[todo] = common / np.maximum(sizes[ra] + sizes[rb] - common, 1)
    return out
