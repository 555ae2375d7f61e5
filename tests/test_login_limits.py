"""Log-in under attack: no request holds two connections, the limit is per source and account, counted
atomically, and a burst of failures leaves the service answering."""

import asyncio
import collections
import datetime as dt
import hashlib
import time

import pytest

from conftest import PASSWORD, running_server
from techreg.db.pool import connect, create_pool
from techreg.errors import NotAuthenticated, TooManyRequests
from techreg.registry import users


async def test_a_burst_of_failed_logins_leaves_the_service_answering(database_url, data_dir, office):
    import httpx

    async with running_server(database_url, data_dir / "burst", TECHREG_AUDIT_KEY="test-audit-key",
                              TECHREG_POOL_MAX="10", TECHREG_LOGIN_ATTEMPTS_PER_MINUTE="1000") as base:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            async def guess(k):
                return (await client.post("/api/auth/login", json={"username": f"nobody-{k}", "password": "x" * 12})
                        ).status_code
            codes = await asyncio.gather(*(guess(k) for k in range(100)))
            print(f"100 concurrent failed log-ins: {sorted(collections.Counter(codes).items())}")
            # wrong passwords are 401; one that found no free connection in time is 503: never a hang or a 500
            assert set(codes) <= {401, 503} and codes.count(401) >= 10, codes
            # afterwards an authenticated request is served (a bounded wait fails a hang; it is no benchmark)
            started = time.monotonic()
            r = await asyncio.wait_for(client.get("/api/auth/me", headers=office.h("registrar")), timeout=10)
            print(f"then an authenticated request: {r.status_code} in {time.monotonic() - started:.3f} s")
            assert r.status_code == 200
        conn = await connect(database_url)
        try:
            stuck = await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                        " AND state = 'idle in transaction' AND application_name = 'techreg'")
        finally:
            await conn.close()
        assert stuck == 0
    # leaving the block stopped the server with SIGTERM (running_server fails if it did not stop)


@pytest.fixture
async def pool(settings, database_url):
    p = await create_pool(database_url, settings)
    yield p
    await p.close()


def _login(pool, username, password, source, limit=10):
    return users.login(pool, users.LoginIn(username=username, password=password), source=source, session_hours=1,
                       attempts_per_minute=limit, acquire_timeout=5)


async def test_the_limit_is_counted_atomically(pool, office):
    user = office.usernames["inspector"]
    results = await asyncio.gather(*(_login(pool, user, "wrong-guess-1", "198.51.100.7") for _ in range(15)),
                                   return_exceptions=True)
    kinds = sorted(type(r).__name__ for r in results)
    assert kinds == ["NotAuthenticated"] * 10 + ["TooManyRequests"] * 5


async def test_a_stranger_cannot_lock_the_owner_out(pool, office):
    user = office.usernames["registrar2"]
    for _ in range(10):
        with pytest.raises(NotAuthenticated):
            await _login(pool, user, "wrong-guess-2", "203.0.113.9")
    with pytest.raises(TooManyRequests):            # the stranger's address is held back
        await _login(pool, user, PASSWORD, "203.0.113.9")
    owner = await _login(pool, user, PASSWORD, "192.0.2.44")     # the owner, from elsewhere, is not
    assert owner.user.username == user and owner.token


async def test_an_address_trying_many_accounts_is_held_back(pool, office):
    for k in range(30):
        with pytest.raises(NotAuthenticated):
            await _login(pool, f"guess-{k}", "wrong-guess-3", "203.0.113.77")
    with pytest.raises(TooManyRequests):
        await _login(pool, office.usernames["admin"], PASSWORD, "203.0.113.77")


