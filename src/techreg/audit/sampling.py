"""The two seeded draws of a spot-check campaign, as pure functions anyone can rerun.

Every filing's random number comes from a hash of the published seed and the
filing's identity (its ref), never from a generator state, so the draw for one
filing does not depend on which others exist: filings added after the freeze
change nothing, and a person with the public record can recompute it.

Strata (disjoint, and together the sample):
- certainty: risk at or above the cut-off, always taken (π = 1);
- pps: the rest drawn with probability proportional to risk by sequential
  Poisson sampling (Ohlsson), weight max(risk, floor) so that every filing keeps
  a chance; π = min(1, n·w/Σw), iterated for the ones that reach 1;
- control: a uniform draw among unflagged filings not already taken, to measure
  what the detectors miss.
"""

import hashlib
from dataclasses import dataclass

import numpy as np


def uniform(seed: str, refs, purpose: str) -> np.ndarray:
    """A number in [0, 1) per ref: the first 53 bits of sha256(purpose|seed|ref)."""
    sha256, prefix = hashlib.sha256, f"{purpose}|{seed}|"
    refs = refs.tolist() if isinstance(refs, np.ndarray) else refs
    # one digest per ref is the whole cost at a million refs: a flat loop, the leading 8 bytes joined and
    # read as big-endian integers at once
    return from_leading_bytes(b"".join([sha256(f"{prefix}{ref}".encode()).digest()[:8] for ref in refs]))


def from_leading_bytes(leading: bytes) -> np.ndarray:
    """uniform()'s numbers from the leading 8 bytes of each digest, joined (as anyone may compute them)."""
    return (np.frombuffer(leading, dtype=">u8") >> 11) / float(1 << 53)


def population_digest(refs, risks) -> str:
    """sha256 over the population sorted by ref, one `ref<TAB>risk` line each (risk to 6 decimals)."""
    refs = refs.tolist() if isinstance(refs, np.ndarray) else list(refs)
    risks = risks.tolist() if isinstance(risks, np.ndarray) else list(risks)
    order = sorted(range(len(refs)), key=refs.__getitem__)    # stable; linear on refs already in order
    return hashlib.sha256("".join([f"{refs[i]}\t{risks[i]:.6f}\n" for i in order]).encode()).hexdigest()


@dataclass(frozen=True)
class DrawParams:
    sample_size: int
    certainty_cutoff: float      # risk at or above: always taken
    control_share: float         # share of the sample drawn uniformly from unflagged filings
    floor_weight: float = 0.02   # pps weight of a filing without flags


@dataclass
class Sample:
    rows: np.ndarray             # indexes into the population arrays
    stratum: np.ndarray          # 'certainty' | 'pps' | 'control'
    inclusion: np.ndarray        # inclusion probability of each sampled filing


def _pps_probabilities(weights: np.ndarray, n: int) -> np.ndarray:
    """π_i = min(1, n·w_i / Σw) with the units that reach 1 taken out and the rest rescaled."""
    pi = np.zeros(len(weights))
    take_all = np.zeros(len(weights), bool)
    while n > 0:
        rest = ~take_all
        total = weights[rest].sum()
        if total <= 0:
            break
        lam = np.where(rest, n * weights / total, 0.0)
        over = rest & (lam >= 1)
        if not over.any():
            pi[rest] = lam[rest]
            break
        take_all |= over
        n -= int(over.sum())
    pi[take_all] = 1.0
    return np.minimum(pi, 1.0)


