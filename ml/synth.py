"""Labelled synthetic filings: honest traffic with its look-alikes, and every anomaly kind.

Built independently of the demo generator (techreg.demo): sellers have their own
scale and numbering habits (some number contracts in date order, some do not),
buyers come back to the same sellers, and each anomaly comes in the
sub-patterns inspectors describe. Every honest look-alike the domain notes name
is generated on purpose: yearly renewals, unrelated projects with one client,
real phases months apart, a few days of work before signing, large non-software
contracts, sellers whose software contracts are always big.

`generate(n, seed)` returns (filings, labels): filings are format-v1 dicts,
labels map ref -> (kind, sub-pattern) for the anomalous ones.
"""

import datetime as dt
import functools
import heapq
import random
from dataclasses import dataclass, field

from techreg.registry.creditcode import ALPHABET, make_code

CITIES = [("上海", ["310101", "310104", "310112", "310115", "310110"]), ("北京", ["110101", "110105", "110108"]),
          ("杭州", ["330102", "330106", "330108"]), ("深圳", ["440303", "440304", "440305"]),
          ("南京", ["320102", "320105"]), ("成都", ["510104", "510107"]), ("武汉", ["420102", "420106"])]
BRAND_CHARS = "华信达博远智联创新科汇通睿安捷鼎泰恒昌盛宇航天瀚海澜星辰云图启明晨光蓝鲸数腾讯飞扬帆锦程"
INDUSTRY = ["信息技术", "软件", "智能科技", "数据科技", "网络科技", "生物科技", "新材料", "能源技术", "环境工程",
            "医疗器械", "检测技术", "电子科技"]
LEGAL = ["有限公司", "股份有限公司", "有限责任公司"]
SUBJECTS = ["智慧园区管理平台", "工业设备预测性维护系统", "城市排水监测平台", "医学影像辅助诊断软件", "电池材料烧结工艺",
            "冷链物流调度系统", "无人机巡检算法", "政务数据共享平台", "高分子膜制备技术", "风电功率预测模型",
            "药物晶型筛选方法", "智能仓储机器人控制系统", "土壤修复药剂配方", "车联网数据中台", "企业ERP系统",
            "客户关系管理系统", "质量追溯区块链平台", "污水处理工艺优化", "5G基站节能算法", "手术机器人导航模块",
            "光伏逆变器控制策略", "校园一卡通系统", "金融风控模型", "遥感影像解译服务", "农产品溯源系统"]
QUALIFIERS = ["", "", "", "升级改造", "二次开发", "运维保障", "测试验证", "数据治理", "系统集成", "性能优化", "可行性研究",
              "关键技术攻关", "试点应用", "标准编制", "安全评估", "移动端", "接口开发", "模型训练", "工艺验证", "中试放大"]
KIND_WORD = {"development": "技术开发", "service": "技术服务", "consulting": "技术咨询", "transfer": "技术转让",
             "license": "技术许可"}
SUBKIND = {"development": "commissioned", "service": "service", "consulting": None, "transfer": "technical_secret",
           "license": "patent"}
DOMAINS = ["electronic_information", "advanced_manufacturing", "modern_transport", "new_materials", "new_energy",
           "environment", "biomedicine", "urban_social"]
PHASE_STYLES = [lambda k: f"（{'一二三四五六'[k]}期）", lambda k: f"第{'一二三四五六'[k]}阶段", lambda k: f"模块{'ABCDEF'[k]}",
                lambda k: f" Part {k + 1}", lambda k: f"（第{k + 1}部分）", lambda k: f"-{k + 1}标段"]
POINTS = ["310101", "310104", "310115", "310112", "110108", "330106"]
LINE, DELEGATION = 5_000_000, 10_000_000


def _code(rng: random.Random, region: str) -> str:
    return make_code("91" + region + "".join(rng.choice(ALPHABET[:10] + "ABCDEFGHJK") for _ in range(9)))


