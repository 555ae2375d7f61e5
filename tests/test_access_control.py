"""Every route × every role, against the exact allowed set. The routes are enumerated from the app,
so a new route without an entry here fails the test.

Roles: anon (no token), expired (a token whose session has ended), registrar (of the point owning the
fixtures), other (a registrar of another point), inspector (assigned to the audit item), supervisor,
admin. "Allowed" means authorisation let the request through (any status but 401, 403 and the 404
that hides what a caller may not see); everything else must be refused with exactly those.
"""

import datetime as dt
import io
import json

import pytest_asyncio
from litestar.testing import AsyncTestClient

from conftest import PASSWORD, filing_body, party_code, app_url
from techreg.config import load_settings
from techreg.db.pool import connect
from techreg.registry.importer import import_stream
from techreg.registry.points import PointIn, create_point
from techreg.registry.users import UserIn, create_user
from techreg.web.app import create_app

ROLES = ["anon", "expired", "registrar", "other", "inspector", "supervisor", "admin"]
ALL = set(ROLES)
SIGNED_IN = ALL - {"anon", "expired"}
STAFF_ONLY = {"supervisor", "admin"}

# (method, route template) -> roles allowed through
TABLE = {
    ("GET", "/health"): ALL,
    ("GET", "/favicon.ico"): ALL,
    ("POST", "/api/auth/login"): ALL,
    ("POST", "/api/auth/logout"): SIGNED_IN,
    ("GET", "/api/auth/me"): SIGNED_IN,
    ("POST", "/api/filings"): {"registrar", "admin"},
    ("GET", "/api/filings"): {"registrar", "other", "supervisor", "admin"},
    ("GET", "/api/filings/{ref:str}"): {"registrar", "inspector", "supervisor", "admin"},
    ("PATCH", "/api/filings/{ref:str}"): {"registrar"},
    ("GET", "/api/filings/{ref:str}/events"): {"registrar", "inspector", "supervisor", "admin"},
    ("POST", "/api/filings/{ref:str}/register"): {"registrar"},
    ("POST", "/api/filings/{ref:str}/refuse"): {"registrar"},
    ("POST", "/api/filings/{ref:str}/return"): {"registrar"},
    ("POST", "/api/filings/{ref:str}/resubmit"): {"registrar"},
    ("POST", "/api/filings/{ref:str}/revoke"): {"supervisor"},
    ("POST", "/api/filings/{ref:str}/cancel"): {"registrar", "supervisor"},
    ("GET", "/api/filings/{ref:str}/flags"): {"registrar", "inspector", "supervisor", "admin"},
    ("GET", "/api/filings/{ref:str}/certificate"): {"registrar", "inspector", "supervisor", "admin"},
    ("GET", "/api/filings/{ref:str}/certificate.pdf"): {"registrar", "inspector", "supervisor", "admin"},
    ("GET", "/api/filings/{ref:str}/income-checks"): {"registrar", "inspector", "supervisor", "admin"},
    ("POST", "/api/filings/{ref:str}/income-checks"): {"registrar", "supervisor"},
    ("GET", "/api/filings/{ref:str}/risk"): {"registrar", "inspector", "supervisor", "admin"},
    ("GET", "/api/flags"): {"registrar", "other", "supervisor", "admin"},
    ("GET", "/api/deadlines"): {"registrar", "other", "supervisor", "admin"},
    ("GET", "/api/rules"): SIGNED_IN,
    ("GET", "/api/revocations/tax-notice"): STAFF_ONLY,
    ("GET", "/api/reviews"): {"registrar", "other", "supervisor", "admin"},
    ("GET", "/api/filings/{ref:str}/reviews"): {"registrar", "inspector", "supervisor", "admin"},
    ("POST", "/api/filings/{ref:str}/reviews/confirm"): {"registrar", "supervisor"},
    ("POST", "/api/filings/{ref:str}/reviews/send-back"): {"registrar", "supervisor"},
    ("POST", "/api/filings/{ref:str}/reviews/request"): {"registrar", "supervisor"},
    ("POST", "/api/filings/{ref:str}/reviews/request/decision"): {"registrar", "supervisor"},
    ("POST", "/api/filings/{ref:str}/reviews/supervision"): {"supervisor"},
    ("POST", "/api/filings/{ref:str}/reviews/supervision/decision"): {"supervisor"},
    ("POST", "/api/filings/{ref:str}/reviews/recusal"): {"registrar", "supervisor"},
    ("GET", "/api/points"): SIGNED_IN,
    ("POST", "/api/points"): {"admin"},
    ("GET", "/api/users"): STAFF_ONLY,
    ("POST", "/api/users"): {"admin"},
    ("PUT", "/api/users/{username:str}/qualification"): STAFF_ONLY,
    ("PUT", "/api/users/{username:str}/active"): {"admin"},
    ("GET", "/api/users/{username:str}/events"): STAFF_ONLY,
    ("POST", "/api/campaigns"): {"supervisor"},
    ("GET", "/api/campaigns"): STAFF_ONLY,
    ("GET", "/api/campaigns/{campaign_id:int}"): STAFF_ONLY,
    ("POST", "/api/campaigns/{campaign_id:int}/confirm"): {"supervisor"},
    ("GET", "/api/campaigns/{campaign_id:int}/estimate"): STAFF_ONLY,
    ("GET", "/api/campaigns/evaluation"): STAFF_ONLY,
    ("GET", "/api/public/campaigns/{public_no:int}"): ALL,
    ("GET", "/api/public/campaigns/{public_no:int}/verify"): ALL,
    ("GET", "/public/campaigns/{public_no:int}"): ALL,
    ("GET", "/public/campaigns/{public_no:int}/check"): ALL,
    ("GET", "/api/audit/queue"): {"inspector"},
    ("GET", "/api/audit/items/{item_id:int}"): {"inspector", "supervisor", "admin"},
    ("POST", "/api/audit/items/{item_id:int}/finding"): {"inspector"},
    ("POST", "/api/audit/items/{item_id:int}/conflict"): {"inspector"},
    ("POST", "/api/audit/items/{item_id:int}/evidence"): {"inspector"},
    ("GET", "/api/audit/items/{item_id:int}/evidence/{file_id:int}"): {"inspector", "supervisor", "admin"},
    ("POST", "/api/audit/items/{item_id:int}/evidence/{file_id:int}/withdraw"): {"inspector"},
    ("GET", "/api/orders"): SIGNED_IN,
    ("GET", "/api/orders/{order_id:int}"): {"registrar", "inspector", "supervisor", "admin"},
    ("POST", "/api/orders/{order_id:int}/documents"): {"registrar", "supervisor"},
    ("GET", "/api/orders/{order_id:int}/documents/{document_id:int}"): {"registrar", "inspector", "supervisor", "admin"},
    ("POST", "/api/orders/{order_id:int}/deregistration"): {"registrar", "supervisor"},
    ("POST", "/api/orders/{order_id:int}/close"): {"supervisor"},
    ("POST", "/api/orders/{order_id:int}/reopen"): {"supervisor"},
    ("GET", "/api/enforcement"): STAFF_ONLY,
    ("GET", "/api/statistics/{year:str}"): STAFF_ONLY,
    ("GET", "/api/jobs"): STAFF_ONLY,
    ("GET", "/api/jobs/runs"): STAFF_ONLY,
    ("POST", "/api/jobs/{name:str}/run"): STAFF_ONLY,
    ("POST", "/api/credit/records"): STAFF_ONLY,
    ("GET", "/api/credit/export"): STAFF_ONLY,
    ("GET", "/api/credit/check"): STAFF_ONLY,
    ("GET", "/api/parties/{credit_code:str}"): SIGNED_IN,
    ("GET", "/api/filings/{ref:str}/credit"): {"registrar", "inspector", "supervisor", "admin"},
    ("POST", "/api/filings/{ref:str}/credit-override"): {"supervisor"},
    ("GET", "/api/models"): {"supervisor"},
    ("POST", "/api/models/promote"): {"supervisor"},
    # pages
    ("GET", "/login"): ALL,
    ("POST", "/login"): ALL,
    ("POST", "/logout"): SIGNED_IN,
    ("GET", "/lang/{code:str}"): ALL,
    ("GET", "/"): SIGNED_IN,
    ("GET", "/filings"): {"registrar", "other", "supervisor", "admin"},
    ("GET", "/filings/new"): {"registrar", "other", "admin"},
    ("GET", "/deadlines"): {"registrar", "other", "supervisor", "admin"},
    ("GET", "/reviews"): {"registrar", "other", "supervisor", "admin"},
    ("POST", "/filings/{ref:str}/review"): {"registrar", "supervisor"},
    ("POST", "/filings/new"): {"registrar", "other", "admin"},
    ("POST", "/filings/new/check"): {"registrar", "other", "admin"},
    ("GET", "/filings/{ref:str}"): {"registrar", "inspector", "supervisor", "admin"},
    ("POST", "/filings/{ref:str}/act"): {"registrar"},
    ("POST", "/filings/{ref:str}/revoke"): {"supervisor"},
    ("GET", "/revocations"): STAFF_ONLY,
    ("GET", "/filings/{ref:str}/certificate"): {"registrar", "inspector", "supervisor", "admin"},
    ("GET", "/filings/{ref:str}/certificate.pdf"): {"registrar", "inspector", "supervisor", "admin"},
    ("GET", "/verify"): ALL,
    ("POST", "/filings/{ref:str}/income-check"): {"registrar", "supervisor"},
    ("GET", "/filings/{ref:str}/correct"): {"registrar"},
    ("POST", "/filings/{ref:str}/correct"): {"registrar"},
    ("GET", "/queue"): {"inspector"},
    ("GET", "/queue/{item_id:int}"): {"inspector", "supervisor", "admin"},
    ("POST", "/queue/{item_id:int}/finding"): {"inspector"},
    ("POST", "/queue/{item_id:int}/conflict"): {"inspector"},
    ("POST", "/queue/{item_id:int}/evidence"): {"inspector"},
    ("GET", "/queue/{item_id:int}/evidence/{file_id:int}"): {"inspector", "supervisor", "admin"},
    ("POST", "/queue/{item_id:int}/evidence/{file_id:int}/withdraw"): {"inspector"},
    ("GET", "/dashboard"): STAFF_ONLY,
    ("GET", "/campaigns"): STAFF_ONLY,
    ("POST", "/campaigns"): {"supervisor"},
    ("GET", "/campaigns/{campaign_id:int}"): STAFF_ONLY,
    ("POST", "/campaigns/{campaign_id:int}/confirm"): {"supervisor"},
    ("GET", "/orders"): SIGNED_IN,
    ("GET", "/orders/{order_id:int}"): {"registrar", "inspector", "supervisor", "admin"},
    ("POST", "/orders/{order_id:int}/documents"): {"registrar", "supervisor"},
    ("GET", "/orders/{order_id:int}/documents/{document_id:int}"): {"registrar", "inspector", "supervisor", "admin"},
    ("POST", "/orders/{order_id:int}/deregistration"): {"registrar", "supervisor"},
    ("POST", "/orders/{order_id:int}/close"): {"supervisor"},
    ("POST", "/orders/{order_id:int}/reopen"): {"supervisor"},
    ("GET", "/enforcement"): STAFF_ONLY,
    ("GET", "/statistics"): STAFF_ONLY,
    ("GET", "/jobs"): STAFF_ONLY,
    ("POST", "/jobs/{name:str}/run"): STAFF_ONLY,
    ("GET", "/credit"): STAFF_ONLY,
    ("POST", "/credit/import"): STAFF_ONLY,
    ("GET", "/credit/check"): STAFF_ONLY,
    ("GET", "/parties/{credit_code:str}"): SIGNED_IN,
    ("POST", "/filings/{ref:str}/credit-override"): {"supervisor"},
    ("GET", "/users"): {"admin", "supervisor"},
    ("POST", "/users"): {"admin"},
    ("POST", "/users/{username:str}/qualification"): {"admin", "supervisor"},
    ("POST", "/users/{username:str}/active"): {"admin"},
}
# page forms post url-encoded fields
FORM_POSTS = {("POST", p) for p in ("/filings/new", "/filings/new/check", "/filings/{ref:str}/act",
                                    "/filings/{ref:str}/revoke",
                                    "/filings/{ref:str}/review",
                                    "/filings/{ref:str}/income-check", "/filings/{ref:str}/correct",
                                    "/queue/{item_id:int}/finding",
                                    "/queue/{item_id:int}/conflict", "/queue/{item_id:int}/evidence",
                                    "/queue/{item_id:int}/evidence/{file_id:int}/withdraw", "/campaigns",
                                    "/campaigns/{campaign_id:int}/confirm", "/login", "/logout", "/credit/import",
                                    "/filings/{ref:str}/credit-override",
                                    "/orders/{order_id:int}/documents", "/orders/{order_id:int}/deregistration",
                                    "/orders/{order_id:int}/close", "/orders/{order_id:int}/reopen", "/users",
                                    "/users/{username:str}/qualification", "/users/{username:str}/active")}
