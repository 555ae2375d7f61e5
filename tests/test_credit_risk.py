"""Credit records raise a filing's risk for sampling (#15 item 3): a seller or buyer with a red-line record in force
on the day registration was applied for adds TECHREG_RISK_WEIGHT_CREDIT to the filing's risk (detection/risk.py),
the campaign freezes that risk with its population, and the same seed still draws the same sample."""

import io
import json

import msgspec

from conftest import filing_body, new_ref, party_code, unique_point_code
from techreg.audit.schema import CampaignIn
from techreg.audit.service import create_campaign
from techreg.config import load_settings
from techreg.db.pool import connect
from techreg.detection.risk import risk_for_filing
from techreg.registry.credit.importer import import_content
from techreg.registry.importer import import_stream
from techreg.registry.users import CurrentUser

SUPERVISOR = CurrentUser(id=0, username="supervisor-risk", display_name="监督员", role="supervisor", point_code=None,
                         qualification_expires=None)


def _settings(settings, weight: float):
    return load_settings(data_dir=settings.data_dir, database_url=settings.database_url, audit_key="test-audit-key",
                         risk_weight_credit=weight)


async def _world(conn, audit_key) -> dict:
    """Thirty registered contracts alike but for their sellers; a red line on one twin's seller on the day it
    applied, and one on another seller that came into force only after its application."""
    point = unique_point_code()
    buyer = {"name": "上海买方制造有限公司", "credit_code": party_code(8801), "region": "310104"}
    sellers = [party_code(8810 + k) for k in range(30)]
    bodies = [filing_body(new_ref("RK"), point, status="registered", reg_no=f"2020{point}{k + 1:06d}", buyer=buyer,
                          seller={"name": f"卖方{k}有限公司", "credit_code": code, "region": "310101"},
                          signed_on="2020-03-01", performance_start="2020-03-10", performance_end="2020-12-31",
                          filed_on="2020-03-15")
              for k, code in enumerate(sellers)]
    lines = b"".join(json.dumps(b, ensure_ascii=False).encode() + b"\n" for b in bodies)
    assert (await import_stream(conn, io.BytesIO(lines), audit_key, actor="t", create_points=True, source="risk")).imported == 30
    records = [{"credit_code": sellers[0], "party_name": "卖方0有限公司", "record_type": "tax_violation",
                "source": "国家税务总局上海市税务局", "source_ref": "沪税稽罚〔2020〕1号", "valid_from": "2020-01-01",
                "valid_to": "2020-12-31"},
               {"credit_code": sellers[2], "party_name": "卖方2有限公司", "record_type": "dishonest_debtor",
                "source": "上海市第一中级人民法院", "source_ref": "（2020）沪01执9号", "valid_from": "2020-03-16"}]
    content = b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)
    report = await import_content(conn, content, "jsonl", actor="t", source_name="list.jsonl")
    assert report.rejected == 0, report
    ids = dict(await conn.fetch("SELECT ref, id FROM filings WHERE point_code = $1", point))
    return {"point": point, "red": bodies[0]["ref"], "twin": bodies[1]["ref"], "later": bodies[2]["ref"], "ids": ids}


async def test_a_red_line_party_raises_the_risk_by_the_weight_setting(empty_database, settings, audit_key):
    conn = await connect(empty_database)
    try:
        w = await _world(conn, audit_key)
        ids = w["ids"]
        half, most, off = _settings(settings, 0.5), _settings(settings, 0.8), _settings(settings, 0.0)
        red = await risk_for_filing(conn, ids[w["red"]], w["red"], half)
        twin = await risk_for_filing(conn, ids[w["twin"]], w["twin"], half)
        later = await risk_for_filing(conn, ids[w["later"]], w["later"], half)
        assert (red.risk, red.credit_red_line, red.flag_count) == (0.5, True, 0)
        assert (twin.risk, twin.credit_red_line) == (0.0, False)
        assert (later.risk, later.credit_red_line) == (0.0, False)     # in force only after the application
        assert (await risk_for_filing(conn, ids[w["red"]], w["red"], most)).risk == 0.8
        assert (await risk_for_filing(conn, ids[w["red"]], w["red"], off)).risk == 0.0
        # with a flag of its own the two combine as flags do (noisy-or): 1 − (1 − 0.6)(1 − 0.5) = 0.8
        await conn.execute("INSERT INTO detector_kinds (kind, label_zh, label_en, weight) VALUES ('duplicate', '重复',"
                           " 'duplicate', 1) ON CONFLICT (kind) DO NOTHING")
        for ref in (w["red"], w["twin"]):
            await conn.execute("INSERT INTO flags (filing_id, kind, detector, score, reasons)"
                               " VALUES ($1, 'duplicate', 'duplicate/1', 0.6, '[]')", ids[ref])
        assert (await risk_for_filing(conn, ids[w["red"]], w["red"], half)).risk == 0.8
        assert (await risk_for_filing(conn, ids[w["twin"]], w["twin"], half)).risk == 0.6
    finally:
        await conn.close()


async def test_sampling_takes_the_credit_risk_and_stays_reproducible(empty_database, settings, audit_key):
    conn = await connect(empty_database)
    try:
        w = await _world(conn, audit_key)
        body = {"name": "信用风险抽查", "registered_from": "2020-01-01", "registered_to": "2020-12-31",
                "points": [w["point"]], "sample_size": 6, "certainty_cutoff": 0.5, "control_share": 0.2,
                "seed": "credit-2020"}
        samples = []
        for weight in (0.5, 0.5, 0.0):
            async with conn.transaction():
                out = await create_campaign(conn, SUPERVISOR, msgspec.convert(body, CampaignIn),
                                            _settings(settings, weight))
            frozen = await conn.fetchrow("SELECT refs, risks FROM frozen_populations WHERE campaign_id = $1", out.id)
            risks = dict(zip(frozen["refs"], frozen["risks"]))
            items = await conn.fetch("SELECT f.ref, i.stratum FROM audit_items i JOIN filings f ON f.id = i.filing_id"
                                     " WHERE i.campaign_id = $1 ORDER BY f.ref", out.id)
            samples.append(([(r["ref"], r["stratum"]) for r in items], risks))
        (first, risks), (again, _), (without, risks_off) = samples
        assert first == again                                     # same seed, same population: the same sample
        assert risks[w["red"]] == 0.5 and risks[w["twin"]] == 0.0 and risks[w["later"]] == 0.0
        assert (w["red"], "certainty") in first                   # at the cut-off: always taken
        assert risks_off[w["red"]] == 0.0 and (w["red"], "certainty") not in without
    finally:
        await conn.close()
