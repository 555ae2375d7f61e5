"""Large software contracts (软件类大额合同).

A software filing is flagged when its technology transaction amount is at or above the large line,
or when it is far above the seller's own history and above what comparable contracts usually are.
"Far above the seller's history" is measured on the log scale against the seller's own spread: a
seller whose contracts already range over an order of magnitude is not unusual at five or ten times
its median, one whose contracts cluster tightly is. So a filing must be, all at once:

- several deviations above the seller's median on the log scale, the seller's spread taken as the
  larger of two measures: the robust one (1.4826·MAD of all its log amounts) and the standard
  deviation of its ordinary contracts (those neither at the large line nor already far above). The
  MAD alone looks only at the middle half and misses a seller whose honest amounts have long tails;
  the standard deviation alone would let one inflated contract widen the spread that hides the next,
  which is why the far-above ones are left out of it. The spread has a floor that is higher while the
  history is short (few contracts say little about how widely a seller's amounts spread);
- a multiple of the seller's median, and a multiple of the largest software contract the seller has
  had besides this one (a seller with a tail of big deals has already shown how far it spreads; one
  whose software work never came near this size has not);
- above the median of comparable software contracts (same kind and field).

For a seller without history, a filing above the quartile fence of comparable software contracts is
flagged, with the fence on log amounts (Q3 + k·IQR), which is robust to skewed amounts.
"""

from dataclasses import dataclass

import numpy as np

from .base import Context, setting
from .columns import Columns, group_median, segment_starts
from .flags import Flags, empty
from .peers import from_columns, peer_keys

KIND = "large_software"
DETECTOR = "large_software/2.0"
LABEL = ("软件类大额", "large software contract")
RISK_WEIGHT = 1.0
SCOPE = "seller"


@dataclass(frozen=True)
class Settings:
    large_line: float = setting(5_000_000.0, "the large line on the technology amount, yuan (2024 draft rule)",
                                rule="national-2026-办法")
    fence_k: float = setting(3.0, "peer fence Q3 + k·IQR on log amounts, for sellers without history")
    min_peer_group: int = setting(30, "peer groups smaller than this prove nothing")
    min_seller_history: int = setting(4, "other contracts of the seller needed to judge against its history")
    seller_ratio: float = setting(4.0, "at least this many times the seller's median")
    seller_z: float = setting(4.0, "and this many deviations above it on the seller's own spread (log scale)")
    over_largest: float = setting(4.0, "and this many times the seller's largest other software contract")
    min_log_spread: float = setting(0.25, "floor for a seller's log spread with a long history")
    short_history: int = setting(10, "below this many other contracts the spread floor rises")
    short_log_spread: float = setting(0.5, "floor for a seller's log spread with a short history")
    episode_days: int = setting(120, "big deals signed within this many days of each other are one episode, "
                                     "not each other's precedent")


