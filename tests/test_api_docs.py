"""The API as a newcomer meets it: filters refuse values outside their enum with a 400 naming the parameter
and the values it takes; the OpenAPI document declares how to authenticate and answers every error with a
real example (the very answer the server gives); the README's token example works against `techreg serve`."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest

from conftest import PASSWORD, create_database, running_server
from techreg.audit.schema import QueueStatus
from techreg.db.pool import connect
from techreg.detection.detectors import DETECTORS
from techreg.registry.points import PointIn, create_point
from techreg.registry.schema import Kind, Status
from techreg.registry.users import UserIn, create_user
from techreg.scheduling.jobs import JOBS
from techreg.web.apidoc import example_filing

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")


async def _schema(app) -> dict:
    r = await app.get("/schema/openapi.json")
    assert r.status_code == 200
    return r.json()


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            yield path, method.upper(), op


def _assert_names_enum(body: dict, parameter: str, bad: str, allowed: list[str]) -> None:
    assert body["status_code"] == 400
    [error] = body["errors"]
    assert error["field"] == parameter
    assert list(error["allowed"]) == allowed          # code -> its name, in the declared order
    # each in words (the Chinese name), not the code again — a file format (csv, xlsx) is its own name
    unnamed = [code for code, name in error["allowed"].items() if name == code and parameter != "format"]
    assert not unnamed, (parameter, unnamed)
    for text in (error["message"], error["message_en"]):
        assert bad in text
        for value in allowed:
            assert value in text
    assert CJK.search(error["message"])


async def test_named_enum_filters_answer_400_with_the_allowed_values(app, office):
    cases = [("/api/filings", "status", list(get_args(Status)), "supervisor"),
             ("/api/filings", "kind", list(get_args(Kind)), "registrar"),
             ("/api/flags", "kind", [d.KIND for d in DETECTORS], "supervisor"),
             ("/api/audit/queue", "status", list(get_args(QueueStatus)), "inspector"),
             ("/api/jobs/runs", "job", list(JOBS), "supervisor")]
    for path, parameter, allowed, who in cases:
        r = await app.get(path, params={parameter: "bogus"}, headers=office.h(who))
        assert r.status_code == 400, (path, parameter, r.text)
        _assert_names_enum(r.json(), parameter, "bogus", allowed)
        r = await app.get(path, params={parameter: allowed[-1]}, headers=office.h(who))     # a good value passes
        assert r.status_code == 200, (path, parameter, r.text)
    # the queue's "all" is what an empty value used to mean
    r = await app.get("/api/audit/queue", params={"status": "all"}, headers=office.h("inspector"))
    assert r.status_code == 200 and isinstance(r.json(), list)


async def test_every_enum_query_parameter_in_the_document_is_enforced(app, office):
    """Found from the OpenAPI document itself, so a filter added later is held to the same rule."""
    checked = 0
    for path, method, op in _operations(await _schema(app)):
        if method != "GET" or "{" in path:
            continue
        for parameter in op.get("parameters", []):
            allowed = [v for v in parameter["schema"].get("enum", []) if v is not None]
            if parameter["in"] != "query" or not allowed:
                continue
            for who in ("supervisor", "inspector"):
                r = await app.get(path, params={parameter["name"]: "no-such-value"}, headers=office.h(who))
                if r.status_code != 403:
                    break
            assert r.status_code == 400, (path, parameter["name"], r.status_code, r.text)
            _assert_names_enum(r.json(), parameter["name"], "no-such-value", allowed)
            checked += 1
    assert checked >= 5


async def test_enum_in_a_body_names_its_allowed_values(app, office):
    r = await app.post("/api/users", json={"username": "newcomer", "display_name": "新人", "role": "auditor"},
                       headers=office.h("admin"))
    assert r.status_code == 400, r.text
    _assert_names_enum(r.json(), "role", "auditor", ["registrar", "inspector", "supervisor", "admin"])
    r = await app.post("/api/filings", json=example_filing(point=office.point, kind="research"),
                       headers=office.h("registrar"))
    assert r.status_code == 400, r.text
    [error] = r.json()["errors"]
    assert error["field"] == "kind" and "research" in error["message"] and "consulting" in error["message"]
    r = await app.post("/api/users", json={}, headers=office.h("admin"))
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "username", r.text   # not data.username


async def test_pages_refuse_unknown_filter_values_with_a_400_page(app, office):
    r = await app.get("/filings", params={"status": "bogus"},
                      headers={**office.h("registrar"), "Accept": "text/html"})
    assert r.status_code == 400
    assert "text/html" in r.headers["content-type"]
    assert "status" in r.text and "registered" in r.text and "取值无效" in r.text
    for path, params, who in (("/filings", {"format": "pdf"}, "registrar"), ("/queue", {"status": "later"}, "inspector"),
                              ("/campaigns", {"format": "doc"}, "supervisor")):
        r = await app.get(path, params=params, headers={**office.h(who), "Accept": "text/html"})
        assert r.status_code == 400, (path, r.status_code)
    # a date typed into the address: named in words, the value quoted as typed
    for lang, words in (("zh", "签订日期起不是有效日期：“2026-13-01”，应写作 YYYY-MM-DD"),
                        ("en", "signed from is not a date: “2026-13-01” (write YYYY-MM-DD")):
        app.cookies.set("techreg_lang", lang)
        r = await app.get("/filings", params={"signed_from": "2026-13-01"},
                          headers={**office.h("registrar"), "Accept": "text/html"})
        app.cookies.clear()
        assert r.status_code == 400 and words in r.text and "（signed_from）" not in r.text, r.text[-1500:]
    # what the selects send for "any" still works
    r = await app.get("/filings", params={"q": "", "status": "", "kind": "", "software": ""},
                      headers={**office.h("registrar"), "Accept": "text/html"})
    assert r.status_code == 200


async def test_openapi_declares_bearer_and_cookie_and_every_protected_route_uses_them(app):
    schema = await _schema(app)
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearer"]["type"] == "http" and schemes["bearer"]["scheme"] == "bearer"
    assert schemes["session_cookie"] == {**schemes["session_cookie"], "type": "apiKey", "in": "cookie",
                                         "name": "techreg_session"}
    assert "/api/auth/login" in schema["info"]["description"]
    public = {("POST", "/api/auth/login"), ("GET", "/health"), ("GET", "/api/public/campaigns/{public_no}"),
              ("GET", "/api/public/campaigns/{public_no}/verify")}
    seen_public = set()
    for path, method, op in _operations(schema):
        if (method, path) in public:
            seen_public.add((method, path))
            assert not op.get("security"), (method, path)
            assert "401" not in op["responses"] or path == "/api/auth/login"
            continue
        assert op.get("security") == [{"bearer": []}, {"session_cookie": []}], (method, path)
        assert "401" in op["responses"], (method, path)
        if method == "GET" and "{" not in path:          # and the server means it
            r = await app.get(path)
            assert r.status_code == 401, (path, r.status_code)
    assert seen_public == public
    # the document is the API's: no page a person opens in a browser is in it
    assert {path for path, _, _ in _operations(schema) if not path.startswith("/api/")} == {"/health"}


async def test_error_examples_are_real_answers(app, office):
    schema = await _schema(app)
    assert "examples" not in schema["components"]["schemas"]["ErrorBody"]     # no generated filler
    count = 0
    for path, method, op in _operations(schema):
        for status, response in op["responses"].items():
            if not status.startswith(("4", "5")):
                continue
            content = response["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)
            assert content.get("examples"), (method, path, status)
            for example in content["examples"].values():
                value = example["value"]
                assert value["status_code"] == int(status), (method, path, status)
                assert CJK.search(value["message"]) and value["message_en"], (method, path, status, value)
                assert value["detail"].startswith(value["message"]), value
                for error in value.get("errors", []):
                    assert CJK.search(error["message"]), (method, path, error)
                count += 1
    assert count > 100

    def example(path, method, status, name):
        return schema["paths"][path][method]["responses"][status]["content"]["application/json"]["examples"][name]["value"]

    # each of these is the server's own answer to the request the example names
    r = await app.get("/api/filings", params={"status": "approved"}, headers=office.h("supervisor"))
    assert r.json() == example("/api/filings", "get", "400", "status=approved")
    # and the README's sample error is that answer too
    readme = re.search(r"<!-- error-example: GET /api/filings\?status=approved -->\s*```json\n(.*?)```",
                       (ROOT / "README.md").read_text(), re.S)
    assert readme and json.loads(readme.group(1)) == r.json(), json.dumps(r.json(), ensure_ascii=False)
    r = await app.get("/api/jobs/runs", params={"job": "scan"}, headers=office.h("supervisor"))
    assert r.json() == example("/api/jobs/runs", "get", "400", "job=scan")
    r = await app.get("/api/campaigns/0", headers=office.h("supervisor"))
    assert r.json() == example("/api/campaigns/{campaign_id}", "get", "400", "campaign_id=0")
    r = await app.get("/api/filings")
    assert r.json() == example("/api/filings", "get", "401", "no token")
    r = await app.get("/api/users", headers=office.h("registrar"))
    assert r.json() == example("/api/users", "get", "403", "role")
    bad_code = example("/api/filings", "post", "400", "seller.credit_code")
    body = example_filing(point=office.point)
    body["seller"]["credit_code"] = body["seller"]["credit_code"][:-1] + (
        "0" if body["seller"]["credit_code"][-1] != "0" else "1")
    r = await app.post("/api/filings", json=body, headers=office.h("registrar"))
    assert r.status_code == 400 and r.json() == bad_code
    r = await app.post("/api/points", content=b"code=1",
                       headers={**office.h("admin"), "Content-Type": "application/x-www-form-urlencoded"})
    assert r.json() == example("/api/points", "post", "415", "form body")
    ref = f"EX-REFUSE-{office.point}"
    r = await app.post("/api/filings", json=example_filing(point=office.point, ref=ref), headers=office.h("registrar"))
    assert r.status_code == 201, r.text
    r = await app.post(f"/api/filings/{ref}/refuse", json={}, headers=office.h("registrar"))
    assert r.json() == example("/api/filings/{ref}/refuse", "post", "400", "no reasons")


async def test_the_example_filing_is_accepted(app, office):
    r = await app.post("/api/filings", json=example_filing(point=office.point, ref=f"EX-{office.point}"),
                       headers=office.h("registrar"))
    assert r.status_code == 201, r.text


def _readme_token_example() -> str:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- token-example -->\s*```bash\n(.*?)```", text, re.S)
    assert block, "the README shows how to get a token in a ```bash block after <!-- token-example -->"
    return block.group(1)


async def test_readme_token_example_works_against_techreg_serve(server, data_dir):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    script = _readme_token_example()
    assert "/api/auth/login" in script and "Authorization: Bearer" in script
    url = await create_database(server[1], "techreg_readme")
    conn = await connect(url)
    try:
        await create_point(conn, PointIn(code="310101", name="黄浦登记点"))
        await create_user(conn, UserIn(username="registrar1", display_name="登记员", role="registrar",
                                       point_code="310101", password=PASSWORD), actor="system")
    finally:
        await conn.close()
    async with running_server(url, data_dir / "readme") as base:
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", script.replace("http://127.0.0.1:8000", base)],
                             env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "PASSWORD": PASSWORD},
                             capture_output=True, text=True,
                             timeout=60)
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    assert answer["items"] == [] and "next_cursor" in answer


def test_filing_format_ships_with_the_project_and_is_linked():
    doc = ROOT / "docs" / "filing-format.md"
    assert doc.read_text().startswith("# Filing interchange format, version 1")
    readme = (ROOT / "README.md").read_text()
    assert "](docs/filing-format.md)" in readme and "../shared/docs" not in readme


def test_the_readme_says_each_thing_once():
    """Edits merged from several hands once left the pages paragraph saying the same phrases two and three times:
    no run of eight words comes twice in one paragraph (tables and code aside)."""
    paragraphs, lines, in_code = [], [], False
    for line in (ROOT / "README.md").read_text().splitlines() + [""]:
        text = line.strip()
        if text.startswith("```"):
            in_code = not in_code
        elif not in_code and not text.startswith("|") and text:
            lines.append(text)
        elif lines and not text:
            paragraphs.append(" ".join(lines).split())
            lines = []
    repeated = set()
    for words in paragraphs:
        seen = set()
        for i in range(len(words) - 7):
            phrase = " ".join(words[i:i + 8])
            if phrase in seen:
                repeated.add(phrase)
            seen.add(phrase)
    assert not repeated, sorted(repeated)[:5]


async def test_a_query_parameter_the_operation_does_not_take_is_refused_by_name(app, office):
    r = await app.get("/api/filings", params={"statuss": "submitted"}, headers=office.h("supervisor"))
    assert r.status_code == 400, r.text
    [error] = r.json()["errors"]
    assert error["field"] == "statuss" and {"status", "kind", "limit"} <= set(error["allowed"])
    assert "statuss" in r.json()["message"] and "status" in r.json()["message_en"]
    # what it takes still passes, by its name in the address; a path's own parameter is no query parameter
    assert (await app.get("/api/filings", params={"status": "submitted", "limit": "5"},
                          headers=office.h("supervisor"))).status_code == 200
    r = await app.get("/api/filings/NO-SUCH-REF", params={"ref": "x"}, headers=office.h("supervisor"))
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "ref"
    # pages keep their own links' parameters (the language switch's `next`, htmx's): only the API is held to it
    r = await app.get("/filings", params={"statuss": "x"}, headers={**office.h("supervisor"), "Accept": "text/html"})
    assert r.status_code == 200
