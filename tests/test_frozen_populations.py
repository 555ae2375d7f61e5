"""Migration 0019: a campaign frozen a row per filing before it still verifies and estimates after it."""

import io
import json
import uuid

import asyncpg
import numpy as np
import pytest

from conftest import filing_body, new_ref, unique_point_code
from techreg.audit import sampling
from techreg.audit.service import estimate, verify_campaign
from techreg.db.migrate import load_migrations, migrate
from techreg.db.pool import connect
from techreg.registry.importer import import_stream


async def test_a_campaign_frozen_row_by_row_is_carried_over(server, audit_key):
    _, admin_url = server
    name = f"techreg_mig_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    conn = await connect(admin_url.rpartition("/")[0] + "/" + name)
    try:
        await migrate(conn, [m for m in load_migrations() if m.version < 19], progress=lambda _: None)
        point = unique_point_code()
        bodies = [filing_body(new_ref("M"), point, status="registered", reg_no=f"2025{point}{k:06d}") for k in range(40)]
        data = b"".join(json.dumps(b, ensure_ascii=False).encode() + b"\n" for b in bodies)
        assert (await import_stream(conn, io.BytesIO(data), audit_key, actor="t", create_points=True, source="m")).imported == 40
        rows = await conn.fetch("SELECT id, ref FROM filings ORDER BY id")
        ids = np.array([r["id"] for r in rows])
        refs = np.array([r["ref"] for r in rows], dtype=object)
        risks = np.array([0.97 if k % 10 == 0 else 0.4 if k % 4 == 0 else 0.0 for k in range(len(ids))])
        flagged = risks > 0
        params = {"sample_size": 10, "certainty_cutoff": 0.95, "control_share": 0.3, "due_days": 30}
        digest = sampling.population_digest(refs, risks)
        campaign = await conn.fetchval(
            "INSERT INTO campaigns (name, status, params, seed, population_size, population_digest, frozen_at,"
            " created_by) VALUES ('old', 'open', $1, 'old-seed', $2, $3, now(), 't') RETURNING id",
            params, len(ids), digest)
        await conn.executemany("INSERT INTO campaign_population (campaign_id, filing_id, ref, risk, flagged)"
                               " VALUES ($1, $2, $3, $4, $5)",
                               [(campaign, int(i), r, float(k), bool(f))
                                for i, r, k, f in zip(ids, refs, risks, flagged)])
        sample = sampling.draw("old-seed", refs, risks, flagged, sampling.DrawParams(10, 0.95, 0.3))
        items = await conn.fetch(
            "INSERT INTO audit_items (campaign_id, filing_id, stratum, inclusion_prob, risk, due_on)"
            " SELECT $1, unnest($2::bigint[]), unnest($3::text[]), unnest($4::float8[]), unnest($5::float8[]),"
            " DATE '2025-06-01' RETURNING id, filing_id",
            campaign, ids[sample.rows].tolist(), sample.stratum.tolist(), sample.inclusion.tolist(),
            risks[sample.rows].tolist())
        await conn.execute("UPDATE audit_items SET status = 'done', outcome = 'cleared' WHERE campaign_id = $1",
                           campaign)

        await migrate(conn, progress=lambda _: None)

        frozen = await conn.fetchrow("SELECT * FROM frozen_populations WHERE campaign_id = $1", campaign)
        assert list(frozen["refs"]) == sorted(refs.tolist())
        by_ref = {r: (int(i), float(k), bool(f)) for i, r, k, f in zip(ids, refs, risks, flagged)}
        assert [by_ref[r] for r in frozen["refs"]] == list(zip(frozen["filing_ids"], frozen["risks"], frozen["flagged"]))
        assert await conn.fetchval("SELECT population_strata FROM campaigns WHERE id = $1", campaign) == {
            "certainty": 4, "flagged": 8, "unflagged": 28}
        flag_of = dict(zip(ids.tolist(), flagged.tolist()))
        assert {r["filing_id"]: r["flagged"] for r in await conn.fetch(
            "SELECT filing_id, flagged FROM audit_items WHERE campaign_id = $1", campaign)} == {
            r["filing_id"]: flag_of[r["filing_id"]] for r in items}
        assert not await conn.fetchval("SELECT to_regclass('campaign_population') IS NOT NULL")
        check = await verify_campaign(conn, campaign)
        assert check.matches and check.population_size == 40 and check.recomputed_digest == digest
        result = await estimate(conn, campaign)
        assert result.population_size == 40 and result.decided == 10 and result.violation_rate == 0.0
        assert {s.stratum: s.population for s in result.strata} == {"certainty": 4, "flagged": 8, "unflagged": 28}
    finally:
        await conn.close()


async def test_the_database_computes_the_same_control_numbers(conn):
    from techreg.audit.service import CONTROL_NUMBERS_SQL

    refs = sorted(f"{new_ref('U')}-{k}" for k in range(300))
    async with conn.transaction():
        campaign = await conn.fetchval("INSERT INTO campaigns (name, status, params, seed, created_by)"
                                       " VALUES ('u', 'draft', '{}', 's', 't') RETURNING id")
        await conn.execute("INSERT INTO frozen_populations (campaign_id, filing_ids, refs, risks, flagged)"
                           " VALUES ($1, $2, $3, $4, $5)", campaign, list(range(300)), refs, [0.0] * 300, [False] * 300)
        for seed in ("2026-11 上海市 第1批", "plain", "a|b\\c'd"):
            leading = await conn.fetchval(CONTROL_NUMBERS_SQL, campaign, seed)
            assert np.array_equal(sampling.from_leading_bytes(leading), sampling.uniform(seed, refs, "control"))
        # the frozen record itself cannot be changed afterwards
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute("UPDATE frozen_populations SET risks = risks WHERE campaign_id = $1", campaign)
