"""Demo data: realistic-looking filings in format v1, reproducible from a seed.

`generate` gives plain random traffic (the benchmarks and tests use it). `demo_filings` gives what
`techreg demo` loads: a registry with every anomaly kind and its honest look-alikes (the baseline
scenario of ml.scenarios), at the demo's registration points, registered history with registrars and
numbers, and a queue of submitted filings per registrar to decide.
"""

import datetime as dt
import random
from collections.abc import Iterator

import msgspec

from .registry.creditcode import ALPHABET, make_code
from .registry.schema import FilingV1, PartyV1

_encoder = msgspec.json.Encoder()

SHANGHAI_DISTRICTS = ["310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112",
                      "310113", "310114", "310115", "310116", "310117", "310118", "310120", "310151"]
DEMO_POINTS = [("310101", "上海市技术市场管理办公室 黄浦登记点"), ("310104", "徐汇登记点"),
               ("310115", "浦东登记点"), ("310112", "闵行登记点")]
ORG_STEMS = ["华信", "申通", "东方", "浦江", "中科", "联创", "智谷", "新源", "启明", "海纳", "天成", "博远",
             "金桥", "张江", "瑞丰", "宏图", "云帆", "星辰", "长江", "同济"]
ORG_TAILS = ["信息技术有限公司", "智能科技有限公司", "软件股份有限公司", "生物医药有限公司", "新材料科技有限公司",
             "能源技术有限公司", "检测技术服务有限公司", "研究院", "大学", "装备制造有限公司"]
SUBJECTS = ["智能制造执行系统", "工业互联网平台", "医学影像分析算法", "锂电池正极材料工艺", "城市交通信号优化",
            "水处理膜技术", "数据中台", "卫星遥感数据处理", "农作物病害识别模型", "氢燃料电池电堆", "政务服务平台",
            "供应链协同软件", "高温合金铸造工艺", "光伏组件检测", "基因测序分析流程"]
KIND_WEIGHTS = [("development", 0.45), ("service", 0.3), ("consulting", 0.1), ("transfer", 0.1), ("license", 0.05)]
SUBKIND = {"development": ["commissioned", "cooperative"], "service": ["service", "training", "intermediary"],
           "transfer": ["patent", "technical_secret", "other"], "license": ["patent", "technical_secret", "other"],
           "consulting": [None]}
DOMAINS = ["electronic_information", "advanced_manufacturing", "aerospace", "modern_transport", "agriculture",
           "new_materials", "new_energy", "environment", "nuclear", "biomedicine", "urban_social"]


def random_credit_code(rng: random.Random, region: str) -> str:
    body = "91" + region + "".join(rng.choice(ALPHABET[:10] + "ABCDEFGH") for _ in range(9))
    return make_code(body)


class PartyPool:
    def __init__(self, rng: random.Random, size: int):
        self.parties = []
        seen = set()
        while len(self.parties) < size:
            region = rng.choice(SHANGHAI_DISTRICTS)
            code = random_credit_code(rng, region)
            if code in seen:
                continue
            seen.add(code)
            name = f"上海{rng.choice(ORG_STEMS)}{rng.choice(ORG_STEMS)}{rng.choice(ORG_TAILS)}"
            self.parties.append(PartyV1(name=name, credit_code=code, region=region))


