"""Campaigns, queues and findings: the SQL and the rules, called by the API and the CLI alike."""

import asyncio
import datetime as dt
import json
from typing import NamedTuple

import asyncpg
import msgspec
import numpy as np

from ..config import Settings
from ..detection.risk import combined_risk_sql, credit_weight
from ..detection.store import flags_for_filing
from ..registry.credit.records import RED_LINE_FILINGS
from ..errors import Conflict, InvalidInput, NotFound
from ..registry import service as registry
from ..registry import revocation
from ..registry.schema import FieldError, RevocationBasis, RevocationBody
from ..registry.users import CurrentUser
from . import evidence, orders, sampling
from .access import item_for, published_campaign, require_campaign_author
from .schema import (CampaignIn, CampaignOut, CampaignRecord, ConflictIn, DetectorEvaluation, Estimate, FindingIn,
                     FindingOut,
                     StratumEstimate,
                     HistoryOut, ItemDetail, ItemOut, PublicCampaign, PublicItem, QueueItem, RelatedFiling, VerifyOut)

# The registered filings in a campaign's period and filter, with their risk to 6 decimals and whether a
# detector flagged them, frozen as one row of parallel arrays (migrations/0019) and handed back in the same
# statement to draw from: one pass over the filings, no row per filing written or read again. Kept in ref
# order (bytes), the digest's order, so the digest does not sort a million refs again.
FREEZE_SQL = f"""
    WITH red_line AS ({RED_LINE_FILINGS}), population AS (
        -- rounded through numeric only where there is a risk: most filings have none. A red-line party on the
        -- day applied for weighs in with TECHREG_RISK_WEIGHT_CREDIT ($7, detection/risk.py); "flagged" stays
        -- what the detectors raised (the control stratum is the filings they did not)
        SELECT f.id, f.ref,
               CASE WHEN r.filing_id IS NULL AND c.filing_id IS NULL THEN 0
                    ELSE round({combined_risk_sql("r.risk", "c.filing_id IS NOT NULL", "$7")}::numeric, 6)::float8
               END AS risk,
               r.filing_id IS NOT NULL AS flagged
        FROM filings f LEFT JOIN filing_risk r ON r.filing_id = f.id LEFT JOIN red_line c ON c.filing_id = f.id
        -- imported history carries no registration date: its application date stands in
        WHERE f.status = 'registered' AND coalesce(f.registered_on, f.filed_on) BETWEEN $2 AND $3
          AND (cardinality($4::text[]) = 0 OR f.kind = any($4::text[]))
          AND (cardinality($5::text[]) = 0 OR f.point_code = any($5::text[]))
          AND (NOT $6 OR f.software)
    )
    INSERT INTO frozen_populations (campaign_id, filing_ids, refs, risks, flagged)
    SELECT $1, coalesce(array_agg(id ORDER BY ref COLLATE "C"), '{{}}'),
           coalesce(array_agg(ref ORDER BY ref COLLATE "C"), '{{}}'),
           coalesce(array_agg(risk ORDER BY ref COLLATE "C"), '{{}}'),
           coalesce(array_agg(flagged ORDER BY ref COLLATE "C"), '{{}}')
    FROM population
    RETURNING filing_ids, refs, risks, flagged
"""
# Freezing and numbering sort a million rows: in memory, for the rest of this transaction only.
SORT_IN_MEMORY_SQL = "SET LOCAL work_mem = '192MB'"
# A campaign's frozen population, as frozen.
POPULATION_SQL = "SELECT filing_ids, refs, risks, flagged FROM frozen_populations WHERE campaign_id = $1"
# The control draw's numbers for a frozen population, in its stored order: the leading 8 bytes of each
# sha256('control|' || seed || '|' || ref), joined, as sampling.uniform takes them. The database computes
# them while this process computes the pps numbers and the digest: the work of a million hashes on two cores.
CONTROL_NUMBERS_SQL = """
    SELECT string_agg(substr(sha256(convert_to('control|' || $2 || '|' || r.ref, 'UTF8')), 1, 8), ''::bytea
                      ORDER BY r.k)
    FROM frozen_populations p, unnest(p.refs) WITH ORDINALITY AS r(ref, k)
    WHERE p.campaign_id = $1
"""
ITEM_COLUMNS = """i.id, f.ref, f.reg_no, i.stratum, i.inclusion_prob, i.risk, u.username AS inspector, i.due_on,
                  i.status, i.outcome"""
