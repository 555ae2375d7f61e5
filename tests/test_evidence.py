"""Evidence files on audit items, findings shown back, the item's record in words, and flag evidence that
links the filings it cites: through the API and the pages, against a database of their own."""

import hashlib
import html as markup
import io
import json
import re
import zipfile

import asyncpg
import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient

from conftest import PASSWORD, app_url, filing_body, party_code, told
from techreg.audit import filetypes
from techreg.config import load_settings
from techreg.db.pool import connect
from techreg.errors import InvalidInput
from techreg.registry.importer import import_stream
from techreg.registry.points import PointIn, create_point
from techreg.registry.users import UserIn, create_user

LIMIT = 64 * 1024          # the upload limit these tests run with (TECHREG_EVIDENCE_MAX_BYTES)
STAFF = {"registrar": ("registrar", "310101"), "far_registrar": ("registrar", "310104"),
         "supervisor": ("supervisor", None), "admin": ("admin", None),
         "bo": ("inspector", "310104"), "cy": ("inspector", "310115")}
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def filing(ref: str, point: str, k: int, **over) -> dict:
    return filing_body(ref, point, status="registered", reg_no=f"2026{point}{k:06d}", **over)


class World:
    def __init__(self, client, url, tokens):
        self.client, self.url, self.tokens = client, url, tokens

    def h(self, who: str, **extra) -> dict:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}

    async def sql(self, query: str, *args, app_role: bool = False):
        conn = await (asyncpg.connect(app_url(self.url)) if app_role else connect(self.url))
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()


@pytest_asyncio.fixture
async def world(empty_database, data_dir):
    from techreg.web.app import create_app

    settings = load_settings(data_dir=data_dir, database_url=empty_database, audit_key="test-audit-key",
                             login_attempts_per_minute=1000, evidence_max_bytes=LIMIT)
    conn = await connect(empty_database)
    try:
        for p in ("310101", "310104", "310115"):
            await create_point(conn, PointIn(code=p, name=f"登记点 {p}"))
        for name, (role, point) in STAFF.items():
            await create_user(conn, UserIn(username=name, display_name=name, role=role, point_code=point,
                                           password=PASSWORD), actor="system")
        seller = {"name": "上海拆分软件有限公司", "credit_code": party_code(901), "region": "310101"}
        rows = [filing(f"EV-{k}", "310101", k, seller=seller, title=f"平台开发（{k}期）") for k in range(3)]
        rows += [filing(f"EV-PLAIN-{k}", "310101", 10 + k) for k in range(6)]
        rows += [filing("EV-FAR", "310104", 1), filing("EV-FAR-2", "310104", 2)]
        data = b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows)
        report = await import_stream(conn, io.BytesIO(data), b"test-audit-key", actor="t", source="t")
        assert not report.errors, report.errors
        flags = [  # (filing, kind, score, reasons, related)
            ("EV-0", "split", 0.97, ["与 2 份合同同一买方，合计超过大额线 / one of 3 parts, together above the line"],
             ["EV-1", "EV-2"]),
            ("EV-0", "duplicate", 0.8, ["与 EV-FAR 为同一卖方、同一买方 / same seller and buyer as EV-FAR"],
             ["EV-FAR"]),
            ("EV-1", "duplicate", 0.75, ["与 EV-FAR-2 为同一卖方 / same seller as EV-FAR-2"], ["EV-FAR-2"]),
        ]
        for ref, kind, score, reasons, related in flags:
            await conn.execute("INSERT INTO flags (filing_id, kind, detector, score, reasons, related)"
                               " SELECT id, $2, $2 || '/1.0', $3, $4, $5 FROM filings WHERE ref = $1",
                               ref, kind, score, reasons, related)
    finally:
        await conn.close()
    async with AsyncTestClient(app=create_app(settings, app_url(empty_database))) as client:
        tokens = {}
        for name in STAFF:
            r = await client.post("/api/auth/login", json={"username": name, "password": PASSWORD})
            tokens[name] = r.json()["token"]
        client.cookies.clear()
        w = World(client, empty_database, tokens)
        r = await client.post("/api/campaigns", headers=w.h("supervisor"), json={
            "name": "证据测试", "registered_from": "2000-01-01", "registered_to": "2100-12-31", "points": ["310101"],
            "sample_size": 1, "certainty_cutoff": 0.95, "control_share": 0.0, "seed": "evidence-seed"})
        assert r.status_code == 201, r.text
        item = next(i for i in r.json()["items"] if i["ref"] == "EV-0")
        w.item, w.inspector = item["id"], item["inspector"]
        w.other_inspector = next(n for n in ("bo", "cy") if n != w.inspector)
        yield w


