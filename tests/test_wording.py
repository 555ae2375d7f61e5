"""Every page and export a person reads says words, not codes: for every role, in Chinese and in English,
with real data of every kind present (filings in every status, flags of every kind, a campaign with items
open and decided, evidence, conflicts, job runs that succeeded, failed and still run, scans of both modes).

The pages are found in the application's route table, so a new page is checked without touching this file.
A page fails on a Python repr (`{'`, `<built-in`, `object at 0x`, None/True/False as text), on a catalogue
code (techreg.labels) standing as a word in Chinese text, on an English-only status word in Chinese text,
on a catalogue word in the other language, and on a time without its zone. CSV and Excel exports are held
to the same. The CLI and the API say the same words and the same times as the pages."""

import csv
import datetime as dt
import html
import io
import json
import re
import subprocess
import sys
import uuid
from html.parser import HTMLParser

import msgspec
import pytest_asyncio
from litestar.testing import AsyncTestClient
from openpyxl import load_workbook

from conftest import PASSWORD, REVOKE, app_url, cli_env, filing_body, party_code
from techreg import labels
from techreg.config import load_settings
from techreg.db.pool import connect
from techreg.detection.detectors import DETECTORS
from techreg.registry import rulebook
from techreg.registry.importer import import_stream
from techreg.registry.points import PointIn, create_point
from techreg.registry.users import UserIn, create_user

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
ZONE_LABEL = r" UTC[+-]\d{2}:\d{2}"
# usernames and names that are no code and no catalogue word, so whatever a page shows of them is fair
STAFF = {"dj": ("registrar", "李明"), "dk": ("registrar", "张华"), "jc": ("inspector", "陈刚"),
         "jd": ("inspector", "赵敏"), "jdy": ("supervisor", "王芳"), "gly": ("admin", "刘洋")}
ROLES = {"registrar": "dj", "inspector": "jc", "supervisor": "jdy", "admin": "gly"}
PAGE_SKIP = ("/api/", "/schema", "/static/", "/health", "/favicon", "/lang/")

# -- what a page must not say ------------------------------------------------------------------------

REPRS = [re.compile(p) for p in (r"\{'", r"<built-in", r"object at 0x", r"\bNone\b", r"\bTrue\b", r"\bFalse\b",
                                 r"\['", r"Decimal\(", r"datetime\.", r"\bnan\b")]
# groups whose codes never stand as a word in Chinese text (numbers and types aside)
CODE_GROUPS = [g for g in labels.CATALOGUE if g not in ("http_status", "value_type", "province")] + ["flag", "subkind"]
# words an English-only page would show for a state, beyond the codes themselves
ENGLISH_STATE_WORDS = {"pending", "active", "inactive", "open", "done", "draft", "closed", "running", "succeeded",
                       "failed", "manual", "scheduled", "yes", "no", "none", "true", "false", "unknown", "other",
                       "ok", "error", "warning", "decided", "assigned", "standing", "withdrawn"}
# catalogue groups whose Chinese words must not show on an English page
WORD_GROUPS = ("role", "status", "event", "kind", "subkind", "domain", "reason", "outcome", "stratum",
               "estimate_stratum", "item_status", "campaign_status", "run_status", "trigger", "scan_mode", "job",
               "flag", "yes_no")


def _codes() -> set[str]:
    found = set()
    for group in CODE_GROUPS:
        found.update(c for c in labels.codes(group) if c not in ("$",))
    return found | ENGLISH_STATE_WORDS


CODES = _codes()
CODE_WORD = re.compile(r"(?<![A-Za-z0-9_.\-/])(" + "|".join(sorted(map(re.escape, CODES), key=len, reverse=True))
                       + r")(?![A-Za-z0-9_\-/])", re.I)
UNDERSCORE_CODE = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(sorted((re.escape(c) for c in CODES if "_" in c),
                                                                      key=len, reverse=True)) + r")(?![A-Za-z0-9_])")
# a snake_case token is a code whatever table it comes from (a count's key, a parameter, a field path)
SNAKE_CASE = re.compile(r"(?<![A-Za-z0-9_.\-/])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_\-/])")
CHINESE_WORDS = sorted({labels.pair(g, c)[0] for g in WORD_GROUPS for c in labels.codes(g)
                        if len(labels.pair(g, c)[0]) >= 2}, key=len, reverse=True)
# -- words of the other language, codes and jargon that are no code of the catalogue ---------------------
# full-width punctuation belongs to Chinese text: on an English page only beside Chinese words (a party's name)
FULL_WIDTH = re.compile(r"[（）：；，。、“”「」【】！？]")
CJK = re.compile(r"[\u4e00-\u9fff]")
# an amount in yuan written the Chinese way on an English page (4,900,000.00 元; 10 万元)
YUAN = re.compile(r"[\d,.]\s*万?元(?![\u4e00-\u9fff])")
# both languages on one line: "中文 / English" (a page says the one it speaks)
BOTH_LANGUAGES = re.compile(r"[\u4e00-\u9fff）] / [A-Za-z]{2,}|[A-Za-z)]{2} / [\u4e00-\u9fff]")
# a field named twice in one message: "核减项目：核减项目合计…", "seller credit code: seller credit code: must…"
SAID_TWICE = [re.compile(r"([\u4e00-\u9fff]{2,12})\s*[：:]\s*\1"),
              re.compile(r"(?<![A-Za-z])([A-Za-z][A-Za-z ]{2,40}[A-Za-z])\s*[：:]\s*\1(?![A-Za-z])", re.I)]
