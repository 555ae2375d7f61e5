"""A detector's output: which rows it flags, how strongly, why, and with which other rows."""

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Flags:
    kind: str
    detector: str
    rows: np.ndarray                  # int64 row indexes into the Columns
    scores: np.ndarray                # float64 in (0, 1]
    reasons: list[list[str]]          # per flagged row, plain-language evidence with numbers
    related: list[np.ndarray] = field(default_factory=list)  # per flagged row, row indexes of the others
    applied: int = 0                  # rows the detector looked at
    excluded: int = 0                 # rows it could not judge (missing data)

    def __len__(self) -> int:
        return len(self.rows)


def empty(kind: str, detector: str, applied: int = 0, excluded: int = 0) -> Flags:
    return Flags(kind, detector, np.zeros(0, np.int64), np.zeros(0), [], [], applied, excluded)
