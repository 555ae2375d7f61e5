"""Property tests: whatever bytes arrive, each bad line is a clear error, never a crash or half a filing."""

import io
import json

from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import filing_body, new_ref
from techreg.registry.importer import parse_batch
from techreg.registry.rules import FilingRejected, decode_filing

KEY = b"k"
GOOD = json.dumps(filing_body("REF-1", "310101"), ensure_ascii=False).encode()


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_are_rejected_cleanly(data):
    records, errors = parse_batch([(1, data)], KEY, "t", {}, __import__("datetime").datetime.now())
    assert len(records) + len({e.line for e in errors}) == 1
    for e in errors:
        assert e.field and e.message and e.message_en


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=len(GOOD) - 1))
def test_truncated_lines_name_a_reason(cut):
    try:
        decode_filing(GOOD[:cut])
    except FilingRejected as exc:
        assert exc.errors and all(e.message for e in exc.errors)
    else:
        raise AssertionError("a truncated filing was accepted")


@settings(max_examples=200)
@given(st.sampled_from(["amount", "tech_amount"]),
       st.one_of(st.text(max_size=20), st.integers(), st.floats(allow_nan=True), st.none()))
def test_amount_fields_accept_only_exact_decimal_strings(field, value):
    body = filing_body("R", "310101")
    body[field] = value
    raw = json.dumps(body).encode()
    try:
        f = decode_filing(raw)
    except FilingRejected as exc:
        assert any(e.field in (field, "tech_amount", "amount", "$") for e in exc.errors)  # $: Infinity is not JSON
    else:
        from decimal import Decimal
        assert isinstance(getattr(f, field), str) and Decimal(getattr(f, field)) >= 0


@settings(max_examples=100)
@given(st.sampled_from(["signed_on", "performance_start", "performance_end", "filed_on"]), st.text(max_size=12))
def test_dates_are_validated(field, value):
    body = filing_body("R", "310101")
    body[field] = value
    try:
        decode_filing(json.dumps(body).encode())
    except FilingRejected as exc:
        assert exc.errors[0].field in ("signed_on", "performance_start", "performance_end", "filed_on")


async def test_huge_and_wrongly_encoded_lines_do_not_stop_the_import(conn, audit_key):
    from conftest import unique_point_code
    from techreg.registry.importer import MAX_LINE_BYTES, import_stream

    point = unique_point_code()
    good = filing_body(new_ref("P"), point)
    gbk = json.dumps(filing_body(new_ref("P"), point), ensure_ascii=False).encode("gbk")
    huge = b'{"ref": "' + b"x" * (MAX_LINE_BYTES + 10) + b'"}'
    data = huge + b"\n" + gbk + b"\n" + json.dumps(good).encode() + b"\n"
    report = await import_stream(conn, io.BytesIO(data), audit_key, actor="t", source="p")
    assert report.imported == 1 and report.rejected == 2
    assert [e.line for e in report.errors] == [1, 2]
    assert "UTF-8" in report.errors[1].message_en
