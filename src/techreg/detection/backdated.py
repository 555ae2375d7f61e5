"""Back-dated signing (先履行后签署、倒签).

Signals, each with its own evidence:
- performance began before the stated signing date (weak for a few days, strong for months);
- the contract was signed after performance had ended;
- the stated signing date breaks the seller's own contract-number sequence
  (numbered after contracts signed months later, yet claims the earlier date);
- and, only as support for one of those, registration applied for long after signing.

Late application alone accuses no one: many parties apply months after signing, when they first
claim a benefit, and their contract's own dates are consistent. It never raises a flag by itself;
the filing page shows it as a fact of its own (registry.facts).
"""

from dataclasses import dataclass

import numpy as np

from .base import Context, setting
from .columns import Columns, group_median, segment_starts
from .flags import Flags, empty

KIND = "backdated"
DETECTOR = "backdated/2.0"
LABEL = ("倒签", "back-dated signing")
RISK_WEIGHT = 1.0
SCOPE = "seller"


@dataclass(frozen=True)
class Settings:
    weak_days: int = setting(14, "performance up to this many days before signing is ordinary")
    strong_days: int = setting(90, "performance this many days or more before signing is strong evidence")
    sequence_tolerance_days: int = setting(30, "a signing date this many days out of the seller's number order is ignored")
    sequence_max_days: int = setting(365, "numbered among contracts signed more than this later: a series begun "
                                          "again (numbers without a year), not a back-dated signing")
    sequence_min_contracts: int = setting(4, "numbering is evidence only for a series (seller, prefix) of this many contracts")
    sequence_max_drop_share: float = setting(0.1, "... whose dates, in number order, jump back beyond the tolerance at "
                                                  "most this share of steps (one jump always allowed)")
    sequence_max_step: float = setting(20, "... and whose consecutive numbers are at most this far apart (median): "
                                           "numbers handed out in turn, not drawn at random")
    sequence_wobble_factor: float = setting(2.0, "... and out of order by more than this many times the series' own "
                                                 "wobble (its third-largest backward step in number order)")
    late_filing_days: int = setting(180, "applied this long after signing: added to other evidence, never a flag alone")
    min_score: float = setting(0.3, "flag filings scoring at least this")


def _ramp(x: np.ndarray, lo: float, hi: float, s_lo: float, s_hi: float) -> np.ndarray:
    t = np.clip((x - lo) / max(hi - lo, 1), 0.0, 1.0)
    return s_lo + t * (s_hi - s_lo)


LOOK_BACK = 5                 # lower numbers looked at for each contract
MIN_LATER_NEIGHBOURS = 2      # of them, signed after the tolerance, for a numbering to accuse


def sequence_gap(c: Columns, tolerance_days: int = 30, min_contracts: int = 4,
                 max_drop_share: float = 0.1, max_step: float = 20, wobble_factor: float = 2.0) -> np.ndarray:
    """Days by which a filing's signing date precedes the signing of at least two of the seller's nearest
    lower-numbered contracts in the same series (seller and number prefix); 0 where numbering says nothing."""
    n = len(c)
    gap = np.zeros(n, np.int64)
    if c.contract_seq is None or n == 0:
        return gap
    usable = c.contract_seq >= 0
    idx = np.nonzero(usable)[0]
    if len(idx) == 0:
        return gap
    seller = c.seller[idx].astype(np.int64)
    prefix = c.contract_prefix[idx]
    if prefix.dtype == object:                    # strings (tests); the loader gives integer hashes
        prefix = np.unique(prefix.astype(str), return_inverse=True)[1]
    prefix_code = np.unique(prefix, return_inverse=True)[1].astype(np.int64)
    group = seller * (prefix_code.max() + 1) + prefix_code
    order = np.lexsort((c.contract_seq[idx], group))
    g, signed = group[order], c.signed[idx][order].astype(np.int64)
    first = segment_starts(g)
    # the contract's nearest lower numbers signed well after its claimed date: one such neighbour may be
    # a stray (a number written another way, last year's series restarting), two or more are evidence
    position = np.arange(len(g))
    gaps = []
    for k in range(1, LOOK_BACK + 1):
        prev = position - k
        same = (prev >= 0) & (g[np.maximum(prev, 0)] == g)
        later = np.where(same, signed[np.maximum(prev, 0)] - signed, 0)
        gaps.append(np.where(later > tolerance_days, later, 0))
    gaps = np.sort(np.stack(gaps), axis=0)
    local_gap = gaps[-MIN_LATER_NEIGHBOURS]          # the smallest of the largest two
    # numbered right after a contract signed later (not merely somewhere after two)
    prev1 = np.maximum(position - 1, 0)
    has_prev = (position > 0) & (g[prev1] == g)
    local_gap = np.where(has_prev & (signed[prev1] - signed > tolerance_days), local_gap, 0)
    # and out of place on the other side too: the next number was signed well after the claimed date,
    # and not before the previous one. Where a series restarts (numbers without a year, begun again),
    # the first contract of the new run sits under last year's higher numbers, but its neighbours are
    # themselves out of order (last year's number above, this year's below): a restart, not back-dating
    following = np.minimum(position + 1, len(g) - 1)
    has_next = (position + 1 < len(g)) & (g[following] == g)
    next_ok = (signed[following] - signed > tolerance_days) & (signed[following] >= signed[prev1] - tolerance_days)
    local_gap = np.where(~has_next | next_ok, local_gap, 0)
    # a series whose numbers do not follow its dates (random numbers, yearly restarts, per-project
    # numbering) proves nothing. Trust a series where, taken in number order, the signing date jumps
    # back by more than the tolerance hardly ever: one back-dated contract makes one such jump, a
    # random order makes one at every other step
    _, group_index, group_size = np.unique(g, return_inverse=True, return_counts=True)
    drop = np.r_[False, (~first[1:]) & (signed[:-1] - signed[1:] > tolerance_days)]
    drops = np.bincount(group_index, weights=drop.astype(float))
    allowed = np.maximum(1, max_drop_share * (group_size - 1))
    # and numbers handed out one after another, not drawn at random: consecutive numbers close together
    number = c.contract_seq[idx][order]
    step = np.where(first, -1, number - np.r_[number[0], number[:-1]])
    steps = step >= 0
    median_step = np.full(len(group_size), np.inf)
    if steps.any():
        med, _ = group_median(group_index[steps], step[steps].astype(float))
        median_step[group_index[steps]] = med
    trusted = (group_size >= min_contracts) & (drops <= allowed) & (median_step <= max_step)
    # and out of place by more than the series' own wobble: numbers taken at drafting and signed weeks
    # later make small backward steps all along; a back-dated contract makes one step far larger. The
    # wobble is the series' third-largest backward step (the largest two may be back-dated themselves)
    back = np.where(first, 0, np.maximum(np.r_[0, signed[:-1] - signed[1:]], 0))
    wobble = _kth_largest(group_index, back, len(group_size), 3)
    local_gap = np.where(local_gap > wobble_factor * wobble[group_index], local_gap, 0)
    gap[idx[order]] = np.where(trusted[group_index], local_gap, 0)
    return gap



