"""Campaigns, queues and findings through the API on a database of their own (its inspectors only)."""

import asyncio
import io
import json
import os
import re
import subprocess
import sys

import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient

from conftest import PASSWORD, app_url, cli_env, filing_body, party_code
from techreg.config import load_settings
from techreg.db.pool import connect
from techreg.registry.events import verify_chain
from techreg.registry.importer import import_stream
from techreg.registry.points import PointIn, create_point
from techreg.registry.users import UserIn, create_user

POINTS = ["310101", "310104", "310115"]
STAFF = {"registrar": ("registrar", "310101"), "supervisor": ("supervisor", None),
         "ann": ("inspector", "310101"), "bo": ("inspector", "310104"), "cy": ("inspector", "310115"),
         "di": ("inspector", None)}


class Env:
    def __init__(self, client, url, tokens, settings):
        self.client, self.url, self.tokens, self.settings = client, url, tokens, settings

    def h(self, who):
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def registered(k: int, point: str = "310101") -> dict:
    return filing_body(f"AUD-{point}-{k:04d}", point, status="registered", reg_no=f"2026{point}{k:06d}",
                       seller={"name": f"上海卖方{k % 9}信息技术有限公司", "credit_code": party_code(100 + k % 9),
                               "region": "310101"},
                       buyer={"name": f"上海买方{k % 5}装备有限公司", "credit_code": party_code(200 + k % 5),
                              "region": "310104"})


async def add_filings(url, settings, filings, risks: dict[str, float]):
    conn = await connect(url)
    try:
        data = b"".join(json.dumps(f, ensure_ascii=False).encode() + b"\n" for f in filings)
        report = await import_stream(conn, io.BytesIO(data), settings.audit_key.encode(), actor="t", source="t")
        assert not report.errors, report.errors
        for ref, score in risks.items():
            await conn.execute("INSERT INTO flags (filing_id, kind, detector, score, reasons, related)"
                               " SELECT id, 'split', 'split/1.0', $2, '[\"证据 / evidence\"]', '{}' FROM filings"
                               " WHERE ref = $1", ref, score)
    finally:
        await conn.close()


@pytest_asyncio.fixture
async def env(empty_database, data_dir):
    from techreg.web.app import create_app

    settings = load_settings(data_dir=data_dir, database_url=empty_database, audit_key="test-audit-key",
                             login_attempts_per_minute=1000)
    conn = await connect(empty_database)
    for p in POINTS:
        await create_point(conn, PointIn(code=p, name=f"登记点 {p}"))
    for name, (role, point) in STAFF.items():
        await create_user(conn, UserIn(username=name, display_name=name, role=role, point_code=point,
                                       password=PASSWORD), actor="system")
    await conn.close()
    filings = [registered(k) for k in range(60)]
    await add_filings(empty_database, settings, filings,
                      {f["ref"]: s for f, s in zip(filings[:12], [0.97, 0.96, 0.5, 0.4, 0.4, 0.3, 0.3, 0.3,
                                                                  0.2, 0.2, 0.1, 0.1])})
    async with AsyncTestClient(app=create_app(settings, app_url(empty_database))) as client:
        tokens = {}
        for name in STAFF:
            r = await client.post("/api/auth/login", json={"username": name, "password": PASSWORD})
            tokens[name] = r.json()["token"]
        client.cookies.clear()
        yield Env(client, empty_database, tokens, settings)


CAMPAIGN = {"name": "2026年第四季度抽查", "registered_from": "2000-01-01", "registered_to": "2100-12-31",
            "points": ["310101"], "sample_size": 16, "certainty_cutoff": 0.95, "control_share": 0.25,
            "seed": "2026-11-22 公开种子"}


async def create(env, **over):
    r = await env.client.post("/api/campaigns", json={**CAMPAIGN, **over}, headers=env.h("supervisor"))
    assert r.status_code == 201, r.text
    return r.json()


def sampled(c):
    return {(i["ref"], i["stratum"]) for i in c["items"]}