FORM = {"username": "admin", "password": PASSWORD, "reason": "x", "outcome": "cleared", "reasons": "x",
        "action": "register", "name": "c", "registered_from": "2000-01-01", "registered_to": "2100-01-01",
        "sample_size": "1", "seed": "form-seed"}
SKIP_PREFIXES = ("/schema", "/static")


@pytest_asyncio.fixture
async def world(empty_database, data_dir):
    settings = load_settings(data_dir=data_dir, database_url=empty_database, audit_key="k",
                             login_attempts_per_minute=10_000)
    conn = await connect(empty_database)
    for code in ("310101", "310104"):
        await create_point(conn, PointIn(code=code, name=code))
    people = {"registrar": ("registrar", "310101"), "other": ("registrar", "310104"), "inspector": ("inspector", None),
              "supervisor": ("supervisor", None), "admin": ("admin", None), "expired": ("registrar", "310101")}
    for name, (role, point) in people.items():
        await create_user(conn, UserIn(username=name, display_name=name, role=role, point_code=point, password=PASSWORD,
                                       qualification_expires=dt.date.today() + dt.timedelta(days=100)), actor="system")
    rows = [filing_body(f"AC-{k}", "310101", status="registered", reg_no=f"2026310101{k:06d}") for k in range(1, 4)]
    data = b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows)
    await import_stream(conn, io.BytesIO(data), b"k", actor="t", source="t")
    await conn.close()
    async with AsyncTestClient(app=create_app(settings, app_url(empty_database))) as client:
        tokens = {}
        for name in people:
            tokens[name] = (await client.post("/api/auth/login", json={"username": name,
                                                                       "password": PASSWORD})).json()["token"]
        client.cookies.clear()
        conn = await connect(empty_database)
        await conn.execute("UPDATE sessions SET expires_at = now() - interval '1 minute'"
                           " WHERE user_id = (SELECT id FROM users WHERE username = 'expired')")
        await conn.close()
        r = await client.post("/api/campaigns", headers={"Authorization": f"Bearer {tokens['supervisor']}"},
                              json={"name": "c", "registered_from": "2000-01-01", "registered_to": "2100-01-01",
                                    "sample_size": 3, "certainty_cutoff": 1.0, "control_share": 0.0, "seed": "s"})
        campaign = r.json()
        # an evidence file on the first item, for the routes that name one
        r = await client.post(f"/api/audit/items/{campaign['items'][0]['id']}/evidence",
                              headers={"Authorization": f"Bearer {tokens['inspector']}"},
                              files={"file": ("scan.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")})
        assert r.status_code == 201, r.text
        campaign["file_id"] = r.json()["id"]
        # an order (a finding of 责令注销 on the first item) with a document the party sent, for the order routes
        r = await client.post(f"/api/audit/items/{campaign['items'][0]['id']}/finding",
                              headers={"Authorization": f"Bearer {tokens['inspector']}"},
                              json={"outcome": "deregistration_ordered", "reasons": ["x"]})
        assert r.status_code == 201, r.text
        r = await client.get("/api/orders", headers={"Authorization": f"Bearer {tokens['supervisor']}"})
        campaign["order_id"] = r.json()["items"][0]["id"]
        r = await client.post(f"/api/orders/{campaign['order_id']}/documents",
                              headers={"Authorization": f"Bearer {tokens['registrar']}"},
                              files={"file": ("reply.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")})
        assert r.status_code == 201, r.text
        campaign["document_id"] = r.json()["id"]
        yield client, tokens, campaign, app_routes(client.app)