def seller_history(c: Columns, logs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the seller's median log amount, its spread (1.4826·MAD), and how many other filings it has."""
    median, size = group_median(c.seller, logs)
    mad, _ = group_median(c.seller, np.abs(logs - median))
    return median, 1.4826 * mad, size - 1


def ordinary_spread(seller: np.ndarray, logs: np.ndarray, ordinary: np.ndarray) -> np.ndarray:
    """Per row: the standard deviation of the log amounts of its seller's ordinary rows (0 with fewer than 3)."""
    _, group = np.unique(seller, return_inverse=True)
    x = np.where(ordinary, logs, 0.0)
    count = np.bincount(group, weights=ordinary.astype(float))
    total = np.bincount(group, weights=x)
    squares = np.bincount(group, weights=x * x)
    mean = total / np.maximum(count, 1)
    variance = (squares - count * mean * mean) / np.maximum(count - 1, 1)
    sd = np.where(count >= 3, np.sqrt(np.maximum(variance, 0.0)), 0.0)
    return sd[group]


def software_median(peers) -> float:
    """The median log amount of software contracts across peer groups (group medians weighted by size)."""
    rows = [(v[0], v[2]) for k, v in peers.items() if k % 2 == 1 and v[0] > 0 and np.isfinite(v[2])]
    if not rows:
        return np.inf
    counts, medians = np.array(rows, float).T
    order = np.argsort(medians)
    cumulative = np.cumsum(counts[order])
    return float(medians[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def largest_other(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per row: the largest value among the other rows of its group (-inf when it has none)."""
    order = np.lexsort((-values, group))
    starts = np.nonzero(segment_starts(group[order]))[0]
    counts = np.diff(np.r_[starts, len(order)])
    member = np.empty(len(values), np.int64)
    member[order] = np.repeat(np.arange(len(starts)), counts)
    top = values[order][starts]
    second = np.where(counts > 1, values[order][np.minimum(starts + 1, len(order) - 1)], -np.inf)
    is_top = np.zeros(len(values), bool)
    is_top[order[starts]] = True
    return np.where(is_top, second[member], top[member])


def _largest_outside_episode(seller: np.ndarray, signed: np.ndarray, x: np.ndarray, big: np.ndarray,
                             days: int) -> np.ndarray:
    """Per row: the largest `x` among the seller's other `big` rows signed more than `days` away (-inf if none).

    Only rows whose seller has two or more big rows are looked at, a few per million.
    """
    out = np.full(len(x), -np.inf)
    rows = np.nonzero(big)[0]
    if len(rows) < 2:
        return out
    rows = rows[np.argsort(seller[rows], kind="stable")]
    starts = np.nonzero(segment_starts(seller[rows]))[0]
    for lo, hi in zip(starts, np.r_[starts[1:], len(rows)]):
        if hi - lo < 2:
            continue
        group = rows[lo:hi]                       # one seller's big rows: a handful
        apart = np.abs(signed[group][:, None] - signed[group][None, :]) > days
        values = np.where(apart, x[group][None, :], -np.inf)
        out[group] = values.max(axis=1)
    return out


def detect(ctx: Context) -> Flags:
    """Peers (quartiles per kind × field) come from the whole registry when the context is only part of it."""
    c, s = ctx.columns, ctx.settings_for(KIND, Settings)
    sw = np.nonzero(c.software)[0]
    if len(sw) == 0:
        return empty(KIND, DETECTOR)
    tech = c.tech_amount
    logs = np.log1p(tech)
    peers = ctx.peers or from_columns(c)
    count, q1, q2, q3 = peers.per_row(peer_keys(c))
    enough = count >= s.min_peer_group        # a small peer group proves nothing
    # where a kind × field has too few software contracts to compare with, all software contracts do
    peer_median = np.where(enough, q2, software_median(peers))
    fence = np.where(enough, q3 + s.fence_k * np.maximum(q3 - q1, 0.1), np.inf)
    med, spread, others = seller_history(c, logs)
    floor = np.where(others < s.short_history, s.short_log_spread, s.min_log_spread)
    spread = np.maximum(spread, floor)
    ratio_all = np.expm1(logs) / np.maximum(np.expm1(med), 1.0)
    history = others >= s.min_seller_history
    # the seller's ordinary contracts (any kind) show how far its honest amounts spread, tails included
    ordinary = (tech < s.large_line) & ~(history & (ratio_all >= s.seller_ratio) &
                                         ((logs - med) / spread >= s.seller_z))
    spread = np.maximum(spread, ordinary_spread(c.seller, logs, ordinary))

    x, m = logs[sw], med[sw]
    over_line = tech[sw] >= s.large_line
    over_peers = x > fence[sw]
    has_history = history[sw]
    ratio = ratio_all[sw]
    z = (x - m) / spread[sw]
    far_above = has_history & (ratio >= s.seller_ratio) & (z >= s.seller_z)
    # the seller's other software contracts only: a hardware-heavy deal is no precedent for software work,
    # and neither is one at or over the large line (flagged in its own right)
    biggest = largest_other(c.seller[sw], np.where(over_line | far_above, -np.inf, x))
    # a big deal far above the seller's history is a precedent only from another season: a few inflated
    # contracts signed within weeks of each other are one episode and do not vouch for each other
    biggest = np.maximum(biggest, _largest_outside_episode(c.seller[sw], c.signed[sw], x,
                                                           far_above & ~over_line, s.episode_days))
    over_largest = np.expm1(x) / np.maximum(np.expm1(biggest), 1.0)
    over_own = far_above & (over_largest >= s.over_largest) & (x > peer_median[sw])
    score = np.where(over_line, 0.9, 0.0)
    score = np.maximum(score, np.where(over_peers & ~has_history, 0.7, 0.0))
    score = np.maximum(score, np.where(over_own, 0.8 + 0.1 * over_peers, 0.0))
    keep = score > 0
    rows = sw[keep]
    reasons = []
    for j, i in zip(np.nonzero(keep)[0], rows):   # flagged filings only, to write their evidence
        r = []
        if over_line[j]:
            r.append(f"软件类合同技术交易额 {tech[i]:,.2f} 元，达到大额线 {s.large_line:,.0f} 元 / "
                     f"software contract with technology amount {tech[i]:,.2f} yuan at or above the large line")
        if over_peers[j]:
            r.append(f"远高于同类软件合同：超过四分位上界 {np.expm1(fence[i]):,.0f} 元 / "
                     f"far above comparable software contracts (fence {np.expm1(fence[i]):,.0f} yuan)")
        if over_own[j]:
            r.append(f"是卖方其他 {others[i]} 份合同中位数 {np.expm1(med[i]):,.0f} 元的 {ratio[j]:.1f} 倍，"
                     f"按卖方自身金额的离散程度高出 {z[j]:.1f} 个标准差，" + largest_zh(over_largest[j], biggest[j]) +
                     f" / {ratio[j]:.1f}× the median {np.expm1(med[i]):,.0f} yuan of the "
                     f"seller's {others[i]} other contracts, {z[j]:.1f} deviations above it on the seller's "
                     f"own spread, " + largest_en(over_largest[j], biggest[j]))
        reasons.append(r)
    # the seller's other contracts are the evidence of "far above its history": name them
    relative = rows[over_own[keep]]
    others_of = _seller_others(c, relative)
    related = [others_of.get(int(i), np.zeros(0, np.int64)) for i in rows]
    return Flags(KIND, DETECTOR, rows.astype(np.int64), score[keep], reasons, related, applied=len(sw))


def largest_zh(times: float, biggest_log: float) -> str:
    if not np.isfinite(biggest_log):
        return "卖方此前没有其他软件合同"
    return f"是其以往最大一份软件合同（{np.expm1(biggest_log):,.0f} 元）的 {times:.1f} 倍"


def largest_en(times: float, biggest_log: float) -> str:
    if not np.isfinite(biggest_log):
        return "the seller has had no other software contract"
    return f"{times:.1f}× its largest other software contract ({np.expm1(biggest_log):,.0f} yuan)"


def _seller_others(c: Columns, rows: np.ndarray, limit: int = 20) -> dict[int, np.ndarray]:
    """For each row, the seller's other filings, latest signed first (one sort, then a slice per row)."""
    if len(rows) == 0:
        return {}
    order = np.lexsort((-c.signed.astype(np.int64), c.seller))
    sellers = c.seller[order]
    start = np.searchsorted(sellers, c.seller[rows], side="left")
    end = np.searchsorted(sellers, c.seller[rows], side="right")
    out = {}
    for row, lo, hi in zip(rows, start, end):       # flagged filings only
        others = order[lo:hi]
        out[int(row)] = others[others != row][:limit].astype(np.int64)
    return out