def _smallest(values: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n smallest values, equal values by position: np.argsort(values, kind="stable")[:n]
    without sorting a million values to take a few hundred."""
    if n >= len(values):
        return np.argsort(values, kind="stable")
    kth = np.partition(values, n - 1)[n - 1]
    candidates = np.nonzero(values <= kth)[0]
    return candidates[np.argsort(values[candidates], kind="stable")][:n]


def draw(seed: str, refs, risks: np.ndarray, flagged: np.ndarray, p: DrawParams,
         numbers: dict[str, np.ndarray] | None = None) -> Sample:
    """The sample. `numbers`, when given, holds uniform(seed, refs, purpose) for 'pps' and 'control', computed
    elsewhere (the service has the database compute one while it computes the other); the same numbers give
    the same sample."""
    numbers = numbers or {}
    refs = np.asarray(refs, dtype=object)
    risks = np.asarray(risks, dtype=np.float64)
    flagged = np.asarray(flagged, dtype=bool)
    n_total = len(refs)
    certainty = np.nonzero(risks >= p.certainty_cutoff)[0]
    rest = np.nonzero(risks < p.certainty_cutoff)[0]
    n_left = max(p.sample_size - len(certainty), 0)
    n_control = min(int(round(p.sample_size * p.control_share)), n_left)
    n_pps = min(n_left - n_control, len(rest))

    # pps: sequential Poisson sampling, the n smallest u/π
    weights = np.maximum(risks[rest], p.floor_weight)
    pi_rest = _pps_probabilities(weights, n_pps)
    if n_pps:
        u_pps = numbers["pps"][rest] if "pps" in numbers else uniform(seed, refs[rest], "pps")
        keys = np.where(pi_rest > 0, u_pps / np.maximum(pi_rest, 1e-300), np.inf)
        pps = rest[_smallest(keys, n_pps)]
    else:
        pps = np.zeros(0, np.int64)

    # control: the smallest uniform numbers among unflagged filings not already taken
    taken = np.zeros(n_total, bool)
    taken[certainty] = True
    taken[pps] = True
    pool = np.nonzero(~flagged & ~taken & (risks < p.certainty_cutoff))[0]
    n_control = min(n_control, len(pool))
    if n_control:
        u_ctrl = numbers["control"][pool] if "control" in numbers else uniform(seed, refs[pool], "control")
        control = pool[_smallest(u_ctrl, n_control)]
    else:
        control = np.zeros(0, np.int64)
    # One unit, one inclusion probability: an unflagged filing comes in through the pps draw or, failing
    # that, the control draw, and its probability of being in the sample is the same whichever drew it:
    # π = π_pps + (1 − π_pps) · n_control / |pool| (docs/sampling.md). A flagged one only through pps.
    pi_of = np.zeros(n_total)
    pi_of[rest] = pi_rest
    control_rate = n_control / max(len(pool), 1)
    unflagged = ~flagged
    combined = np.where(unflagged, pi_of + (1 - pi_of) * control_rate, pi_of)

    rows = np.concatenate([certainty, pps, control]).astype(np.int64)
    stratum = np.array(["certainty"] * len(certainty) + ["pps"] * len(pps) + ["control"] * len(control), dtype=object)
    inclusion = np.concatenate([np.ones(len(certainty)), combined[pps], combined[control]])
    return Sample(rows, stratum, np.clip(inclusion, 1e-12, 1.0))


# -- the estimate ---------------------------------------------------------------------------------------

Z95 = 1.959963984540054


@dataclass
class StratumResult:
    name: str                 # 'certainty' | 'flagged' | 'unflagged'
    population: int
    decided: int
    violations: int
    total: float              # estimated violations in the stratum
    low: float
    high: float
    method: str


def wilson(x: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion x/n (good coverage when x is 0, 1, 2 …)."""
    if n == 0:
        return 0.0, 1.0
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(centre - half, 0.0), min(centre + half, 1.0)


def stratified_estimate(population: dict[str, int], category: np.ndarray, inclusion: np.ndarray,
                        violation: np.ndarray) -> tuple[float, float, float, list[StratumResult]]:
    """Violations in the population, by stratum of the population, from the decided sample items.

    - certainty (risk ≥ cut-off): a census; exact once every item is decided (until then a Wilson
      interval on the decided share, scaled to the stratum);
    - flagged below the cut-off: reached only by the pps draw; Horvitz–Thompson total Σ y/π with the
      Poisson-sampling variance Σ (1 − π) y² / π², normal interval;
    - unflagged: every unit has one inclusion probability (pps floor weight or control draw), so the
      sample is an equal-probability one: the violation share with a Wilson interval, scaled to the
      stratum's size — what the detectors miss;
    combined by MOVER (Zou & Donner): the sum's interval from the strata's, independent draws.
    Returns (rate, low, high, strata) as shares of the whole population.
    """
    strata = []
    for name in ("certainty", "flagged", "unflagged"):
        size = int(population.get(name, 0))
        mine = category == name
        y, pi = violation[mine].astype(float), inclusion[mine]
        decided, hits = int(mine.sum()), int(y.sum())
        if size == 0:
            strata.append(StratumResult(name, 0, decided, hits, 0.0, 0.0, 0.0, "empty"))
        elif name == "flagged" and decided:
            total = float((y / pi).sum())
            half = Z95 * float(np.sqrt(((1 - pi) * y ** 2 / pi ** 2).sum()))
            strata.append(StratumResult(name, size, decided, hits, total, max(total - half, float(hits)),
                                        min(total + half, float(size)), "Horvitz–Thompson, normal"))
        elif name == "certainty" and decided == size:
            strata.append(StratumResult(name, size, decided, hits, float(hits), float(hits), float(hits),
                                        "census"))
        else:
            lo, hi = wilson(hits, decided)
            share = hits / decided if decided else 0.0
            strata.append(StratumResult(name, size, decided, hits, share * size, lo * size, hi * size,
                                        "share with Wilson interval"))
    n = sum(s.population for s in strata)
    if n == 0:
        return 0.0, 0.0, 0.0, strata
    total = sum(s.total for s in strata)
    low = total - float(np.sqrt(sum((s.total - s.low) ** 2 for s in strata)))
    high = total + float(np.sqrt(sum((s.high - s.total) ** 2 for s in strata)))
    return total / n, max(low, 0.0) / n, min(high, n) / n, strata


@dataclass(frozen=True)
class Inspector:
    id: int
    username: str
    point_code: str | None


@dataclass(frozen=True)
class ItemToAssign:
    ref: str
    point_code: str
    registrar: str | None        # username of the registrar who registered it
    seller: str
    buyer: str
    excluded: frozenset[int] = frozenset()   # inspectors who declared a conflict on this item


def _rank(seed: str, ref: str, inspector_id: int, purpose: str) -> bytes:
    return hashlib.sha256(f"{purpose}|{seed}|{ref}|{inspector_id}".encode()).digest()


def eligible(item: ItemToAssign, inspectors: list[Inspector], ties: set[tuple[int, str]]) -> list[Inspector]:
    """Never the filing's registrar, never one tied to either party, never one who declared a conflict;
    not from the registering point while the office has other eligible inspectors."""
    ok = [i for i in inspectors
          if i.username != item.registrar and (i.id, item.seller) not in ties and (i.id, item.buyer) not in ties
          and i.id not in item.excluded]
    elsewhere = [i for i in ok if i.point_code != item.point_code]
    return elsewhere or ok


def assign(seed: str, items: list[ItemToAssign], inspectors: list[Inspector], ties: set[tuple[int, str]],
           load: dict[int, int] | None = None, purpose: str = "inspector") -> list[int | None]:
    """Second seeded draw: each item to the least-loaded eligible inspector, ties broken by the seeded hash.

    The most constrained items go first, so exclusions do not unbalance the queues: workloads end
    within one item of each other whenever the exclusions allow it.
    """
    load = dict(load or {})
    for i in inspectors:
        load.setdefault(i.id, 0)
    candidates = [eligible(item, inspectors, ties) for item in items]
    order = sorted(range(len(items)), key=lambda k: (len(candidates[k]),
                                                     hashlib.sha256(f"order|{seed}|{items[k].ref}".encode()).digest()))
    result: list[int | None] = [None] * len(items)
    for k in order:
        if not candidates[k]:
            continue
        chosen = min(candidates[k], key=lambda i: (load[i.id], _rank(seed, items[k].ref, i.id, purpose)))
        result[k] = chosen.id
        load[chosen.id] += 1
    return result
