"""Split contracts (合同拆分): one deal cut into pieces that each stay under a line.

Parts are filings of one buyer with the same seller or a sister company (one trade name, any city),
signed within a window, sharing a subject: the title with its wrapping taken off (关于…的…项目,
kind words, phase and part numbers in any notation and position, module and subsystem words,
supplements and continuations, years; text.py), compared by containment so that a module's own
name (…数据采集模块开发) does not hide the subject it belongs to. Kinds may differ between parts.
Pairs join into groups. A group is flagged when it also shows parts told apart only by their
wrapping, a configured line each part is under and the sum is over, or parts each just under a
round figure; it does not need a configured line, because splitters also aim under lines the
registry does not know. A tight signing span raises the score.
Honest look-alikes stay out: yearly renewals and real phases months apart fall outside the window,
unrelated projects with one client have different subjects, a group that keeps going for months is
regular business, and one contract registered twice is left to the duplicate detector.
"""

from dataclasses import dataclass

import numpy as np

from .base import Context, setting
from .flags import Flags, empty
from .pairs import copy_like

KIND = "split"
DETECTOR = "split/2.0"
LABEL = ("合同拆分", "split contract")
RISK_WEIGHT = 1.0
SCOPE = "pairs"


@dataclass(frozen=True)
class Settings:
    lines: tuple[float, ...] = setting((5_000_000.0, 10_000_000.0),
                                       "configured lines (technology amount, yuan): large line, delegation line",
                                       rule="national-2026-办法")
    window_days: int = setting(45, "parts signed at most this many days apart")
    max_span_days: int = setting(90, "a group spread wider than this is repeat business")
    tight_days: int = setting(14, "a group signed within this many days scores higher")
    balanced_share: float = setting(0.2, "smallest part at least this share of the biggest to count a line as aimed under")
    just_under_share: float = setting(0.8, "'just under' a round figure: at least this share of it")
    min_total: float = setting(200_000.0, "parts summing to less than this (contract amount) cross no line anyone "
                                          "splits for: the lowest common procurement threshold (分散采购限额, 20万元)")
    min_score: float = setting(0.65, "flag groups scoring at least this (timing and a shared subject alone score 0.6)")
    subject_similarity: float = setting(0.8, "share of the shorter subject's character pairs found in the other")
    marked_similarity: float = setting(0.6, "the same, enough when both titles name themselves parts (模块, 二期, 补充)")
    copy_title: float = setting(0.75, "pairs this alike in title (and amount, below) are one contract twice, not parts")
    copy_amount: float = setting(0.9, "smaller technology amount at least this share of the larger for a copy")
    copy_window_days: int = setting(31, "a copy is signed within this many days of the original")


# the leading digits of a 'round' figure, a line people aim under: 1, 2, 3 or 5 × 10^k yuan
ROUND_STEPS = (1, 2, 3, 5)


def round_figure_above(amounts: np.ndarray) -> np.ndarray:
    """Smallest 'round' figure (ROUND_STEPS × 10^k yuan) strictly above each amount."""
    a = np.maximum(amounts, 1.0)
    exp = np.floor(np.log10(a))
    base = 10.0 ** exp
    candidates = np.stack([base * k for k in (*ROUND_STEPS, 10)])
    above = np.where(candidates > a, candidates, np.inf)
    return above.min(axis=0)


