"""Duplicate registration (重复登记): one contract registered twice.

The same seller and buyer, the same numbering, signed within a month, and
either the same contract number or a near-identical title, amount and start
of performance. The later registration is flagged, with the earlier one as
related; registration at another point is named in the evidence.
"""

from dataclasses import dataclass

import numpy as np

from .base import Context, setting
from .columns import segment_starts
from .flags import Flags, empty
from .pairs import copy_like

KIND = "duplicate"
DETECTOR = "duplicate/1.0"
LABEL = ("重复登记", "duplicate registration")
RISK_WEIGHT = 1.0
SCOPE = "pairs"


@dataclass(frozen=True)
class Settings:
    window_days: int = setting(31, "the two registrations' signing dates at most this many days apart")
    title: float = setting(0.75, "title cores' character-pair similarity for a copy without the same number")
    amount: float = setting(0.9, "smaller technology amount at least this share of the larger")


def detect(ctx: Context) -> Flags:
    c, s = ctx.columns, ctx.settings_for(KIND, Settings)
    n = len(c)
    if n == 0:
        return empty(KIND, DETECTOR, applied=n)
    pairs = ctx.pairs
    if len(pairs) == 0:
        return empty(KIND, DETECTOR, applied=n)
    hit = copy_like(c, pairs, s.window_days, s.title, s.amount)
    a, b = pairs.a[hit], pairs.b[hit]
    # the later registration is the duplicate: later application date, then later entry
    later_b = (c.filed[b] > c.filed[a]) | ((c.filed[b] == c.filed[a]) & (b > a))
    dup, orig = np.where(later_b, b, a), np.where(later_b, a, b)
    same_no = pairs.contract_equal[hit]
    same_title = pairs.title_sim[hit] >= 0.999
    same_amount = c.tech_amount[dup] == c.tech_amount[orig]
    score = np.minimum(0.7 + 0.2 * same_no + 0.05 * same_title + 0.05 * same_amount, 0.99)
    # one flag per duplicate filing, keeping its strongest match
    order = np.lexsort((-score, dup))
    pick = order[segment_starts(dup[order])]
    reasons, related = [], []
    for k in pick:                                     # flagged filings only
        i, j = dup[k], orig[k]
        r = [f"与 {c.ref[j]} 为同一卖方、同一买方，签订日期相差 {abs(int(c.signed[i]) - int(c.signed[j]))} 天，"
             f"技术交易额 {c.tech_amount[i]:,.2f} / {c.tech_amount[j]:,.2f} 元 / same seller and buyer as {c.ref[j]}, "
             f"signed {abs(int(c.signed[i]) - int(c.signed[j]))} days apart, technology amounts "
             f"{c.tech_amount[i]:,.2f} / {c.tech_amount[j]:,.2f} yuan"]
        if same_no[k]:
            r.append("合同编号相同 / same contract number")
        if c.title_core[i] == c.title_core[j]:
            r.append("合同名称相同或仅措辞差异 / same title apart from wording")
        if c.point[i] != c.point[j]:
            r.append(f"分别在登记点 {c.point[j]} 与 {c.point[i]} 登记 / registered at points {c.point[j]} and {c.point[i]}")
        reasons.append(r)
        related.append(np.array([j], np.int64))
    return Flags(KIND, DETECTOR, dup[pick].astype(np.int64), score[pick], reasons, related, applied=n)
