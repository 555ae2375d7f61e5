"""What one area hands another is defined once, by the area that owns it: the registry reads no table of the
audit area (audit hands in which filings inspectors read), a correction's record has one shape for its writer
and its readers, and the scheduled jobs act as the named system actor, never as a made-up supervisor."""

import datetime as dt
import re
from pathlib import Path

import msgspec
import pytest

from conftest import filing_body, new_ref, party_code
from techreg.audit.schema import CampaignIn
from techreg.audit.service import create_campaign
from techreg.errors import Forbidden, NotFound
from techreg.registry import access
from techreg.registry.correction import BUYER_BEFORE_SQL, CORRECT, SELLER_BEFORE_SQL, CorrectionDetail
from techreg.registry.service import get_filing
from techreg.registry.users import SYSTEM

REGISTRY = Path(__file__).resolve().parents[1] / "src" / "techreg" / "registry"
AUDIT_TABLES = ("audit_items", "audit_item_history", "campaigns", "frozen_populations", "evidence_files",
                "evidence_withdrawals", "inspector_ties")


def test_the_registry_reads_no_table_of_the_audit_area():
    for path in sorted(REGISTRY.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        named = [t for t in AUDIT_TABLES if re.search(rf"\b{t}\b", text)]
        assert not named, f"{path.name} names {named}: audit hands its rule in (registry/access.py)"


def test_audit_hands_the_registry_the_inspectors_reading_rule():
    import techreg.audit  # noqa: F401  the package hands its rule in when it is loaded

    from techreg.audit.access import inspector_reads
    assert inspector_reads in access._grants


async def test_a_correction_is_recorded_in_the_shape_its_readers_read(app, office, conn):
    ref = new_ref("C")
    body = filing_body(ref, office.point)
    h = office.h("registrar")
    assert (await app.post("/api/filings", json=body, headers=h)).status_code == 201
    seller = {"name": "上海新卖方科技有限公司", "credit_code": party_code(424242), "region": "310101"}
    r = await app.patch(f"/api/filings/{ref}", json={"seller": seller, "title": "更正后的合同名称"}, headers=h)
    assert r.status_code == 200, r.text
    row = await conn.fetchrow(
        f"SELECT e.detail, {SELLER_BEFORE_SQL} AS seller_before, {BUYER_BEFORE_SQL} AS buyer_before"
        " FROM filing_events e JOIN filings f ON f.id = e.filing_id WHERE f.ref = $1 AND e.action = $2",
        ref, CORRECT)
    detail = msgspec.convert(row["detail"], CorrectionDetail)
    assert set(detail.changes) == {"seller", "title"}
    assert detail.changes["title"].before == body["title"] and detail.changes["title"].after == "更正后的合同名称"
    assert row["seller_before"] == body["seller"]["credit_code"] == detail.changes["seller"].before["credit_code"]
    assert row["buyer_before"] is None                   # the buyer was left as it was


async def test_the_system_actor_drafts_campaigns_and_is_no_supervisor(app, office, conn, settings):
    ref = new_ref("Y")
    assert (await app.post("/api/filings", json=filing_body(ref, office.point),
                           headers=office.h("registrar"))).status_code == 201
    with pytest.raises(NotFound):                       # it reads no filing a person asks for
        await get_filing(conn, SYSTEM, ref)
    period = {"registered_from": dt.date(2026, 1, 1), "registered_to": dt.date(2026, 1, 31), "sample_size": 1,
              "seed": "system-actor"}
    with pytest.raises(Forbidden):                      # it drafts; a supervisor freezes and draws
        await create_campaign(conn, SYSTEM, CampaignIn(name="系统草稿", draft=False, **period), settings)
    draft = await create_campaign(conn, SYSTEM, CampaignIn(name="系统草稿", draft=True, **period), settings)
    try:
        assert draft.status == "draft" and draft.created_by == "scheduler" and draft.items == []
    finally:
        await conn.execute("DELETE FROM campaigns WHERE id = $1", draft.id)
