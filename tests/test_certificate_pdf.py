"""The printable registration certificate (技术合同登记证明) and its public check: the PDF carries the number,
parties, kind, amounts, date and a verification code in an embedded CJK font (rendered by poppler, read back);
the public /verify page says valid, revoked with its date, or de-registered, with the facts the certificate
prints, word for word as printed, and only to whoever has the code; anything else gets one identical "no match"
and nothing more; a burst is refused."""

import itertools
import re
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
import segno
from litestar.testing import AsyncTestClient

from conftest import REVOKE, app_url, filing_body, new_ref, party_code
from techreg.registry.events import verify_chain
from techreg.registry.verification import (CODE_ALPHABET, grouped, normalised_code, verification_code)
from techreg.web.app import create_app

SELLER = "证明测试卖方科技有限公司"
BUYER = "证明测试买方制造有限公司"
DEDUCTED = [{"item": "服务器 3 台", "category": "equipment", "amount": "150000.00"},
            {"item": "传感器元件", "category": "parts", "amount": "50000.00"}]
HTML = {"Accept": "text/html"}


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    assert path, f"{tool} is missing: apt-get install -y poppler-utils (the README's test command does)"
    return path


_parties = itertools.count(1)


async def _registered(app, office, **over) -> tuple[str, str]:
    ref = new_ref("CP")
    n = int(office.point) * 100 + 2 * next(_parties)     # parties of its own: a revocation for fraud marks the seller
    parties = {"seller": {"name": SELLER, "credit_code": party_code(n + 1), "region": "310101"},
               "buyer": {"name": BUYER, "credit_code": party_code(n + 2), "region": "310104"}}
    r = await app.post("/api/filings", json=filing_body(ref, office.point, **{**parties, **over}),
                       headers=office.h("registrar"))
    assert r.status_code == 201, r.text
    r = await app.post(f"/api/filings/{ref}/register", json={"approved_amount": "800000.00", "deductions": DEDUCTED},
                       headers=office.h("registrar"))
    assert r.status_code == 200 and r.json()["status"] == "registered", r.text
    return ref, r.json()["reg_no"]


def _qr_modules(pdf: Path, folder: Path) -> list[list[int]]:
    """The dark and light modules of the QR code in the certificate's lower right quarter, as a matrix."""
    from PIL import Image

    subprocess.run([_poppler("pdftoppm"), "-png", "-r", "150", "-singlefile", str(pdf), str(folder / "qr")], check=True)
    with Image.open(folder / "qr.png") as image:
        grey = image.convert("L")
        mm = grey.width / 210                         # A4 at 150 dpi; the QR code ends 22 mm from the right edge
        column = grey.crop((int(150 * mm), 0, int(189 * mm), grey.height)).point(lambda v: v < 128 and 255)
        inked = [column.crop((0, y, column.width, y + 1)).getbbox() is not None for y in range(column.height)]
        bottom = max(y for y, ink in enumerate(inked) if ink)
        top = bottom
        while any(inked[top - 3:top]):                # up to the quiet zone above the code
            top -= 1
        corner = column.crop((0, top, column.width, bottom + 1))
        left, top, right, bottom = corner.getbbox()
        dark = corner.load()
        # the finder pattern's top row is 7 modules wide: the module size from its run of dark pixels
        run = next(x for x in range(left, right) if not dark[x, top + 1]) - left
        cell = run / 7
        count = round((right - left) / cell)
        return [[1 if dark[int(left + (i + 0.5) * cell), int(top + (j + 0.5) * cell)] else 0 for i in range(count)]
                for j in range(count)]


def _result(page: str) -> str:
    """The answer part of the verification page, as text."""
    found = re.search(r'<div id="verify-result".*?</div>', page, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))).strip() if found else ""


