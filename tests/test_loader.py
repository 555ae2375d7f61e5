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


async def test_the_stored_peer_group_is_the_codes_own_for_every_kind_field_and_software(conn):
    """filing_facts.peer_group (migration 0028) is computed by PostgreSQL; the detectors read it as the code
    numbers kinds and fields (columns.KINDS, DOMAINS): the stored expression, evaluated for every combination,
    must give peer_group_code's number, or peers would be compared across the wrong groups."""
    import itertools

    import numpy as np

    from techreg.detection.columns import DOMAINS, KINDS, peer_group_code

    expression = await conn.fetchval("SELECT generation_expression FROM information_schema.columns"
                                     " WHERE table_name = 'filing_facts' AND column_name = 'peer_group'")
    combos = list(itertools.product(range(len(KINDS)), range(len(DOMAINS)), (False, True)))
    stored = await conn.fetch(f"SELECT {expression} AS code FROM unnest($1::text[], $2::text[], $3::bool[])"
                              " AS t(kind, domain, software)",
                              [KINDS[k] for k, _, _ in combos], [DOMAINS[d] for _, d, _ in combos],
                              [s for _, _, s in combos])
    expected = peer_group_code(np.array([k for k, _, _ in combos]), np.array([d for _, d, _ in combos]),
                               np.array([s for _, _, s in combos]))
    assert [row["code"] for row in stored] == expected.tolist()
    assert len(set(expected.tolist())) == len(combos)          # one group per combination
