"""Text keys for comparing titles and party names, computed in SQL so no Python runs per row.

- title core: the title without numbering and part markers (一期/二期, 模块A, Part 2,
  第3部分, digits, punctuation), so the parts of one deal share a core;
- title marks: only the numbering (digits, latin letters, Chinese numerals), so parts
  differ there while a re-registered copy does not;
- title subject: what a deal's parts share, whatever wraps it in each part: the title without
  "关于…的…项目" wrappers, kind words (开发, 技术服务, 咨询, 合同), phase and part numbers in any
  notation and position, module/subsystem words, supplements and continuations (补充, 续) and
  years; a module's own name (数据采集, 可视化) stays, so parts are compared by containment;
- party brand: the start of the trade name (字号) once region names are removed, so
  上海云图信息技术有限公司, 云图（北京）软件有限公司 and 云图网络科技(深圳)有限公司 share one.
"""

import numpy as np

from .columns import distinct

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
# words that wrap a subject in one part or another; removed before the numerals and punctuation
_WRAPPER_WORDS = ("关于|的|项目|合同书|合同|协议书|协议|技术开发|技术服务|技术咨询|技术转让|技术许可|技术|开发|研发|"
                  "服务|咨询|转让|许可|委托|合作|补充|追加|续签|续期|续|增补|变更|延期|年度|第|期|阶段|部分|标段|"
                  "分包|号包|批次|子模块|模块|子系统|分系统|子项目|组件|phase|part|module|stage|lot|no\\.")
TITLE_SUBJECT_SQL = ("regexp_replace(regexp_replace(regexp_replace(regexp_replace(lower(title),"
                     " '(19|20)[0-9]{2}', '', 'g'),"
                     f" '{_WRAPPER_WORDS}', '', 'g'), '{_LONE_LATIN}', '', 'g'), '[{_NUMERALS}]|{_PUNCT}', '', 'g')")
# a title that names itself a part of something: a phase or part number in any notation and position
# (二期, 第3阶段, 4号包, Phase II, （IV）, I、…, 2-…, …-3), a module or subsystem, a sub-part set off by a
# dash (…-现场应用), a supplement or continuation (补充, 后续, （续四）); years are taken out first
# (2025年度 is no part number)
_ROMAN = "(i|ii|iii|iv|v|vi|vii|viii|ix|x)"
_MODULE_WORD = "(子模块|模块|子系统|分系统|子项目)"
# a module word marks a part when it is numbered (模块A, 子系统2, not 模块二次开发) or closes the part's name
# (…可视化模块开发, …数据采集模块); followed by more of the subject (导航模块可行性研究, 光模块封装) it is
# the subject's own word, and two tasks on one module are two contracts, not two parts
_MODULE_MARK = (_MODULE_WORD + "(" + "[0-9一二三四五六七八九十]" + "|[a-z])+(?!次)|" + _MODULE_WORD
                + "(?=技术|开发|研发|服务|咨询|转让|许可|合同|协议|项目|[^一-龥]|$)")
_NUM = "[0-9一二三四五六七八九十]"
_PART_MARK = ("第" + _NUM + "+[期阶段部分标段批包]|" + _NUM + "+期|"
              "[-—－–]?" + _NUM + "*(阶段|部分|标段|分包|批次)(" + _NUM + "|[a-z])*|" + _NUM + "+号?包|"
              + _MODULE_MARK + "|补充" + _NUM + "*|追加|增补|续签|续期|后续|"
              "[（(]续" + _NUM + "*[)）]|续$|"
              "(phase|part|stage|lot|module)[[:space:]]*[0-9a-z]+|[（(](" + _NUM + "+|" + _ROMAN + ")[)）]|"
              "[[:space:]]" + _ROMAN + "$|^(" + _ROMAN + "|[0-9]+|[一二三四五六七八九十]+)[、.．:：—－-]|"
              "[-—－–][[:space:]]*[0-9]+[[:space:]]*$|[^[:space:]][-—－–][^0-9]")

