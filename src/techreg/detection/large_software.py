"""Large software contracts (软件类大额合同).

A software filing is flagged when its technology transaction amount is at or
above the large line; when it is far above the seller's own history (several
times its median and several robust deviations above it, and above the
ordinary range of comparable filings); or, for a seller without history, when
it is above the quartile fence of comparable software filings (same kind and
field). Peer groups and histories need a minimum volume.
"""

from dataclasses import dataclass

import numpy as np

from .columns import Columns, group_median
from .flags import Flags, empty
from .peers import PeerTable, from_columns, peer_keys

DETECTOR = "large_software/1.1"


@dataclass(frozen=True)
class LargeSoftwareSettings:
    large_line: float = 5_000_000.0
    fence_k: float = 3.0              # peer fence: Q3 + k·IQR on log amounts ("far above")
    min_peer_group: int = 30
    min_seller_history: int = 4       # other filings of the seller needed to judge against its history
    seller_ratio: float = 4.0         # at least this many times the seller's median
    seller_z: float = 3.0             # and this many robust deviations above it
    min_log_spread: float = 0.25      # floor for a seller's spread, so uniform histories do not over-react


def seller_history(c: Columns, logs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the seller's median log amount, its spread (1.4826·MAD), and how many other filings it has."""
    median, size = group_median(c.seller, logs)
    mad, _ = group_median(c.seller, np.abs(logs - median))
    return median, 1.4826 * mad, size - 1


def detect(c: Columns, s: LargeSoftwareSettings = LargeSoftwareSettings(), peers: PeerTable | None = None) -> Flags:
    """`peers` (quartiles per kind × field) come from the whole registry when `c` is only part of it."""
    sw = np.nonzero(c.software)[0]
    if len(sw) == 0:
        return empty("large_software", DETECTOR)
    tech = c.tech_amount
    logs = np.log1p(tech)
    count, q1, q2, q3 = (peers or from_columns(c)).per_row(peer_keys(c))
    enough = count >= s.min_peer_group        # a small peer group proves nothing
    peer_median = np.where(enough, q2, np.inf)
    fence = np.where(enough, q3 + s.fence_k * np.maximum(q3 - q1, 0.1), np.inf)
    med, spread, others = seller_history(c, logs)
    spread = np.maximum(spread, s.min_log_spread)

    over_line = tech[sw] >= s.large_line
    over_peers = logs[sw] > fence[sw]
    has_history = others[sw] >= s.min_seller_history
    ratio = np.expm1(logs[sw]) / np.maximum(np.expm1(med[sw]), 1.0)
    over_own = (has_history & (ratio >= s.seller_ratio) & ((logs[sw] - med[sw]) / spread[sw] >= s.seller_z)
                & (logs[sw] > peer_median[sw]))
    score = np.where(over_line, 0.9, 0.0)
    score = np.maximum(score, np.where(over_peers & ~has_history, 0.7, 0.0))
    score = np.maximum(score, np.where(over_own, 0.8 + 0.1 * over_peers, 0.0))
    keep = score > 0
    rows = sw[keep]
    reasons = []
    for j, i in zip(np.nonzero(keep)[0], rows):   # flagged filings only, to write their evidence
        r = []
        if over_line[j]:
            r.append(f"软件类合同技术交易额 {tech[i]:,.2f} 元，达到大额线 {s.large_line:,.0f} 元 / "
                     f"software contract with technology amount {tech[i]:,.2f} yuan at or above the large line")
        if over_peers[j]:
            r.append(f"远高于同类（{c.kind[i]}/{c.domain[i]}）软件合同：超过四分位上界 {np.expm1(fence[i]):,.0f} 元 / "
                     f"far above comparable software contracts (fence {np.expm1(fence[i]):,.0f} yuan)")
        if over_own[j]:
            r.append(f"是卖方其他 {others[i]} 份合同中位数 {np.expm1(med[i]):,.0f} 元的 {ratio[j]:.1f} 倍 / "
                     f"{ratio[j]:.1f}× the median {np.expm1(med[i]):,.0f} yuan of the seller's {others[i]} other contracts")
        reasons.append(r)
    return Flags("large_software", DETECTOR, rows.astype(np.int64), score[keep], reasons,
                 [np.zeros(0, np.int64) for _ in rows], applied=len(sw))
