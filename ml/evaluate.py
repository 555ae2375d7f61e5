"""Evaluate every detector on labelled synthetic filings, scenario by scenario, next to naive baselines.

Two generators, written apart: `ml.synth` (the first one) and `ml.scenarios` (written from
docs/domain.md alone, never shown the detectors), whose scenarios vary naming styles of a deal's
parts, filing lag, sellers' spread, missing regions, points and sister companies, round amounts.
One scenario (`ml.scenarios.HELD_OUT`) is held out: the detectors' settings are chosen without
looking at it, and its figures are reported as they come. No threshold is set per scenario.

The filings go through the real pipeline: imported into a fresh PostgreSQL database, scored by a
full scan, flags read back. Precision and recall are reported per kind and scenario, recall per
sub-pattern, and the worst scenario per kind. Baselines are what a spreadsheet would do: the same
pair's contracts within 30 days summing over a configured line (split), plain date comparisons
(back-dating), the plain large line (large software), the same contract number for the same pair
(duplicates).

    python -m ml.evaluate --filings 20000 --seed 7            # every scenario, then the worst
    python -m ml.evaluate --scenario late_filers --filings 50000
"""

import argparse
import asyncio
import collections
import datetime as dt
import io
import json
import sys

import msgspec

from techreg.config import load_settings
from techreg.db.pool import connect
from techreg.detection import split
from techreg.detection.detectors import DETECTORS
from techreg.detection.scan import run_scan
from techreg.registry.importer import import_stream

from . import scenarios, synth

# the kinds with labels (the outlier model has none: it is judged by inspectors' findings)
KINDS = tuple(d.KIND for d in DETECTORS if getattr(d, "EVALUATED", True))
LINES = split.Settings().lines
LARGE_LINE = min(LINES)


def generators() -> dict:
    """scenario name -> generate(n, seed): the first generator, and every scenario of the second."""
    out = {"synth": lambda n, seed: synth.generate(n, seed)}
    for name in scenarios.SCENARIOS:
        out[name] = (lambda scenario: lambda n, seed: scenarios.generate(n, seed, scenario))(name)
    return out


class KindScore(msgspec.Struct):
    kind: str
    labelled: int
    flagged: int
    precision: float
    recall: float
    baseline_precision: float
    baseline_recall: float
    recall_by_pattern: dict[str, float]


def _pr(flagged: set, truth: set) -> tuple[float, float]:
    hit = len(flagged & truth)
    return (hit / len(flagged) if flagged else 1.0), (hit / len(truth) if truth else 1.0)


def baselines(filings: list[dict]) -> dict[str, set]:
    out = {k: set() for k in KINDS}
    by_pair = collections.defaultdict(list)
    by_number = collections.defaultdict(list)
    for f in filings:
        signed = dt.date.fromisoformat(f["signed_on"])
        tech = float(f["tech_amount"])
        pair = (f["seller"]["credit_code"], f["buyer"]["credit_code"])
        by_pair[pair].append((signed, tech, f["ref"]))
        by_number[pair + (f["contract_no"],)].append(f["ref"])
        if f["performance_start"] < f["signed_on"] or f["signed_on"] > f["performance_end"]:
            out["backdated"].add(f["ref"])
        if f["software"] and tech >= LARGE_LINE:
            out["large_software"].add(f["ref"])
    for rows in by_pair.values():
        rows.sort()
        for i, (signed, tech, ref) in enumerate(rows):
            group = [r for r in rows if 0 <= (r[0] - signed).days <= 30]
            total = sum(r[1] for r in group)
            if len(group) > 1 and any(max(r[1] for r in group) < line <= total for line in LINES):
                out["split"].update(r[2] for r in group)
    for refs in by_number.values():
        out["duplicate"].update(refs[1:])
    return out


def score(filings, labels, flags_by_kind: dict[str, set]) -> list[KindScore]:
    truth = {k: {ref for ref, (kind, _) in labels.items() if kind == k} for k in KINDS}
    naive = baselines(filings)
    result = []
    for kind in KINDS:
        p, r = _pr(flags_by_kind.get(kind, set()), truth[kind])
        bp, br = _pr(naive[kind], truth[kind])
        patterns = collections.defaultdict(set)
        for ref, (k, pattern) in labels.items():
            if k == kind:
                patterns[pattern].add(ref)
        by_pattern = {name: len(refs & flags_by_kind.get(kind, set())) / len(refs) for name, refs in patterns.items()}
        result.append(KindScore(kind, len(truth[kind]), len(flags_by_kind.get(kind, set())), round(p, 4),
                                round(r, 4), round(bp, 4), round(br, 4),
                                {k: round(v, 4) for k, v in sorted(by_pattern.items())}))
    return result