ITEM_FROM = "audit_items i JOIN filings f ON f.id = i.filing_id LEFT JOIN users u ON u.id = i.inspector_id"


def _params(body: CampaignIn) -> dict:
    if body.registered_to < body.registered_from:
        raise InvalidInput("登记期间的结束日期早于开始日期", "registered_to is before registered_from",
                           field="registered_to")
    return {k: v for k, v in msgspec.to_builtins(body).items() if k not in ("name", "seed", "draft")}


# Of a campaign's scope points, those that are registration points.
KNOWN_POINTS_SQL = "SELECT code FROM points WHERE code = any($1::text[])"
# The next public number (公示编号): the counter row's lock orders concurrent publications, and a rollback takes
# the increment back, so the published series has no gaps (migrations/0031).
NEXT_PUBLIC_NO_SQL = "UPDATE campaign_numbers SET last_no = last_no + 1 RETURNING last_no"


async def scope_problems(conn: asyncpg.Connection, points: list[str]) -> list[FieldError]:
    """What a campaign's scope names that does not exist: its points, by code (for a form to say with its other
    errors; create_campaign refuses it before numbering anything)."""
    if not points:
        return []
    known = {r["code"] for r in await conn.fetch(KNOWN_POINTS_SQL, points)}
    if not (missing := [p for p in dict.fromkeys(points) if p not in known]):
        return []
    return [FieldError("points", f"没有代码为 {'、'.join(missing)} 的登记点",
                       f"no registration point has the code {', '.join(missing)}")]


def _draw_params(params: dict) -> sampling.DrawParams:
    return sampling.DrawParams(params["sample_size"], params["certainty_cutoff"], params["control_share"],
                               params.get("floor_weight", 0.02))


async def create_campaign(conn: asyncpg.Connection, user: CurrentUser, body: CampaignIn, settings: Settings,
                          *, actor: str | None = None) -> CampaignOut:
    """Define a campaign; unless it is a draft, freeze its population and make both draws at once."""
    require_campaign_author(user, draft=body.draft)
    params = _params(body)
    if wrong := await scope_problems(conn, body.points):
        raise InvalidInput(f"{wrong[0].message}（抽查范围按登记点代码填写）",
                           f"{wrong[0].message_en} (a scope names points by their codes)",
                           errors=[msgspec.to_builtins(e) for e in wrong])
    campaign_id = await conn.fetchval(
        "INSERT INTO campaigns (name, status, params, seed, created_by) VALUES ($1, 'draft', $2, $3, $4) RETURNING id",
        body.name, params, body.seed, actor or user.username)
    if not body.draft:
        await _freeze_and_draw(conn, campaign_id, user.username, settings)
    return await _campaign_out(conn, campaign_id)


async def confirm_campaign(conn: asyncpg.Connection, user: CurrentUser, campaign_id: int,
                           settings: Settings) -> CampaignOut:
    status = await conn.fetchval("SELECT status FROM campaigns WHERE id = $1 FOR UPDATE", campaign_id)
    if status is None:
        raise NotFound(f"抽查任务 {campaign_id} 不存在", f"campaign {campaign_id} not found")
    if status != "draft":
        raise Conflict("抽查任务已确认", "campaign already confirmed", status=status)
    await _freeze_and_draw(conn, campaign_id, user.username, settings)
    return await _campaign_out(conn, campaign_id)