# msgspec's (and the JSON decoder's) own words, never translated for a person
RAW_VALIDATION = re.compile(r"Expected `|got `|`\$|\$\.[a-z]|Object missing required|Object contains unknown|"
                            r"Invalid enum value|JSON is malformed|类型错误|实际为|字符串|decimal string|RFC ?3339")
MEDIA_TYPE = re.compile(r"(?<![A-Za-z])(?:text|application|image|audio|video)/[a-z0-9][a-z0-9.+-]*")
SETTING = re.compile(r"TECHREG_[A-Z_]+|(?<![A-Za-z])(?:Asia|Europe|America|Africa|Australia|Pacific|Etc)/[A-Z][A-Za-z_]+")
RULE_IDS = [v.id for v in rulebook.catalogue(load_settings()).versions]


# the world's login names (STAFF): a page names a person by their display name, never by the name they log in with
LOGIN_NAME = re.compile(r"(?<![A-Za-z0-9_.-])(" + "|".join(sorted(STAFF, key=len, reverse=True)) + r")(?![A-Za-z0-9_-])")


def other_language_problems(text: str, language: str, evidence: str = "") -> list[str]:
    """Words of the other language, jargon, settings' names and login names in the text a person reads."""
    found = []
    for m in LOGIN_NAME.finditer(text):
        found.append(f"login name {m.group()!r} in …{text[max(0, m.start() - 40):m.end() + 40]}…")

    def at(where: str, m) -> str:
        return f"{m.group()!r} in …{where[max(0, m.start() - 40):m.end() + 40]}…"

    for where in (text, evidence):
        for m in BOTH_LANGUAGES.finditer(where):
            found.append(f"both languages on one line {at(where, m)}")
        for pattern in SAID_TWICE:
            for m in pattern.finditer(where):
                found.append(f"said twice {at(where, m)}")
        for pattern, what in ((RAW_VALIDATION, "validator's jargon"), (MEDIA_TYPE, "media type"),
                              (SETTING, "a setting's name or a time zone's code")):
            for m in pattern.finditer(where):
                found.append(f"{what} {at(where, m)}")
        for rule in RULE_IDS:
            if (k := where.find(rule)) >= 0:
                found.append(f"the rules' id {rule!r} in …{where[max(0, k - 40):k + 40]}…")
    if language == "en":
        for m in FULL_WIDTH.finditer(text):
            if not CJK.search(text, max(0, m.start() - 8), m.end() + 8):
                found.append(f"Chinese punctuation {at(text, m)}")
        for m in YUAN.finditer(text):
            found.append(f"元 {at(text, m)}")
        for m in CJK.finditer(evidence):
            found.append(f"Chinese evidence {at(evidence, m)}")
            break
    return found


CHINESE_WORD = re.compile(r"(?<![\u4e00-\u9fff])(" + "|".join(map(re.escape, CHINESE_WORDS)) + r")(?![\u4e00-\u9fff])")
ZONE = re.compile(ZONE_LABEL.strip())
TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?")
LABELLED_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?" + ZONE_LABEL)
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