def app_routes(app) -> list[tuple[str, str]]:
    out = []
    for route in app.routes:
        if route.path.startswith(SKIP_PREFIXES):
            continue
        for method in sorted(getattr(route, "methods", set()) - {"HEAD", "OPTIONS"}):
            out.append((method, route.path))
    return out


def concrete(path: str, campaign: dict) -> str:
    # declaring a conflict hands the item on, so it gets an item of its own
    item = campaign["items"][(2 if path.startswith("/queue") else 1) if path.endswith("/conflict") else 0]
    return (path.replace("{ref:str}", item["ref"]).replace("{campaign_id:int}", str(campaign["id"]))
            .replace("{public_no:int}", str(campaign["public_no"]))
            .replace("{item_id:int}", str(item["id"])).replace("{file_id:int}", str(campaign["file_id"]))
            .replace("{username:str}", "registrar").replace("{credit_code:str}", party_code(1))
            .replace("{order_id:int}", str(campaign["order_id"])).replace("{document_id:int}", str(campaign["document_id"]))
            .replace("{username:str}", "registrar")
            .replace("{name:str}", "qualification_check").replace("{code:str}", "en")
            .replace("{year:str}", "2026"))


BODIES = {
    ("POST", "/api/auth/login"): {"username": "admin", "password": PASSWORD},
    ("POST", "/api/filings"): filing_body("AC-NEW-{role}", "310101", seller={
        "name": "上海卖方有限公司", "credit_code": party_code(77), "region": "310101"}),
    ("PATCH", "/api/filings/{ref:str}"): {"title": "补正后的合同名称"},
    ("POST", "/api/filings/{ref:str}/refuse"): {"reasons": ["other"], "note": "x"},
    ("POST", "/api/filings/{ref:str}/return"): {"reasons": [], "note": "x"},
    ("POST", "/api/filings/{ref:str}/revoke"): {"ground": "other", "note": "x",
                                                "basis": {"kind": "court_judgment", "reference": "（2026）沪0101民初1号"}},
    ("POST", "/api/filings/{ref:str}/cancel"): {"reasons": [], "note": "x"},
    ("POST", "/api/filings/{ref:str}/register"): {"approved_amount": "1000000.00"},
    ("POST", "/api/filings/{ref:str}/income-checks"): {"received_amount": "1.00", "as_of": "2026-03-05"},
    ("POST", "/api/filings/{ref:str}/reviews/send-back"): {"reasons": "x"},
    ("POST", "/api/filings/{ref:str}/reviews/request"): {"requested_on": "2026-03-05", "requested_by": "seller",
                                                         "grounds": "x"},
    ("POST", "/api/filings/{ref:str}/reviews/request/decision"): {"outcome": "uphold", "reasons": "x"},
    ("POST", "/api/filings/{ref:str}/reviews/supervision"): {"grounds": "x"},
    ("POST", "/api/filings/{ref:str}/reviews/supervision/decision"): {"outcome": "confirm", "reasons": "x"},
    ("POST", "/api/filings/{ref:str}/reviews/recusal"): {"reason": "x"},
    ("POST", "/api/points"): {"code": "31011{n}", "name": "新登记点"},
    ("POST", "/api/users"): {"username": "new-{role}", "display_name": "n", "role": "inspector",
                             "password": "long-enough-password"},
    ("PUT", "/api/users/{username:str}/qualification"): {"expires": "2030-01-01"},
    ("PUT", "/api/users/{username:str}/active"): {"active": True},
    ("POST", "/api/campaigns"): {"name": "c", "registered_from": "2000-01-01", "registered_to": "2100-01-01",
                                 "sample_size": 1, "seed": "s-{role}"},
    ("POST", "/api/audit/items/{item_id:int}/finding"): {"outcome": "cleared", "reasons": ["ok"]},
    ("POST", "/api/audit/items/{item_id:int}/conflict"): {"reason": "tie"},
    ("POST", "/api/credit/records"): {"records": [{"credit_code": party_code(88), "record_type": "tax_violation",
                                                   "source": "税务局", "valid_from": "2000-01-01"}]},
    ("POST", "/api/filings/{ref:str}/credit-override"): {"reasons": "经核实同意登记的书面理由"},
    ("POST", "/api/audit/items/{item_id:int}/evidence/{file_id:int}/withdraw"): {"reason": "wrong file"},
    ("POST", "/api/orders/{order_id:int}/deregistration"): {"note": "x"},
    ("POST", "/api/orders/{order_id:int}/close"): {"note": "x"},
    ("POST", "/api/orders/{order_id:int}/reopen"): {"note": "x"},
}