class Population(NamedTuple):
    """A frozen population in filing order, the order the draw reads it in, its digest and each filing's pps
    and control numbers (sampling.uniform)."""
    ids: np.ndarray
    refs: np.ndarray
    risks: np.ndarray
    flagged: np.ndarray
    digest: str
    numbers: dict[str, np.ndarray]


def _in_filing_order(row, seed: str) -> tuple[Population, np.ndarray]:
    """The population of a frozen row, digested, with its pps numbers, in filing order (and that order)."""
    digest = sampling.population_digest(row["refs"], row["risks"])    # stored in ref order: sorts nothing
    pps = sampling.uniform(seed, row["refs"], "pps")
    ids = np.array(row["filing_ids"], np.int64)
    order = np.argsort(ids, kind="stable")
    return Population(ids[order], np.array(row["refs"], object)[order], np.array(row["risks"], float)[order],
                      np.array(row["flagged"], bool)[order], digest, {"pps": pps[order]}), order


async def _population(conn: asyncpg.Connection, campaign_id: int, seed: str, row=None) -> Population:
    """The frozen population of a campaign (`row`, just frozen, or read), digested and numbered: the database
    computes the control numbers while a thread of this process does the rest."""
    if row is None:
        row = await conn.fetchrow(POPULATION_SQL, campaign_id)
    if row is None or not row["filing_ids"]:
        empty = np.zeros(0)
        return Population(np.zeros(0, np.int64), np.zeros(0, object), empty, np.zeros(0, bool),
                          sampling.population_digest([], []), {"pps": empty, "control": empty})
    await conn.execute(SORT_IN_MEMORY_SQL)
    control = asyncio.ensure_future(conn.fetchval(CONTROL_NUMBERS_SQL, campaign_id, seed))
    try:
        population, order = await asyncio.to_thread(_in_filing_order, row, seed)
    finally:
        leading = await control     # never leave the query running on the connection
    population.numbers["control"] = sampling.from_leading_bytes(leading)[order]
    return population


def _strata(risks: np.ndarray, flagged: np.ndarray, cutoff: float) -> dict[str, int]:
    """The frozen population's sizes by estimate stratum (sampling.stratified_estimate)."""
    certain = risks >= cutoff
    return {"certainty": int(certain.sum()), "flagged": int((flagged & ~certain).sum()),
            "unflagged": int((~flagged & ~certain).sum())}


async def _freeze_and_draw(conn: asyncpg.Connection, campaign_id: int, actor: str, settings: Settings) -> None:
    c = await conn.fetchrow("SELECT params, seed, created_at FROM campaigns WHERE id = $1", campaign_id)
    p = c["params"]
    await conn.execute(SORT_IN_MEMORY_SQL)
    frozen = await conn.fetchrow(FREEZE_SQL, campaign_id, dt.date.fromisoformat(p["registered_from"]),
                                 dt.date.fromisoformat(p["registered_to"]), p["kinds"], p["points"],
                                 p["software_only"], credit_weight(settings))
    ids, refs, risks, flagged, digest, numbers = await _population(conn, campaign_id, c["seed"], frozen)
    if len(ids) == 0:
        raise InvalidInput("抽查范围内没有已登记的合同", "the population is empty: no registered filing matches")
    certain = int((risks >= p["certainty_cutoff"]).sum())
    if certain > p["sample_size"]:
        raise InvalidInput(f"风险分不低于 {p['certainty_cutoff']} 的合同有 {certain} 份，超过样本量 {p['sample_size']}：请提高必查阈值或扩大样本",
                           f"{certain} filings have risk at or above the cut-off, more than the sample size:"
                           f" raise certainty_cutoff or the sample size", field="certainty_cutoff")
    sample = sampling.draw(c["seed"], refs, risks, flagged, _draw_params(p), numbers)
    # published: numbered only now, once nothing can refuse it any more
    await conn.execute("UPDATE campaigns SET status = 'open', population_size = $2, population_digest = $3,"
                       " population_strata = $4, frozen_at = now(), public_no = $5 WHERE id = $1", campaign_id,
                       len(ids), digest, _strata(risks, flagged, p["certainty_cutoff"]),
                       await conn.fetchval(NEXT_PUBLIC_NO_SQL))
    due = registry.today(settings) + dt.timedelta(days=p["due_days"])
    filing_ids = ids[sample.rows].tolist()
    await conn.executemany(
        "INSERT INTO audit_items (campaign_id, filing_id, stratum, inclusion_prob, risk, flagged, due_on)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [(campaign_id, fid, s, float(pi), float(r), bool(f)) + (due,)
         for fid, s, pi, r, f in zip(filing_ids, sample.stratum, sample.inclusion, risks[sample.rows],
                                     flagged[sample.rows])])
    await _assign(conn, campaign_id, c["seed"], actor)