def detect(ctx: Context) -> Flags:
    c, s = ctx.columns, ctx.settings_for(KIND, Settings)
    n = len(c)
    if n == 0:
        return empty(KIND, DETECTOR, applied=n)
    pairs = ctx.pairs
    if len(pairs) == 0:
        return empty(KIND, DETECTOR, applied=n)
    both_marked = (c.part_marks[pairs.a] != "") & (c.part_marks[pairs.b] != "")
    alike = (pairs.subject_sim >= s.subject_similarity) | (both_marked & (pairs.subject_sim >= s.marked_similarity))
    edge = ((pairs.days <= s.window_days) & alike
            & ~copy_like(c, pairs, s.copy_window_days, s.copy_title, s.copy_amount))
    a, b = pairs.a[edge], pairs.b[edge]
    if len(a) == 0:
        return empty(KIND, DETECTOR, applied=n)
    nodes, local = np.unique(np.concatenate([a, b]), return_inverse=True)
    m = len(nodes)
    from scipy.sparse import coo_matrix                    # loaded by the first scan, not by every page's
    from scipy.sparse.csgraph import connected_components  # flag labels (the service starts ~0.15 s sooner)

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
    # parts that name themselves parts (二期, 三期开发, 数据采集模块开发, （补充）, Phase II), each with a title
    # of its own around the shared subject: at least two of them, at least half of the group (some parts
    # carry only a module's or a task's name: …工艺验证, …移动端应用), told apart by their marks (a mark
    # every title shares, 光模块 in each, is the subject's own word)
    wrapping = np.char.add(c.title_core[nodes].astype(str), c.title_marks[nodes].astype(str))
    titles = np.unique(np.stack([label, np.unique(wrapping, return_inverse=True)[1]]), axis=1)[0]
    marks = c.part_marks[nodes].astype(str)
    marked = np.bincount(label, weights=(marks != "").astype(float), minlength=groups)
    # told apart by the marks with their numbering (模块A / 模块B, -1标段 / -2标段)
    told = marks[marks != ""]
    distinct = (np.unique(np.stack([label[marks != ""], np.unique(told, return_inverse=True)[1]]), axis=1)[0]
                if len(told) else np.zeros(0, np.int64))
    numbered = ((np.bincount(titles, minlength=groups) == size) & (marked >= np.maximum(2, np.ceil(size / 2)))
                & (np.bincount(distinct, minlength=groups) >= 2))

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
        line = round_figure_above(big)
        near = np.bincount(label, weights=(values >= s.just_under_share * line[label]), minlength=groups) == size
        hit = near & (np.bincount(label, weights=values, minlength=groups) >= line) & ~under_round
        round_line = np.where(hit, line, round_line)
        under_round |= hit
    sister = seller_count > 1
    cores = np.unique(np.stack([label, np.unique(c.title_subject[nodes].astype(str), return_inverse=True)[1]]), axis=1)[0]
    identical = np.bincount(cores, minlength=groups) == 1

    # evidence adds up; a pair of same-subject contracts alone (0.3) is ordinary repeat business; parts
    # just under a round figure count where the parts are one subject exactly or name themselves parts
    score = (0.3 + 0.35 * numbered + 0.35 * (crossed > 0) + 0.15 * (span <= s.tight_days) + 0.1 * (span <= 3)
             + 0.05 * identical + 0.15 * (under_round & (identical | numbered)) + 0.1 * sister)
    score = np.minimum(score, 0.99)
    contract_total = np.bincount(label, weights=c.amount[nodes], minlength=groups)
    keep_group = ((size >= 2) & (span <= s.max_span_days) & (score >= s.min_score - 1e-9)
                  & (np.maximum(total, contract_total) >= s.min_total))

    flagged = np.nonzero(keep_group[label])[0]
    members_by_group = np.split(np.argsort(label, kind="stable"), np.cumsum(size)[:-1])
    rows, scores, reasons, related = [], [], [], []
    for k in flagged:                            # a loop over flagged filings only, to write their evidence
        g = label[k]
        row = nodes[k]
        others = nodes[members_by_group[g]]
        others = others[others != row]
        r = [f"与 {len(others)} 份合同同一买方、{'关联（同字号）' if sister[g] else '同一'}卖方，"
             f"{span[g]} 天内签订，标的相同（名称措辞各异）；合计技术交易额 {total[g]:,.2f} 元，最大一份 {biggest[g]:,.2f} 元 / "
             f"one of {size[g]} contracts with the same buyer and {'sister-company' if sister[g] else 'the same'} "
             f"seller, signed within {span[g]} days, one subject under different wrappings; together {total[g]:,.2f} yuan, "
             f"largest part {biggest[g]:,.2f} yuan"]
        if crossed[g]:
            r.append(f"每份均低于 {crossed[g]:,.0f} 元的线，合计超过该线 / each part under the {crossed[g]:,.0f} "
                     f"yuan line, together above it")
        elif under_round[g] and (identical[g] or numbered[g]):
            r.append(f"每份金额都略低于 {round_line[g]:,.0f} 元，合计超过 / each part just under {round_line[g]:,.0f} "
                     f"yuan, together above it")
        if numbered[g]:
            r.append("各份标题只在分期、模块或补充字样上不同 / the titles differ only in phase, module or supplement wording")
        rows.append(row)
        scores.append(score[g])
        reasons.append(r)
        related.append(others.astype(np.int64))
    return Flags(KIND, DETECTOR, np.array(rows, np.int64), np.array(scores), reasons, related, applied=n)
