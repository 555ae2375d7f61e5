"""The two seeded draws as pure functions: reproducible, stratified, fair to every filing, balanced."""

import collections
import hashlib

import numpy as np

from techreg.audit import sampling

REFS = np.array([f"R{i:05d}" for i in range(2000)], dtype=object)
RNG = np.random.default_rng(3)
RISKS = np.where(RNG.random(2000) < 0.15, RNG.uniform(0.3, 1.0, 2000), 0.0).round(6)
FLAGGED = RISKS > 0
PARAMS = sampling.DrawParams(sample_size=120, certainty_cutoff=0.95, control_share=0.2)


def _drawn(seed, refs=REFS, risks=RISKS, flagged=FLAGGED, params=PARAMS):
    s = sampling.draw(seed, refs, risks, flagged, params)
    return {refs[r]: (st, pi) for r, st, pi in zip(s.rows, s.stratum, s.inclusion)}


def test_same_seed_same_sample_other_seed_other_sample():
    assert _drawn("2026-11 上海") == _drawn("2026-11 上海")
    assert set(_drawn("2026-11 上海")) != set(_drawn("2026-12 上海"))


def test_published_numbers_digest_and_draw_do_not_change():
    # a campaign's seed is published: whoever reruns the draw, with this code or a later version of it, must
    # get the same numbers, digest and sample (values from the first implementation)
    assert sampling.uniform("2026-11 上海", REFS[:3], "pps").tolist() == [0.9114826118142653, 0.963319549323906,
                                                                         0.4621197250498107]
    assert sampling.population_digest(REFS, RISKS) == "30596f9e97c9b517cb53be2238a623ad6a0773fe58cb433511b97b54199f2866"
    assert sampling.population_digest(REFS[::-1].tolist(), RISKS[::-1].tolist()) == sampling.population_digest(REFS, RISKS)
    s = sampling.draw("2026-11 上海", REFS, RISKS, FLAGGED, PARAMS)
    record = ",".join(f"{REFS[r]}:{st}:{pi!r}" for r, st, pi in zip(s.rows, s.stratum, s.inclusion))
    assert hashlib.sha256(record.encode()).hexdigest() == (
        "645091e9f627faa0d3e0814c0afc17874b922831076adc57582e115fe62eee1d")
    assert len(sampling.uniform("s", [], "pps")) == 0 and sampling.population_digest([], []) == hashlib.sha256(b"").hexdigest()


def test_each_filings_number_depends_only_on_seed_and_identity():
    # the campaign freezes its population; on top of that, a filing's random number never depends on
    # which other filings exist, so the risk-weighted draw of the others does not move
    u = sampling.uniform("seed", REFS, "pps")
    assert np.array_equal(sampling.uniform("seed", REFS[::-1], "pps"), u[::-1])
    before = _drawn("seed")
    after = _drawn("seed", np.append(REFS, "LATE-1"), np.append(RISKS, 0.3), np.append(FLAGGED, True))
    same = lambda d, st: {r for r, (s, _) in d.items() if s == st}  # noqa: E731
    assert same(before, "certainty") == same(after, "certainty")
    assert len(same(before, "pps") ^ same(after, "pps")) <= 2


def test_strata_and_inclusion_probabilities():
    s = _drawn("strata")
    assert len(s) == PARAMS.sample_size
    for ref, (stratum, pi) in s.items():
        i = int(ref[1:])
        assert 0 < pi <= 1
        if RISKS[i] >= PARAMS.certainty_cutoff:
            assert stratum == "certainty" and pi == 1
        if stratum == "control":
            assert not FLAGGED[i]
    # every filing at or above the cut-off is taken
    assert {f"R{i:05d}" for i in np.nonzero(RISKS >= 0.95)[0]} <= set(s)
    assert sum(1 for st, _ in s.values() if st == "control") == round(PARAMS.sample_size * PARAMS.control_share)


def test_riskier_filings_are_drawn_more_often_but_every_filing_has_a_chance():
    counts = collections.Counter()
    for k in range(200):
        counts.update(list(_drawn(f"repeat-{k}", params=sampling.DrawParams(60, 1.01, 0.0))))
    risky = [r for r in REFS if RISKS[int(r[1:])] > 0.6]
    clean = [r for r in REFS if RISKS[int(r[1:])] == 0]
    assert np.mean([counts[r] for r in risky]) > 5 * np.mean([counts[r] for r in clean])
    assert sum(counts[r] > 0 for r in clean) > 0       # unflagged filings are drawn too, via the floor weight


def test_inclusion_probabilities_sum_to_the_sample_size():
    pi = sampling._pps_probabilities(np.array([5.0, 1, 1, 1, 1, 0.02, 0.02]), 3)
    assert abs(pi.sum() - 3) < 1e-9 and pi[0] == 1


INSPECTORS = [sampling.Inspector(1, "ann", "310101"), sampling.Inspector(2, "bo", "310104"),
              sampling.Inspector(3, "cy", "310115"), sampling.Inspector(4, "di", None)]


def _item(k, **over):
    base = dict(ref=f"F{k}", point_code="310101", registrar=None, seller=f"S{k % 7}", buyer=f"B{k % 5}")
    base.update(over)
    return sampling.ItemToAssign(**base)


def test_exclusion_rules():
    ties = {(2, "S1")}
    items = [_item(1), _item(2, registrar="cy")]
    chosen = sampling.assign("x", items, INSPECTORS, ties)
    assert chosen[0] not in (1, 2)      # ann is at the registering point, bo has a tie to the seller
    assert chosen[1] not in (1, 3)      # cy registered it
    # when the registering point's inspector is the only one left, the item still gets inspected
    only = sampling.assign("x", [_item(3, excluded=frozenset({2, 3, 4}))], INSPECTORS, set())
    assert only == [1]
    assert sampling.assign("x", [_item(4, excluded=frozenset({1, 2, 3, 4}))], INSPECTORS, set()) == [None]


def test_workloads_within_one_item_and_reproducible():
    items = [_item(k, point_code=["310101", "310104", "310115"][k % 3]) for k in range(103)]
    ties = {(1, "S3"), (4, "B2")}
    chosen = sampling.assign("seed", items, INSPECTORS, ties)
    loads = collections.Counter(chosen)
    assert max(loads.values()) - min(loads.values()) <= 1
    assert chosen == sampling.assign("seed", items, INSPECTORS, ties)
    assert chosen != sampling.assign("other", items, INSPECTORS, ties)


def test_population_digest_depends_on_members_and_scores_not_order():
    d = sampling.population_digest(REFS, RISKS)
    order = RNG.permutation(len(REFS))
    assert sampling.population_digest(REFS[order], RISKS[order]) == d
    changed = RISKS.copy()
    changed[5] += 0.01
    assert sampling.population_digest(REFS, changed) != d


def test_the_smallest_keys_are_taken_as_a_full_stable_sort_would():
    rng = np.random.default_rng(8)
    for values in (np.array([0.5] * 50 + [0.1] * 3 + [0.5] * 50 + [np.inf] * 5), rng.random(1000).round(2),
                   np.full(7, np.inf)):
        for n in (1, 3, 4, 10, 53, 103, len(values), len(values) + 5):
            assert np.array_equal(sampling._smallest(values, n), np.argsort(values, kind="stable")[:n])