def _facts(page: str) -> dict[str, str]:
    """The facts the verification page states (its table): heading -> value, as text."""
    found = re.search(r'<table class="facts" id="verify-facts">.*?</table>', page, re.S)
    if not found:
        return {}
    rows = re.findall(r"<th>(.*?)</th><td[^>]*>(.*?)</td></tr>", found.group(0), re.S)
    return {th: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", td)).strip() for th, td in rows}


def test_the_verification_code_is_derived_unambiguous_and_read_forgivingly():
    key = b"k" * 32
    code = verification_code(key, "2026310199000101")
    assert len(code) == 12 and set(code) <= set(CODE_ALPHABET) and not set(code) & set("ILOU")
    assert code == verification_code(key, "2026310199000101")                       # derived, not drawn
    assert code != verification_code(key, "2026310199000102")
    assert code != verification_code(b"x" * 32, "2026310199000101")                 # the key makes it
    printed = grouped(code)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", printed)
    assert normalised_code(printed.lower()) == code and normalised_code(f" {printed} ") == code
    assert normalised_code("o1l-I0") == "01110"


async def test_the_pdf_certificate_renders_with_its_facts_in_an_embedded_cjk_font(app, office, other_office, conn,
                                                                                   audit_key, tmp_path):
    ref, reg_no = await _registered(app, office)
    r = await app.get(f"/api/filings/{ref}/certificate.pdf", headers=office.h("registrar"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/pdf") and r.content.startswith(b"%PDF")
    assert f'filename="certificate-{reg_no}.pdf"' in r.headers["content-disposition"]
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(r.content)

    # rendered to an image, as a printer would: one A4 page with ink on it
    subprocess.run([_poppler("pdftoppm"), "-png", "-r", "50", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1 and pages[0].read_bytes().startswith(b"\x89PNG")
    from PIL import Image
    with Image.open(pages[0]) as image:
        assert abs(image.width / image.height - 210 / 297) < 0.01
        dark = sum(image.convert("L").histogram()[:128])
        assert dark > 2000                                        # text, table lines and the QR code

    # the QR code, read back module by module at 150 dpi, is the public check's address with number and code
    code = grouped(verification_code(audit_key, reg_no))
    url = f"http://testserver.local/verify?reg_no={reg_no}&code={code}"
    assert _qr_modules(pdf, tmp_path) == [list(row) for row in segno.make(url, error="m").matrix]

    text = subprocess.run([_poppler("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for words in ("技术合同登记证明", reg_no, SELLER, BUYER, "统一社会信用代码", "工业互联网平台软件开发合同",
                  "技术开发", "核定技术交易额", "800,000.00 元", "1,250,000.00 元", "核验码", code, "北京时间 UTC+08:00",
                  f"测试登记点 {office.point}", "http://testserver.local/verify"):
        assert words in text, (words, text)
    # the public check with the printed number and code states the same facts under the same headings, each
    # as the paper prints it (what pdftotext reads back, the layout's spaces aside)
    page = (await app.get("/verify", params={"reg_no": reg_no, "code": code}, headers=HTML)).text
    facts = _facts(page)
    assert set(facts) == {"合同名称", "合同编号", "合同类别", "技术领域", "卖方（技术提供方）", "买方（技术接受方）",
                          "合同成交额", "核定技术交易额", "登记日期", "登记机构"}, facts
    flat = re.sub(r"\s+", "", text)
    for heading, value in facts.items():
        assert heading in text, heading
        for part in value.replace("统一社会信用代码", "").replace("（软件类）", "").split():
            assert re.sub(r"\s+", "", part) in flat, (heading, part)
    assert facts["卖方（技术提供方）"].startswith(SELLER) and facts["买方（技术接受方）"].startswith(BUYER)
    assert facts["核定技术交易额"] == "800,000.00 元" and facts["合同成交额"] == "1,250,000.00 元"
    assert facts["登记机构"] == f"测试登记点 {office.point}（{office.point}）"
    cert = (await app.get(f"/api/filings/{ref}/certificate", headers=office.h("registrar"))).json()
    assert facts["登记日期"] == f"{cert['registered_on']} （北京时间 UTC+08:00）"
    # what the certificate does not print, the check does not say: deductions, the registrar
    assert "服务器 3 台" not in page and office.usernames["registrar"] not in page
    fonts = subprocess.run([_poppler("pdffonts"), str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line for line in fonts.splitlines()[2:] if line.strip()]
    # the Chinese above came from the CJK font, embedded as a subset (ABCDEF+Name) of TrueType outlines; reportlab
    # declares the standard Helvetica on every document, unembedded as the standard 14 fonts are, and writes
    # nothing in it here (every paragraph and the page's initial font are the CJK font)
    cjk = [line for line in rows if re.match(r"[A-Z]{6}\+WenQuanYi|[A-Z]{6}\+\S+", line)]
    assert cjk and all(re.search(r"TrueType\s+\S+\s+yes\s+yes", line) for line in cjk), fonts
    assert all(line in cjk or line.startswith("Helvetica ") for line in rows), fonts

    # who may see the filing may have its certificate; others are told nothing
    assert (await app.get(f"/api/filings/{ref}/certificate.pdf", headers=office.h("supervisor"))).status_code == 200
    r = await app.get(f"/api/filings/{ref}/certificate.pdf", headers=other_office.h("registrar"))
    assert r.status_code == 404
    assert (await app.get(f"/api/filings/{ref}/certificate.pdf")).status_code == 401
    # the certificate page shows the same code and offers the file
    page = await app.get(f"/filings/{ref}/certificate", headers={**office.h("registrar"), **HTML})
    assert code in page.text and f"/filings/{ref}/certificate.pdf" in page.text
    r = await app.get(f"/filings/{ref}/certificate.pdf", headers={**office.h("registrar"), **HTML})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert (await verify_chain(conn, audit_key)).ok


async def test_no_certificate_file_before_registration_or_after_revocation_or_cancellation(app, office, conn,
                                                                                          audit_key):
    ref = new_ref("CP")
    await app.post("/api/filings", json=filing_body(ref, office.point), headers=office.h("registrar"))
    r = await app.get(f"/api/filings/{ref}/certificate.pdf", headers=office.h("registrar"))
    assert r.status_code == 409 and "尚未登记" in r.json()["message"]
    revoked, _ = await _registered(app, office)
    assert (await app.post(f"/api/filings/{revoked}/revoke", json=REVOKE,
                           headers=office.h("supervisor"))).status_code == 200
    r = await app.get(f"/api/filings/{revoked}/certificate.pdf", headers=office.h("supervisor"))
    assert r.status_code == 409 and r.json()["message"] == "登记已撤销，不再出具登记证明", r.text
    cancelled, _ = await _registered(app, office)
    assert (await app.post(f"/api/filings/{cancelled}/cancel", json={"note": "合同已解除"},
                           headers=office.h("registrar"))).status_code == 200
    r = await app.get(f"/api/filings/{cancelled}/certificate.pdf", headers=office.h("registrar"))
    assert r.status_code == 409 and "registration is cancelled" in r.json()["message_en"]
    page = await app.get(f"/filings/{cancelled}/certificate", headers={**office.h("registrar"), **HTML})
    assert page.status_code == 200 and "certificate.pdf" not in page.text and "核验码" not in page.text
    assert (await verify_chain(conn, audit_key)).ok


async def test_public_verification_says_valid_revoked_with_date_or_deregistered_only_with_the_code(
        app, office, conn, audit_key):
    valid_ref, valid_no = await _registered(app, office)
    revoked_ref, revoked_no = await _registered(app, office)
    cancelled_ref, cancelled_no = await _registered(app, office)
    await app.post(f"/api/filings/{revoked_ref}/revoke", json=REVOKE, headers=office.h("supervisor"))
    await app.post(f"/api/filings/{cancelled_ref}/cancel", json={"note": "合同已解除"}, headers=office.h("registrar"))
    revoked_on = await conn.fetchval("SELECT r.revoked_on FROM revocations r JOIN filings f ON f.id = r.filing_id "
                                     "WHERE f.ref = $1", revoked_ref)

    def code(reg_no: str) -> str:
        return grouped(verification_code(audit_key, reg_no))

    async def check(reg_no: str, typed: str, **headers):
        r = await app.get("/verify", params={"reg_no": reg_no, "code": typed}, headers={**HTML, **headers})
        assert r.status_code == 200, r.text
        return r

    r = await check(valid_no, code(valid_no))
    assert _result(r.text).startswith(f"登记号 {valid_no} ： 有效 "), _result(r.text)
    assert _facts(r.text)["卖方（技术提供方）"].startswith(SELLER) and _facts(r.text)["核定技术交易额"] == "800,000.00 元"
    assert re.search(r"核验时间 \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\+08:00", _result(r.text)), _result(r.text)
    # as a person types it: lower case, no hyphens, O for 0
    typed = code(valid_no).replace("-", "").lower().replace("0", "o")
    assert "有效" in _result((await check(valid_no, typed)).text)
    # revoked or de-registered: the standing with its date, and still what the paper states, to compare
    r = await check(revoked_no, code(revoked_no))
    assert _result(r.text).startswith(f"登记号 {revoked_no} ： 已撤销（撤销日期 {revoked_on} ）"), _result(r.text)
    assert _facts(r.text)["合同名称"] == "工业互联网平台软件开发合同"
    assert "fraud" not in r.text and "沪0101刑初" not in r.text and "欺诈" not in r.text     # not the ground
    r = await check(cancelled_no, code(cancelled_no))
    cancelled_at = await conn.fetchval("SELECT max(e.at) FROM filing_events e JOIN filings f ON f.id = e.filing_id"
                                       " WHERE f.ref = $1 AND e.action = 'cancel'", cancelled_ref)
    assert _result(r.text).startswith(f"登记号 {cancelled_no} ： 已注销（注销时间 "
                                      f"{cancelled_at.astimezone(ZoneInfo('Asia/Shanghai')):%Y-%m-%d %H:%M} UTC+08:00 ）"), \
        _result(r.text)
    assert _facts(r.text)["买方（技术接受方）"].startswith(BUYER)
    r = await check(revoked_no, code(revoked_no), cookie="techreg_lang=en")
    assert f"revoked (revoked on {revoked_on} )" in _result(r.text)
    assert _facts(r.text)["Approved technology amount"] == "800,000.00 yuan"

    # without the right code: one answer for every case, word for word, same status
    unknown = "2099" + valid_no[4:]
    wrong = [(valid_no, code(revoked_no)), (revoked_no, "ABCD-EFGH-JKMN"), (cancelled_no, code(valid_no)),
             (unknown, code(unknown)), (unknown, "0000-0000-0000"), (valid_no, code(valid_no)[:-1]),
             ("不存在的编号", "码"), (valid_no + " OR 1=1", code(valid_no))]
    answers = set()
    for reg_no, typed in wrong:
        r = await check(reg_no, typed)
        result = _result(r.text)
        assert result.startswith("不匹配"), (reg_no, typed, result)
        for word in ("有效", "已撤销", "已注销", valid_no[:-2] if reg_no != valid_no else "§", SELLER, BUYER, "元",
                     "工业互联网", "核验时间"):
            assert word not in result
        assert not _facts(r.text)
        # the whole page but the echoed input is the same
        answers.add(r.text.replace(f'value="{reg_no}"', "").replace(f'value="{typed}"', ""))
    assert len(answers) == 1
    # no code at all: the form asks for both and says nothing of the number
    r = await app.get("/verify", params={"reg_no": valid_no}, headers=HTML)
    assert r.status_code == 200 and 'id="verify-result"' not in r.text and 'id="verify-standing"' not in r.text
    assert 'id="verify-incomplete"' in r.text
    r = await app.get("/verify", headers=HTML)
    assert r.status_code == 200 and 'id="verify-form"' in r.text and 'id="verify-incomplete"' not in r.text
    assert (await verify_chain(conn, audit_key)).ok
    # a link cannot make the page say what the service did not: the address carries no message, and a forged
    # flash cookie (the browser's to change) is only ever shown as what it says, on the page of the one who set it
    forged = {"msg": "核验结果：登记证明有效", "msg_en": "certificate valid", "err": "登记证明已撤销", "err_en": "revoked"}
    for path in ("/verify", "/login"):
        r = await app.get(path, params=forged, headers=HTML)
        assert r.status_code == 200 and 'role="status"' not in r.text and 'class="flash bad" role="alert"' not in r.text
        assert "登记证明有效" not in r.text and "登记证明已撤销" not in r.text, path


async def test_public_verification_is_rate_limited(app, office):
    limit = app.app.state.anonymous_limit
    limit.per_minute = 5
    try:                 # 12 requests: even split across a minute's turn, one side has more than 5
        answers = [await app.get("/verify", params={"reg_no": "2026000000000000", "code": "ABCD"}, headers=HTML)
                   for _ in range(12)]
    finally:
        limit.per_minute = 60
    codes = [r.status_code for r in answers]
    assert codes[0] == 200 and 429 in codes and set(codes) == {200, 429}, codes
    refused = next(r for r in answers if r.status_code == 429)
    assert "请求过于频繁" in refused.text, refused.text


async def test_the_font_and_the_public_address_are_settings(settings, database_url, office, app, tmp_path):
    ref, reg_no = await _registered(app, office)

    async def download(**changed):
        configured = create_app(msgspec.structs.replace(settings, **changed), app_url(database_url))
        async with AsyncTestClient(app=configured) as client:
            return await client.get(f"/api/filings/{ref}/certificate.pdf", headers=office.h("registrar"))

    r = await download(certificate_font=tmp_path / "missing.ttf")
    assert r.status_code == 503 and "missing.ttf" in r.json()["message"] and "TECHREG_CERTIFICATE_FONT" in r.json()["message_en"]
    not_a_font = tmp_path / "notes.ttf"
    not_a_font.write_text("not a font")
    r = await download(certificate_font=not_a_font)
    assert r.status_code == 503 and "TrueType" in r.json()["message_en"], r.text
    r = await download(public_base_url="https://jsht.example.cn")
    assert r.status_code == 200
    pdf = tmp_path / "c.pdf"
    pdf.write_bytes(r.content)
    text = subprocess.run([_poppler("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "https://jsht.example.cn/verify" in text and "testserver" not in text


async def test_revoked_history_without_a_recorded_date_is_revoked_without_one(app, office, conn, audit_key):
    """Imported history states that a registration was revoked, not when: the check says so, and no import date."""
    import io
    import json

    from techreg.registry.importer import import_stream

    reg_no = f"2026{office.point}{next(_parties) + 900000:06d}"
    row = filing_body(new_ref("CPH"), office.point, status="revoked", reg_no=reg_no,
                      seller={"name": SELLER, "credit_code": party_code(int(office.point) * 100 + 99), "region": "310101"})
    report = await import_stream(conn, io.BytesIO(json.dumps(row, ensure_ascii=False).encode() + b"\n"), audit_key,
                                 actor="t", source="t")
    assert report.imported == 1, report.errors
    r = await app.get("/verify", params={"reg_no": reg_no, "code": grouped(verification_code(audit_key, reg_no))},
                      headers=HTML)
    assert _result(r.text).startswith(f"登记号 {reg_no} ： 已撤销 "), _result(r.text)
    assert "撤销日期" not in _result(r.text) and _facts(r.text)["卖方（技术提供方）"].startswith(SELLER)
    assert (await verify_chain(conn, audit_key)).ok
    # its certificate page says the registration day is not recorded, not a blank
    page = await app.get(f"/filings/{row['ref']}/certificate", headers={**office.h("registrar"), **HTML})
    assert page.status_code == 200 and "未记录（历史数据导入）" in page.text, page.text[-800:]
