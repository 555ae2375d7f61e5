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
    report = await import_stream(conn, io.BytesIO(data), audit_key, actor="t", create_points=True, source="p")
    assert report.imported == 1 and report.rejected == 2
    assert [e.line for e in report.errors] == [1, 2]
    assert "UTF-8" in report.errors[1].message_en


@settings(max_examples=150)
@given(st.sampled_from(["title", "contract_no", "description", "point"]),
       st.text(alphabet=st.characters(codec="utf-8"), max_size=12), st.text(max_size=12))
def test_nul_in_any_text_field_is_a_named_field_error(field, before, after):
    body = filing_body("NUL-1", "310101")
    body[field] = before + "\x00" + after
    try:
        decode_filing(json.dumps(body))
    except FilingRejected as exc:
        assert any(e.field == field for e in exc.errors)
    else:
        raise AssertionError("a NUL character was accepted")


@settings(max_examples=100)
@given(st.integers(min_value=1, max_value=len(GOOD) - 2), st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"]))
def test_broken_bytes_anywhere_in_a_line_are_one_clean_error(at, junk):
    records, errors = parse_batch([(1, GOOD[:at] + junk + GOOD[at:])], KEY, "t", {},
                                  __import__("datetime").datetime.now())
    assert len(records) + len({e.line for e in errors}) == 1 and all(e.message for e in errors)


def test_deep_nesting_is_rejected_not_a_crash():
    for depth in (100, 1000, 100_000):
        try:
            decode_filing(b"[" * depth + b"]" * depth)
        except FilingRejected as exc:
            assert exc.errors[0].field == "$"
        else:
            raise AssertionError("nested arrays accepted as a filing")


async def test_every_writing_route_answers_bad_bytes_with_4xx(app, office):
    """NUL, invalid UTF-8 and deep nesting against every POST/PUT/PATCH of the API, and NUL in a query."""
    h = office.h("admin")
    routes = [(m, r.path) for r in app.app.routes if r.path.startswith("/api/")
              for m in getattr(r, "methods", set()) if m in ("POST", "PUT", "PATCH")]
    assert len(routes) >= 14
    bodies = [b'{"name": "a\\u0000b", "title": "x\\u0000", "username": "u\\u0000"}', b'{"name": "\xff\xfe"}',
              b"[" * 5000 + b"]" * 5000]
    for method, path in routes:
        url = (path.replace("{ref:str}", "NO-SUCH-REF").replace("{campaign_id:int}", "1")
               .replace("{item_id:int}", "1").replace("{username:str}", "nobody").replace("{name:str}", "scan_full"))
        for body in bodies:
            r = await app.request(method, url, content=body, headers={**h, "content-type": "application/json"})
            assert r.status_code < 500, (method, url, body[:30], r.status_code, r.text[:200])
    for path in ("/api/filings", "/api/flags", "/filings"):
        r = await app.get(path, params={"q": "a\x00b", "kind": "x\x00"}, headers=h)
        assert r.status_code < 500, (path, r.text[:200])