@dataclass
class Seller:
    party: dict
    scale: float                 # typical contract size, yuan
    numbering: str               # "sequence" (date order), "random"
    prefix: str
    software_share: float
    kinds: list[str]
    sisters: list["Seller"] = field(default_factory=list)
    seq: int = 0


class World:
    def __init__(self, rng: random.Random, n_sellers: int, n_buyers: int):
        self.rng = rng
        self.codes: set[str] = set()
        self.sellers = [self._seller() for _ in range(n_sellers)]
        for s in rng.sample(self.sellers, n_sellers // 10):           # sister companies: same brand and region
            sister = self._seller(brand_of=s)
            s.sisters.append(sister)
            sister.sisters.append(s)
        self.buyers = [self._party(rng.choice(["company", "company", "university"])) for _ in range(n_buyers)]
        self.big_sellers = [s for s in self.sellers if s.scale >= 1_000_000] or self.sellers[:1]
        for s in self.sellers:
            s.clients = rng.sample(self.buyers, rng.randint(1, 6))

    def _party(self, kind: str, brand: str | None = None, city_region=None) -> dict:
        rng = self.rng
        city, regions = city_region or rng.choice(CITIES)
        region = regions if isinstance(regions, str) else rng.choice(regions)
        brand = brand or "".join(rng.sample(BRAND_CHARS, rng.choice([2, 2, 3])))
        if kind == "university":
            name = f"{city}{brand}大学" if rng.random() < 0.5 else f"{city}{brand}研究院"
        elif rng.random() < 0.3:
            name = f"{brand}（{city}）{rng.choice(INDUSTRY)}{rng.choice(LEGAL)}"
        else:
            name = f"{city}{'市' if rng.random() < 0.3 else ''}{brand}{rng.choice(INDUSTRY)}{rng.choice(LEGAL)}"
        while True:
            code = _code(rng, region)
            if code not in self.codes:
                self.codes.add(code)
                break
        return {"name": name, "credit_code": code, "region": region, "_brand": brand, "_city": (city, region)}

    def _seller(self, brand_of: Seller | None = None) -> Seller:
        rng = self.rng
        if brand_of:
            p = brand_of.party
            party = self._party("company", brand=p["_brand"], city_region=p["_city"])
        else:
            party = self._party("company")
        scale = rng.lognormvariate(12.2, 0.9)
        scale = min(scale, 1_500_000)
        style = rng.randrange(4)
        prefix = ["HT-{y}-", f"{party['_brand'][:1]}JS{{y}}", "TC-", f"{rng.randrange(10, 99)}-{{y}}-"][style]
        return Seller(party, scale, "sequence" if rng.random() < 0.7 else "random", prefix,
                      rng.choice([0.0, 0.2, 0.6, 0.9]),
                      rng.sample(list(KIND_WORD), rng.randint(1, 3)))


def _public(p: dict) -> dict:
    return {k: v for k, v in p.items() if not k.startswith("_")}


class Generator:
    def __init__(self, n: int, seed: int, start: dt.date = dt.date(2024, 1, 1), days: int = 720):
        self.rng = random.Random(seed)
        self.seed, self.start, self.days = seed, start, days
        self.world = World(self.rng, max(30, n // 25), max(30, n // 12))
        self.filings: list[dict] = []
        self.labels: dict[str, tuple[str, str]] = {}
        self.count = 0
        self.queue: list = []
        self.tiebreak = 10**9

    def later(self, day: dt.date, event) -> None:
        self.tiebreak += 1
        heapq.heappush(self.queue, ((day - self.start).days, self.tiebreak, event))

    def _amount(self, seller: Seller, factor: float = 1.0) -> float:
        return round(min(seller.scale * factor * self.rng.lognormvariate(0, 0.3), LINE * 0.8), -2) + 100

    def filing(self, seller: Seller, buyer: dict, signed: dt.date, *, amount: float | None = None,
               subject: str | None = None, suffix: str = "", software: bool | None = None, kind: str | None = None,
               start_offset: int | None = None, duration: int | None = None, filed_after: int | None = None,
               contract_no: str | None = None, label: tuple[str, str] | None = None, point: str | None = None) -> dict:
        rng = self.rng
        self.count += 1
        kind = kind or rng.choice(seller.kinds)
        software = (rng.random() < seller.software_share and kind in ("development", "service", "license")
                    if software is None else software)
        amount = amount if amount is not None else self._amount(seller)
        tech = round(amount * (1.0 if software else rng.uniform(0.7, 1.0)), 2)
        start = signed + dt.timedelta(days=rng.randrange(0, 20) if start_offset is None else start_offset)
        end = start + dt.timedelta(days=duration or rng.randrange(60, 540))
        filed = signed + dt.timedelta(days=filed_after if filed_after is not None else rng.randrange(1, 90))
        if contract_no is None:
            seller.seq += 1
            number = seller.seq if seller.numbering == "sequence" else rng.randrange(1, 9999)
            contract_no = seller.prefix.format(y=signed.year) + f"{number:04d}"
        subject = subject or rng.choice(SUBJECTS) + rng.choice(QUALIFIERS)
        title = f"{subject}{'软件' if software and '软件' not in subject else ''}{KIND_WORD[kind]}合同{suffix}"
        f = {"ref": f"SYN{self.seed}-{self.count:07d}", "contract_no": contract_no, "title": title, "kind": kind,
             "subkind": SUBKIND[kind], "software": software, "domain": rng.choice(DOMAINS),
             "seller": _public(seller.party), "buyer": _public(buyer), "amount": f"{amount:.2f}",
             "tech_amount": f"{tech:.2f}", "signed_on": signed.isoformat(), "performance_start": start.isoformat(),
             "performance_end": end.isoformat(), "filed_on": filed.isoformat(), "point": point or rng.choice(POINTS)}
        if f["subkind"] is None:
            del f["subkind"]
        self.filings.append(f)
        if label:
            self.labels[f["ref"]] = label
        return f

    def day(self, lo: int = 0, hi: int | None = None) -> dt.date:
        return self.start + dt.timedelta(days=self.rng.randrange(lo, hi or self.days))


def generate(n: int, seed: int = 7, anomaly_share: float = 0.08) -> tuple[list[dict], dict[str, tuple[str, str]]]:
    g = Generator(n, seed)
    rng, w = g.rng, g.world
    honest_events = [_ordinary] * 14 + [_renewal, _unrelated_projects, _real_phases, _early_start, _big_hardware,
                                        _big_software_seller, _late_application, _late_application]
    anomalies = [_split_line, _split_sister, _split_unknown_line, _large_over_line, _large_relative,
                 _backdated_before, _backdated_after_end, _backdated_sequence,
                 _duplicate_other_point, _duplicate_changed]
    # sellers number contracts as they sign them: events run in time order, and an event that
    # continues later (the next phase, next year's renewal) is queued for its own date
    for k in range(n):
        when = rng.randrange(g.days - 400)
        event = rng.choice(anomalies) if rng.random() < anomaly_share / 2.5 else rng.choice(honest_events)
        seller = rng.choice(w.sellers)
        heapq.heappush(g.queue, (when, k, functools.partial(event, g, seller, rng.choice(seller.clients))))
    while g.queue and len(g.filings) < n:
        when, _, event = heapq.heappop(g.queue)
        event(g.start + dt.timedelta(days=when))
    return g.filings, g.labels


# -- honest traffic and its look-alikes --------------------------------------------------------------

def _ordinary(g, s, b, d):
    g.filing(s, b, d)


def _renewal(g, s, b, d):                       # yearly renewal of one service
    subject, amount = g.rng.choice(SUBJECTS) + g.rng.choice(QUALIFIERS), g._amount(s)
    g.filing(s, b, d, subject=subject, suffix=f"（{d.year}年度）", amount=amount, kind="service")
    nxt = d + dt.timedelta(days=365 + g.rng.randrange(-15, 15))
    g.later(nxt, lambda day: g.filing(s, b, day, subject=subject, suffix=f"（{day.year}年度）", amount=amount,
                                      kind="service"))


def _unrelated_projects(g, s, b, d):            # different projects with one client, close together
    for subject in g.rng.sample(SUBJECTS, 2):
        g.filing(s, b, d + dt.timedelta(days=g.rng.randrange(0, 20)), subject=subject)


def _real_phases(g, s, b, d):                   # real phases, months apart
    subject, style = g.rng.choice(SUBJECTS) + g.rng.choice(QUALIFIERS), g.rng.choice(PHASE_STYLES)
    g.filing(s, b, d, subject=subject, suffix=style(0))
    g.later(d + dt.timedelta(days=g.rng.randrange(100, 240)),
            lambda day: g.filing(s, b, day, subject=subject, suffix=style(1)))


def _early_start(g, s, b, d):                   # a few days of work before signing is common
    g.filing(s, b, d, start_offset=-g.rng.randrange(1, 10))


def _big_hardware(g, s, b, d):                  # large, but not software
    g.filing(s, b, d, amount=round(g.rng.uniform(5e6, 3e7), -3), software=False, kind="development")


def _big_software_seller(g, s, b, d):           # a seller whose contracts are always big: big software is normal there
    s = g.rng.choice(g.world.big_sellers)
    g.filing(s, b, d, software=True, kind="development", amount=round(min(s.scale * g.rng.uniform(1.2, 2.5), 4.6e6), -3))


# -- anomalies -----------------------------------------------------------------------------------------

def _parts(g, total: float, line: float, count: int) -> list[float]:
    while True:
        weights = [g.rng.uniform(0.7, 1.3) for _ in range(count)]
        parts = [round(total * x / sum(weights), -2) for x in weights]
        if max(parts) < line:
            return parts


def _split(g, sellers, b, d, total, line, label, parts=None, numbered=True):
    count = max(2, min(4, int(total // (line * 0.95)) + 1 + g.rng.randrange(2)))
    parts = parts or _parts(g, total, line, count)
    subject = g.rng.choice(SUBJECTS) + g.rng.choice(QUALIFIERS)
    style = g.rng.choice(PHASE_STYLES) if numbered else (lambda k: "")
    kind = g.rng.choice(["development", "service"])
    for k, amount in enumerate(parts):
        g.filing(sellers[k % len(sellers)], b, d + dt.timedelta(days=g.rng.randrange(0, 14)), amount=amount,
                 subject=subject, suffix=style(k), software=False, kind=kind, label=label)


def _split_line(g, s, b, d):
    line = g.rng.choice([LINE, DELEGATION])
    _split(g, [s], b, d, g.rng.uniform(1.1, 2.2) * line, line, ("split", "same_seller_over_line"))


def _split_sister(g, s, b, d):
    if not s.sisters:
        s = g.rng.choice([x for x in g.world.sellers if x.sisters])
    _split(g, [s] + s.sisters, b, d, g.rng.uniform(1.1, 1.8) * LINE, LINE, ("split", "sister_companies"))


def _split_unknown_line(g, s, b, d):            # under a buyer's own approval limit the registry never sees
    line = g.rng.choice([300_000, 500_000, 1_000_000, 2_000_000, 3_000_000])
    if g.rng.random() < 0.5:                    # numbered parts of any size
        _split(g, [s], b, d, g.rng.uniform(1.2, 2.5) * line, line, ("split", "unknown_line_numbered"))
    else:                                       # same title, each part just under the limit
        parts = [round(line * g.rng.uniform(0.85, 0.99), -2) for _ in range(g.rng.randrange(2, 4))]
        _split(g, [s], b, d, sum(parts), line, ("split", "unknown_line_unnumbered"), parts=parts, numbered=False)


def _large_over_line(g, s, b, d):
    g.filing(s, b, d, software=True, kind="development", amount=round(g.rng.uniform(5e6, 2e7), -3),
             label=("large_software", "over_line"))


def _large_relative(g, s, b, d):                # large only against the seller's own history
    if s.scale > 400_000:
        s = g.rng.choice([x for x in g.world.sellers if x.scale <= 400_000])
    for k in range(5):                          # the seller's ordinary history, numbered apart
        g.filing(s, g.rng.choice(s.clients), d - dt.timedelta(days=g.rng.randrange(30, 300)), software=True,
                 kind="development", amount=g._amount(s), contract_no=f"LS{g.rng.randrange(10**6)}-{k}")
    amount = round(min(s.scale * g.rng.uniform(10, 25), 4_800_000), -2)
    g.filing(s, b, d, software=True, kind="development", amount=amount, label=("large_software", "relative_to_seller"))


def _backdated_before(g, s, b, d):
    g.filing(s, b, d, start_offset=-g.rng.randrange(30, 240), label=("backdated", "performance_before_signing"))


def _backdated_after_end(g, s, b, d):
    days = g.rng.randrange(60, 400)
    g.filing(s, b, d, start_offset=-days - g.rng.randrange(30, 200), duration=days,
             label=("backdated", "signed_after_performance"))


def _backdated_sequence(g, s, b, d):            # numbered in order now, dated months earlier
    if s.numbering != "sequence":
        s = g.rng.choice([x for x in g.world.sellers if x.numbering == "sequence"])
    for k in range(4):                          # the seller's contracts of these days, in number order
        g.filing(s, g.rng.choice(s.clients), d + dt.timedelta(days=k))
    d = d + dt.timedelta(days=4)
    claimed = d - dt.timedelta(days=g.rng.randrange(90, 240))
    s.seq += 1
    g.filing(s, b, claimed, contract_no=s.prefix.format(y=d.year) + f"{s.seq:04d}",
             filed_after=(d - claimed).days + g.rng.randrange(1, 30), label=("backdated", "sequence_inversion"))


def _late_application(g, s, b, d):             # applied months after signing, dates consistent: honest
    g.filing(s, b, d, filed_after=g.rng.randrange(90, 720))


def _duplicate_other_point(g, s, b, d):
    original = g.filing(s, b, d)
    copy = dict(original, ref=f"SYN{g.seed}-{g.count + 1:07d}",
                point=g.rng.choice([p for p in POINTS if p != original["point"]]))
    copy["filed_on"] = (dt.date.fromisoformat(original["filed_on"]) + dt.timedelta(days=g.rng.randrange(5, 60))).isoformat()
    g.count += 1
    g.filings.append(copy)
    g.labels[copy["ref"]] = ("duplicate", "other_point")


def _duplicate_changed(g, s, b, d):
    original = g.filing(s, b, d)
    change = g.rng.choice(["title", "amount", "date"])
    copy = dict(original, ref=f"SYN{g.seed}-{g.count + 1:07d}")
    if change == "title":
        copy["title"] = original["title"].replace("合同", "项目合同") if g.rng.random() < 0.5 else "关于" + original["title"]
    elif change == "amount":
        factor = g.rng.uniform(0.95, 1.05)
        copy["amount"] = f"{float(original['amount']) * factor:.2f}"
        copy["tech_amount"] = f"{min(float(original['tech_amount']) * factor, float(copy['amount'])):.2f}"
    else:
        shift = dt.timedelta(days=g.rng.randrange(1, 10))
        for k in ("signed_on", "performance_start", "performance_end"):
            copy[k] = (dt.date.fromisoformat(original[k]) + shift).isoformat()
    copy["filed_on"] = max(copy["signed_on"], (dt.date.fromisoformat(original["filed_on"])
                                               + dt.timedelta(days=g.rng.randrange(3, 40))).isoformat())
    g.count += 1
    g.filings.append(copy)
    g.labels[copy["ref"]] = ("duplicate", f"changed_{change}")
