"""The campaign's violation-rate estimate, checked by simulation through the project's own sampler.

A frozen population of 4,000 filings, 5 % flagged with risks 0.3–0.95, violations known (60 % × risk of the
flagged, a fixed rate among the unflagged); 400 seeded campaigns of 400 with the default cut-off and
control share. Three populations: few, typical and many violations among unflagged filings. Fixed seeds,
so the figures are the same on every run; `bench/estimate_sim.py` runs the larger simulation.
"""

import functools

import numpy as np
import pytest

from techreg.audit.sampling import DrawParams, draw, stratified_estimate


def population(n: int, unflagged_rate: float, seed: int):
    rng = np.random.default_rng(seed)
    flagged = rng.random(n) < 0.05
    risk = np.where(flagged, rng.uniform(0.3, 0.95, n), 0.0)
    violation = np.where(flagged, rng.random(n) < 0.6 * risk, rng.random(n) < unflagged_rate)
    refs = np.array([f"SIM{seed}-{k:06d}" for k in range(n)], dtype=object)
    return refs, risk, flagged, violation


@functools.cache
def campaigns_drawn(n: int, seed: int, sample: int, campaigns: int, cutoff: float, control_share: float):
    """The seeded campaigns and the population they were drawn from. A draw reads the refs, risks and flags, never
    the violations, which alone differ between the three populations: each is drawn once (the draws are ~98 % of
    the simulation's time) and every population's estimate is computed from the same campaigns."""
    refs, risk, flagged, _ = population(n, 0.0, seed)
    drawn = [draw(f"published-seed-{k}", refs, risk, flagged, DrawParams(sample, cutoff, control_share))
             for k in range(campaigns)]
    return (refs, risk, flagged), drawn


def simulate(unflagged_rate: float, *, n: int = 4000, sample: int = 400, campaigns: int = 400, cutoff: float = 0.9,
             control_share: float = 0.1):
    refs, risk, flagged, violation = population(n, unflagged_rate, seed=1)
    (drawn_refs, drawn_risk, drawn_flagged), drawn = campaigns_drawn(n, 1, sample, campaigns, cutoff, control_share)
    assert (np.array_equal(refs, drawn_refs) and np.array_equal(risk, drawn_risk)
            and np.array_equal(flagged, drawn_flagged)), "the campaigns were drawn from another population"
    category = np.where(risk >= cutoff, "certainty", np.where(flagged, "flagged", "unflagged"))
    sizes = {k: int((category == k).sum()) for k in ("certainty", "flagged", "unflagged")}
    truth = violation.mean()
    estimates, covered = [], 0
    for s in drawn:
        rate, low, high, _ = stratified_estimate(sizes, category[s.rows], s.inclusion, violation[s.rows])
        estimates.append(rate)
        covered += low <= truth <= high
    return truth, float(np.mean(estimates)), covered / campaigns


@pytest.mark.parametrize("unflagged_rate", [0.002, 0.01, 0.03], ids=["few", "typical", "many"])
def test_estimate_is_unbiased_and_its_interval_covers_as_stated(unflagged_rate):
    truth, mean, coverage = simulate(unflagged_rate)
    assert abs(mean / truth - 1) <= 0.03, (truth, mean)
    assert 0.93 <= coverage <= 0.97, coverage


def test_one_unit_one_inclusion_probability():
    refs, risk, flagged, _ = population(4000, 0.01, seed=2)
    s = draw("seed", refs, risk, flagged, DrawParams(400, 0.9, 0.1))
    unflagged = ~flagged[s.rows]
    # an unflagged filing has the same probability whether the pps or the control draw took it
    assert np.ptp(s.inclusion[unflagged]) < 1e-12
    assert set(s.stratum[unflagged]) == {"pps", "control"}