async def test_campaign_is_reproducible_verifiable_and_frozen(env):
    a = await create(env)
    assert a["status"] == "open" and a["population_size"] == 60 and len(a["items"]) == 16
    assert {i["ref"] for i in a["items"] if i["stratum"] == "certainty"} == {"AUD-310101-0000", "AUD-310101-0001"}
    assert all(0 < i["inclusion_prob"] <= 1 for i in a["items"])
    b = await create(env)
    assert sampled(b) == sampled(a) and b["population_digest"] == a["population_digest"]
    # campaigns refused on the way (a point that does not exist, an empty population) take no public number
    r = await env.client.post("/api/campaigns", json={**CAMPAIGN, "points": ["310101", "999999"]},
                              headers=env.h("supervisor"))
    assert r.status_code == 400 and "没有代码为 999999 的登记点" in r.text
    assert [e["field"] for e in r.json()["errors"]] == ["points"]
    r = await env.client.post("/api/campaigns", json={**CAMPAIGN, "registered_to": "2000-01-02"},
                              headers=env.h("supervisor"))
    assert r.status_code == 400 and "没有已登记的合同" in r.text
    c = await create(env, seed="another seed")
    assert (a["public_no"], b["public_no"], c["public_no"]) == (a["public_no"], a["public_no"] + 1, a["public_no"] + 2)
    assert (await env.client.get(f"/api/public/campaigns/{c['public_no']}")).json()["seed"] == "another seed"
    assert sampled(c) != sampled(a)
    # the campaign list shows each sample's size, not a Python repr
    listing = await env.client.get("/campaigns", headers=env.h("supervisor"))
    assert listing.status_code == 200 and "built-in method" not in listing.text
    assert f'<td class="num">{len(a["items"])}</td>' in listing.text

    # filings registered after the freeze change nothing
    await add_filings(env.url, env.settings, [registered(k) for k in range(60, 80)], {"AUD-310101-0070": 0.99})
    check = (await env.client.get(f"/api/public/campaigns/{a['public_no']}/verify")).json()   # no log-in needed
    assert check["matches"] and check["population_size"] == 60
    record = (await env.client.get(f"/api/public/campaigns/{a['public_no']}")).json()
    assert record["seed"] == CAMPAIGN["seed"] and len(record["items"]) == 16
    assert {i["reg_no"] for i in record["items"]} <= {f"2026310101{k:06d}" for k in range(60)}
    page = await env.client.get(f"/public/campaigns/{a['public_no']}")
    assert page.status_code == 200 and "双随机抽查公示" in page.text and "/check" in page.text
    # the public record says how each was drawn, never that a contract is high-risk before any finding
    assert "高风险" not in page.text and "必然入选（入样概率 1）" in page.text and "GET /api" not in page.text
    check = await env.client.get(f"/public/campaigns/{a['public_no']}/check")
    assert check.status_code == 200 and "记录一致" in check.text

    # a record altered behind the system's back no longer verifies
    conn = await connect(env.url)
    try:
        await conn.execute("""UPDATE audit_items SET filing_id = (
                                  SELECT filing_id FROM frozen_populations p, unnest(p.filing_ids) AS filing_id
                                  WHERE p.campaign_id = $1 AND filing_id NOT IN
                                      (SELECT filing_id FROM audit_items WHERE campaign_id = $1) LIMIT 1)
                              WHERE id = (SELECT min(id) FROM audit_items WHERE campaign_id = $1 AND stratum = 'pps')""",
                           a["id"])
    finally:
        await conn.close()
    check = (await env.client.get(f"/api/public/campaigns/{a['public_no']}/verify")).json()
    assert not check["matches"] and check["digest_matches"] and check["missing"] and check["unexpected"]


async def test_queues_are_private_balanced_and_follow_the_exclusions(env):
    c = await create(env, sample_size=20)
    loads = {}
    for name in ("ann", "bo", "cy", "di"):
        queue = (await env.client.get("/api/audit/queue", headers=env.h(name))).json()
        loads[name] = len(queue)
        assert [q["due_on"] for q in queue] == sorted(q["due_on"] for q in queue)
    # ann works at the registering point 310101: the office has others, so she gets none of these
    assert loads["ann"] == 0
    assert max(loads[n] for n in ("bo", "cy", "di")) - min(loads[n] for n in ("bo", "cy", "di")) <= 1
    assert sum(loads.values()) == 20
    # an inspector cannot read another's queue item; the registrar cannot read queues at all
    mine = (await env.client.get("/api/audit/queue", headers=env.h("bo"))).json()[0]
    assert (await env.client.get(f"/api/audit/items/{mine['id']}", headers=env.h("cy"))).status_code == 404
    assert (await env.client.get("/api/audit/queue", headers=env.h("registrar"))).status_code == 403
    detail = (await env.client.get(f"/api/audit/items/{mine['id']}", headers=env.h("bo"))).json()
    assert detail["filing"]["ref"] == mine["ref"] and detail["events"] and detail["history"][0]["action"] == "assigned"
    assert (await env.client.get(f"/api/campaigns/{c['id']}", headers=env.h("bo"))).status_code == 403