async def evaluate(database_url: str, filings: list[dict], labels: dict, settings=None, key: bytes = b"eval"):
    """Import `filings` into the (fresh) database at `database_url`, run a full scan, score the flags."""
    settings = settings or load_settings(database_url=database_url)
    conn = await connect(database_url)
    try:
        data = b"".join(json.dumps(f, ensure_ascii=False).encode() + b"\n" for f in filings)
        report = await import_stream(conn, io.BytesIO(data), key, actor="ml.evaluate", create_points=True, source="synthetic")
        if report.errors:
            raise RuntimeError(f"synthetic data rejected: {report.errors[:3]}")
        await run_scan(conn, settings, full=True)
        flagged = collections.defaultdict(set)
        for r in await conn.fetch("SELECT f.ref, g.kind FROM flags g JOIN filings f ON f.id = g.filing_id"
                                  " WHERE g.active"):
            flagged[r["kind"]].add(r["ref"])
    finally:
        await conn.close()
    return score(filings, labels, flagged), flagged


def print_table(scores: list[KindScore], out=sys.stdout) -> None:
    print(f"{'kind':<16}{'labelled':>9}{'flagged':>9}{'precision':>11}{'recall':>9}"
          f"{'naive P':>10}{'naive R':>10}", file=out)
    for s in scores:
        print(f"{s.kind:<16}{s.labelled:>9}{s.flagged:>9}{s.precision:>11.3f}{s.recall:>9.3f}"
              f"{s.baseline_precision:>10.3f}{s.baseline_recall:>10.3f}", file=out)
        for name, value in s.recall_by_pattern.items():
            print(f"    {name:<34} recall {value:.3f}", file=out)


def drop_regions(filings: list[dict], share: float, seed: int) -> None:
    """Remove the region of `share` of the parties (the same parties in every filing): it is optional."""
    import random

    codes = sorted({f[side]["credit_code"] for f in filings for side in ("seller", "buyer")})
    dropped = set(random.Random(seed).sample(codes, int(share * len(codes))))
    for f in filings:
        for side in ("seller", "buyer"):
            if f[side]["credit_code"] in dropped:
                f[side].pop("region", None)


class ScenarioResult(msgspec.Struct):
    scenario: str
    held_out: bool
    filings: int
    scores: list[KindScore]


def run_scenarios(names: list[str], n: int, seed: int, without_regions: float = 0.0) -> list[ScenarioResult]:
    sys.path.insert(0, "bench")
    from _common import fresh_database, server  # noqa: E402  (bench helpers: throw-away database)

    makers = generators()
    results = []
    with server() as admin_url:
        for name in names:
            filings, labels = makers[name](n, seed)
            if without_regions:
                drop_regions(filings, without_regions, seed)
            url = asyncio.run(fresh_database(admin_url))
            scores, _ = asyncio.run(evaluate(url, filings, labels))
            results.append(ScenarioResult(name, name == scenarios.HELD_OUT, len(filings), scores))
            print(f"\n== {name}{' (held out)' if name == scenarios.HELD_OUT else ''}: {len(filings)} filings",
                  file=sys.stderr)
            print_table(scores, out=sys.stderr)
    return results


def worst(results: list[ScenarioResult], held_out: bool) -> dict[str, tuple[str, float, str, float]]:
    """kind -> (scenario of the lowest precision, it, scenario of the lowest recall, it)."""
    out = {}
    for kind in KINDS:
        rows = [(r.scenario, s) for r in results if r.held_out == held_out for s in r.scores if s.kind == kind]
        if rows:
            p = min(rows, key=lambda x: x[1].precision)
            r = min(rows, key=lambda x: x[1].recall)
            out[kind] = (p[0], p[1].precision, r[0], r[1].recall)
    return out


def print_summary(results: list[ScenarioResult], out=sys.stdout) -> None:
    print(f"{'scenario':<22}" + "".join(f"{k + ' P/R':>24}" for k in KINDS), file=out)
    for r in results:
        cells = {s.kind: f"{s.precision:.3f}/{s.recall:.3f} ({s.baseline_precision:.2f}/{s.baseline_recall:.2f})"
                 for s in r.scores}
        print(f"{r.scenario + ('*' if r.held_out else ''):<22}" + "".join(f"{cells[k]:>24}" for k in KINDS), file=out)
    for held_out, title in ((False, "worst of the scenarios used for choosing settings"),
                            (True, "held-out scenario (*), as it came")):
        w = worst(results, held_out)
        if w:
            print(f"{title}:", file=out)
            for kind, (sp, p, sr, rec) in w.items():
                print(f"    {kind:<16} precision {p:.3f} ({sp})   recall {rec:.3f} ({sr})", file=out)
    print("(naive baseline precision/recall in brackets)", file=out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filings", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scenario", action="append", help="only these scenarios (repeatable); default: all")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--without-regions", type=float, default=0.0, metavar="SHARE",
                        help="leave out the (optional) region of this share of parties, to check robustness")
    args = parser.parse_args()
    names = args.scenario or list(generators())
    results = run_scenarios(names, args.filings, args.seed, args.without_regions)
    if args.json:
        print(msgspec.json.encode(results).decode())
    else:
        print_summary(results)


if __name__ == "__main__":
    main()
