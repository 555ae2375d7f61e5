"""Simulation: the campaign's violation-rate estimate through the project's own sampler, as built before
(Horvitz–Thompson over all items with a ±1.96·SE interval) and as built now (stratified, docs/sampling.md),
side by side on the same draws.

    python bench/estimate_sim.py [POPULATION] [SAMPLE] [CAMPAIGNS]      (defaults 100000 800 120)

Population: 5 % flagged with risks 0.3–0.95; violations 60 % × risk among the flagged, 0.2 % / 1 % / 3 %
among the unflagged (few, typical, many); default cut-off 0.9 and control share 0.1.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_estimate_simulation import population  # noqa: E402  (one population model for test and bench)

from techreg.audit.sampling import DrawParams, draw, stratified_estimate  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
SAMPLE = int(sys.argv[2]) if len(sys.argv) > 2 else 800
CAMPAIGNS = int(sys.argv[3]) if len(sys.argv) > 3 else 120
CUTOFF, CONTROL = 0.9, 0.1


def as_before(sample, flagged, violation, pool_size: int, n_control: int, n_pop: int):
    """The estimate as it was built: πps probability alone for pps units, HT with a normal interval."""
    pi = sample.inclusion.copy()
    pps_unflagged = (sample.stratum == "pps") & ~flagged[sample.rows]
    rate = n_control / max(pool_size, 1)
    pi[pps_unflagged] = (pi[pps_unflagged] - rate) / (1 - rate)   # undo the combined probability
    y = violation[sample.rows].astype(float)
    est = (y / pi).sum() / n_pop
    half = 1.96 * np.sqrt(((1 - pi) * y ** 2 / pi ** 2).sum()) / n_pop
    return est, est - half, est + half


for label, unflagged_rate in (("few", 0.002), ("typical", 0.01), ("many", 0.03)):
    refs, risk, flagged, violation = population(N, unflagged_rate, seed=7)
    category = np.where(risk >= CUTOFF, "certainty", np.where(flagged, "flagged", "unflagged"))
    sizes = {k: int((category == k).sum()) for k in ("certainty", "flagged", "unflagged")}
    truth = violation.mean()
    old, new = [], []
    for k in range(CAMPAIGNS):
        s = draw(f"bench-{k}", refs, risk, flagged, DrawParams(SAMPLE, CUTOFF, CONTROL))
        n_control = int((s.stratum == "control").sum())
        taken = np.zeros(N, bool)
        taken[s.rows[s.stratum != "control"]] = True
        pool = int((~flagged & ~taken & (risk < CUTOFF)).sum())
        old.append(as_before(s, flagged, violation, pool, n_control, N))
        new.append(stratified_estimate(sizes, category[s.rows], s.inclusion, violation[s.rows])[:3])
    for name, runs in (("as built before", old), ("stratified", new)):
        runs = np.array(runs)
        bias = runs[:, 0].mean() / truth - 1
        cover = ((runs[:, 1] <= truth) & (truth <= runs[:, 2])).mean()
        print(f"{label:<8} unflagged {unflagged_rate:.3f} truth {truth:.4f}  {name:<16} mean ÷ truth {1 + bias:.3f}"
              f"  coverage {cover:.3f}  mean width {np.mean(runs[:, 2] - runs[:, 1]):.4f}")