async def test_conflict_is_reassigned_on_the_record(env):
    await create(env, sample_size=9)
    item = (await env.client.get("/api/audit/queue", headers=env.h("cy"))).json()[0]
    r = await env.client.post(f"/api/audit/items/{item['id']}/conflict", headers=env.h("cy"),
                              json={"reason": "曾为卖方提供咨询 / advised the seller", "party": party_code(101)})
    assert r.status_code == 200, r.text
    assert r.json()["inspector"] not in ("cy", "ann")
    assert (await env.client.get(f"/api/audit/items/{item['id']}", headers=env.h("cy"))).status_code == 404
    new_owner = r.json()["inspector"]
    history = (await env.client.get(f"/api/audit/items/{item['id']}", headers=env.h(new_owner))).json()["history"]
    assert [h["action"] for h in history] == ["assigned", "conflict_declared", "reassigned"]


async def test_concurrent_findings_one_wins_and_revocation_keeps_the_chain(env):
    c = await create(env, sample_size=9)
    item = (await env.client.get("/api/audit/queue", headers=env.h("di"))).json()[0]
    finding = {"outcome": "revoked", "ground": "fraudulent", "reasons": ["拆分合同骗取登记 / split to evade the line"],
               "notes": "现场核查"}
    results = await asyncio.gather(*[env.client.post(f"/api/audit/items/{item['id']}/finding", json=finding,
                                                     headers=env.h("di")) for _ in range(2)])
    assert sorted(r.status_code for r in results) == [201, 409]
    filing = (await env.client.get(f"/api/filings/{item['ref']}", headers=env.h("supervisor"))).json()
    assert filing["status"] == "revoked"
    events = (await env.client.get(f"/api/filings/{item['ref']}/events", headers=env.h("supervisor"))).json()
    assert events[-1]["action"] == "revoke" and events[-1]["detail"]["via"] == "finding"
    assert events[-1]["detail"]["ground"] == "fraudulent"
    assert events[-1]["detail"]["basis"] == {"kind": "inspection_finding", "reference": f"#{item['id']}"}
    conn = await connect(env.url)
    try:
        assert (await verify_chain(conn, env.settings.audit_key.encode())).ok
    finally:
        await conn.close()
    # bad findings are 400s naming the field, and nothing is half-written
    other = (await env.client.get("/api/audit/queue", headers=env.h("di"))).json()[0]
    bad = await env.client.post(f"/api/audit/items/{other['id']}/finding", headers=env.h("di"),
                                json={"outcome": "revoked", "reasons": []})
    assert bad.status_code == 400 and "reasons" in bad.text
    est = (await env.client.get(f"/api/campaigns/{c['id']}/estimate", headers=env.h("supervisor"))).json()
    assert est["decided"] == 1 and est["violation_rate"] > 0
    evaluation = (await env.client.get("/api/campaigns/evaluation", headers=env.h("supervisor"))).json()
    if item["flag_kinds"]:
        assert evaluation == [{"detector": "split/1.0", "audited": 1, "confirmed": 1, "cleared": 0,
                               "confirmation_rate": 1.0}]
    else:
        assert evaluation == []


def test_cli_create_show_verify(env_cli):
    url, settings = env_cli
    envvars = cli_env(TECHREG_DATABASE_URL=url, TECHREG_AUDIT_KEY="test-audit-key")
    run = lambda *a: subprocess.run([sys.executable, "-m", "techreg.cli", *a], capture_output=True,  # noqa: E731
                                    text=True, env=envvars)
    r = run("campaign", "create", "--name", "CLI", "--from", "2000-01-01", "--to", "2100-01-01", "--point", "310101",
            "--sample-size", "7", "--seed", "cli-seed", "--by", "supervisor", "--json")
    assert r.returncode == 0, r.stderr
    cid = json.loads(r.stdout)["id"]
    shown = json.loads(run("campaign", "show", str(cid), "--json").stdout)
    assert shown["seed"] == "cli-seed" and shown["population_digest"] and shown["public_no"] >= 1
    assert {"ref", "reg_no", "stratum", "inclusion_prob", "inspector"} <= set(shown["items"][0])
    assert run("campaign", "verify", str(cid)).returncode == 0
    r = run("campaign", "create", "--name", "x", "--from", "2000-01-01", "--to", "2100-01-01", "--sample-size", "3",
            "--seed", "s", "--by", "registrar")
    assert r.returncode == 1 and "supervisor" in r.stderr