async def _inspectors(conn: asyncpg.Connection) -> tuple[list[sampling.Inspector], set[tuple[int, str]]]:
    inspectors = [sampling.Inspector(r["id"], r["username"], r["point_code"]) for r in await conn.fetch(
        "SELECT id, username, point_code FROM users WHERE role = 'inspector' AND active ORDER BY id")]
    ties = {(r["inspector_id"], r["credit_code"]) for r in await conn.fetch(
        "SELECT inspector_id, credit_code FROM inspector_ties")}
    return inspectors, ties


ITEMS_TO_ASSIGN_SQL = """
    SELECT i.id, f.ref, f.point_code, f.registrar, f.seller_code, f.buyer_code,
           coalesce(array_agg(h.detail->>'inspector_id') FILTER (WHERE h.action = 'conflict_declared'), '{}')
               AS excluded
    FROM audit_items i JOIN filings f ON f.id = i.filing_id
    LEFT JOIN audit_item_history h ON h.item_id = i.id
    WHERE (i.campaign_id = $1 AND i.inspector_id IS NULL) OR i.id = $2
    GROUP BY i.id, f.id ORDER BY i.id
"""


async def _items_to_assign(conn: asyncpg.Connection, *, campaign_id: int | None = None,
                           item_id: int | None = None) -> list[tuple[int, sampling.ItemToAssign]]:
    """A campaign's unassigned items, or one item."""
    rows = await conn.fetch(ITEMS_TO_ASSIGN_SQL, campaign_id, item_id)
    return [(r["id"], sampling.ItemToAssign(r["ref"], r["point_code"], r["registrar"], r["seller_code"],
                                            r["buyer_code"], frozenset(int(x) for x in r["excluded"])))
            for r in rows]


async def _loads(conn: asyncpg.Connection, campaign_id: int) -> dict[int, int]:
    return {r["inspector_id"]: r["n"] for r in await conn.fetch(
        "SELECT inspector_id, count(*) AS n FROM audit_items WHERE campaign_id = $1 AND inspector_id IS NOT NULL"
        " GROUP BY inspector_id", campaign_id)}


async def _assign(conn: asyncpg.Connection, campaign_id: int, seed: str, actor: str) -> None:
    inspectors, ties = await _inspectors(conn)
    pending = await _items_to_assign(conn, campaign_id=campaign_id)
    chosen = sampling.assign(seed, [item for _, item in pending], inspectors, ties)
    await _record_assignments(conn, [(item_id, who) for (item_id, _), who in zip(pending, chosen)], actor,
                              "assigned")


async def _record_assignments(conn, pairs: list[tuple[int, int | None]], actor: str, action: str,
                              extra: dict | None = None) -> None:
    await conn.executemany("UPDATE audit_items SET inspector_id = $2 WHERE id = $1", pairs)
    await conn.executemany(
        "INSERT INTO audit_item_history (item_id, actor, action, detail) VALUES ($1, $2, $3, $4)",
        [(item_id, actor, action if who else "unassigned",
          {"inspector_id": who, **(extra or {})} if who else {"reason": "no_eligible_inspector",
                                                             **(extra or {})})
         for item_id, who in pairs])