class Visible(HTMLParser):
    """The text a person sees (not scripts, styles or attributes), the JSON a chart draws from, and apart from
    both the stored evidence sentences (flag reasons: written once in both languages by their detector)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.evidence, self.data = [], [], []
        self._skip = 0
        self._json = False
        self._evidence = 0
        self._login = 0
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
            self._json = a.get("type") == "application/json"
        if tag in ("br", "input", "meta", "link", "img", "hr"):
            return
        self._stack.append(tag)
        if "reasons" in (a.get("class") or "").split() or self._evidence:
            self._evidence += 1
        if "login" in (a.get("class") or "").split() and not self._login:
            self._login = len(self._stack)       # a login name shown as such (the accounts page): not a person's name

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
            self._json = False
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()
            if self._evidence:
                self._evidence -= 1
            if self._login > len(self._stack):
                self._login = 0

    def handle_data(self, data):
        if self._login:
            return
        if self._skip:
            if self._json and data.strip():
                self.data.append(json.loads(data))
            return
        (self.evidence if self._evidence else self.text).append(data)


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def problems_in_text(text: str, language: str, *, evidence: str = "") -> list[str]:
    """What is wrong with the words a person reads in one language; [] when nothing is."""
    found = []
    for pattern in REPRS:
        for where in (text, evidence):
            if m := pattern.search(where):
                found.append(f"repr {m.group()!r} in …{where[max(0, m.start() - 40):m.end() + 40]}…")
    if language == "zh":
        for m in CODE_WORD.finditer(text):
            found.append(f"code {m.group()!r} in …{text[max(0, m.start() - 40):m.end() + 40]}…")
    else:
        for m in UNDERSCORE_CODE.finditer(text):
            found.append(f"code {m.group()!r} in …{text[max(0, m.start() - 40):m.end() + 40]}…")
    for m in SNAKE_CASE.finditer(text):
        found.append(f"snake_case code {m.group()!r} in …{text[max(0, m.start() - 40):m.end() + 40]}…")
    if language == "en":                   # a catalogue word standing alone (not inside a name someone typed)
        for m in CHINESE_WORD.finditer(text):
            found.append(f"Chinese word {m.group()!r} in …{text[max(0, m.start() - 40):m.end() + 40]}…")
    unlabelled = ZONE.sub(" ", LABELLED_TIME.sub(" ", text))      # a zone named alone (北京时间 UTC+08:00) is no time
    for m in TIME.finditer(unlabelled):
        found.append(f"time without its zone {m.group()!r} in …{unlabelled[max(0, m.start() - 30):m.end() + 30]}…")
    for m in ISO_MOMENT.finditer(text + evidence):
        found.append(f"ISO moment {m.group()!r}")
    return found + other_language_problems(text, language, evidence)


def page_problems(body: str, language: str) -> list[str]:
    parser = Visible()
    parser.feed(body)
    text = re.sub(r"\s+", " ", " ".join(parser.text))
    chart_words = " | ".join(s for d in parser.data for s in _strings(d))
    return (problems_in_text(text, language, evidence=" ".join(parser.evidence))
            + problems_in_text(chart_words, language))


def table_problems(rows: list[list], language: str) -> list[str]:
    found = []
    for row in rows:
        for cell in row:
            if cell is None or cell == "":
                continue
            found += problems_in_text(str(cell), language)
    return found


# -- the world the pages show --------------------------------------------------------------------------

class World:
    def __init__(self, client, url, tokens, point, settings):
        self.client, self.url, self.tokens, self.point, self.settings = client, url, tokens, point, settings
        self.refs: list[str] = []

    def h(self, who: str, **extra) -> dict:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra} if who else dict(extra)

    async def api(self, method: str, path: str, who: str, expect: int = 200, **kw):
        r = await self.client.request(method, path, headers=self.h(who), **kw)
        assert r.status_code == expect, (method, path, r.status_code, r.text)
        return r.json() if r.content and "json" in r.headers.get("content-type", "") else None

    async def sql(self, query: str, *args):
        conn = await connect(self.url)
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()


def _ref(n: int) -> str:
    return f"LB{n}-{uuid.uuid4().hex[:6]}"


KINDS = [("transfer", "patent"), ("license", "patent"), ("service", "training"), ("development", "cooperative"),
         ("consulting", None), ("development", "commissioned"), ("transfer", "technical_secret"),
         ("service", "intermediary"), ("license", "other")]
DOMAINS = ["electronic_information", "advanced_manufacturing", "new_materials", "biomedicine", "new_energy"]
TITLES = ["智能仓储调度系统研制合同", "工业视觉检测平台合同", "城市燃气管网监测项目", "新型电池材料配方合同",
          "医疗影像辅助诊断合同", "农机导航控制器合同", "风电叶片检测合同", "污水处理工艺合同", "港口装卸优化合同"]


def _body(n: int, point: str, **over) -> dict:
    kind, subkind = KINDS[n % len(KINDS)]
    body = filing_body(_ref(n), point, kind=kind, domain=DOMAINS[n % len(DOMAINS)], title=TITLES[n % len(TITLES)],
                       software=n % 2 == 0,
                       seller={"name": f"上海华研{n}号有限公司", "credit_code": party_code(900 + n), "region": "310101"},
                       buyer={"name": f"江苏远景{n}号有限公司", "credit_code": party_code(1900 + n), "region": "320102"},
                       **over)
    if subkind:
        body["subkind"] = subkind
    else:
        body.pop("subkind", None)
    return body


async def build_world(database_url: str, data_dir, tmp_path) -> tuple[World, AsyncTestClient]:
    from techreg.web.app import create_app

    point = "310188"
    settings = load_settings(data_dir=data_dir, database_url=database_url, audit_key="wording-key",
                             login_attempts_per_minute=10_000, audit_checkpoints=tmp_path / "checkpoints.jsonl",
                             anonymous_requests_per_minute=10_000,
                             # the revocation made here today is on the tax office's list, and its words are read
                             tax_notice_min_days=0)
    conn = await connect(database_url)
    try:
        await create_point(conn, PointIn(code=point, name="浦东登记点"))
        await create_point(conn, PointIn(code="310199", name="徐汇登记点"))
        for username, (role, name) in STAFF.items():
            await create_user(conn, UserIn(username=username, display_name=name, role=role,
                                           point_code=point if role == "registrar" else "310199" if role == "inspector"
                                           else None, password=PASSWORD,
                                           qualification_expires=dt.date.today() + dt.timedelta(days=300)),
                              actor="system")
        # registered history, imported: the population a campaign draws from
        history = [_body(100 + k, point, status="registered", reg_no=f"2026{point}{k + 1:06d}") for k in range(14)]
        data = b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in history)
        await import_stream(conn, io.BytesIO(data), b"wording-key", actor="dj", source="历史台账.jsonl")
    finally:
        await conn.close()
    client = AsyncTestClient(app=create_app(settings, app_url(database_url)))
    await client.__aenter__()
    tokens = {}
    for username in STAFF:
        r = await client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        tokens[username] = r.json()["token"]
    client.cookies.clear()
    w = World(client, database_url, tokens, point, settings)
    w.refs = [h["ref"] for h in history[:3]]

    async def filed(n: int) -> str:
        body = _body(n, point)
        await w.api("POST", "/api/filings", "dj", 201, json=body)
        w.refs.append(body["ref"])
        return body["ref"]

    # red-line records: one in force for the first seller (shown at submission), one lifted with its history
    await w.api("POST", "/api/credit/records", "jdy", json={"source_name": "红线名单.jsonl", "records": [
        {"credit_code": party_code(901), "party_name": "上海华研901号有限公司", "record_type": "tax_violation",
         "source": "国家税务总局上海市税务局", "source_ref": "沪税稽罚〔2025〕12号", "valid_from": "2025-01-01"},
        {"credit_code": party_code(902), "record_type": "safety_accident", "source": "上海市应急管理局",
         "source_ref": "沪应急罚〔2024〕3号", "valid_from": "2024-01-01", "valid_to": "2030-12-31"}]})
    await w.api("POST", "/api/credit/records", "jdy", json={"source_name": "红线名单-更新.jsonl", "records": [
        {"credit_code": party_code(902), "record_type": "safety_accident", "source": "上海市应急管理局",
         "source_ref": "沪应急罚〔2024〕3号", "valid_from": "2024-01-01", "valid_to": "2024-12-31",
         "description": "提前解除"}]})
    await filed(1)                                                          # submitted, a red line on its seller
    ref = await filed(2)                                                    # returned
    await w.api("POST", f"/api/filings/{ref}/return", "dj", json={"reasons": [], "note": "缺少盖章页"})
    ref = await filed(3)                                                    # corrected, resubmitted
    await w.api("POST", f"/api/filings/{ref}/return", "dj", json={"reasons": [], "note": "金额有误"})
    await w.api("PATCH", f"/api/filings/{ref}", "dj", json={"title": "港口装卸调度优化合同", "tech_amount": "900000.00"})
    await w.api("POST", f"/api/filings/{ref}/resubmit", "dj", json={"reasons": [], "note": ""})
    ref = await filed(4)                                                    # registered, an item deducted
    await w.api("POST", f"/api/filings/{ref}/register", "dj", json={
        "approved_amount": "900000.00", "note": "",
        "deductions": [{"item": "检测设备 1 台", "category": "equipment", "amount": "100000.00"}]})
    await w.api("POST", f"/api/filings/{ref}/income-checks", "dj", 201, json={
        "received_amount": "950000.00", "as_of": "2026-03-20", "note": "到账凭证"})
    ref = await filed(5)                                                    # refused
    await w.api("POST", f"/api/filings/{ref}/refuse", "dj", json={"reasons": ["unclear_terms", "proofs_missing"],
                                                                 "note": "价款约定不明"})
    ref = await filed(6)                                                    # revoked
    await w.api("POST", f"/api/filings/{ref}/register", "dj", json={"approved_amount": "1000000.00", "note": ""})
    await w.api("POST", f"/api/filings/{ref}/revoke", "jdy", json={**REVOKE, "note": "虚构交易"})
    ref = await filed(7)                                                    # cancelled
    await w.api("POST", f"/api/filings/{ref}/register", "dj", json={"approved_amount": "1000000.00", "note": ""})
    await w.api("POST", f"/api/filings/{ref}/cancel", "dj", json={"reasons": [], "note": "双方协商解除"})

    from techreg.db.pool import create_pool
    from techreg.scheduling.engine import Engine

    pool = await create_pool(app_url(database_url), settings, min_size=1, max_size=4)
    engine = Engine(pool, settings)
    slot = dt.datetime(2026, 1, 5, 1, 30, tzinfo=dt.timezone.utc)
    await engine.run("scan_full", slot, trigger="manual", requested_by="jdy")               # full scan, counts
    await engine.run("scan_incremental", slot + dt.timedelta(hours=1))                      # incremental scan
    # flags of every kind the detectors register (one inactive), on the registered history
    runs = await w.sql("SELECT max(id) AS id FROM scan_runs")
    registered = await w.sql("SELECT id, ref FROM filings WHERE status = 'registered' ORDER BY id")
    for k, d in enumerate(DETECTORS):
        target, cited = registered[k], registered[k + 1]
        await w.sql("INSERT INTO flags (filing_id, kind, detector, score, reasons, related, first_run, last_run, active)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) ON CONFLICT DO NOTHING",
                    target["id"], d.KIND, f"{d.KIND}/1.0", 0.95 - 0.1 * k,
                    [f"与 {cited['ref']} 的金额与日期相近 / close in amount and date to {cited['ref']}"],
                    [cited["ref"]], runs[0]["id"], k != len(DETECTORS) - 1)
    # a campaign with every stratum, items open and decided with every outcome; a draft
    campaign = await w.api("POST", "/api/campaigns", "jdy", 201, json={
        "name": "第一季度抽查", "registered_from": "2000-01-01", "registered_to": "2100-01-01", "sample_size": 12,
        "certainty_cutoff": 0.7, "control_share": 0.3, "seed": "2026-q1-7f3a", "kinds": [], "due_days": 20})
    await w.api("POST", "/api/campaigns", "jdy", 201, json={
        "name": "第二季度抽查", "registered_from": "2000-01-01", "registered_to": "2100-01-01",
        "sample_size": 3, "seed": "2026-q2-91bc", "kinds": ["transfer", "license"], "software_only": True,
        "draft": True})
    items = campaign["items"]
    assert {i["stratum"] for i in items} == {"certainty", "pps", "control"}, items
    mine = {who: [i for i in items if i["inspector"] == who] for who in ("jc", "jd")}
    outcomes = ["cleared", "rectification_ordered", "deregistration_ordered", "referred", "revoked"]
    decided = 0
    for who, theirs in mine.items():
        for item in theirs[:3]:
            if decided == 0:                                   # evidence: one standing, one withdrawn
                photo = await w.api("POST", f"/api/audit/items/{item['id']}/evidence", who, 201,
                                    files={"file": ("现场照片.png", PNG, "image/png")}, data={"note": "厂区门口"})
                await w.api("POST", f"/api/audit/items/{item['id']}/evidence/{photo['id']}/withdraw", who,
                            json={"reason": "拍错了"})
                await w.api("POST", f"/api/audit/items/{item['id']}/evidence", who, 201,
                            files={"file": ("合同扫描件.pdf", PDF, "application/pdf")}, data={"note": "盖章原件"})
            outcome = outcomes[decided % len(outcomes)]
            await w.api("POST", f"/api/audit/items/{item['id']}/finding", who, 201,
                        json={"outcome": outcome, "reasons": ["现场核查属实"], "notes": "已约谈双方",
                              **({"ground": "voided_not_deregistered"} if outcome == "revoked" else {})})
            decided += 1
    # the orders those findings issued: the de-registration answered with a document (not yet de-registered),
    # both left to run over their deadline and be escalated by the job (below), then the de-registration done
    orders = (await w.api("GET", "/api/orders", "jdy"))["items"]
    assert {o["kind"] for o in orders} == {"rectification", "deregistration"}, orders
    deregistration = next(o for o in orders if o["kind"] == "deregistration")
    await w.api("POST", f"/api/orders/{deregistration['id']}/documents", "dj", 201,
                files={"file": ("注销承诺书.pdf", PDF, "application/pdf")}, data={"note": "企业提交"})
    late = max(dt.date.fromisoformat(o["due_on"]) for o in orders) + dt.timedelta(days=2)
    # a conflict handed on to the other inspector, and one no inspector may take
    open_items = [i for i in mine["jc"][3:]] + [i for i in mine["jd"][3:]]
    handed = open_items[0]
    await w.api("POST", f"/api/audit/items/{handed['id']}/conflict", handed["inspector"], json={"reason": "曾为卖方提供咨询"})
    other = "jd" if handed["inspector"] == "jc" else "jc"
    if len(open_items) > 1:
        await w.api("POST", f"/api/audit/items/{handed['id']}/conflict", other, json={"reason": "与买方有亲属关系"})
    # job runs: succeeded (scheduled and manual), failed (interrupted), still running
    for k, name in enumerate(("qualification_check", "audit_checkpoint", "retrain_check", "campaign_draft")):
        run = await engine.run(name, slot + dt.timedelta(days=k + 1))
        assert run.status == "succeeded", (name, run.error)
    run = await engine.run("order_deadlines", dt.datetime.combine(late, dt.time(0, 30), dt.timezone.utc),
                           trigger="manual", requested_by="jdy")
    assert run.status == "succeeded" and run.counts["escalated"] == 2, run
    await w.api("POST", f"/api/orders/{deregistration['id']}/deregistration", "dj", json={"note": "企业申请注销"})
    stale = Engine(pool, settings, stale_after=dt.timedelta(0))
    await stale.claim("audit_checkpoint", slot + dt.timedelta(days=10))
    await stale.recover_stale()                                              # failed: interrupted
    await stale.claim("scan_incremental", slot + dt.timedelta(days=11))       # still running
    await pool.close()
    # reviews (复核), after the campaign so no finding meets an open one: a large registration proposed (one
    # registrar stepped aside) and one confirmed; a refusal under a party's request, one upheld; a supervisory
    # review open and one decided
    async def large(n: int) -> str:
        body = _body(n, point, amount="6000000.00", tech_amount="5500000.00")
        await w.api("POST", "/api/filings", "dj", 201, json=body)
        w.refs.append(body["ref"])
        await w.api("POST", f"/api/filings/{body['ref']}/register", "dj", json={
            "approved_amount": "5000000.00", "deductions": [{"item": "服务器 5 台", "category": "equipment",
                                                             "amount": "500000.00"}]})
        return body["ref"]

    ref = await large(20)
    await w.api("POST", f"/api/filings/{ref}/reviews/recusal", "dk", json={"reason": "曾任卖方顾问"})
    ref = await large(21)
    await w.api("POST", f"/api/filings/{ref}/reviews/confirm", "dk", json={"note": "已核对"})
    today = (await w.api("GET", "/api/reviews", "dj"))["today"]         # the office's day, as the service counts
    for n, decide in ((22, False), (23, True)):
        ref = await filed(n)
        await w.api("POST", f"/api/filings/{ref}/refuse", "dj", json={"reasons": ["proofs_missing"], "note": ""})
        await w.api("POST", f"/api/filings/{ref}/reviews/request", "dj", 201, json={
            "requested_on": today, "requested_by": "seller", "grounds": "证明文件已补交"})
        if decide:
            await w.api("POST", f"/api/filings/{ref}/reviews/request/decision", "dk", json={
                "outcome": "uphold", "reasons": "补交的证明文件与合同不符"})
    for n, decide in ((24, False), (25, True)):
        ref = await filed(n)
        await w.api("POST", f"/api/filings/{ref}/register", "dj", json={"approved_amount": "1000000.00"})
        await w.api("POST", f"/api/filings/{ref}/reviews/supervision", "jdy", 201, json={"grounds": "软件类合同复核"})
        if decide:
            await w.api("POST", f"/api/filings/{ref}/reviews/supervision/decision", "jdy", json={
                "outcome": "correct", "reasons": "核定额未扣除硬件",
                "changes": {"approved_amount": "800000.00", "title": "港口装卸优化合同（更正）"}})
    w.campaign = campaign
    return w, client


@pytest_asyncio.fixture(scope="module")
async def world(server, data_dir, tmp_path_factory):
    """One world for the module's tests (they only read it, but for one return on a submitted filing)."""
    from conftest import create_database

    w, client = await build_world(await create_database(server[1], "techreg_wording"), data_dir,
                                  tmp_path_factory.mktemp("wording"))
    try:
        yield w
    finally:
        await client.__aexit__(None, None, None)


