"""Out-of-range ids and cursors are 400s naming the parameter (found by schemathesis), never 500s."""


async def test_huge_ids_are_rejected_cleanly(app, office):
    for path in ("/api/public/campaigns/148755525850908033024", "/api/public/campaigns/0/verify",
                 "/api/audit/items/99999999999999999999999"):
        r = await app.get(path, headers=office.h("supervisor"))
        assert r.status_code == 400, (path, r.text)
        assert "public_no" in r.text or "item_id" in r.text
    r = await app.get("/api/filings", params={"cursor": str(10**30)}, headers=office.h("registrar"))
    assert r.status_code == 400 and "cursor" in r.text


async def test_language_switch_only_returns_to_this_site(app):
    for referer, expected in (("https://evil.example/x", "/x"), ("http://testserver//evil.example/y?a=1", "/evil.example/y?a=1"),
                              ("", "/")):
        r = await app.get("/lang/en", headers={"Referer": referer} if referer else {}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == expected
        assert "techreg_lang=en" in r.headers.get("set-cookie", "")
