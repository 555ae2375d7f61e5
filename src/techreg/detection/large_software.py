"""Large software contracts (软件类大额合同).

A software filing is flagged when its technology transaction amount is at or
above the large line, or far above comparable software filings (same kind and
domain: upper quartile fence) and above the seller's own history (its
earlier filings' fence). Peer groups and histories need a minimum volume.
"""

from dataclasses import dataclass

import numpy as np

from .columns import Columns
from .flags import Flags, empty

DETECTOR = "large_software/1.0"


@dataclass(frozen=True)
class LargeSoftwareSettings:
    large_line: float = 5_000_000.0
    fence_k: float = 3.0              # Q3 + k·IQR on log amounts
    min_peer_group: int = 30
    min_seller_history: int = 3
    seller_ratio: float = 5.0         # this many times the seller's usual amount


def _group_fences(keys: np.ndarray, logs: np.ndarray, k: float, min_n: int) -> np.ndarray:
    """Per row, the upper fence Q3 + k·IQR of its group's log amounts (inf where the group is too small)."""
    fence = np.full(len(keys), np.inf)
    uniq, inv, counts = np.unique(keys, return_inverse=True, return_counts=True)
    order = np.argsort(inv, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(counts)])
    for g in np.nonzero(counts >= min_n)[0]:     # loop over groups, not rows
        members = order[bounds[g]:bounds[g + 1]]
        q1, q3 = np.percentile(logs[members], [25, 75])
        fence[members] = q3 + k * max(q3 - q1, 0.1)
    return fence


def seller_history(c: Columns) -> tuple[np.ndarray, np.ndarray]:
    """For each row: median tech amount of the same seller's filings, and how many others there are."""
    n = len(c)
    order = np.lexsort((c.tech_amount, c.seller))
    sellers = c.seller[order]
    values = c.tech_amount[order]
    starts = np.nonzero(np.r_[True, sellers[1:] != sellers[:-1]])[0]
    sizes = np.diff(np.r_[starts, n])
    group_median = (values[starts + (sizes - 1) // 2] + values[starts + sizes // 2]) / 2
    median = np.empty(n)
    count = np.empty(n, np.int64)
    median[order] = np.repeat(group_median, sizes)
    count[order] = np.repeat(sizes - 1, sizes)
    return median, count


def detect(c: Columns, s: LargeSoftwareSettings = LargeSoftwareSettings()) -> Flags:
    sw = np.nonzero(c.software)[0]
    if len(sw) == 0:
        return empty("large_software", DETECTOR)
    tech = c.tech_amount
    logs = np.log1p(tech)
    peer_key = np.char.add(c.kind[sw].astype(str), np.char.add("|", c.domain[sw].astype(str)))
    fence = np.full(len(c), np.inf)
    fence[sw] = _group_fences(peer_key, logs[sw], s.fence_k, s.min_peer_group)
    hist_median, hist_count = seller_history(c)

    over_line = tech[sw] >= s.large_line
    over_peers = logs[sw] > fence[sw]
    has_history = hist_count[sw] >= s.min_seller_history
    over_own = has_history & (tech[sw] > s.seller_ratio * hist_median[sw])
    relative = over_peers & (over_own | ~has_history)
    score = np.where(over_line, 0.9, 0.0)
    score = np.maximum(score, np.where(relative, 0.75 + 0.2 * over_own, 0.0))
    keep = score > 0
    rows = sw[keep]
    reasons = []
    for j, i in zip(np.nonzero(keep)[0], rows):
        r = []
        if over_line[j]:
            r.append(f"软件类合同技术交易额 {tech[i]:,.2f} 元，达到大额线 {s.large_line:,.0f} 元 / "
                     f"software contract with technology amount {tech[i]:,.2f} yuan at or above the large line")
        if over_peers[j]:
            r.append(f"远高于同类（{c.kind[i]}/{c.domain[i]}）软件合同：超过四分位上界 {np.expm1(fence[i]):,.0f} 元 / "
                     f"far above comparable software contracts (fence {np.expm1(fence[i]):,.0f} yuan)")
        if over_own[j]:
            r.append(f"是卖方其他 {hist_count[i]} 份合同中位数 {hist_median[i]:,.0f} 元的 {tech[i] / hist_median[i]:.1f} 倍 / "
                     f"{tech[i] / hist_median[i]:.1f}× the seller's median of {hist_median[i]:,.0f} yuan")
        reasons.append(r)
    return Flags("large_software", DETECTOR, rows.astype(np.int64), score[keep], reasons,
                 [np.zeros(0, np.int64) for _ in rows], applied=len(sw))
