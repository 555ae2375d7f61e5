"""Back-dated signing (先履行后签署、倒签).

Signals, each with its own evidence:
- performance began before the stated signing date (weak for a few days, strong for months);
- the contract was signed after performance had ended;
- the stated signing date breaks the seller's own contract-number sequence
  (numbered after contracts signed months later, yet claims the earlier date);
- registration applied for long after signing.
"""

from dataclasses import dataclass

import numpy as np

from .columns import Columns, running_max_by_group, segment_starts
from .flags import Flags, empty

DETECTOR = "backdated/1.1"


@dataclass(frozen=True)
class BackdatedSettings:
    weak_days: int = 14         # performance up to this many days before signing is ordinary
    strong_days: int = 90       # this many days or more is strong evidence
    sequence_tolerance_days: int = 30
    # numbering is only evidence where the seller numbers in date order otherwise
    sequence_min_contracts: int = 4
    sequence_max_inverted_share: float = 0.25
    late_filing_days: int = 180


def _ramp(x: np.ndarray, lo: float, hi: float, s_lo: float, s_hi: float) -> np.ndarray:
    t = np.clip((x - lo) / max(hi - lo, 1), 0.0, 1.0)
    return s_lo + t * (s_hi - s_lo)


def sequence_gap(c: Columns, tolerance_days: int = 30, min_contracts: int = 4,
                 max_inverted_share: float = 0.25) -> np.ndarray:
    """Days by which a filing's signing date precedes the latest signing among the seller's lower-numbered contracts."""
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
    running = running_max_by_group(g, signed)
    prev = np.r_[0, running[:-1]]          # latest signing among lower numbers (unused at a group's first)
    first = segment_starts(g)
    local_gap = np.where(first, 0, np.maximum(prev - signed, 0))
    # a seller whose numbers do not follow dates at all (random or per-project numbering) proves nothing
    _, group_index, group_size = np.unique(g, return_inverse=True, return_counts=True)
    inverted = np.bincount(group_index, weights=local_gap > tolerance_days)
    trusted = (group_size >= min_contracts) & (inverted <= max_inverted_share * group_size)
    gap[idx[order]] = np.where(trusted[group_index], local_gap, 0)
    return gap


def detect(c: Columns, s: BackdatedSettings = BackdatedSettings()) -> Flags:
    n = len(c)
    if n == 0:
        return empty("backdated", DETECTOR)
    before = (c.signed - c.perf_start).astype(np.int64)          # days performed before signing
    after_end = (c.signed - c.perf_end).astype(np.int64)         # > 0: signed after the work ended
    late = (c.filed - c.signed).astype(np.int64)
    seq_gap = sequence_gap(c, s.sequence_tolerance_days, s.sequence_min_contracts, s.sequence_max_inverted_share)

    s_before = np.where(before > s.weak_days, _ramp(before, s.weak_days, s.strong_days, 0.4, 0.95), 0.0)
    s_after = np.where(after_end > 0, 0.97, 0.0)
    s_seq = np.where(seq_gap > s.sequence_tolerance_days,
                     _ramp(seq_gap, s.sequence_tolerance_days, 180, 0.6, 0.95), 0.0)
    s_late = np.where(late > s.late_filing_days, _ramp(late, s.late_filing_days, 3 * s.late_filing_days, 0.4, 0.7), 0.0)
    # independent signals reinforce each other (noisy-or)
    score = 1 - (1 - s_before) * (1 - s_after) * (1 - s_seq) * (1 - s_late)
    rows = np.nonzero(score >= 0.3)[0]
    reasons = []
    for i in rows:
        r = []
        if s_after[i]:
            r.append(f"签订日期晚于履行期限止 {after_end[i]} 天：合同在履行结束后才签订 / "
                     f"signed {after_end[i]} days after performance ended")
        if s_before[i]:
            r.append(f"履行开始早于签订日期 {before[i]} 天 / performance began {before[i]} days before signing")
        if s_seq[i]:
            r.append(f"合同编号排在卖方更早编号之后，但签订日期早了 {seq_gap[i]} 天（编号与日期倒挂）/ "
                     f"numbered after the seller's contracts signed {seq_gap[i]} days later")
        if s_late[i]:
            r.append(f"签订后 {late[i]} 天才申请登记 / applied for registration {late[i]} days after signing")
        reasons.append(r)
    related = [np.zeros(0, np.int64) for _ in rows]
    return Flags("backdated", DETECTOR, rows.astype(np.int64), score[rows], reasons, related, applied=n)