async def attempt(client, tokens, campaign, method, path, role, n):
    headers = {"Accept": "application/json"}
    if role != "anon":
        headers["Authorization"] = f"Bearer {tokens[role]}"
    if (method, path) in (("POST", "/api/auth/logout"), ("POST", "/logout")) and role not in ("anon", "expired"):
        login = await client.post("/api/auth/login", json={"username": role, "password": PASSWORD})
        headers["Authorization"] = f"Bearer {login.json()['token']}"       # a session of its own to end
        client.cookies.clear()
    body = BODIES.get((method, path))
    if body is not None:
        body = json.loads(json.dumps(body).replace("{role}", role).replace("{n}", str(n % 10)))
    url = concrete(path, campaign)
    if (method, path) in FORM_POSTS:
        r = await client.request(method, url, headers=headers, data=FORM, follow_redirects=False)
    else:
        r = await client.request(method, url, headers=headers, json=body, follow_redirects=False)
    client.cookies.clear()
    return r.status_code not in (401, 403, 404), r


async def test_every_route_has_an_entry_and_every_role_gets_exactly_its_rights(world):
    client, tokens, campaign, routes = world
    missing = [r for r in routes if r not in TABLE]
    assert not missing, f"routes without an access-control entry: {missing}"
    stale = [r for r in TABLE if r not in routes]
    assert not stale, f"entries for routes that no longer exist: {stale}"
    wrong = []
    for n, (method, path) in enumerate(routes):
        for role in ROLES:
            allowed, response = await attempt(client, tokens, campaign, method, path, role, n)
            if allowed != (role in TABLE[(method, path)]):
                wrong.append(f"{method} {path} as {role}: {response.status_code} {response.headers.get('location', '')}")
            if response.status_code >= 500:
                wrong.append(f"{method} {path} as {role}: server error {response.status_code}")
    assert not wrong, "\n".join(wrong)
