"""Split contracts (合同拆分): one deal cut into pieces that each stay under a line.

Parts are filings of one kind and one buyer with the same seller or a sister
company, signed within a window, with near-identical subjects once the numbering
(一期/二期, 模块A/B, Part 1/2) is set aside. Pairs join into groups. A group
is flagged when it also shows numbered parts, a configured line each part is
under and the sum is over, or parts each just under a round figure; it does
not need a configured line, because splitters also aim under lines the
registry does not know. A tight signing span raises the score.
Honest look-alikes stay out: yearly renewals and real phases months apart
fall outside the window, unrelated projects with one client have different
subjects, and a group that keeps going for months is regular business.
"""

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .columns import Columns
from .flags import Flags, empty
from .pairs import Pairs, copy_like

DETECTOR = "split/1.0"


@dataclass(frozen=True)
class SplitSettings:
    lines: tuple[float, ...] = (5_000_000.0, 10_000_000.0)
    window_days: int = 45          # parts signed at most this far apart
    max_span_days: int = 90        # a group spread wider than this is repeat business
    tight_days: int = 14
    balanced_share: float = 0.2    # smallest part at least this share of the biggest to count a line as aimed under
    just_under_share: float = 0.8  # "just under" a round figure: at least this share of it
    min_score: float = 0.6
    title_similarity: float = 0.8  # bigram Jaccard of title cores
    duplicate_window_days: int = 31
    duplicate_title: float = 0.75
    duplicate_amount: float = 0.9


def _round_line_under(amounts: np.ndarray) -> np.ndarray:
    """Smallest 'round' figure (1, 2, 3 or 5 × 10^k yuan) strictly above each amount."""
    a = np.maximum(amounts, 1.0)
    exp = np.floor(np.log10(a))
    base = 10.0 ** exp
    candidates = np.stack([base * k for k in (1, 2, 3, 5, 10)])
    above = np.where(candidates > a, candidates, np.inf)
    return above.min(axis=0)


def detect(c: Columns, pairs: Pairs, s: SplitSettings = SplitSettings()) -> Flags:
    n = len(c)
    if n == 0 or len(pairs) == 0:
        return empty("split", DETECTOR, applied=n)
    same_kind = (c.peer_group[pairs.a] // 32) == (c.peer_group[pairs.b] // 32)
    edge = (same_kind & (pairs.days <= s.window_days) & (pairs.title_sim >= s.title_similarity)
            & ~copy_like(c, pairs, s.duplicate_window_days, s.duplicate_title, s.duplicate_amount))
    a, b = pairs.a[edge], pairs.b[edge]
    if len(a) == 0:
        return empty("split", DETECTOR, applied=n)
    nodes, local = np.unique(np.concatenate([a, b]), return_inverse=True)
    m = len(nodes)
    graph = coo_matrix((np.ones(len(a)), (local[:len(a)], local[len(a):])), shape=(m, m))
    groups, label = connected_components(graph, directed=False)

    tech = c.tech_amount[nodes]
    signed = c.signed[nodes]
    size = np.bincount(label, minlength=groups)
    total = np.bincount(label, weights=tech, minlength=groups)
    biggest = np.full(groups, -np.inf)
    np.maximum.at(biggest, label, tech)
    first = np.full(groups, np.iinfo(np.int32).max)
    last = np.full(groups, np.iinfo(np.int32).min)
    np.minimum.at(first, label, signed)
    np.maximum.at(last, label, signed)
    span = last - first
    sellers = np.unique(np.stack([label, c.seller[nodes]]), axis=1)[0]
    seller_count = np.bincount(sellers, minlength=groups)
    marks = np.unique(np.stack([label, np.unique(c.title_marks[nodes], return_inverse=True)[1]]), axis=1)[0]
    marks_count = np.bincount(marks, minlength=groups)
    unnumbered = np.bincount(label, weights=(c.title_marks[nodes] == ""), minlength=groups)
    numbered = (marks_count > 1) & (unnumbered == 0)     # every part carries its own number

    smallest = np.full(groups, np.inf)
    np.minimum.at(smallest, label, tech)
    balanced = smallest >= s.balanced_share * biggest
    crossed = np.zeros(groups)                   # highest configured line each part is under and the sum over
    for line in sorted(s.lines):
        crossed = np.where((biggest < line) & (total >= line) & balanced, line, crossed)
    # an unknown line the parts may aim under: a buyer's limit is on the contract amount,
    # the registry's lines on the technology amount, so either counts
    under_round = np.zeros(groups, bool)
    round_line = np.zeros(groups)
    for values in (tech, c.amount[nodes]):
        big = np.full(groups, -np.inf)
        np.maximum.at(big, label, values)
        line = _round_line_under(big)
        near = np.bincount(label, weights=(values >= s.just_under_share * line[label]), minlength=groups) == size
        hit = near & (np.bincount(label, weights=values, minlength=groups) >= line) & ~under_round
        round_line = np.where(hit, line, round_line)
        under_round |= hit
    sister = seller_count > 1
    cores = np.unique(np.stack([label, np.unique(c.title_core[nodes], return_inverse=True)[1]]), axis=1)[0]
    identical = np.bincount(cores, minlength=groups) == 1

    # evidence adds up; a pair of same-subject contracts alone (0.3) is ordinary repeat business
    score = (0.3 + 0.35 * numbered + 0.35 * (crossed > 0) + 0.15 * (span <= s.tight_days) + 0.1 * (span <= 3)
             + 0.05 * identical + 0.15 * under_round + 0.1 * sister)
    score = np.minimum(score, 0.99)
    keep_group = (size >= 2) & (span <= s.max_span_days) & (score >= s.min_score)

    flagged = np.nonzero(keep_group[label])[0]
    members_by_group = np.split(np.argsort(label, kind="stable"), np.cumsum(size)[:-1])
    rows, scores, reasons, related = [], [], [], []
    for k in flagged:                            # a loop over flagged filings only, to write their evidence
        g = label[k]
        row = nodes[k]
        others = nodes[members_by_group[g]]
        others = others[others != row]
        r = [f"与 {len(others)} 份合同同一买方、{'关联（同字号同地区）' if sister[g] else '同一'}卖方，"
             f"{span[g]} 天内签订，标的名称近似；合计技术交易额 {total[g]:,.2f} 元，最大一份 {biggest[g]:,.2f} 元 / "
             f"one of {size[g]} contracts with the same buyer and {'sister-company' if sister[g] else 'the same'} "
             f"seller, signed within {span[g]} days, near-identical subjects; together {total[g]:,.2f} yuan, "
             f"largest part {biggest[g]:,.2f} yuan"]
        if crossed[g]:
            r.append(f"每份均低于 {crossed[g]:,.0f} 元的线，合计超过该线 / each part under the {crossed[g]:,.0f} "
                     f"yuan line, together above it")
        elif under_round[g]:
            r.append(f"每份金额都略低于 {round_line[g]:,.0f} 元，合计超过 / each part just under {round_line[g]:,.0f} "
                     f"yuan, together above it")
        if numbered[g]:
            r.append("标题仅分期/分部编号不同 / titles differ only in phase or part numbering")
        rows.append(row)
        scores.append(score[g])
        reasons.append(r)
        related.append(others.astype(np.int64))
    return Flags("split", DETECTOR, np.array(rows, np.int64), np.array(scores), reasons, related, applied=n)
