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
LABELS_ZH = {
    "log_amount": "合同成交额", "log_tech_amount": "技术交易额", "tech_share": "技术交易额占比",
    "log_duration_days": "履行期限长度", "start_minus_signed_days": "履行开始与签订日期之差",
    "filing_lag_days": "签订到申请登记的天数", "log_seller_filings": "卖方合同数",
    "tech_vs_seller_median": "相对卖方中位数", "tech_vs_peer_median": "相对同类合同中位数",
    "log_pair_filings": "同一买卖双方合同数", "log_buyer_filings": "买方合同数", "software": "软件类",
}


def _group_counts(keys: np.ndarray) -> np.ndarray:
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return counts[inverse]


def engineered(c: Columns, peers: PeerTable | None = None) -> np.ndarray:
    """Feature matrix (rows × NAMES); `peers` from the whole registry when `c` is only part of it."""
    n = len(c)
    if n == 0:
        return np.zeros((0, len(NAMES)), np.float32)
    log_amount = np.log1p(c.amount)
    log_tech = np.log1p(c.tech_amount)
    seller = c.seller.astype(np.int64)
    pair = seller * (int(c.buyer.max()) + 1) + c.buyer
    peer_median = (peers or from_columns(c)).per_row(peer_keys(c))[2]
    columns = [
        log_amount, log_tech, c.tech_amount / np.maximum(c.amount, 1.0),
        np.log1p(np.maximum(c.perf_end - c.perf_start, 0)), np.clip(c.perf_start - c.signed, -720, 720),
        np.clip(c.filed - c.signed, 0, 1500), np.log1p(_group_counts(c.seller)),
        log_tech - group_median(c.seller, log_tech)[0], log_tech - peer_median,
        np.log1p(_group_counts(pair)), np.log1p(_group_counts(c.buyer)), c.software.astype(np.float64),
    ]
    return np.column_stack(columns).astype(np.float32)
