"""A worker's kept detector numbers (detection/resident.py): brought up to date, they give exactly what
PostgreSQL gives, and an incremental scan from them ends where one reading PostgreSQL ends."""

import random

import msgspec
import numpy as np

from conftest import filing_body, new_ref, party_code
from techreg.detection import resident
from techreg.detection.loader import DTYPES, NEIGHBOURHOOD_SQL, _copy
from techreg.detection.scan import HIGH_WATER, run_scan


def _party(name: str) -> dict:
    return {"name": name, "credit_code": party_code(random.randrange(10**8, 10**9)), "region": "310101"}


async def _submit(app, office, seller, buyer, title, day, amount="1800000.00") -> str:
    ref = new_ref("KEPT")
    body = filing_body(ref, office.point, seller=seller, buyer=buyer, title=title, amount=amount,
                       tech_amount=amount, signed_on=day, performance_start=day, filed_on=day)
    assert (await app.post("/api/filings", json=body, headers=office.h("registrar"))).status_code == 201
    return ref


async def _flags(conn, refs: list[str]) -> set:
    rows = await conn.fetch("SELECT f.ref, g.kind, g.detector, g.related, round(g.score::numeric, 6) AS score"
                            " FROM flags g JOIN filings f ON f.id = g.filing_id WHERE g.active AND f.ref = any($1)",
                            refs)
    return {(r["ref"], r["kind"], r["detector"], tuple(sorted(r["related"])), r["score"]) for r in rows}


async def test_kept_numbers_follow_new_corrected_and_refused_filings(app, office, settings, conn):
    seller, other_seller = _party("上海明远软件有限公司"), _party("上海青禾数据服务有限公司")
    buyers = [_party(f"上海第{k}精密机械有限公司") for k in range(3)]
    refs = [await _submit(app, office, seller, buyers[k % 2], f"设备远程运维平台开发{k + 1}期", f"2026-0{k % 5 + 3}-1{k}")
            for k in range(6)]
    refs.append(await _submit(app, office, other_seller, buyers[0], "数据治理咨询", "2026-04-02"))
    await run_scan(conn, settings, full=True)                    # kept by this process (scan_keep_numbers)
    h = office.h("registrar")
    refs.append(await _submit(app, office, seller, buyers[0], "设备远程运维平台开发7期", "2026-08-03", "5200000.00"))
    assert (await app.post(f"/api/filings/{refs[1]}/return", json={"note": "买方填错"}, headers=h)).status_code == 200
    assert (await app.patch(f"/api/filings/{refs[1]}", json={"buyer": buyers[2], "amount": "900000.00",
                                                             "tech_amount": "900000.00"}, headers=h)).status_code == 200
    r = await app.post(f"/api/filings/{refs[3]}/refuse", json={"reasons": ["not_technology_contract"]}, headers=h)
    assert r.status_code == 200

    numbers = {p["credit_code"]: n for p, n in zip([seller, other_seller, *buyers], [
        await conn.fetchval("SELECT party_no FROM parties WHERE credit_code = $1", p["credit_code"])
        for p in [seller, other_seller, *buyers]])}
    sellers = np.array([numbers[seller["credit_code"]]], np.int32)
    buyer_nos = np.array([numbers[b["credit_code"]] for b in buyers], np.int32)
    async with conn.transaction(isolation="repeatable_read"):
        mark = tuple(await conn.fetchrow(HIGH_WATER))
        kept = await resident.brought_up_to_date(conn, await resident.identity(conn), mark)
        assert kept is not None and kept.mark == mark
        from_memory = resident.neighbourhood(kept, sellers, buyer_nos)
        rows = await _copy(conn, NEIGHBOURHOOD_SQL, sellers.tolist(), buyer_nos.tolist())
    order = np.argsort(rows["id"]["value"])
    from_postgresql = {name: rows[name]["value"][order].astype(dtype) for name, dtype in DTYPES.items()}
    ours = set(await conn.fetch("SELECT id FROM filings WHERE ref = any($1)", refs))
    assert len(from_postgresql["id"]) >= len(ours) - 1             # every one of ours but the refused one
    for name in DTYPES:
        assert np.array_equal(from_memory[name], from_postgresql[name]), name
    refused_id = await conn.fetchval("SELECT id FROM filings WHERE ref = $1", refs[3])
    assert refused_id not in from_memory["id"].tolist()
    corrected = await conn.fetchval("SELECT id FROM filings WHERE ref = $1", refs[1])
    at = from_memory["id"].tolist().index(corrected)
    assert from_memory["buyer"][at] == numbers[buyers[2]["credit_code"]] and from_memory["amount"][at] == 900_000.0

    # an incremental scan from the kept numbers ends where one reading PostgreSQL ends
    results = []
    for keep in ("yes", "no"):
        async with conn.transaction():
            tr = conn.transaction()
            await tr.start()
            report = await run_scan(conn, msgspec.structs.replace(settings, scan_keep_numbers=keep), full=False)
            results.append((report.filings_read, report.filings_scored, await _flags(conn, refs)))
            await tr.rollback()
    assert results[0] == results[1] and results[0][1] >= 2


def test_a_filing_with_an_earlier_id_is_merged_in_order():
    values = {name: np.array([1, 2, 5], dtype) if name == "id" else np.array([10, 20, 50], dtype)
              for name, dtype in DTYPES.items()}
    resident.keep(("test", 0), (7, None), values)
    kept = resident._kept
    try:
        resident._apply(kept, {name: np.array([6, 3, 2], dtype) if name == "id" else np.array([60, 30, 21], dtype)
                               for name, dtype in DTYPES.items()}, np.array([5], np.int64))
        assert kept.ids[:kept.size].tolist() == [1, 2, 3, 5, 6]
        assert kept.values["amount"][:kept.size].tolist() == [10, 21, 30, 50, 60]
        assert kept.live[:kept.size].tolist() == [True, True, True, False, True]
        near = resident.neighbourhood(kept, np.array([30, 50, 60, 21], np.int32), np.zeros(0, np.int32))
        assert near["id"].tolist() == [2, 3, 6]                      # 5 was refused since
    finally:
        resident.forget()
