"""用户管理 as a page: the administrator adds an account (every error at once, beside its input), grants or
withdraws the registrar qualification and deactivates an account; each change on the account's record."""

import re

from conftest import told

HTML = {"Accept": "text/html", "origin": "http://testserver.local"}


async def test_the_administrator_adds_qualifies_and_deactivates_from_the_page(app, office):
    admin = {**office.h("admin"), **HTML}
    page = await app.get("/users", headers=admin)
    assert page.status_code == 200 and 'id="user-form"' in page.text and office.usernames["registrar"] in page.text
    assert 'href="/users"' in page.text                                           # in the administrator's menu
    # every error of the form at once, beside its input, what was typed kept (never the password)
    r = await app.post("/users", follow_redirects=False, headers=admin, data={"username": "bad name!", "display_name": "", "role": "registrar",
                                                      "point_code": "", "password": "short",
                                                      "qualification_expires": "2026-13-01"})
    assert r.status_code == 200, r.text[-500:]
    wrong = set(re.findall(r'class="field-error" data-field="(\w+)"', r.text))
    assert {"username", "display_name", "password", "qualification_expires"} <= wrong, wrong
    assert 'value="bad name!"' in r.text and 'value="short"' not in r.text
    # a good one
    name = f"u{office.point}"
    r = await app.post("/users", follow_redirects=False, headers=admin, data={"username": name, "display_name": "孙丽", "role": "registrar",
                                                      "point_code": office.point, "password": "a-long-pass-2026",
                                                      "qualification_expires": ""})
    assert r.status_code == 303 and told(r)["msg"][0].startswith("已新建用户 孙丽"), told(r)
    listed = (await app.get("/users", headers=admin)).text
    assert re.search(rf'id="user-{name}">.*?孙丽.*?登记员', listed, re.S)
    # the qualification from the page, then withdrawn; a supervisor may too, a registrar may not
    r = await app.post(f"/users/{name}/qualification", follow_redirects=False, headers=admin, data={"qualification_expires": "2027-06-30"})
    assert r.status_code == 303 and "2027-06-30" in told(r)["msg"][0]
    r = await app.post(f"/users/{name}/qualification", follow_redirects=False, headers={**office.h("supervisor"), **HTML},
                       data={"qualification_expires": ""})
    assert r.status_code == 303 and "撤销" in told(r)["msg"][0]
    assert (await app.post(f"/users/{name}/qualification", follow_redirects=False, headers={**office.h("registrar"), **HTML},
                           data={"qualification_expires": "2027-06-30"})).status_code == 403
    # deactivated: the account can no longer log in; an administrator cannot deactivate themselves
    r = await app.post(f"/users/{name}/active", follow_redirects=False, headers=admin, data={"active": "no"})
    assert r.status_code == 303 and told(r)["msg"][0] == "已停用 孙丽"
    login = await app.post("/api/auth/login", json={"username": name, "password": "a-long-pass-2026"})
    assert login.status_code == 401
    r = await app.post(f"/users/{office.usernames['admin']}/active", follow_redirects=False, headers=admin, data={"active": "no"})
    assert r.status_code == 303 and "不能停用自己的账户" in told(r)["err"][0]
    # the rule is the service's: the API refuses it too
    r = await app.put(f"/api/users/{office.usernames['admin']}/active", json={"active": False}, headers=office.h("admin"))
    assert r.status_code == 409 and "不能停用自己的账户" in r.json()["message"]
    # on the account's record, with who did it
    events = (await app.get(f"/api/users/{name}/events", headers=office.h("admin"))).json()
    assert [e["action"] for e in events][:1] == ["created"] and len(events) >= 4, events
    assert {e["actor"] for e in events} >= {office.usernames["admin"], office.usernames["supervisor"]}
    # a supervisor reads the list but adds no one
    assert 'id="user-form"' not in (await app.get("/users", headers={**office.h("supervisor"), **HTML})).text
    assert (await app.post("/users", follow_redirects=False, headers={**office.h("supervisor"), **HTML},
                           data={"username": "x1"})).status_code == 403