# -- the pages, found in the route table ------------------------------------------------------------------

def page_routes(app) -> list[tuple[str, set[str]]]:
    """(path, its parameters) of every page a person opens: GET routes outside the API, docs and files."""
    import inspect

    out = []
    for route in app.routes:
        # (a PDF is a file, not a page: its words are test_certificate_pdf's; rendering it here cost a second)
        if route.path.startswith(PAGE_SKIP) or route.path == "/" or route.path.endswith(".pdf"):
            continue
        for handler in getattr(route, "route_handlers", []):
            if "GET" in handler.http_methods:
                out.append((route.path, set(inspect.signature(handler.fn).parameters)))
    return out


async def concrete(w: World, path: str) -> list[str]:
    """The path with every value its parameters take in the world: each filing, item, campaign, file."""
    if "{ref:str}" in path:
        return [path.replace("{ref:str}", ref) for ref in w.refs]
    if "{file_id:int}" in path:
        rows = await w.sql("SELECT item_id, id FROM evidence_files ORDER BY id")
        return [path.replace("{item_id:int}", str(r["item_id"])).replace("{file_id:int}", str(r["id"])) for r in rows]
    if "{item_id:int}" in path:
        rows = await w.sql("SELECT id FROM audit_items ORDER BY id")
        return [path.replace("{item_id:int}", str(r["id"])) for r in rows]
    if "{document_id:int}" in path:
        rows = await w.sql("SELECT order_id, id FROM order_documents ORDER BY id")
        return [path.replace("{order_id:int}", str(r["order_id"])).replace("{document_id:int}", str(r["id"]))
                for r in rows]
    if "{order_id:int}" in path:
        rows = await w.sql("SELECT id FROM orders ORDER BY id")
        return [path.replace("{order_id:int}", str(r["id"])) for r in rows]
    if "{campaign_id:int}" in path:
        rows = await w.sql("SELECT id FROM campaigns ORDER BY id")
        return [path.replace("{campaign_id:int}", str(r["id"])) for r in rows]
    if "{public_no:int}" in path:            # a published campaign, by its public number
        rows = await w.sql("SELECT public_no FROM campaigns WHERE public_no IS NOT NULL ORDER BY public_no")
        return [path.replace("{public_no:int}", str(r["public_no"])) for r in rows]
    if "{credit_code:str}" in path:       # a party with a red-line record, and the seller revoked for fraud
        return [path.replace("{credit_code:str}", party_code(code)) for code in (901, 906)]
    assert "{" not in path, f"a page route this test cannot fill in: {path} (teach `concrete` its parameter)"
    return [path]