def test_production_hashes_passwords_with_the_strong_profile():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TECHREG_PASSWORD_HASHING"}
    out = subprocess.run([sys.executable, "-c", "from techreg.registry import users; h = users._hasher;"
                          "print(h.time_cost, h.memory_cost, h.type.name, users.dummy_hash.cache_info().currsize);"
                          "print(users.dummy_hash())"], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert int(out[0]) >= 3 and int(out[1]) >= 64 * 1024 and out[2] == "ID"
    # the hash an unknown name is checked against is made when first needed (not by every command-line run),
    # with the same profile as a real one, so that an unknown name takes as long as a known one
    assert out[3] == "0"
    assert out[4].startswith(f"$argon2id$v=19$m={out[1]},t={out[0]},")


async def test_weak_passwords_are_refused(app, office):
    for weak in ("12345678", "password", "qwerty123", "aaaaaaaaaaaa", "short1"):
        r = await app.post("/api/users", json={"username": "weakling", "display_name": "w", "role": "inspector",
                                                "password": weak}, headers=office.h("admin"))
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == "password", (weak, r.text)
    r = await app.post("/api/users", json={"username": "named-inspector", "display_name": "w", "role": "inspector",
                                            "password": "named-inspector-2026"}, headers=office.h("admin"))
    assert r.status_code == 400 and "用户名" in r.text


async def test_pages_and_answers_carry_security_headers(app):
    r = await app.get("/login")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"


async def test_a_deactivated_user_is_locked_out_at_once(app, office):
    h = office.h("inspector")
    assert (await app.get("/api/auth/me", headers=h)).status_code == 200      # now in the session cache
    r = await app.put(f"/api/users/{office.usernames['inspector']}/active", json={"active": False},
                      headers=office.h("admin"))
    assert r.status_code == 200 and r.json()["active"] is False
    assert (await app.get("/api/auth/me", headers=h)).status_code == 401


async def test_a_session_lasts_its_hours_on_the_database_clock_and_then_ends(app, office, conn, settings):
    """A session ends TECHREG_SESSION_HOURS after it began, both moments the database's now(); an ended session's
    token is refused. (test_clock_ahead runs this a year ahead: the end is compared with now().)"""
    def hours_of(row) -> dt.timedelta:
        return row["expires_at"] - row["created_at"]

    session = "SELECT created_at, expires_at FROM sessions WHERE token_hash = $1"
    r = await app.post("/api/auth/login", json={"username": office.usernames["inspector"], "password": PASSWORD})
    assert r.status_code == 200, r.text
    app.cookies.clear()
    token = r.json()["token"]
    row = await conn.fetchrow(session, hashlib.sha256(token.encode()).digest())
    assert hours_of(row) == dt.timedelta(hours=settings.session_hours)
    assert dt.datetime.fromisoformat(r.json()["expires_at"]) == row["expires_at"]
    # the suite's own sessions (conftest.make_office: users.open_session) are opened the same way
    mine = await conn.fetchrow(session, hashlib.sha256(office.tokens["registrar"].encode()).digest())
    assert hours_of(mine) == dt.timedelta(hours=settings.session_hours)
    assert (await app.get("/api/auth/me", headers=office.h("registrar"))).status_code == 200
    # its time up (before the service first saw it, so no cached answer stands in), the token is refused
    await conn.execute("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
                       hashlib.sha256(token.encode()).digest())
    assert (await app.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401
    assert (await app.get("/api/auth/me", headers=office.h("inspector"))).status_code == 200


async def test_cookie_state_changes_need_this_sites_origin_and_the_api_takes_json_only(app, office):
    import json as _json

    from conftest import filing_body, new_ref
    token = office.tokens["registrar"]
    app.cookies.set("techreg_session", token)
    try:
        body = _json.dumps(filing_body(new_ref("CSRF"), office.point))
        json_type = {"content-type": "application/json"}
        # a page on another port of the same host (or anywhere else) makes the browser send the cookie
        for origin in ("http://testserver.local:9999", "http://evil.example"):
            r = await app.post("/api/filings", content=body, headers={**json_type, "origin": origin})
            assert r.status_code == 403 and "CSRF" in r.text
        r = await app.post("/api/filings", content=body, headers=json_type)          # no origin at all
        assert r.status_code == 403
        r = await app.post("/api/filings", content=body, headers={**json_type, "origin": "http://testserver.local"})
        assert r.status_code == 201, r.text
    finally:
        app.cookies.clear()
    # the JSON API refuses what a foreign page can send without asking
    h = office.h("registrar")
    for kind in ("text/plain", "application/x-www-form-urlencoded"):
        r = await app.post("/api/filings", content=_json.dumps(filing_body(new_ref("CT"), office.point)),
                           headers={**h, "content-type": kind})
        assert r.status_code == 415


async def test_the_session_cookie_is_secure_over_https(settings, database_url, office):
    from litestar.testing import AsyncTestClient

    from conftest import app_url
    from techreg.web.app import create_app

    user = {"username": office.usernames["registrar2"], "password": PASSWORD}
    for base, secure in (("https://testserver.local", True), ("http://testserver.local", False)):
        async with AsyncTestClient(app=create_app(settings, app_url(database_url)), base_url=base) as client:
            r = await client.post("/api/auth/login", json=user)
            cookie = r.headers["set-cookie"].lower()
            assert r.status_code == 200 and "httponly" in cookie and ("secure" in cookie) is secure
