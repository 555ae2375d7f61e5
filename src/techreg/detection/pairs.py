"""Candidate pairs shared by the split and duplicate detectors.

Filings are sorted by (buyer, signing date); each is paired with the next few
filings of the same buyer signed within the window. That is a handful of
vectorised passes over the arrays, never a comparison of every pair. Title
similarity is computed only for pairs whose sellers are the same company or
sister companies (same trade name and region), which are few.
"""

from dataclasses import dataclass

import numpy as np

from .columns import Columns
from .text import similarity


@dataclass
class Pairs:
    a: np.ndarray              # earlier row (by signing date)
    b: np.ndarray              # later row
    days: np.ndarray           # signing days between them
    same_seller: np.ndarray
    sister: np.ndarray         # different sellers sharing a trade name and region
    title_sim: np.ndarray      # bigram Jaccard of title cores (0 unless one seller and the same numbering)
    subject_sim: np.ndarray    # share of the shorter subject's bigrams found in the other (text.py)
    marks_equal: np.ndarray    # same numbering in the titles (一期 vs 二期 differ)
    contract_equal: np.ndarray

    def __len__(self) -> int:
        return len(self.a)


def index_pairs(c: Columns, window_days: int, max_neighbours: int = 50,
                rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows (a, b) of the same buyer signed within the window, same or sister seller.

    Numbers only (no text), so an incremental scan can find which filings the
    changed ones can pair with before it reads any title. With `rows`, among those rows only (rows of `c`
    are returned), without copying the other columns.
    """
    def col(values: np.ndarray) -> np.ndarray:
        return values if rows is None else values[rows]

    buyer_all, signed_all, seller, brand = col(c.buyer), col(c.signed), col(c.seller), col(c.seller_brand)
    n = len(buyer_all)
    order = np.lexsort((np.arange(n), signed_all, buyer_all))
    buyer, signed = buyer_all[order], signed_all[order]
    a_parts, b_parts = [], []
    live = np.arange(n - 1)                       # sorted positions whose next neighbour may still pair
    for k in range(1, min(max_neighbours, n - 1) + 1):
        live = live[live + k < n]
        ok = (buyer[live] == buyer[live + k]) & (signed[live + k] - signed[live] <= window_days)
        live = live[ok]                           # once a neighbour is out of reach, farther ones are too
        if len(live) == 0:
            break
        a_parts.append(order[live])
        b_parts.append(order[live + k])
    a = np.concatenate(a_parts) if a_parts else np.zeros(0, np.int64)
    b = np.concatenate(b_parts) if b_parts else np.zeros(0, np.int64)
    same_seller = seller[a] == seller[b]
    sister = ~same_seller & (brand[a] == brand[b]) & (brand[a] != -1)
    # parts of one deal may be of different kinds (开发 + 技术服务 + 咨询): the kind does not narrow
    related = same_seller | sister
    a, b = a[related].astype(np.int64), b[related].astype(np.int64)
    return (a, b) if rows is None else (rows[a].astype(np.int64), rows[b].astype(np.int64))


def candidate_pairs(c: Columns, window_days: int, max_neighbours: int = 50, min_similarity: float = 0.5,
                    index: tuple[np.ndarray, np.ndarray] | None = None) -> Pairs:
    """`index_pairs` with their text compared; `index` gives them when already found (incremental scans)."""
    a, b = index if index is not None else index_pairs(c, window_days, max_neighbours)
    same_seller = c.seller[a] == c.seller[b]
    sister = ~same_seller & (c.seller_brand[a] == c.seller_brand[b]) & (c.seller_brand[a] != -1)
    contract_equal = ((c.contract_hash[a] == c.contract_hash[b]) & (c.contract_hash[a] != 0)
                      & (c.contract_key[a] == c.contract_key[b]))     # a hash collision is not a match
    core_a, core_b = c.title_core[a], c.title_core[b]
    # titles are compared only where a copy is possible at all: one seller, the same part numbering
    marks_equal = c.title_marks[a] == c.title_marks[b]
    copy_possible = np.nonzero(same_seller & marks_equal)[0]
    sim = np.zeros(len(a))
    sim[copy_possible] = similarity(core_a[copy_possible], core_b[copy_possible], min_similarity,
                                    c.core_hash[a][copy_possible], c.core_hash[b][copy_possible])
    sim[(core_a == "") | (core_b == "")] = 0.0
    subject_a, subject_b = c.title_subject[a], c.title_subject[b]
    subject_ids = np.unique(np.concatenate([subject_a, subject_b]).astype(str), return_inverse=True)[1]
    subject = similarity(subject_a, subject_b, 0.0, subject_ids[:len(a)], subject_ids[len(a):], containment=True)
    # a subject shorter than a few characters (平台, 系统) is no evidence of one deal
    short = np.minimum(_lengths(subject_a), _lengths(subject_b)) < MIN_SUBJECT_CHARS
    subject[short & (subject_a != subject_b)] = 0.0
    subject[(subject_a == "") | (subject_b == "")] = 0.0
    return Pairs(a, b, (c.signed[b] - c.signed[a]).astype(np.int64),
                 same_seller, sister, sim, subject, marks_equal, contract_equal)


MIN_SUBJECT_CHARS = 4


def _lengths(strings: np.ndarray) -> np.ndarray:
    return np.char.str_len(strings.astype(str)) if len(strings) else np.zeros(0, int)


def copy_like(c: Columns, p: Pairs, window_days: int, title_min: float, amount_min: float) -> np.ndarray:
    """Pairs that look like one contract registered twice rather than parts of one deal."""
    lo = np.minimum(c.tech_amount[p.a], c.tech_amount[p.b])
    hi = np.maximum(c.tech_amount[p.a], c.tech_amount[p.b])
    amount_close = lo >= amount_min * np.maximum(hi, 1e-9)
    start_close = np.abs(c.perf_start[p.a] - c.perf_start[p.b]) <= window_days
    # a copy keeps the term of performance; parts of one deal are performed over terms of their own
    same_term = np.abs((c.perf_end[p.a] - c.perf_start[p.a]) - (c.perf_end[p.b] - c.perf_start[p.b])) <= 3
    return (p.same_seller & p.marks_equal & (p.days <= window_days)
            & ((p.contract_equal & (p.title_sim >= 0.5))
               | ((p.title_sim >= title_min) & amount_close & start_close & same_term)))
