"""What a correction (补正) records on a filing's trail, defined once for its writer and its readers.

The event's action is `correct` and its detail names each changed field with its value before and after:
`{"changes": {"title": {"from": "…", "to": "…"}, "seller": {"from": {party}, "to": {party}}}}` (a party as
format v1 gives it: name, credit_code, region). Written by service.correct_filing; read by an incremental
scan (detection/loader.py), which judges again the parties a correction moved a filing away from, and by the
trail in words (web/pages/trail.py).
"""

from typing import Any

import msgspec

CORRECT = "correct"       # the event's action


class FieldChange(msgspec.Struct, frozen=True):
    before: Any = msgspec.field(name="from")
    after: Any = msgspec.field(name="to")


class CorrectionDetail(msgspec.Struct, frozen=True):
    changes: dict[str, FieldChange]


def correction_detail(changes: dict[str, FieldChange]) -> dict:
    """The event detail of a correction, as the trail stores and hashes it."""
    return msgspec.to_builtins(CorrectionDetail(changes))


# SQL over a correction event aliased `e`: the seller's and the buyer's credit code before it (NULL where the
# correction left that party as it was)
SELLER_BEFORE_SQL = "(e.detail #>> '{changes,seller,from,credit_code}')"
BUYER_BEFORE_SQL = "(e.detail #>> '{changes,buyer,from,credit_code}')"
