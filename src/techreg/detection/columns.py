"""Filings as column arrays: what every detector reads.

Dates are int32 day numbers, parties and categories are integer codes,
amounts float64 yuan (scoring only; storage stays exact numeric).
"""

from dataclasses import dataclass, field
from typing import get_args

import numpy as np

from ..registry.schema import Domain, Kind

KINDS = list(get_args(Kind))
DOMAINS = list(get_args(Domain))
# the same code in SQL over a filing row aliased x (filings in peers.py; filing_facts stores it, migration 0028):
# kinds and fields numbered from 1 as array_position does, $1 and $2 the KINDS and DOMAINS
PEER_GROUP_SQL = ("(array_position($1::text[], x.kind) * 32 + array_position($2::text[], x.domain) * 2"
                  " + x.software::int)")


def peer_group_code(kind_index: np.ndarray, domain_index: np.ndarray, software: np.ndarray) -> np.ndarray:
    """Peer group of kind × field × software as one integer (indexes from 0, as into KINDS / DOMAINS)."""
    return ((kind_index + 1) * 32 + (domain_index + 1) * 2 + software.astype(int)).astype(np.int32)


@dataclass
class Columns:
    ref: np.ndarray                 # object (str)
    seller: np.ndarray              # int32 party code
    buyer: np.ndarray               # int32 party code
    kind: np.ndarray                # object (str)
    domain: np.ndarray              # object (str)
    software: np.ndarray            # bool
    amount: np.ndarray              # float64
    tech_amount: np.ndarray         # float64
    signed: np.ndarray              # int32 days
    perf_start: np.ndarray          # int32 days
    perf_end: np.ndarray            # int32 days
    filed: np.ndarray               # int32 days
    contract_prefix: np.ndarray = field(default=None)  # object: contract_no without its trailing number
    contract_seq: np.ndarray = field(default=None)     # int64: trailing number of contract_no, -1 if none
    contract_key: np.ndarray = field(default=None)     # object: contract_no, letters and digits only
    title_core: np.ndarray = field(default=None)       # object: title without numbering (text.py)
    title_marks: np.ndarray = field(default=None)      # object: only the numbering of the title
    title_subject: np.ndarray = field(default=None)    # object: the subject a deal's parts share (text.py)
    part_marks: np.ndarray = field(default=None)       # object: the marks naming the title a part (text.py)
    point: np.ndarray = field(default=None)            # object: registration point code
    seller_brand: np.ndarray = field(default=None)     # int32: trade name + region of the seller, -1 unknown
    peer_group: np.ndarray = field(default=None)       # int32: kind × field × software (peer_group_code)
    contract_hash: np.ndarray = field(default=None)    # int32 hash of contract_key, 0 when there is none
    core_hash: np.ndarray = field(default=None)        # int32 hash of title_core

    def __post_init__(self):
        n = len(self.ref)
        blank = np.full(n, "", dtype=object)
        for name in ("contract_prefix", "contract_key", "title_core", "title_marks", "title_subject", "part_marks", "point"):
            if getattr(self, name) is None:
                setattr(self, name, blank.copy())
        if self.contract_seq is None:
            self.contract_seq = np.full(n, -1, np.int64)
        if self.seller_brand is None:
            self.seller_brand = np.full(n, -1, np.int32)
        # integer stand-ins for text compared across millions of pairs (the loader gets them from SQL)
        if self.contract_hash is None:
            codes = np.unique(self.contract_key.astype(str), return_inverse=True)[1].astype(np.int32) + 1
            self.contract_hash = np.where(self.contract_key == "", 0, codes).astype(np.int32)
        if self.core_hash is None:
            self.core_hash = np.unique(self.title_core.astype(str), return_inverse=True)[1].astype(np.int32)
        if self.peer_group is None:
            kinds, kind_index = np.unique(self.kind.astype(str), return_inverse=True)
            domains, domain_index = np.unique(self.domain.astype(str), return_inverse=True)
            self.peer_group = peer_group_code(np.array([KINDS.index(k) for k in kinds])[kind_index],
                                              np.array([DOMAINS.index(d) for d in domains])[domain_index],
                                              self.software)

    def __len__(self) -> int:
        return len(self.ref)

    def take(self, rows: np.ndarray) -> "Columns":
        return Columns(**{f: getattr(self, f)[rows] for f in self.__dataclass_fields__})


def day_numbers(dates) -> np.ndarray:
    """datetime.date values (or numpy datetime64[D]) to int32 days since 1970-01-01."""
    return np.asarray(dates, dtype="datetime64[D]").astype(np.int64).astype(np.int32)


def segment_starts(keys: np.ndarray) -> np.ndarray:
    """Boolean mask marking the first row of each run of equal keys (keys already sorted)."""
    starts = np.ones(len(keys), dtype=bool)
    if len(keys) > 1:
        starts[1:] = keys[1:] != keys[:-1]
    return starts


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct integers, sorted: np.unique's result by one sort (numpy 2.4's np.unique without return_*
    hashes, some 30 times slower on the 10⁵-10⁶ filing rows and ids of a scan)."""
    ordered = np.sort(values)
    return ordered[segment_starts(ordered)]


def _by_group_then_value(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """np.lexsort((values, group)) up to the order of equal values, by two plain sorts: the values' ranks,
    then one integer key of group and rank (lexsort's comparisons cost twice as much at 10⁵-10⁶ rows)."""
    n = len(values)
    if n == 0 or np.abs(group).max() >= np.iinfo(np.int64).max // (2 * n):
        return np.lexsort((values, group))
    rank = np.empty(n, np.int64)
    rank[np.argsort(values)] = np.arange(n)
    return np.argsort(group.astype(np.int64) * n + rank)


def group_median(group: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the median of `values` within its group, and the group's size (no loop)."""
    n = len(values)
    order = _by_group_then_value(group, values)
    g, v = group[order], values[order]
    starts = np.nonzero(segment_starts(g))[0]
    sizes = np.diff(np.r_[starts, n])
    med = (v[starts + (sizes - 1) // 2] + v[starts + sizes // 2]) / 2
    median = np.empty(n)
    size = np.empty(n, np.int64)
    median[order] = np.repeat(med, sizes)
    size[order] = np.repeat(sizes, sizes)
    return median, size