async def _campaign_row(conn: asyncpg.Connection, campaign_id: int) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT * FROM campaigns WHERE id = $1", campaign_id)
    if row is None:
        raise NotFound(f"抽查任务 {campaign_id} 不存在", f"campaign {campaign_id} not found")
    return row


async def get_campaign(conn: asyncpg.Connection, campaign_id: int) -> CampaignOut:
    return await _campaign_out(conn, campaign_id)


async def _campaign_out(conn: asyncpg.Connection, campaign_id: int) -> CampaignOut:
    c = await _campaign_row(conn, campaign_id)
    items = await conn.fetch(f"SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE i.campaign_id = $1"
                             " ORDER BY i.stratum, i.risk DESC, f.ref", campaign_id)
    return CampaignOut(**_record_fields(c), created_by=c["created_by"],
                       items=[msgspec.convert(dict(r), ItemOut) for r in items])


async def list_campaigns(conn: asyncpg.Connection) -> list[dict]:
    rows = await conn.fetch("""
        SELECT c.id, c.public_no, c.name, c.status, c.seed, c.population_size, c.created_at,
               count(i.id) AS items, count(i.id) FILTER (WHERE i.status = 'done') AS done
        FROM campaigns c LEFT JOIN audit_items i ON i.campaign_id = c.id GROUP BY c.id ORDER BY c.id DESC""")
    return [dict(r) for r in rows]


async def verify_campaign(conn: asyncpg.Connection, campaign_id: int) -> VerifyOut:
    """Recompute the population digest and both strata's draw from the seed; compare with the record."""
    c = await _campaign_row(conn, campaign_id)
    if c["status"] == "draft":
        raise Conflict("草稿尚未冻结抽查范围", "a draft has no frozen population yet", status="draft")
    # in a transaction of its own (a savepoint in a request's): the sorts' memory (SET LOCAL) ends with it,
    # also when the CLI verifies without one
    async with conn.transaction():
        ids, refs, risks, flagged, digest, numbers = await _population(conn, campaign_id, c["seed"])
        recorded = {(r["ref"], r["stratum"]) for r in await conn.fetch(
            "SELECT f.ref, i.stratum FROM audit_items i JOIN filings f ON f.id = i.filing_id WHERE i.campaign_id = $1",
            campaign_id)}
    sample = sampling.draw(c["seed"], refs, risks, flagged, _draw_params(c["params"]), numbers)
    expected = {(refs[r], s) for r, s in zip(sample.rows, sample.stratum)}
    missing = sorted(ref for ref, _ in expected - recorded)
    unexpected = sorted(ref for ref, _ in recorded - expected)
    digest_ok = digest == c["population_digest"]
    return VerifyOut(campaign_id, digest_ok and not missing and not unexpected, digest_ok,
                     not missing and not unexpected, len(ids), digest, missing[:100], unexpected[:100])


async def public_record(conn: asyncpg.Connection, number: int) -> PublicCampaign:
    """The record published as number `number` (公示编号), for anyone."""
    campaign_id = await published_campaign(conn, number)
    c = await _campaign_row(conn, campaign_id)
    items = await conn.fetch("SELECT f.reg_no, i.stratum, i.inclusion_prob, i.outcome FROM audit_items i"
                             " JOIN filings f ON f.id = i.filing_id WHERE i.campaign_id = $1 ORDER BY f.reg_no",
                             campaign_id)
    return PublicCampaign(**_record_fields(c), items=[msgspec.convert(dict(r), PublicItem) for r in items])


def _record_fields(row) -> dict:
    return {name: row[name] for name in CampaignRecord.__struct_fields__}


# -- inspectors' queues ----------------------------------------------------------------------------