async def upload(w: World, who: str, name: str, content: bytes, note: str = "", item: int | None = None,
                 media: str = "application/octet-stream"):
    return await w.client.post(f"/api/audit/items/{item or w.item}/evidence", headers=w.h(who),
                               files={"file": (name, content, media)}, data={"note": note} if note else None)


def section(html: str, element_id: str) -> str:
    match = re.search(rf'<table[^>]*id="{element_id}".*?</table>', html, re.S)
    assert match, f"#{element_id} not on the page"
    return match.group(0)


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def zip_with(name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("说明.txt", "现场照片".encode())
        z.writestr(name, content)
    return out.getvalue()


async def test_upload_download_and_the_record(world):
    w = world
    r = await upload(w, w.inspector, "合同扫描件 (终稿).pdf", PDF, note="现场核查取得")
    assert r.status_code == 201, r.text
    added = r.json()
    assert added["sha256"] == hashlib.sha256(PDF).hexdigest() and added["size_bytes"] == len(PDF)
    assert added["media_type"] == "application/pdf" and added["file_name"] == "合同扫描件 (终稿).pdf"
    assert added["uploaded_by"] == w.inspector and added["note"] == "现场核查取得" and not added["withdrawn"]
    assert added["download"] == f"/api/audit/items/{w.item}/evidence/{added['id']}"

    # the inspector, supervisors and admins download it; nobody else learns it exists
    for who in (w.inspector, "supervisor", "admin"):
        got = await w.client.get(added["download"], headers=w.h(who))
        assert got.status_code == 200 and got.content == PDF
        assert got.headers["content-type"].startswith("application/pdf")
        disposition = got.headers["content-disposition"]
        assert disposition.startswith("attachment;") and f'filename="evidence-{added["id"]}.pdf"' in disposition
        assert "filename*=UTF-8''%E5%90%88%E5%90%8C" in disposition and got.headers["x-evidence-sha256"] == added["sha256"]
    for who in ("registrar", "far_registrar", w.other_inspector):
        assert (await w.client.get(added["download"], headers=w.h(who))).status_code in (403, 404)
    assert (await w.client.get(added["download"])).status_code == 401
    assert (await w.client.get(f"/api/audit/items/{w.item}/evidence/{added['id'] + 999}",
                               headers=w.h("supervisor"))).status_code == 404

    detail = (await w.client.get(f"/api/audit/items/{w.item}", headers=w.h(w.inspector))).json()
    assert [e["id"] for e in detail["evidence"]] == [added["id"]] and detail["finding"] is None
    entry = detail["history"][-1]
    assert entry["action"] == "evidence_added" and entry["detail"]["sha256"] == added["sha256"]
    assert entry["actor"] == w.inspector and detail["history"][0]["inspector"] == w.inspector

    # the database computed the digest from the bytes, and the service's role can neither change nor remove them
    [row] = await w.sql("SELECT encode(sha256, 'hex') AS sha, size_bytes FROM evidence_files WHERE id = $1", added["id"])
    assert row["sha"] == added["sha256"] and row["size_bytes"] == len(PDF)
    for statement in ("UPDATE evidence_files SET file_name = 'x.pdf'", "DELETE FROM evidence_files",
                      "DELETE FROM evidence_withdrawals", "UPDATE evidence_withdrawals SET reason = 'x'"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await w.sql(statement, app_role=True)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):         # the owner too: the triggers refuse it
        await w.sql("UPDATE evidence_files SET note = 'changed'")


async def test_withdrawal_is_on_record_and_the_finding_names_its_evidence(world):
    w = world
    kept = (await upload(w, w.inspector, "询问笔录.pdf", PDF)).json()
    wrong = (await upload(w, w.inspector, "照片.png", PNG)).json()
    path = f"/api/audit/items/{w.item}/evidence/{wrong['id']}/withdraw"
    assert (await w.client.post(path, headers=w.h("supervisor"), json={"reason": "x"})).status_code == 403
    bad = await w.client.post(path, headers=w.h(w.inspector), json={"reason": ""})
    assert bad.status_code == 400 and "reason" in bad.text
    r = await w.client.post(path, headers=w.h(w.inspector), json={"reason": "上传错了文件 / wrong file"})
    assert r.status_code == 200, r.text
    assert r.json()["withdrawn"] and r.json()["withdrawn_by"] == w.inspector
    assert (await w.client.post(path, headers=w.h(w.inspector), json={"reason": "again"})).status_code == 409
    # still there, still downloadable, marked withdrawn
    got = await w.client.get(wrong["download"], headers=w.h("supervisor"))
    assert got.status_code == 200 and got.content == PNG

    finding = {"outcome": "rectification_ordered", "reasons": ["三份合同为同一项目拆分"],
               "notes": "卖方负责人承认按期拆分签订 / the seller admitted splitting"}
    r = await w.client.post(f"/api/audit/items/{w.item}/finding", headers=w.h(w.inspector), json=finding)
    assert r.status_code == 201, r.text
    detail = (await w.client.get(f"/api/audit/items/{w.item}", headers=w.h("supervisor"))).json()
    f = detail["finding"]
    assert f["outcome"] == "rectification_ordered" and f["reasons"] == finding["reasons"]
    assert f["notes"] == finding["notes"] and f["decided_by"] == w.inspector and f["decided_at"]
    assert f["evidence"] == [kept["id"]]                            # the withdrawn file is no ground
    assert [h["action"] for h in detail["history"]][-4:] == ["evidence_added", "evidence_added",
                                                            "evidence_withdrawn", "finding"]
    # once decided, the evidence is closed
    assert (await upload(w, w.inspector, "补充.pdf", PDF)).status_code == 409
    assert (await w.client.post(f"/api/audit/items/{w.item}/evidence/{kept['id']}/withdraw",
                                headers=w.h(w.inspector), json={"reason": "late"})).status_code == 409
    # a client still sending typed file names is told the field is unknown (files are uploaded instead)
    r = await w.client.post(f"/api/audit/items/{w.item}/finding", headers=w.h(w.inspector),
                            json={**finding, "evidence": ["scan.pdf"]})
    assert r.status_code == 400 and "evidence" in r.text


async def test_limits_and_type_checks_refuse_before_anything_is_written(world):
    w = world

    async def refused(name, content, status, *words, who=None):
        r = await upload(w, who or w.inspector, name, content)
        assert r.status_code == status, (name, r.status_code, r.text)
        body = r.json()
        assert body["message"] and body["message_en"]
        for word in words:
            assert word in r.text, (name, word, r.text)
        return body

    body = await refused("大文件.txt", b"a" * (LIMIT + 1), 413, "64 KB")
    assert body["field"] == "file" and body["limit_bytes"] == LIMIT
    await refused("很大.pdf", PDF + b"0" * (3 * LIMIT), 413, "64 KB")          # refused on its Content-Length
    await refused("setup.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, 400, "可执行")
    await refused("tool.exe", b"MZ\x90\x00\x03" + b"\x00" * 200, 400, ".exe")
    await refused("run.txt", b"#!/bin/sh\nrm -rf /\n", 400, "可执行")
    await refused("page.txt", b"<!DOCTYPE html><html><script>alert(1)</script></html>", 400, "HTML")
    await refused("page.html", b"<html></html>", 400, ".html")
    await refused("image.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>', 400, "SVG")
    await refused("notes.csv", "a,b\n1,<script>x()</script>\n".encode(), 400, "HTML")
    await refused("scan.pdf", PNG, 400, "PNG", ".pdf")
    await refused("photos.zip", zip_with("payload.exe", b"MZ" + b"\x00" * 64), 400, "payload.exe")
    await refused("photos.zip", zip_with("readme.pdf", b"\x7fELF" + b"\x00" * 64), 400, "readme.pdf")
    await refused("photos.zip", b"PK\x03\x04 not really a zip", 400, "ZIP")
    await refused("blob.pdf", bytes(range(256)) * 4, 400, "无法识别")
    await refused("empty.pdf", b"", 400, "空")
    await refused("scan.pdf", PDF, 403, who="registrar")
    await refused("scan.pdf", PDF, 403, who="supervisor")
    await refused("scan.pdf", PDF, 404, who=w.other_inspector)
    # a body that is not multipart, a form without the file
    r = await w.client.post(f"/api/audit/items/{w.item}/evidence", headers=w.h(w.inspector), json={"file": "x"})
    assert r.status_code == 415 and "multipart" in r.text
    r = await w.client.post(f"/api/audit/items/{w.item}/evidence", headers=w.h(w.inspector),
                            files={"other": ("a.pdf", PDF, "application/pdf")})
    assert r.status_code == 400 and r.json()["field"] == "file"
    # nothing of the refused uploads was written
    assert (await w.sql("SELECT count(*) AS n FROM evidence_files"))[0]["n"] == 0
    assert (await w.sql("SELECT count(*) AS n FROM audit_item_history WHERE action LIKE 'evidence%'"))[0]["n"] == 0

    # what is accepted, named by its content
    from openpyxl import Workbook
    book, sheet = Workbook(), None
    sheet = book.active
    sheet.append(["合同编号", "金额"])
    xlsx = io.BytesIO()
    book.save(xlsx)
    accepted = {"台账.xlsx": (xlsx.getvalue(), "spreadsheetml"), "说明.docx": (docx_bytes(), "wordprocessingml"),
                "明细.csv": ("合同编号,金额\nHT-1,100\n".encode("gb18030"), "text/csv; charset=gb18030"),
                "记录.txt": ("现场记录\n".encode(), "text/plain; charset=utf-8"),
                "照片.PNG": (PNG, "image/png"), "照片包.zip": (zip_with("photo.jpg", b"\xff\xd8\xff\xe0" + b"0" * 32),
                                                          "application/zip"),
                "恰好上限.txt": (b"b" * LIMIT, "text/plain")}
    for name, (content, media) in accepted.items():
        r = await upload(w, w.inspector, name, content)
        assert r.status_code == 201, (name, r.text)
        assert media in r.json()["media_type"], (name, r.json()["media_type"])
        got = await w.client.get(r.json()["download"], headers=w.h("supervisor"))
        assert got.content == content and got.headers["content-type"] == r.json()["media_type"], got.headers
    # a name with a folder part or hidden characters keeps only what it shows
    r = await upload(w, w.inspector, "C:\\Users\\chen\\现场\u202e照片.png", PNG)
    assert r.status_code == 201 and r.json()["file_name"] == "现场照片.png"


async def test_the_api_documents_the_upload_body(world):
    schema = (await world.client.get("/schema/openapi.json")).json()
    body = schema["paths"]["/api/audit/items/{item_id}/evidence"]["post"]["requestBody"]["content"]
    assert body["multipart/form-data"]["schema"]["required"] == ["file"]


def test_content_sniffing_units():
    assert filetypes.check("a.jpeg", b"\xff\xd8\xff\xdb" + b"0" * 20).kind == "jpeg"
    assert filetypes.check("a.gif", b"GIF89a" + b"0" * 20).kind == "gif"
    assert filetypes.check("a.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 ").kind == "webp"
    assert filetypes.check("a.tif", b"II*\x00" + b"0" * 20).kind == "tiff"
    bmp = b"BM" + (30).to_bytes(4, "little") + b"\x00" * 24
    assert filetypes.check("a.bmp", bmp).kind == "bmp"
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100 + "WordDocument".encode("utf-16-le")
    assert filetypes.check("a.doc", ole).kind == "doc"
    with pytest.raises(InvalidInput):                                 # a compound file without a document: an installer
        filetypes.check("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    assert filetypes.check("a.txt", "\ufeffUTF-16 文本".encode("utf-16")).charset == "utf-16"
    with pytest.raises(InvalidInput):
        filetypes.check("a.txt", b"\x00\x01\x02binary")
    with pytest.raises(InvalidInput):
        filetypes.check("a.bmp", b"BM but not a bitmap at all")


async def test_item_page_shows_finding_evidence_and_a_record_in_words(world):
    w = world
    page = f"/queue/{w.item}"
    html_headers = w.h(w.inspector, Accept="text/html")
    # the page's own form uploads (multipart); a refused file is said beside the file input, on the item's page
    r = await w.client.post(f"{page}/evidence", headers=html_headers, files={"file": ("现场照片.png", PNG, "image/png")},
                            data={"note": "厂区门口"}, follow_redirects=False)
    assert r.status_code == 303 and told(r)["msg"] == ("证据文件 现场照片.png 已上传", "evidence file 现场照片.png uploaded")
    assert r.headers["location"] == page                                  # the message is not in the address
    # the page it goes back to says it once, in the page's language, and clears it
    shown = await w.client.get(page, headers=html_headers)
    assert '<div class="flash ok" role="status">证据文件 现场照片.png 已上传</div>' in shown.text
    assert "techreg_flash=" in shown.headers.get("set-cookie", "") and told(shown) == {}
    assert "flash ok" not in (await w.client.get(page, headers=html_headers)).text
    r = await w.client.post(f"{page}/evidence", headers=html_headers, follow_redirects=False,
                            files={"file": ("恶意.txt", b"<html><script>x()</script></html>", "text/plain")})
    assert r.status_code == 200 and 'class="field-error" data-field="file" id="evidence-file-error"' in r.text
    assert 'id="evidence-file" aria-invalid="true"' in r.text and "上传证据文件：有 1 处需要修改" in r.text
    assert "不能作为证据上传" in re.search(r'id="evidence-file-error">([^<]*)<', r.text).group(1)
    photo = (await w.client.get(f"/api/audit/items/{w.item}", headers=w.h(w.inspector))).json()["evidence"][0]
    r = await w.client.post(f"{page}/evidence/{photo['id']}/withdraw", headers=html_headers, data={"reason": "拍错了"},
                            follow_redirects=False)
    assert r.status_code == 303 and "msg" in told(r)
    scan = (await upload(w, w.inspector, "合同扫描件.pdf", PDF, note="盖章原件")).json()
    r = await w.client.post(f"{page}/finding", headers=html_headers, follow_redirects=False,
                            data={"outcome": "referred", "reasons": "拆分规避大额审查\n卖方承认",
                                  "notes": "移送市场监管部门 / referred to market regulation"})
    assert r.status_code == 303 and "msg" in told(r)

    for lang, words in (("zh", ["分配给检查员", "上传证据文件", "撤回证据文件", "记录检查结论「移送查处」", "导入", "已登记"]),
                        ("en", ["assigned to inspector", "uploaded evidence file", "withdrew evidence file",
                                "recorded the finding 'referred for investigation'", "imported", "registered"])):
        w.client.cookies.set("techreg_lang", lang)
        got = await w.client.get(page, headers=w.h("supervisor", Accept="text/html"))
        w.client.cookies.clear()
        assert got.status_code == 200
        html = got.text
        # the finding, the notes and the evidence, with download links
        assert "拆分规避大额审查" in html and "卖方承认" in html and "移送市场监管部门" in html
        assert f'href="/queue/{w.item}/evidence/{scan["id"]}"' in html and "合同扫描件.pdf" in html
        assert f'href="/queue/{w.item}/evidence/{photo["id"]}"' in html and "拍错了" in html
        finding = re.search(r'id="finding-evidence">(.*?)</td>', html, re.S).group(1)
        assert "合同扫描件.pdf" in finding and "现场照片.png" not in finding
        record, trail = (markup.unescape(section(html, name)) for name in ("item-record", "filing-trail"))
        for text in (record, trail):
            assert "{" not in text and "}" not in text and "inspector_id" not in text
            assert "UTC+08:00" in text
        for code in ("evidence_added", "evidence_withdrawn", "conflict_declared", ">finding<", ">assigned<"):
            assert code not in record, (lang, code)
        if lang == "zh":
            for code in ("assigned", "finding", "import", "registered", "inspector"):
                assert code not in record + trail, (lang, code)
        for word in words:
            assert word in record + trail, (lang, word)
    # the page's download link answers with the file, as an attachment
    got = await w.client.get(f"{page}/evidence/{scan['id']}", headers=html_headers)
    assert got.status_code == 200 and got.content == PDF and got.headers["content-disposition"].startswith("attachment")
    refused = await w.client.get(f"{page}/evidence/{scan['id']}", headers=w.h("registrar", Accept="text/html"))
    assert refused.status_code in (403, 404) and PDF not in refused.content


async def test_flag_evidence_links_the_filings_it_cites(world):
    w = world
    html = (await w.client.get("/filings/EV-0", headers=w.h("supervisor", Accept="text/html"))).text
    for ref in ("EV-1", "EV-2", "EV-FAR"):
        assert f'<a href="/filings/{ref}">{ref}</a>' in html
    # the list shows each filing's flags, so a registrar sees which to open first
    listed = (await w.client.get("/filings", params={"q": "EV-"}, headers=w.h("supervisor", Accept="text/html"))).text
    row = re.search(r'<tr><td class="ref"><a href="/filings/EV-0">.*?</tr>', listed, re.S).group()
    assert re.findall(r'data-kind="(\w+)">', row) == ["split", "duplicate"] and "合同拆分" in row
    plain = re.search(r'<tr><td class="ref"><a href="/filings/EV-PLAIN-0">.*?</tr>', listed, re.S).group()
    assert 'class="tag"' not in plain
    # …and filters by it, the page and the API alike, the count with it
    only = (await w.client.get("/filings", params={"q": "EV-", "flagged": "yes"},
                               headers=w.h("supervisor", Accept="text/html"))).text
    assert set(re.findall(r'<a href="/filings/(EV-[\w-]+)">', section(only, "filings"))) == {"EV-0", "EV-1"}
    assert "共 2 件符合条件" in only
    api = (await w.client.get("/api/filings", params={"q": "EV-", "flagged": "false"}, headers=w.h("supervisor"))).json()
    assert {f["ref"] for f in api["items"]} == {"EV-2", "EV-FAR", "EV-FAR-2"} | {f"EV-PLAIN-{k}" for k in range(6)}
    # the filing's own trail is in words as well
    trail = markup.unescape(section(html, "event-trail"))
    assert "导入" in trail and "已登记" in trail and "来源：t" in trail and "UTC+08:00" in trail
    for raw in ("import", "registered", "{", "source"):
        assert raw not in trail, raw
    # the registrar of the point sees their own point's parts linked, the other point's filing only as a fact
    html = (await w.client.get("/filings/EV-0", headers=w.h("registrar", Accept="text/html"))).text
    assert '<a href="/filings/EV-1">EV-1</a>' in html and '<a href="/filings/EV-2">EV-2</a>' in html
    assert "EV-FAR" not in html and "其他登记点" in html
    # the inspector of the item: the filings its evidence cites are linked, open, and shown side by side
    html = (await w.client.get(f"/queue/{w.item}", headers=w.h(w.inspector, Accept="text/html"))).text
    for ref in ("EV-1", "EV-2", "EV-FAR"):
        assert f'<a href="/filings/{ref}">{ref}</a>' in html
    related = section(html, "related")
    assert '<a href="/filings/EV-FAR">EV-FAR</a>' in related
    # the split's three parts summed (not the duplicate's EV-FAR), read against the configured lines and the round
    # figure just above the biggest part, which each part stays under
    assert re.search(r'id="split-total">3,000,000.00<', related), related
    lines = re.findall(r'对照线 ([\d,]+)</td>\s*<td class="num (\w+)">([^<]+)<', related)
    assert lines == [("2,000,000", "bad", "各部分均低于，合计超过"), ("5,000,000", "ok", "合计未超过"),
                     ("10,000,000", "ok", "合计未超过")], lines
    for ref in ("EV-1", "EV-FAR"):
        assert (await w.client.get(f"/api/filings/{ref}", headers=w.h(w.inspector))).status_code == 200
    # ...but nothing beyond it: a filing those cite in turn is named, not linked, and stays closed
    html = (await w.client.get("/filings/EV-1", headers=w.h(w.inspector, Accept="text/html"))).text
    assert "EV-FAR-2" in html and 'href="/filings/EV-FAR-2"' not in html
    assert (await w.client.get("/api/filings/EV-FAR-2", headers=w.h(w.inspector))).status_code == 404
    assert (await w.client.get("/api/filings/EV-PLAIN-0", headers=w.h(w.other_inspector))).status_code == 404
    assert (await w.client.get("/api/filings/EV-1", headers=w.h(w.other_inspector))).status_code == 404


async def test_a_registrar_reads_what_a_flag_says_of_their_own_point(world):
    """A split with a part at another point: the registrar reads every reason that names none of that point's
    filings and no figure but round lines; a sum (which adds the other part's amount in) stays with supervisors
    and inspectors, who read everything."""
    import datetime as dt

    from techreg.detection.store import FlagOut, for_point

    now = dt.datetime.now(dt.timezone.utc)
    reasons = ["与 2 份合同同一买方，合计技术交易额 1,871,010.00 元 / together 1,871,010.00 yuan",
               "每份均低于 500,000 元的线，合计超过该线 / each part under the 500,000 yuan line, together above it",
               "各份标题只在分期、模块或补充字样上不同 / the titles differ only in phase wording",
               "与 EV-FAR 同一卖方 / same seller as EV-FAR"]
    flag = FlagOut(ref="EV-0", kind="split", score=0.9, reasons=reasons, related=["EV-1", "EV-FAR"],
                   detector="split/1", active=True, first_seen=now, last_seen=now)
    conn = await connect(world.url)
    try:
        [mine] = await for_point(conn, [flag], "310101")
        [everything] = await for_point(conn, [flag], None)
    finally:
        await conn.close()
    assert mine.related == ["EV-1"] and mine.reasons[0].startswith("证据涉及其他登记点的 1 份申请")
    assert mine.reasons[1:] == reasons[1:3]
    assert everything.reasons == reasons and everything.related == ["EV-1", "EV-FAR"]
