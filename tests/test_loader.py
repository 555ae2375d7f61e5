"""The binary COPY reader: values arrive exactly, and a NULL or a changed column type is an error, not garbage."""

import pytest

from techreg.detection.loader import NUMERIC, CopyFormatError, _copy

SQL_TYPE = {">i8": "int8", ">i4": "int4", ">f8": "float8"}


def _select(values: dict) -> str:
    return "SELECT " + ", ".join(f"{values.get(name, k)}::{SQL_TYPE[t]}" for k, (name, _, t) in enumerate(NUMERIC))


async def test_binary_copy_rows_arrive_exactly(conn):
    rows = await _copy(conn, _select({"amount": 1234567.89, "id": 2**40 + 7, "seller": -5}) + " FROM generate_series(1, 3)")
    assert len(rows) == 3
    assert rows["amount"]["value"][0] == 1234567.89 and rows["id"]["value"][2] == 2**40 + 7
    assert rows["seller"]["value"][1] == -5 and rows["buyer"]["value"][0] == 2   # its position in NUMERIC


async def test_a_null_or_a_changed_type_is_refused(conn):
    with pytest.raises(CopyFormatError, match="tech_amount"):
        await _copy(conn, _select({"tech_amount": "NULL"}) + " FROM generate_series(1, 2)")
    widened = _select({}).replace("::int4", "::int8", 1)       # one column wider than the reader expects
    with pytest.raises(CopyFormatError, match="column seller, row 1: 8 bytes instead of 4"):
        await _copy(conn, widened)