async def queue(conn: asyncpg.Connection, user: CurrentUser, *, status: str | None = "open") -> list[QueueItem]:
    """The items assigned to this user (an inspector)."""
    rows = await conn.fetch("""
        SELECT i.id, c.name AS campaign, f.ref, f.reg_no, f.title, i.due_on, i.risk, i.status, i.outcome,
               coalesce(r.kinds, '{}') AS flag_kinds
        FROM audit_items i JOIN campaigns c ON c.id = i.campaign_id JOIN filings f ON f.id = i.filing_id
        -- each item's own risk (a plain join would aggregate every active flag of the registry first); LIMIT 1
        -- (the view has one row per filing) keeps the planner from flattening it into that very aggregate: at
        -- 5,000,000 filings and 227,000 flags the flattened plan took 170 ms, this one 1 ms
        LEFT JOIN LATERAL (SELECT kinds FROM filing_risk r WHERE r.filing_id = i.filing_id LIMIT 1) r ON true
        WHERE i.inspector_id = $1 AND ($2::text IS NULL OR i.status = $2)
        ORDER BY i.due_on, i.risk DESC, i.id""", user.id, status)
    return [msgspec.convert(dict(r), QueueItem) for r in rows]


async def _item_out(conn: asyncpg.Connection, item_id: int) -> ItemOut:
    row = await conn.fetchrow(f"SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE i.id = $1", item_id)
    return msgspec.convert(dict(row), ItemOut)


# An item's record, each entry with the user its inspector_id names (assignments, conflicts, reassignments).
ITEM_HISTORY = """
    SELECT h.at, h.actor, h.action, h.detail, u.username AS inspector
    FROM audit_item_history h LEFT JOIN users u ON u.id = (h.detail->>'inspector_id')::bigint
    WHERE h.item_id = $1 ORDER BY h.id
"""
# The evidence files the recorded finding rests on, as its record entry names them.
FINDING_EVIDENCE = """
    SELECT detail->'evidence' FROM audit_item_history WHERE item_id = $1 AND action = 'finding' ORDER BY id DESC LIMIT 1
"""
# The ground of the revocation a revoking finding made (the registry's record of it).
FINDING_GROUND = "SELECT ground FROM revocations WHERE audit_item_id = $1 ORDER BY revoked_at DESC LIMIT 1"


async def _finding(conn: asyncpg.Connection, row) -> FindingOut | None:
    if row["status"] != "done":
        return None
    return FindingOut(outcome=row["outcome"], reasons=list(row["reasons"] or []), notes=row["notes"] or "",
                      decided_by=row["decided_by"], decided_at=row["decided_at"],
                      evidence=list(await conn.fetchval(FINDING_EVIDENCE, row["id"]) or []),
                      evidence_names=list(row["evidence"] or []),
                      ground=await conn.fetchval(FINDING_GROUND, row["id"]) if row["outcome"] == "revoked" else None)


async def item_detail(conn: asyncpg.Connection, user: CurrentUser, item_id: int) -> ItemDetail:
    row = await item_for(conn, user, item_id)
    filing = await registry.get_filing(conn, user, row["ref"])
    flags = await flags_for_filing(conn, row["filing_id"])
    related_refs = sorted({ref for f in flags if f.active for ref in f.related})
    related = await conn.fetch("""
        SELECT ref, reg_no, title, seller_name, buyer_name, tech_amount::text, signed_on, point_code, status,
               approved_amount::text
        FROM filings WHERE ref = any($1::text[]) ORDER BY signed_on, ref""", related_refs)
    history = await conn.fetch(ITEM_HISTORY, item_id)
    campaign = await conn.fetchval("SELECT name FROM campaigns WHERE id = $1", row["campaign_id"])
    return ItemDetail(item=await _item_out(conn, item_id), campaign=campaign, filing=filing, flags=flags,
                      related=[msgspec.convert(dict(r), RelatedFiling) for r in related],
                      events=await registry.filing_events(conn, user, row["ref"]),
                      history=[msgspec.convert(dict(r), HistoryOut) for r in history],
                      finding=await _finding(conn, row), evidence=await evidence.of_item(conn, item_id))


