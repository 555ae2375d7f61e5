"""Passwords never reach a log line, whatever the outcome of the request that carried them."""

import logging

from conftest import app_url, PASSWORD


async def test_passwords_are_never_logged(app, office, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "Very-Secret-Passw0rd-42"
    await app.post("/api/auth/login", json={"username": office.usernames["registrar"], "password": secret})
    await app.post("/api/auth/login", json={"username": office.usernames["registrar"], "password": PASSWORD})
    await app.post("/api/users", headers=office.h("admin"),
                   json={"username": f"new-{office.point}", "display_name": "n", "role": "inspector",
                         "password": secret})
    await app.post("/api/users", headers=office.h("admin"),
                   json={"username": "bad name!", "display_name": "n", "role": "inspector", "password": secret})
    await app.post("/login", data={"username": office.usernames["registrar"], "password": secret})
    logged = "\n".join(f"{r.getMessage()} {r.args} {getattr(r, 'exc_text', '')}" for r in caplog.records)
    assert caplog.records                          # the requests were logged at all
    assert secret not in logged and PASSWORD not in logged


async def test_login_is_rate_limited(settings, database_url, office):
    import msgspec
    from litestar.testing import AsyncTestClient

    from techreg.web.app import create_app

    strict = msgspec.structs.replace(settings, login_attempts_per_minute=3)
    async with AsyncTestClient(app=create_app(strict, app_url(database_url))) as client:
        user = office.usernames["registrar2"]
        codes = [(await client.post("/api/auth/login", json={"username": user, "password": "wrong-guess"})).status_code
                 for _ in range(3)]
        assert codes == [401, 401, 401]
        limited = await client.post("/api/auth/login", json={"username": user, "password": PASSWORD})
        assert limited.status_code == 429 and limited.headers.get("retry-after")