def generate(n: int, seed: int = 1, *, start: dt.date = dt.date(2024, 1, 1), days: int = 700,
             ref_prefix: str = "DEMO", points: list[str] | None = None, parties: int | None = None,
             status: str = "submitted") -> Iterator[FilingV1]:
    rng = random.Random(seed)
    pool = PartyPool(rng, parties or max(50, min(n // 5, 200_000)))
    point_codes = points or [p for p, _ in DEMO_POINTS]
    kinds = [k for k, _ in KIND_WEIGHTS]
    weights = [w for _, w in KIND_WEIGHTS]
    seq_by_seller: dict[str, int] = {}
    reg_seq: dict[tuple[str, int], int] = {}
    for i in range(n):
        seller, buyer = rng.sample(pool.parties, 2)
        kind = rng.choices(kinds, weights)[0]
        amount = round(rng.lognormvariate(12.3, 1.2), -2) + 1000
        tech = round(amount * rng.uniform(0.6, 1.0), 2)
        # filings come in date order (with a little jitter), as sellers number their contracts
        signed = start + dt.timedelta(days=int(days * i / max(n, 1)) + rng.randrange(3))
        perf_start = signed + dt.timedelta(days=rng.randrange(0, 30))
        perf_end = perf_start + dt.timedelta(days=rng.randrange(30, 720))
        filed = signed + dt.timedelta(days=rng.randrange(1, 60))
        software = kind in ("development", "service") and rng.random() < 0.4
        subject = rng.choice(SUBJECTS)
        seq_by_seller[seller.credit_code] = seq_by_seller.get(seller.credit_code, 0) + 1
        point = rng.choice(point_codes)
        reg_no = None
        if status == "registered" and point.isdigit() and len(point) == 6:
            key = (point, filed.year)
            reg_seq[key] = reg_seq.get(key, 0) + 1
            reg_no = f"{filed.year}{point}{reg_seq[key]:06d}"
        yield FilingV1(
            ref=f"{ref_prefix}-{seed}-{i:08d}",
            contract_no=f"{seller.credit_code[8:12]}-{signed.year}-{seq_by_seller[seller.credit_code]:04d}",
            title=f"{subject}{'软件' if software else ''}{ {'development': '开发', 'service': '技术服务', 'consulting': '技术咨询', 'transfer': '技术转让', 'license': '技术许可'}[kind]}合同",
            kind=kind, subkind=rng.choice(SUBKIND[kind]), software=software, domain=rng.choice(DOMAINS),
            seller=seller, buyer=buyer, amount=f"{amount:.2f}", tech_amount=f"{tech:.2f}",
            signed_on=signed, performance_start=perf_start, performance_end=perf_end, filed_on=filed,
            point=point, description=f"{subject}的研究开发与技术服务。", status=status, reg_no=reg_no,
        )


def jsonl(filings: Iterator[FilingV1]) -> Iterator[bytes]:
    for f in filings:
        yield _encoder.encode(f) + b"\n"


DEMO_REGISTRARS = {"310101": "registrar1", "310104": "registrar2"}
# the newest share of filings at the registrars' points wait for a decision (a queue per registrar)
QUEUE_SHARE = 0.06


DATE_FIELDS = ("signed_on", "performance_start", "performance_end", "filed_on")
# the newest demo filing was applied for this many days before the demo is loaded; the queue over the last weeks
NEWEST_DAYS_AGO = 2
QUEUE_DAYS = 30


def demo_filings(n: int, seed: int = 2026, *, up_to: dt.date | None = None) -> list[dict]:
    """Format-v1 dicts: every anomaly kind among honest traffic, mostly registered, the newest submitted. With
    `up_to` (the day the demo is loaded) every date moves by the same days so that the newest application is two
    days old: the registrars' queue is then mostly within its deadline, some of it overdue, as in an office, and
    every pattern between filings (a split's parts, a late application) stays as generated."""
    import hashlib

    from ml.scenarios import generate as scenario

    filings, _ = scenario(n, seed, "baseline")
    if up_to is not None and filings:
        newest = max(dt.date.fromisoformat(str(f["filed_on"])) for f in filings)
        shift = (up_to - dt.timedelta(days=NEWEST_DAYS_AGO)) - newest
        for f in filings:
            for key in DATE_FIELDS:
                if f.get(key):
                    f[key] = (dt.date.fromisoformat(str(f[key])) + shift).isoformat()
    codes = [code for code, _ in DEMO_POINTS]
    # the scenario's points onto the demo's: a stable mapping, so parts filed at several points stay apart
    point_of = {p: codes[int(hashlib.sha256(p.encode()).hexdigest(), 16) % len(codes)]
                for p in sorted({f["point"] for f in filings})}
    filings.sort(key=lambda f: (f["filed_on"], f["ref"]))
    queue_from = int(len(filings) * (1 - QUEUE_SHARE))
    numbers: dict[tuple[str, str], int] = {}
    for k, f in enumerate(filings):
        f["point"] = point_of[f["point"]]
        if f["point"] in DEMO_REGISTRARS:
            f["registrar"] = DEMO_REGISTRARS[f["point"]]
        if k >= queue_from and f["point"] in DEMO_REGISTRARS:
            if up_to is not None:        # applied for in the last weeks, as an office's queue is: some overdue
                recent = up_to - dt.timedelta(days=NEWEST_DAYS_AGO + k % QUEUE_DAYS)
                f["filed_on"] = max(dt.date.fromisoformat(f["signed_on"]), recent).isoformat()
            continue                                   # submitted: the registrar's queue
        year = f["filed_on"][:4]
        numbers[(f["point"], year)] = numbers.get((f["point"], year), 0) + 1
        f["status"] = "registered"
        f["reg_no"] = f"{year}{f['point']}{numbers[(f['point'], year)]:06d}"
    return filings