async def finding_problems(conn: asyncpg.Connection, user: CurrentUser, item_id: int, outcome: str,
                           ground: str | None) -> list[FieldError]:
    """What a finding's fields cannot say by themselves, for a form to say with their own errors: a revoking
    finding names its ground, unless the filing is flagged as a duplicate (revocation.finding_ground)."""
    row = await item_for(conn, user, item_id, acting=True)
    if outcome == "revoked" and not ground and not await revocation.suggested_ground(conn, row["filing_id"]):
        return [FieldError("ground", "结论为撤销登记时须选择撤销理由", "a finding that revokes needs a revocation ground")]
    return []


async def record_finding(conn: asyncpg.Connection, key: bytes, settings: Settings, user: CurrentUser,
                         item_id: int, body: FindingIn) -> ItemOut:
    """The finding, and for 'revoked' the revocation, in one transaction; a second finding is a 409."""
    row = await item_for(conn, user, item_id, lock=True, acting=True)
    if row["status"] != "open":
        raise Conflict("该检查事项已有结论", "this item already has a finding", status=row["status"],
                       outcome=row["outcome"])
    if body.outcome == "revoked":          # the finding is the basis; the ground the inspector's, or pre-filled
        ground = await revocation.finding_ground(conn, row["filing_id"], body.ground)
        await revocation.revoke(conn, key, settings, user, row["ref"],
                                RevocationBody(ground=ground, basis=RevocationBasis(kind="inspection_finding",
                                                                                    reference=str(item_id)),
                                               note=f"检查事项 #{item_id}：" + "；".join(body.reasons)),
                                via="finding", audit_item=item_id)
    await orders.issue(conn, key, settings, user, row, body.outcome)     # 责令整改 / 责令注销: an order with a deadline
    await conn.execute("""
        UPDATE audit_items SET status = 'done', outcome = $2, reasons = $3, notes = $4,
               decided_by = $5, decided_at = now()
        WHERE id = $1""", item_id, body.outcome, body.reasons, body.notes, user.username)
    # the record names the evidence the finding rests on: the item's files not withdrawn at this moment
    await conn.execute("INSERT INTO audit_item_history (item_id, actor, action, detail) VALUES ($1, $2, 'finding', $3)",
                       item_id, user.username, {"outcome": body.outcome, "reasons": body.reasons,
                                                "evidence": await evidence.standing(conn, item_id)})
    return await _item_out(conn, item_id)


async def declare_conflict(conn: asyncpg.Connection, user: CurrentUser, item_id: int, body: ConflictIn) -> ItemOut:
    """回避: the item goes to another inspector by the same rule and seed, on the record."""
    row = await item_for(conn, user, item_id, lock=True, acting=True)
    if row["status"] != "open":
        raise Conflict("该检查事项已有结论", "this item already has a finding", status=row["status"])
    if body.party:
        await conn.execute("INSERT INTO inspector_ties (inspector_id, credit_code, note) VALUES ($1, $2, $3)"
                           " ON CONFLICT DO NOTHING", user.id, body.party, body.reason)
    await conn.execute("INSERT INTO audit_item_history (item_id, actor, action, detail)"
                       " VALUES ($1, $2, 'conflict_declared', $3)",
                       item_id, user.username, {"inspector_id": user.id, "reason": body.reason})
    seed = await conn.fetchval("SELECT seed FROM campaigns WHERE id = $1", row["campaign_id"])
    inspectors, ties = await _inspectors(conn)
    [(_, item)] = await _items_to_assign(conn, item_id=item_id)
    load = await _loads(conn, row["campaign_id"])
    load[user.id] = load.get(user.id, 1) - 1
    [who] = sampling.assign(seed, [item], inspectors, ties, load, purpose=f"reassign-{len(item.excluded)}")
    await _record_assignments(conn, [(item_id, who)], user.username, "reassigned", {"from": user.username})
    return await _item_out(conn, item_id)


# -- learning from findings -----------------------------------------------------------------------