# the marks themselves, in the order they stand (every other character dropped): parts of one deal are
# told apart by them (三期 / 补充 / phase 5), while a word every title shares (光模块) is the subject's
TITLE_PART_MARKS_SQL = (f"regexp_replace(regexp_replace(lower(title), '(19|20)[0-9]{{2}}', '', 'g'),"
                        f" '({_PART_MARK})|.', '\\1', 'g')")
CONTRACT_KEY_SQL = "upper(regexp_replace(contract_no, '[^0-9A-Za-z]', '', 'g'))"
# A seller's numbering series: the contract number without its trailing number and without a year,
# so HT-2023-041 and HT-2024-003 are one series (the year folds into the number instead, below)
_HEAD = "regexp_replace(contract_no, '[0-9]+[^0-9]*$', '')"
_TAIL = "substring(contract_no from '([0-9]+)[^0-9]*$')"
CONTRACT_SERIES_SQL = f"regexp_replace({_HEAD}, '(19|20)[0-9]{{2}}', '', 'g')"
# its place in the series: the trailing number, raised by the year of the series when the number
# carries one in front (HT-2024-0006 → 2024·10⁹ + 6); -1 where there is no usable number
CONTRACT_NUMBER_SQL = (f"CASE WHEN length({_TAIL}) BETWEEN 1 AND 9 THEN {_TAIL}::bigint"
                       f" + coalesce(substring({_HEAD} from '((19|20)[0-9]{{2}})')::bigint, 0) * 1000000000"
                       f" WHEN length({_TAIL}) BETWEEN 10 AND 15 THEN {_TAIL}::bigint ELSE -1 END")

_REGIONS = ("中国|中华|北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|"
            "四川|贵州|云南|陕西|甘肃|青海|内蒙古|广西|西藏|宁夏|新疆|香港|澳门|深圳|广州|杭州|南京|苏州|武汉|成都|"
            "西安|合肥|宁波|无锡|青岛|厦门|长沙|郑州|济南|大连|沈阳|哈尔滨|长春|福州|昆明|贵阳|南宁|太原|石家庄|"
            "省|市|自治区")
# the trade name (字号) follows the region: its first two characters, after region names and brackets are gone
BRAND_SQL = f"left(regexp_replace(regexp_replace(lower(name), '{_REGIONS}', '', 'g'), '{_PUNCT}', '', 'g'), 2)"
# one integer per trade name (a hash); -1 for names too short to carry a trade name. Sister companies
# sit in other cities as often as not (云图（北京）, 云图网络科技(深圳)), so the region is not part of
# the key: two unrelated sellers sharing a trade name would also need one buyer, one subject and a few
# weeks to look like one deal's parts
BRAND_KEY_SQL = f"CASE WHEN char_length(name) >= 6 THEN hashtext({BRAND_SQL}) ELSE -1 END"


def similarity(a: np.ndarray, b: np.ndarray, at_least: float = 0.0, a_ids: np.ndarray | None = None,
               b_ids: np.ndarray | None = None, containment: bool = False) -> np.ndarray:
    """Character-bigram Jaccard similarity of paired strings (1.0 where equal); with `containment`,
    the share of the shorter string's bigrams found in the longer (a subject inside a module's title).

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
    reachable = np.ones(len(la), bool) if containment else (np.minimum(la, lb) - 1 >= at_least * (np.maximum(la, lb) - 1))
    todo = np.nonzero((out < 1) & reachable & (la > 1) & (lb > 1))[0]
    if len(todo) == 0:
        return out
    used = distinct(np.concatenate([ia[todo], ib[todo]]))
    grams = CountVectorizer(analyzer="char", ngram_range=(2, 2), binary=True, lowercase=False,
                            dtype=np.float32).fit_transform(strings[used]).tocsr()
    ra, rb = np.searchsorted(used, ia[todo]), np.searchsorted(used, ib[todo])
    sizes = np.asarray(grams.sum(axis=1)).ravel()
    common = np.asarray(grams[ra].multiply(grams[rb]).sum(axis=1)).ravel()
    if containment:
        out[todo] = common / np.maximum(np.minimum(sizes[ra], sizes[rb]), 1)
    else:
        out[todo] = common / np.maximum(sizes[ra] + sizes[rb] - common, 1)
    return out