@pytest.fixture
def env_cli(env):
    return env.url, env.settings


async def test_training_can_take_findings_as_labels(env, tmp_path):
    await create(env, sample_size=9)
    item = (await env.client.get("/api/audit/queue", headers=env.h("bo"))).json()[0]
    r = await env.client.post(f"/api/audit/items/{item['id']}/finding", headers=env.h("bo"),
                              json={"outcome": "rectification_ordered", "reasons": ["合同金额拆分"]})
    assert r.status_code == 201
    done = await asyncio.to_thread(subprocess.run, [
        sys.executable, "-m", "ml.train", "--database-url", env.url, "--labels-from-findings", "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    assert done.returncode == 0, done.stderr
    meta = json.loads((tmp_path / "outlier.json").read_text())
    assert meta["training_data"]["labels"] == "inspection findings: 1 violations"
    assert meta["metrics"]["labelled_anomalies"] == 1 and "auc_vs_any_anomaly" in meta["metrics"]


async def test_public_verification_is_reused_and_anonymous_calls_are_limited(env):
    a = await create(env)
    first = await env.client.get(f"/api/public/campaigns/{a['public_no']}/verify")
    assert first.status_code == 200 and first.json()["matches"] is True
    # the frozen campaign's recomputation is computed once and reused
    assert [k[0] for k in env.client.app.state.verify_cache] == [a["id"]]
    again = await env.client.get(f"/api/public/campaigns/{a['public_no']}/verify")
    assert again.json() == first.json()
    limit = env.client.app.state.anonymous_limit
    limit.per_minute = 5
    codes = [(await env.client.get(f"/api/public/campaigns/{a['public_no']}")).status_code for _ in range(8)]
    assert 429 in codes and codes[0] == 200
    limit.per_minute = 60


async def test_the_campaign_form_names_every_bad_field_at_once_and_keeps_them(app, office):
    form = {"name": "", "registered_from": "2026-05-01", "registered_to": "2026-01-01", "kinds": ["transfer"],
            "points": f"{office.point}、999999", "sample_size": "0", "certainty_cutoff": "abc", "seed": "", "due_days": "400"}
    r = await app.post("/campaigns", data=form, headers=office.h("supervisor"), follow_redirects=False)
    assert r.status_code == 200 and 'id="form-errors"' in r.text
    beside = dict(re.findall(r'class="field-error" data-field="(\w+)"[^>]*>([^<]*)<', r.text))
    assert beside == {"name": "必填", "registered_to": "不能早于登记日期起", "sample_size": "不得小于 1",
                      "certainty_cutoff": "须为数字：abc", "seed": "必填", "due_days": "不得大于 365",
                      "points": "没有代码为 999999 的登记点"}, beside
    for words in ("任务名称</a>：必填", "样本量</a>：不得小于 1", "公开随机种子</a>：必填"):
        assert words in r.text
    assert "Expected" not in r.text and "$." not in r.text and "类型错误" not in r.text
    for value in ("2026-05-01", f"{office.point}、999999", "abc", "400"):          # as typed, not reset
        assert f'value="{value}"' in r.text, value
    assert re.search(r'value="transfer" checked', r.text)
    # the scope names a point that does not exist: said so, beside the points
    good = {**form, "name": "范围有误", "registered_from": "2000-01-01", "registered_to": "2100-01-01",
            "sample_size": "5", "certainty_cutoff": "0.9", "seed": "s", "due_days": "30"}
    r = await app.post("/campaigns", data=good, headers=office.h("supervisor"), follow_redirects=False)
    beside = dict(re.findall(r'class="field-error" data-field="(\w+)"[^>]*>([^<]*)<', r.text))
    assert r.status_code == 200 and beside == {"points": "没有代码为 999999 的登记点"}, beside


async def test_a_campaign_cannot_end_before_it_begins(app, office):
    r = await app.post("/api/campaigns", json={"name": "倒置", "registered_from": "2026-05-01",
                                               "registered_to": "2026-01-01", "sample_size": 5, "seed": "s"},
                       headers=office.h("supervisor"))
    assert r.status_code == 400 and "registered_from" in r.text, r.text
