"""Engineered features for the outlier model: amounts, ratios, timing, party history, peer position.

All computed with whole-array operations; the same function serves training
(ml/train.py) and scoring (outlier.py), so the two never drift apart.
"""

import numpy as np

from .columns import Columns, group_median
from .peers import PeerTable, from_columns, peer_keys

NAMES = [
    "log_amount", "log_tech_amount", "tech_share", "log_duration_days", "start_minus_signed_days",
    "filing_lag_days", "log_seller_filings", "tech_vs_seller_median", "tech_vs_peer_median",
    "log_pair_filings", "log_buyer_filings", "software",
]
# their words (the outlier model's evidence names them): techreg.labels, "feature"


def _group_counts(keys: np.ndarray) -> np.ndarray:
    if keys.min() >= 0 and keys.max() < 64 * len(keys) + 4_000_000:     # party numbers: count by table
        return np.bincount(keys)[keys]
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return counts[inverse]


def engineered(c: Columns, peers: PeerTable | None = None, rows: np.ndarray | None = None) -> np.ndarray:
    """Feature matrix (rows × NAMES); `peers` from the whole registry when `c` is only part of it. With `rows`,
    the features of those rows only (an incremental scan scores its changed filings), their parties' counts and
    medians still taken over every row of `c`."""
    n = len(c)
    if n == 0:
        return np.zeros((0, len(NAMES)), np.float32)
    at = np.arange(n) if rows is None else rows
    log_tech_all = np.log1p(c.tech_amount)
    amount, tech, log_tech = c.amount[at], c.tech_amount[at], log_tech_all[at]
    seller = c.seller.astype(np.int64)
    pair = seller * (int(c.buyer.max()) + 1) + c.buyer
    peer_median = (peers or from_columns(c)).per_row(peer_keys(c)[at])[2]
    signed, start = c.signed[at], c.perf_start[at]
    columns = [
        np.log1p(amount), log_tech, tech / np.maximum(amount, 1.0),
        np.log1p(np.maximum(c.perf_end[at] - start, 0)), np.clip(start - signed, -720, 720),
        np.clip(c.filed[at] - signed, 0, 1500), np.log1p(_group_counts(c.seller)[at]),
        log_tech - group_median(c.seller, log_tech_all)[0][at], log_tech - peer_median,
        np.log1p(_group_counts(pair)[at]), np.log1p(_group_counts(c.buyer)[at]), c.software[at].astype(np.float64),
    ]
    return np.column_stack(columns).astype(np.float32)
