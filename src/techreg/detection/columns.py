"""Filings as column arrays: what every detector reads.

Dates are int32 day numbers, parties and categories are integer codes,
amounts float64 yuan (scoring only; storage stays exact numeric).
"""

from dataclasses import dataclass, field

import numpy as np


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
    point: np.ndarray = field(default=None)            # object: registration point code
    seller_brand: np.ndarray = field(default=None)     # int32: trade name + region of the seller, -1 unknown

    def __post_init__(self):
        n = len(self.ref)
        blank = np.full(n, "", dtype=object)
        for name in ("contract_prefix", "contract_key", "title_core", "title_marks", "point"):
            if getattr(self, name) is None:
                setattr(self, name, blank.copy())
        if self.contract_seq is None:
            self.contract_seq = np.full(n, -1, np.int64)
        if self.seller_brand is None:
            self.seller_brand = np.full(n, -1, np.int32)

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


def running_max_by_group(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running maximum of `values` restarting at each new `group` (rows sorted by group)."""
    if len(values) == 0:
        return values.astype(np.int64)
    v = values.astype(np.int64)
    span = int(v.max() - v.min()) + 1
    # lift each group above every earlier one so one accumulate serves all groups
    _, group_index = np.unique(group, return_inverse=True)
    lifted = (v - v.min()) + group_index.astype(np.int64) * span
    return np.maximum.accumulate(lifted) - group_index.astype(np.int64) * span + v.min()
