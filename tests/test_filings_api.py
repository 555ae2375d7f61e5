"""Filing through the HTTP API: validation, visibility, idempotency."""

import asyncio

from conftest import APPROVE, filing_body, new_ref


async def test_create_read_and_list(app, office):
    ref = new_ref()
    r = await app.post("/api/filings", json=filing_body(ref, office.point), headers=office.h("registrar"))
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["status"] == "submitted" and created["amount"] == "1250000.00"
    assert r.headers["location"] == f"/api/filings/{ref}"
    r = await app.get(f"/api/filings/{ref}", headers=office.h("registrar"))
    assert r.status_code == 200 and r.json()["seller"]["credit_code"] == created["seller"]["credit_code"]
    r = await app.get("/api/filings", params={"q": ref}, headers=office.h("registrar"))
    assert [f["ref"] for f in r.json()["items"]] == [ref]
    r = await app.get(f"/api/filings/{ref}/events", headers=office.h("registrar"))
    assert [e["action"] for e in r.json()] == ["create"]


async def test_every_route_needs_a_token(app, office):
    ref = new_ref()
    assert (await app.get("/api/filings")).status_code == 401
    assert (await app.post("/api/filings", json=filing_body(ref, office.point))).status_code == 401
    r = await app.get("/api/filings", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and "登录" in r.json()["message"]


async def test_bad_input_names_the_field_and_writes_nothing(app, office, conn):
    ref = new_ref()
    body = filing_body(ref, office.point)
    body["seller"]["credit_code"] = body["seller"]["credit_code"][:-1] + ("0" if body["seller"]["credit_code"][-1] != "0" else "1")
    body["tech_amount"] = "9999999.00"
    r = await app.post("/api/filings", json=body, headers=office.h("registrar"))
    assert r.status_code == 400
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"seller.credit_code", "tech_amount"}
    assert await conn.fetchval("SELECT count(*) FROM filings WHERE ref = $1", ref) == 0


async def test_type_errors_and_unknown_fields(app, office):
    body = filing_body(new_ref(), office.point, amount=1250000, surprise=True)
    r = await app.post("/api/filings", json=body, headers=office.h("registrar"))
    assert r.status_code == 400
    err = r.json()["errors"][0]
    assert err["field"] in ("amount", "surprise") and err["message"]
    r = await app.post("/api/filings", content=b"{not json", headers={**office.h("registrar"),
                                                                      "content-type": "application/json"})
    assert r.status_code == 400


async def test_amount_with_three_decimals_is_rejected(app, office):
    r = await app.post("/api/filings", json=filing_body(new_ref(), office.point, amount="100.123"),
                       headers=office.h("registrar"))
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "amount"


async def test_same_party_on_both_sides_is_rejected(app, office):
    body = filing_body(new_ref(), office.point)
    body["buyer"]["credit_code"] = body["seller"]["credit_code"]
    r = await app.post("/api/filings", json=body, headers=office.h("registrar"))
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "buyer.credit_code"


async def test_registrar_cannot_see_or_touch_another_points_filing(app, office, other_office):
    ref = new_ref()
    assert (await app.post("/api/filings", json=filing_body(ref, office.point),
                           headers=office.h("registrar"))).status_code == 201
    stranger = other_office.h("registrar")
    assert (await app.get(f"/api/filings/{ref}", headers=stranger)).status_code == 404
    assert (await app.get(f"/api/filings/{ref}/events", headers=stranger)).status_code == 404
    assert (await app.post(f"/api/filings/{ref}/register", json=APPROVE, headers=stranger)).status_code == 404
    assert (await app.patch(f"/api/filings/{ref}", json={"title": "改"}, headers=stranger)).status_code == 404
    listed = (await app.get("/api/filings", params={"q": ref}, headers=stranger)).json()["items"]
    assert listed == []
    # nor file on the other point's behalf
    r = await app.post("/api/filings", json=filing_body(new_ref(), office.point), headers=stranger)
    assert r.status_code == 403
    # the supervisor sees everything
    assert (await app.get(f"/api/filings/{ref}", headers=other_office.h("supervisor"))).status_code == 200


async def test_duplicate_ref_is_a_conflict(app, office):
    ref = new_ref()
    body = filing_body(ref, office.point)
    assert (await app.post("/api/filings", json=body, headers=office.h("registrar"))).status_code == 201
    r = await app.post("/api/filings", json=body, headers=office.h("registrar"))
    assert r.status_code == 409


async def test_idempotency_key_replays_the_first_result(app, office, conn):
    ref = new_ref()
    headers = {**office.h("registrar"), "Idempotency-Key": f"key-{ref}"}
    first = await app.post("/api/filings", json=filing_body(ref, office.point), headers=headers)
    again = await app.post("/api/filings", json=filing_body(ref, office.point), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers.get("idempotent-replayed") == "true"
    assert await conn.fetchval("SELECT count(*) FROM filings WHERE ref = $1", ref) == 1
    # same key, different body: refused, nothing created
    other = await app.post("/api/filings", json=filing_body(new_ref(), office.point), headers=headers)
    assert other.status_code == 400


async def test_concurrent_retries_with_one_key_create_one_filing(app, office, conn):
    ref = new_ref()
    headers = {**office.h("registrar"), "Idempotency-Key": f"burst-{ref}"}
    results = await asyncio.gather(*[app.post("/api/filings", json=filing_body(ref, office.point), headers=headers)
                                     for _ in range(5)])
    assert {r.status_code for r in results} == {201}
    assert len({r.json()["id"] for r in results}) == 1
    assert await conn.fetchval("SELECT count(*) FROM filings WHERE ref = $1", ref) == 1


async def test_inspector_and_supervisor_cannot_file(app, office):
    for who in ("inspector", "supervisor"):
        r = await app.post("/api/filings", json=filing_body(new_ref(), office.point), headers=office.h(who))
        assert r.status_code == 403, who


async def test_openapi_schema_is_served(app):
    r = await app.get("/schema/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/filings" in paths and "/api/filings/{ref}/register" in paths