# filters a page offers, each shown once
VARIANTS = {"/queue": ["", "?status=done", "?status="], "/filings": ["", "?status=refused", "?kind=transfer"],
            "/credit/check": ["", "?as_of=2026-06-01"],
            "/orders": ["", "?status=overdue", "?kind=deregistration"], "/enforcement": ["", "?campaign=1"],
            "/verify": ["", "?reg_no=2026310188000001&code=ABCD-EFGH-JKMN", "?reg_no=2026310188000001"]}


async def test_every_page_and_export_speaks_words_in_its_language(world):
    w = world
    routes = page_routes(w.client.app)
    assert {p for p, _ in routes} >= {"/filings", "/filings/{ref:str}", "/queue", "/queue/{item_id:int}", "/dashboard",
                                      "/campaigns", "/campaigns/{campaign_id:int}", "/jobs", "/login",
                                      "/public/campaigns/{public_no:int}"}
    shown: dict[str, int] = {path: 0 for path, _ in routes}
    exported: dict[str, int] = {path: 0 for path, params in routes if "format" in params}
    problems: list[str] = []
    for language in ("zh", "en"):
        for role, who in [*ROLES.items(), ("anonymous", None)]:
            for path, params in routes:
                for url in await concrete(w, path):
                    for query in VARIANTS.get(path, [""]):
                        w.client.cookies.clear()
                        w.client.cookies.set("techreg_lang", language)
                        r = await w.client.get(url + query, headers=w.h(who, Accept="text/html"),
                                               follow_redirects=False)
                        if r.status_code != 200 or "text/html" not in r.headers.get("content-type", ""):
                            continue
                        shown[path] += 1
                        problems += [f"{language} {role} {url}{query}: {p}" for p in page_problems(r.text, language)]
                    if "format" not in params:
                        continue
                    for fmt in ("csv", "xlsx"):
                        w.client.cookies.clear()
                        w.client.cookies.set("techreg_lang", language)
                        r = await w.client.get(url, params={"format": fmt}, headers=w.h(who), follow_redirects=False)
                        if r.status_code != 200:
                            continue
                        exported[path] += 1
                        if fmt == "csv":
                            rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
                        else:
                            sheet = load_workbook(io.BytesIO(r.content)).active
                            # the sheet is named in the page's language too
                            if bool(re.search(r"[\u4e00-\u9fff]", sheet.title)) != (language == "zh"):
                                problems.append(f"{language} {role} {url} xlsx: sheet named {sheet.title!r}")
                            # a day is a date cell (shown as its day); any other moment must be labelled text
                            rows = [[c.value.date() if c.is_date and c.number_format == "yyyy-mm-dd" else c.value
                                     for c in row] for row in sheet.iter_rows()]
                        assert rows and len(rows[0]) > 1, (url, fmt, role)
                        problems += [f"{language} {role} {url} {fmt}: {p}" for p in table_problems(rows, language)]
    w.client.cookies.clear()
    unseen = [p for p, n in shown.items() if not n and p not in ("/queue/{item_id:int}/evidence/{file_id:int}",
                                                                   "/orders/{order_id:int}/documents/{document_id:int}")]
    assert not unseen, f"pages no role could open in this world: {unseen}"
    assert all(exported.values()), exported
    assert not problems, "\n".join(problems[:60]) + (f"\n… {len(problems) - 60} more" if len(problems) > 60 else "")


