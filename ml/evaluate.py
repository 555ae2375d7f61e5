"""Evaluate every detector on labelled synthetic filings, next to naive baselines.

The filings go through the real pipeline: imported into a fresh PostgreSQL
database, scored by a full scan, flags read back. Precision and recall are
reported per kind and recall per sub-pattern. Baselines are what a
spreadsheet would do: the same pair's contracts within 30 days summing over a
configured line (split), plain date comparisons (back-dating), the plain
large line (large software), the same contract number for the same pair
(duplicates).

    python -m ml.evaluate --filings 50000 --seed 7
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
from techreg.detection.scan import run_scan
from techreg.registry.importer import import_stream

from .synth import DELEGATION, LINE, generate

KINDS = ("split", "large_software", "backdated", "duplicate")


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
        if f["software"] and tech >= LINE:
            out["large_software"].add(f["ref"])
    for rows in by_pair.values():
        rows.sort()
        for i, (signed, tech, ref) in enumerate(rows):
            group = [r for r in rows if 0 <= (r[0] - signed).days <= 30]
            total = sum(r[1] for r in group)
            if len(group) > 1 and any(max(r[1] for r in group) < line <= total for line in (LINE, DELEGATION)):
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
        report = await import_stream(conn, io.BytesIO(data), key, actor="ml.evaluate", source="synthetic")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filings", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--without-regions", type=float, default=0.0, metavar="SHARE",
                        help="leave out the (optional) region of this share of parties, to check robustness")
    args = parser.parse_args()
    sys.path.insert(0, "bench")
    from _common import fresh_database, server  # noqa: E402  (bench helpers: throw-away database)

    filings, labels = generate(args.filings, args.seed)
    if args.without_regions:
        drop_regions(filings, args.without_regions, args.seed)
    with server() as admin_url:
        url = asyncio.run(fresh_database(admin_url))
        scores, _ = asyncio.run(evaluate(url, filings, labels))
    if args.json:
        print(msgspec.json.encode(scores).decode())
    else:
        print_table(scores)


if __name__ == "__main__":
    main()