def _kth_largest(group: np.ndarray, values: np.ndarray, groups: int, k: int) -> np.ndarray:
    """Per group: its k-th largest value (0 where it has fewer than k)."""
    order = np.lexsort((-values, group))
    g, v = group[order], values[order]
    starts = np.r_[0, np.nonzero(g[1:] != g[:-1])[0] + 1]
    counts = np.diff(np.r_[starts, len(g)])
    out = np.zeros(groups)
    enough = counts >= k
    out[g[starts[enough]]] = v[starts[enough] + k - 1]
    return out


def detect(ctx: Context) -> Flags:
    c, s = ctx.columns, ctx.settings_for(KIND, Settings)
    n = len(c)
    if n == 0:
        return empty(KIND, DETECTOR)
    before = (c.signed - c.perf_start).astype(np.int64)          # days performed before signing
    after_end = (c.signed - c.perf_end).astype(np.int64)         # > 0: signed after the work ended
    late = (c.filed - c.signed).astype(np.int64)
    seq_gap = sequence_gap(c, s.sequence_tolerance_days, s.sequence_min_contracts, s.sequence_max_drop_share,
                           s.sequence_max_step, s.sequence_wobble_factor)

    s_before = np.where(before > s.weak_days, _ramp(before, s.weak_days, s.strong_days, 0.4, 0.95), 0.0)
    s_after = np.where(after_end > 0, 0.97, 0.0)
    seq_gap = np.where(seq_gap > s.sequence_max_days, 0, seq_gap)
    s_seq = np.where(seq_gap > s.sequence_tolerance_days,
                     _ramp(seq_gap, s.sequence_tolerance_days, 180, 0.6, 0.95), 0.0)
    # independent signals from the contract's own dates and numbering reinforce each other (noisy-or)
    evidence = 1 - (1 - s_before) * (1 - s_after) * (1 - s_seq)
    # lateness only strengthens that evidence (a third of the way to certainty at most), never replaces it
    s_late = np.where((late > s.late_filing_days) & (evidence > 0),
                      _ramp(late, s.late_filing_days, 3 * s.late_filing_days, 0.1, 0.3), 0.0)
    score = 1 - (1 - evidence) * (1 - s_late)
    rows = np.nonzero((evidence > 0) & (score >= s.min_score))[0]
    reasons = []
    for i in rows:
        r = []
        if s_after[i]:
            r.append(f"签订日期晚于履行期限止 {after_end[i]} 天：合同在履行结束后才签订 / "
                     f"signed {after_end[i]} days after performance ended")
        if s_before[i]:
            r.append(f"履行开始早于签订日期 {before[i]} 天 / performance began {before[i]} days before signing")
        if s_seq[i]:
            r.append(f"合同编号排在卖方更早编号之后，但签订日期早了 {seq_gap[i]} 天（编号与日期倒挂） / "
                     f"numbered after the seller's contracts signed {seq_gap[i]} days later")
        if s_late[i]:
            r.append(f"另：签订后 {late[i]} 天才申请登记（仅作佐证） / also applied for registration {late[i]} days "
                     f"after signing (supporting only)")
        reasons.append(r)
    related = [np.zeros(0, np.int64) for _ in rows]
    return Flags(KIND, DETECTOR, rows.astype(np.int64), score[rows], reasons, related, applied=n)