async def test_form_errors_flash_messages_and_error_pages_in_the_page_language(world):
    w = world
    bad = {"ref": "LB-表单", "contract_no": "HT-1", "title": "测试", "kind": "transfer", "subkind": "training",
           "domain": "new_energy", "seller_name": "卖方公司", "seller_credit_code": "91350100M000100Y44",
           "buyer_name": "买方公司", "buyer_credit_code": "123", "amount": "100", "tech_amount": "200",
           "signed_on": "2026-03-01", "performance_start": "2026-03-05", "performance_end": "2026-02-01",
           "filed_on": "2026-03-10"}
    ref = w.refs[3]                                          # submitted (the first one filed through the API)
    for language in ("zh", "en"):
        w.client.cookies.clear()
        w.client.cookies.set("techreg_lang", language)
        page = w.h("dj", Accept="text/html")
        for path in ("/filings/new", "/filings/new/check"):
            r = await w.client.post(path, data=bad, headers=page)
            assert r.status_code == 200, r.text
            assert not (found := page_problems(r.text, language)), found
            # a field by its name, never by its input's name or path
            for field in ("seller_credit_code", "buyer_credit_code", "tech_amount", "performance_end", "seller.credit_code",
                          *(["subkind"] if language == "zh" else [])):
                assert f">{field}" not in r.text and f"{field}：" not in r.text and f"{field}:" not in r.text, field
        r = await w.client.get("/filings/new", headers=page)
        # a registration whose deductions do not add up, and a campaign form with words where numbers go: each
        # field named once, in plain words (never "核减项目：核减项目合计…", never msgspec's "类型错误：应为数字")
        r = await w.client.post(f"/filings/{ref}/act", headers=page, follow_redirects=True, data={
            "action": "register", "approved_amount": "700000", "confirm_flags": "yes", "note": ""})
        flash = Visible_text(re.search(r'class="flash bad"[^>]*>(.*?)</div>', r.text, re.S).group(1))
        assert flash.count(labels.label("field", "deductions", language)) == 1, flash     # as read, not in markup
        assert not (found := page_problems(r.text, language)), found
        r = await w.client.post("/campaigns", headers=w.h("jdy", Accept="text/html"), follow_redirects=True, data={
            "name": "", "registered_from": "2026-01-01", "registered_to": "2026-03-31", "sample_size": "十",
            "certainty_cutoff": "2", "control_share": "一成", "seed": "", "due_days": "30"})
        flash = Visible_text(re.search(r'class="flash bad"[^>]*>(.*?)</div>', r.text, re.S).group(1))
        assert flash.count(labels.label("campaign_param", "control_share", language)) == 1, flash
        assert not (found := page_problems(r.text, language)), found
        # a refusal without reasons, and a return that goes through: the message comes back in the page's language
        r = await w.client.post(f"/filings/{ref}/act", data={"action": "refuse", "note": "缺少附件"}, headers=page,
                                follow_redirects=True)
        assert r.status_code == 200 and 'class="flash bad"' in r.text
        assert 'data-field="reasons" id="refuse-form-reasons-error"' in r.text and 'value="缺少附件"' in r.text
        assert not (found := page_problems(r.text, language)), found
        flash = re.search(r'class="flash bad"[^>]*>(.*?)</div>', r.text, re.S).group(1)
        assert (re.search(r"[\u4e00-\u9fff]", flash) is not None) == (language == "zh"), flash
        # an error page
        r = await w.client.get("/filings/NO-SUCH-REF", headers=page)
        assert r.status_code == 404 and not page_problems(r.text, language)
        said = Visible_text(re.search(r"<main>(.*)</main>", r.text, re.S).group(1))
        assert (re.search(r"[\u4e00-\u9fff]", said) is not None) == (language == "zh"), said
    r = await w.client.post(f"/filings/{ref}/act", data={"action": "return", "note": "请补充附件"},
                            headers=w.h("dj", Accept="text/html"), follow_redirects=True)
    flash = html.unescape(re.search(r'class="flash ok"[^>]*>(.*?)</div>', r.text, re.S).group(1))
    assert "returned for correction" in flash and not re.search(r"[\u4e00-\u9fff]", flash), flash
    w.client.cookies.clear()