async def evaluate_flags(conn: asyncpg.Connection) -> list[DetectorEvaluation]:
    """Per detector: of its flags on audited filings, how many inspectors confirmed or cleared."""
    rows = await conn.fetch("""
        SELECT g.detector, count(*) AS audited,
               count(*) FILTER (WHERE i.outcome <> 'cleared') AS confirmed,
               count(*) FILTER (WHERE i.outcome = 'cleared') AS cleared
        FROM flags g JOIN audit_items i ON i.filing_id = g.filing_id AND i.status = 'done'
        WHERE g.first_seen <= i.decided_at
        GROUP BY g.detector ORDER BY g.detector""")
    return [DetectorEvaluation(r["detector"], r["audited"], r["confirmed"], r["cleared"],
                               round(r["confirmed"] / r["audited"], 4) if r["audited"] else None) for r in rows]


# Each sampled item with the stratum of the frozen population it belongs to (its risk and flag as frozen),
# and whether it is decided.
ESTIMATE_ITEMS = """
    SELECT i.inclusion_prob, i.outcome, i.status = 'done' AS decided, i.stratum,
           CASE WHEN i.risk >= $2 THEN 'certainty' WHEN i.flagged THEN 'flagged' ELSE 'unflagged' END AS category
    FROM audit_items i WHERE i.campaign_id = $1
"""


# A cheap fingerprint of a campaign's sample as stored: a reused recomputation must still see an item changed.
SAMPLE_FINGERPRINT = ("SELECT md5(coalesce(string_agg(filing_id::text || ':' || stratum, ',' ORDER BY filing_id), ''))"
                      " FROM audit_items WHERE campaign_id = $1")


async def sample_fingerprint(conn: asyncpg.Connection, campaign_id: int) -> str:
    return await conn.fetchval(SAMPLE_FINGERPRINT, campaign_id)


# The most recent campaigns past their draft, for the dashboard's estimates.
RECENT_CAMPAIGNS = "SELECT id, name FROM campaigns WHERE status <> 'draft' ORDER BY id DESC LIMIT $1"


async def recent_estimates(conn: asyncpg.Connection, limit: int = 5) -> list[tuple[str, Estimate]]:
    return [(r["name"], await estimate(conn, r["id"])) for r in await conn.fetch(RECENT_CAMPAIGNS, limit)]


async def estimate(conn: asyncpg.Connection, campaign_id: int) -> Estimate:
    """The share of the frozen population that breaks the rules, stratified by the design
    (sampling.stratified_estimate; docs/sampling.md). A violation is any outcome other than 'cleared';
    undecided items are counted and left out until decided."""
    c = await _campaign_row(conn, campaign_id)
    n_pop = c["population_size"] or 0
    cutoff = float((c["params"] or {}).get("certainty_cutoff", 1.0))
    rows = await conn.fetch(ESTIMATE_ITEMS, campaign_id, cutoff)
    decided = [r for r in rows if r["decided"]]
    undecided = len(rows) - len(decided)
    if not decided or not n_pop:
        return Estimate(campaign_id, n_pop, 0, None, None, None, 0, None, undecided)
    population = c["population_strata"] or {}
    category = np.array([r["category"] for r in decided], dtype=object)
    pi = np.array([r["inclusion_prob"] for r in decided])
    y = np.array([r["outcome"] != "cleared" for r in decided])
    rate, low, high, strata = sampling.stratified_estimate(population, category, pi, y)
    control = [r["outcome"] != "cleared" for r in decided if r["stratum"] == "control"]
    return Estimate(campaign_id, n_pop, len(decided), round(rate, 6), round(low, 6), round(high, 6), len(control),
                    round(sum(control) / len(control), 6) if control else None, undecided,
                    [StratumEstimate(s.name, s.population, s.decided, s.violations, round(s.total, 2),
                                     round(s.low, 2), round(s.high, 2), s.method) for s in strata])


def to_json(value) -> str:
    return json.dumps(msgspec.to_builtins(value), ensure_ascii=False, indent=2)
