"""Every error of a filing at once: in one API 400, in the import report (per field per line) and on the
filing form after one submit; a subkind that is not of its kind names the allowed ones."""

import io
import json
import re
import uuid

import msgspec

from conftest import filing_body, new_ref, unique_point_code
from techreg.registry.creditcode import make_code
from techreg.registry.importer import import_stream
from techreg.registry.rules import FilingRejected, decode_filing
from techreg.web.apidoc import ErrorBody

DEVELOPMENT_SUBKINDS = {"commissioned": "委托开发", "cooperative": "合作开发"}
HAS_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def fresh_code() -> str:
    """A valid credit code no other test uses (so whether a party row was written can be checked)."""
    return make_code("91310101" + uuid.uuid4().hex[:9].upper().replace("I", "1").replace("O", "0")
                     .replace("Z", "2").replace("S", "5").replace("V", "7"))


def wrong_check(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def five_bad_fields(ref: str, point: str) -> tuple[dict, dict]:
    """A filing with five independent mistakes, and the value each field was given."""
    seller = wrong_check(fresh_code())
    body = filing_body(ref, point, title="", amount="12.345", signed_on="2026-02-30", subkind="委托开发")
    body["seller"] = {**body["seller"], "credit_code": seller}
    sent = {"title": "", "amount": "12.345", "signed_on": "2026-02-30", "subkind": "委托开发",
            "seller.credit_code": seller}
    return body, sent


async def test_api_names_five_bad_fields_in_one_answer_and_writes_nothing(app, office, conn):
    ref = new_ref("AE")
    body, sent = five_bad_fields(ref, office.point)
    r = await app.post("/api/filings", json=body, headers=office.h("registrar"))
    assert r.status_code == 400, r.text
    errors = r.json()["errors"]
    assert len(errors) == 5 and {e["field"] for e in errors} == set(sent)
    for e in errors:
        assert HAS_CHINESE.search(e["message"]) and e["message_en"].isascii() or e["field"] == "subkind", e
        assert e["value"] == sent[e["field"]], e
    assert "5" in r.json()["message"]
    msgspec.convert(r.json(), ErrorBody)              # the answer is what the schema documents
    subkind = next(e for e in errors if e["field"] == "subkind")
    assert subkind["allowed"] == DEVELOPMENT_SUBKINDS
    assert "commissioned（委托开发）" in subkind["message"] and "cooperative (cooperative development)" in subkind["message_en"]
    assert next(e for e in errors if e["field"] == "seller.credit_code")["message"].startswith("卖方统一社会信用代码")
    assert await conn.fetchval("SELECT count(*) FROM filings WHERE ref = $1", ref) == 0
    assert await conn.fetchval("SELECT count(*) FROM parties WHERE credit_code = $1", sent["seller.credit_code"]) == 0


async def test_api_reports_every_rule_between_fields_with_the_field_errors(app, office, conn):
    ref = new_ref("AE")
    body = filing_body(ref, office.point, contract_no="x" * 65, amount="100.00", tech_amount="200.00",
                       performance_start="2026-06-01", performance_end="2026-05-01",
                       signed_on="2026-03-10", filed_on="2026-03-01")
    body["buyer"] = {**body["buyer"], "credit_code": body["seller"]["credit_code"]}
    r = await app.post("/api/filings", json=body, headers=office.h("registrar"))
    assert r.status_code == 400
    fields = [e["field"] for e in r.json()["errors"]]
    assert sorted(fields) == sorted(["contract_no", "tech_amount", "performance_end", "filed_on", "buyer.credit_code"])
    assert next(e for e in r.json()["errors"] if e["field"] == "contract_no")["value"] == "x" * 65
    assert await conn.fetchval("SELECT count(*) FROM filings WHERE ref = $1", ref) == 0


async def test_a_rule_needing_a_bad_field_is_not_applied_to_it(app, office):
    # the amount is unreadable: "tech_amount exceeds amount" cannot be judged, only the amount is named
    body = filing_body(new_ref("AE"), office.point, amount="abc", tech_amount="200.00")
    r = await app.post("/api/filings", json=body, headers=office.h("registrar"))
    assert [e["field"] for e in r.json()["errors"]] == ["amount"]


async def test_missing_unknown_and_wrongly_typed_fields_all_at_once(app, office):
    body = filing_body(new_ref("AE"), office.point, software="yes", colour="red", shape=[1])
    del body["title"], body["buyer"]["name"]
    r = await app.post("/api/filings", json=body, headers=office.h("registrar"))
    assert r.status_code == 400
    by_field = {e["field"]: e for e in r.json()["errors"]}
    assert set(by_field) == {"title", "buyer.name", "software", "colour", "shape"}
    assert by_field["buyer.name"]["message"] == "缺少必填字段（买方名称）"
    assert by_field["colour"]["value"] == "red" and "value" not in by_field["shape"]   # a list is not echoed
    assert by_field["software"]["value"] == "yes"


async def test_subkind_error_names_the_allowed_values_of_the_kind(app, office):
    h = office.h("registrar")
    r = await app.post("/api/filings", json=filing_body(new_ref("SK"), office.point, kind="transfer",
                                                        subkind="training"), headers=h)
    assert r.status_code == 400
    [error] = r.json()["errors"]
    assert error["field"] == "subkind" and error["value"] == "training"
    assert error["allowed"] == {"patent": "专利权转让", "patent_application": "专利申请权转让",
                                "technical_secret": "技术秘密转让", "other": "其他技术转让"}
    assert "技术转让合同可选" in error["message"] and "for a technology transfer contract" in error["message_en"]
    r = await app.post("/api/filings", json=filing_body(new_ref("SK"), office.point, kind="consulting",
                                                        subkind="commissioned"), headers=h)
    [error] = r.json()["errors"]
    assert error["allowed"] == {} and "技术咨询合同没有细分类别" in error["message"]
    # the Chinese name is not a code: refused, with the codes to use instead
    r = await app.post("/api/filings", json=filing_body(new_ref("SK"), office.point, subkind="合作开发"), headers=h)
    [error] = r.json()["errors"]
    assert error["allowed"] == DEVELOPMENT_SUBKINDS and error["value"] == "合作开发"
    r = await app.post("/api/filings", json=filing_body(new_ref("SK"), office.point, kind="license",
                                                        subkind="patent"), headers=h)
    assert r.status_code == 201, r.text


async def test_a_correction_names_every_bad_field(app, office, conn):
    ref = new_ref("CR")
    h = office.h("registrar")
    assert (await app.post("/api/filings", json=filing_body(ref, office.point), headers=h)).status_code == 201
    r = await app.patch(f"/api/filings/{ref}", json={"title": "", "amount": 5, "kind": "invention"}, headers=h)
    assert r.status_code == 400
    by_field = {e["field"]: e for e in r.json()["errors"]}
    assert set(by_field) == {"title", "amount", "kind"}
    assert by_field["kind"]["allowed"]["development"] == "技术开发"
    assert await conn.fetchval("SELECT event_count FROM filings WHERE ref = $1", ref) == 1


async def test_an_empty_or_non_object_body_is_one_clear_error(app, office):
    h = {**office.h("registrar"), "content-type": "application/json"}
    for content in (b"", b"[]", b"\"x\"", b"{"):
        r = await app.post("/api/filings", content=content, headers=h)
        assert r.status_code == 400, (content, r.status_code, r.text)
        assert r.json()["message"] and r.json()["message_en"]


def test_the_decoder_reports_each_field_once():
    # a date that is out of range and before its start: the first thing to fix, once
    body = filing_body("ONCE-1", "310101", performance_start="2026-03-10", performance_end="1970-01-01")
    try:
        decode_filing(json.dumps(body))
    except FilingRejected as exc:
        assert [(e.field, "范围" in e.message) for e in exc.errors] == [("performance_end", True)]
    else:
        raise AssertionError("accepted")


async def test_import_reports_every_bad_field_of_a_line_and_writes_none_of_it(conn, audit_key):
    point = unique_point_code()
    good1, good2 = filing_body(new_ref("IM"), point), filing_body(new_ref("IM"), point)
    bad, sent = five_bad_fields(new_ref("IM"), point)
    bad["buyer"] = {**bad["buyer"], "credit_code": fresh_code()}     # a good party of the bad line
    also_bad = filing_body(new_ref("IM"), point, tech_amount="9999999.00", colour="red")
    data = b"".join(json.dumps(x, ensure_ascii=False).encode() + b"\n" for x in (good1, bad, good2, also_bad))
    report = await import_stream(conn, io.BytesIO(data), audit_key, actor="t", create_points=True, source="all-errors.jsonl")
    assert (report.imported, report.rejected) == (2, 2)
    assert sorted((e.line, e.field) for e in report.errors) == sorted(
        [(2, f) for f in sent] + [(4, "colour"), (4, "tech_amount")])
    for e in report.errors:
        if e.line == 2:
            assert e.value == sent[e.field] and e.message and e.message_en
    for ref in (bad["ref"], also_bad["ref"]):
        assert await conn.fetchval("SELECT count(*) FROM filings WHERE ref = $1", ref) == 0
    for code in (bad["buyer"]["credit_code"], sent["seller.credit_code"]):
        assert await conn.fetchval("SELECT count(*) FROM parties WHERE credit_code = $1", code) == 0
    assert await conn.fetchval("SELECT count(*) FROM filings WHERE ref = any($1)", [good1["ref"], good2["ref"]]) == 2


def _form(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None}


async def test_one_submit_of_the_form_shows_every_error_by_its_chinese_name(app, office, conn):
    ref = new_ref("FORM")
    bad_code = wrong_check(fresh_code())
    form = {"ref": ref, "contract_no": "", "title": "", "kind": "transfer", "subkind": "commissioned",
            "domain": "electronic_information", "seller_name": "上海华信信息技术有限公司",
            "seller_credit_code": bad_code, "seller_region": "", "buyer_name": "上海东方装备制造有限公司",
            "buyer_credit_code": fresh_code(), "buyer_region": "", "amount": "12.345", "tech_amount": "100.00",
            "signed_on": "2026-03-01", "performance_start": "2026-06-01", "performance_end": "2026-05-01",
            "filed_on": "2026-03-05", "description": "", "software": "on"}
    app.cookies.set("techreg_session", office.tokens["registrar"])
    try:
        r = await app.post("/filings/new", data=form, headers={"origin": "http://testserver.local",
                                                               "accept": "text/html"})
    finally:
        app.cookies.clear()
    assert r.status_code == 200, r.text[:500]
    html = r.text
    wrong = {"contract_no", "title", "subkind", "seller_credit_code", "amount", "performance_end"}
    assert set(re.findall(r'class="field-error" data-field="(\w+)"', html)) == wrong
    summary = re.search(r'<ul class="error-summary">(.*?)</ul>', html, re.S).group(1)
    items = re.findall(r"<li[^>]*>(.*?)</li>", summary, re.S)
    assert len(items) == len(wrong) and "申请内容有 6 处错误" in html
    labels = [re.sub(r"<[^>]+>", "", item).split("：")[0] for item in items]
    assert labels == ["合同编号", "合同名称", "细分类别", "卖方统一社会信用代码", "合同成交额", "履行期限止"]
    assert "seller_credit_code：" not in html and "seller.credit_code：" not in html
    assert "技术转让合同可选" in summary and "专利权转让" in summary
    for name in ("ref", "seller_credit_code", "amount", "performance_end", "buyer_name"):   # typed values kept
        assert f'name="{name}" type="' in html and f'value="{form[name]}"' in html
    assert re.search(r'<option value="transfer" selected', html) and re.search(r'name="software" checked', html)
    assert await conn.fetchval("SELECT count(*) FROM filings WHERE ref = $1", ref) == 0


async def test_the_live_check_names_fields_in_chinese(app, office):
    app.cookies.set("techreg_session", office.tokens["registrar"])
    try:
        r = await app.post("/filings/new/check", data={"kind": "development", "domain": "agriculture",
                                                       "buyer_credit_code": wrong_check(fresh_code()),
                                                       "amount": "100.00", "tech_amount": "300.00"},
                           headers={"origin": "http://testserver.local", "hx-request": "true"})
    finally:
        app.cookies.clear()
    assert r.status_code == 200
    assert set(re.findall(r'data-field="(\w+)"', r.text)) == {"buyer_credit_code", "tech_amount"}  # not the blanks
    assert "<strong>买方统一社会信用代码</strong>" in r.text and "<strong>技术交易额</strong>" in r.text
    # amounts typed as the pages print them, with separators, are the same amounts to the form
    app.cookies.set("techreg_session", office.tokens["registrar"])
    try:
        r = await app.post("/filings/new/check", data={"amount": "1,250,000.00", "tech_amount": "1，000，000.00"},
                           headers={"origin": "http://testserver.local", "hx-request": "true"})
    finally:
        app.cookies.clear()
    assert r.status_code == 200 and not {"amount", "tech_amount"} & set(re.findall(r'data-field="(\w+)"', r.text))


async def test_an_unknown_field_names_the_fields_there_and_a_value_says_what_it_must_be(app, office):
    r = await app.post("/api/auth/login", json={"user": "registrar1"})
    assert r.status_code == 400, r.text
    [error] = r.json()["errors"]
    assert error["field"] == "user" and "username、password" in error["message"]
    assert "the fields here: username, password" in error["message_en"] and "filing format" not in error["message_en"]
    body = filing_body(new_ref("MSG"), office.point, software="yes", amount="-3", colour="red")
    r = await app.post("/api/filings", json=body, headers=office.h("registrar"))
    said = {e["field"]: (e["message"], e["message_en"]) for e in r.json()["errors"]}
    assert "true or false" in said["software"][1] and "true 或 false" in said["software"][0]
    assert said["amount"] == ("合同成交额不能为负数", "contract amount must not be negative")
    assert "the fields here:" in said["colour"][1] and "seller" in said["colour"][1]