def Visible_text(body: str) -> str:
    parser = Visible()
    parser.feed(body)
    return " ".join(parser.text + parser.evidence).replace("中文", "")   # the language switch names Chinese


async def test_pages_exports_cli_and_api_say_the_same_words_and_times(world):
    w = world
    zone = w.settings.timezone
    runs = msgspec.convert(await w.api("GET", "/api/jobs/runs", "jdy", params={"limit": 50}), list[dict])
    assert runs
    for run in runs:                                      # the API: ISO 8601 with the office's offset
        for key in ("scheduled_for", "started_at", "finished_at"):
            if run[key]:
                assert run[key].endswith("+08:00") if zone == "Asia/Shanghai" else re.search(r"[+-]\d{2}:\d{2}$",
                                                                                               run[key]), run[key]
    jobs = await w.api("GET", "/api/jobs/", "jdy")
    assert all(j["next_run"] is None or j["next_run"].endswith("+08:00") for j in jobs) or zone != "Asia/Shanghai"
    w.client.cookies.clear()
    page = (await w.client.get("/jobs", headers=w.h("jdy", Accept="text/html"))).text
    w.client.cookies.set("techreg_lang", "en")
    page_en = (await w.client.get("/jobs", headers=w.h("jdy", Accept="text/html"))).text
    export = (await w.client.get("/jobs", params={"format": "csv"}, headers=w.h("jdy"))).content.decode("utf-8-sig")
    w.client.cookies.clear()
    export_zh = (await w.client.get("/jobs", params={"format": "csv"}, headers=w.h("jdy"))).content.decode("utf-8-sig")
    history = subprocess.run([sys.executable, "-m", "techreg.cli", "jobs", "history", "--limit", "50"],
                             capture_output=True, text=True, timeout=180,
                             env=cli_env(TECHREG_DATABASE_URL=w.url, TECHREG_TIMEZONE=zone))
    assert history.returncode == 0, history.stderr
    listing = subprocess.run([sys.executable, "-m", "techreg.cli", "jobs"], capture_output=True, text=True,
                             timeout=180, env=cli_env(TECHREG_DATABASE_URL=w.url, TECHREG_TIMEZONE=zone))
    assert listing.returncode == 0, listing.stderr
    for run in runs:
        started = labels.local_time(dt.datetime.fromisoformat(run["started_at"]), zone, seconds=True)
        slot = labels.local_time(dt.datetime.fromisoformat(run["scheduled_for"]), zone)
        for where, text in (("page", html.unescape(page)), ("CLI", history.stdout), ("CSV", export_zh)):
            assert slot in text, (where, slot)
        assert started in page and started in history.stdout, started
        job_zh, job_en = labels.pair("job", run["job"])
        status_zh, status_en = labels.pair("run_status", run["status"])
        for where, text in (("page", page), ("CLI", history.stdout), ("CSV", export_zh)):
            assert job_zh in text and status_zh in text, (where, run["job"], run["status"])
        for where, text in (("page", html.unescape(page_en)), ("CLI", history.stdout), ("CSV", export)):
            assert job_en in text and status_en in text, (where, run["job"], run["status"])
        if run["counts"]:
            words = labels.values_text("count", run["counts"], "zh")
            for where, text in (("page", html.unescape(page)), ("CLI", history.stdout), ("CSV", export_zh)):
                assert words in text, (where, words)
    for job in jobs:                                       # the schedule as people say it, not a cron expression
        said = labels.schedule_text(job["schedule"], "zh", zone)
        assert job["schedule"] not in said and said in page and said in listing.stdout, (job["name"], said)
        assert labels.schedule_text(job["schedule"], "en", zone) in page_en
    now = dt.datetime.now(dt.timezone.utc)
    for job in jobs:                                       # the next run: the same moment, labelled, everywhere
        # (a slot that comes while this test runs moves the next run on: those are left out)
        if job["next_run"] and dt.datetime.fromisoformat(job["next_run"]) - now > dt.timedelta(minutes=5):
            moment = labels.local_time(dt.datetime.fromisoformat(job["next_run"]), zone)
            assert moment in listing.stdout and moment in html.unescape(page), (job["name"], moment)
    # the filing list: the same words in the page and in its export
    w.client.cookies.clear()
    filings = html.unescape((await w.client.get("/filings", headers=w.h("jdy", Accept="text/html"))).text)
    rows = list(csv.reader(io.StringIO((await w.client.get("/filings", params={"format": "csv"},
                                                           headers=w.h("jdy"))).content.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:3] == [labels.label("field", "ref"), labels.label("field", "reg_no"), labels.label("field", "title")]
    for row in rows[1:]:
        status = row[header.index(labels.label("field", "status"))]
        assert status in labels.choices("status").values() and status in filings, row


def test_the_header_names_the_role_once():
    """An account named "登记员 李娜（黄浦）" (older accounts carry the role in the name) is not followed by
    （登记员） again; a plain name gets its role in words."""
    from types import SimpleNamespace

    from techreg.web.pages.common import who_is

    for name in ("李娜", "登记员 李娜（黄浦）", "Registrar Li Na"):
        user = SimpleNamespace(display_name=name, role="registrar")
        for language in ("zh", "en"):
            shown = who_is(user, language)
            assert name in shown and shown.count("登记员") + shown.lower().count("registrar") == 1, shown
    assert who_is(SimpleNamespace(display_name="王敏", role="supervisor"), "zh") == "王敏（监督员）"
    assert who_is(SimpleNamespace(display_name="王敏", role="supervisor"), "en") == "王敏 (supervisor)"
