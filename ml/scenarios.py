"""Independent, labelled synthetic technology-contract filings (format v1) in named scenarios.

Written from the domain description only (fraud patterns and their honest look-alikes), without
looking at any detector.  Stdlib only.

    SCENARIOS: dict[str, Scenario]
    HELD_OUT:  str
    generate(n, seed, scenario="baseline") -> (filings, labels)

labels maps ref -> (kind, pattern) for anomalous filings only; kind is one of
'split', 'large_software', 'backdated', 'duplicate'.

Run ``python -m ml.scenarios`` (from the repository root) to validate every scenario.
"""
from __future__ import annotations

import math
import random
import re
import statistics
import sys
import time
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date
from itertools import accumulate

from techreg.registry.creditcode import ALPHABET, make_code

# --------------------------------------------------------------------------------------------
# settings (figures from the domain notes; kept as named settings, not buried constants)
# --------------------------------------------------------------------------------------------
LARGE_LINE = 5_000_000          # draft national rule: tech_amount >= this is a "large" contract
DELEGATION_LINE = 10_000_000    # provinces delegating contracts below this to city offices
BUYER_LINES = (200_000, 500_000, 1_000_000, 2_000_000, 3_000_000)  # buyers' own tender/approval limits
SW_SAFE = 4_950_000             # honest software contracts stay below this tech_amount
GUARD_DAYS = 130                # honest contracts never repeat (buyer, subject) within this many days
MIN_DATE = date(2019, 1, 1).toordinal()
MAX_DATE = date(2026, 6, 30).toordinal()

# (line, basis, pattern tag) for split deals
SPLIT_LINES = (
    (200_000, "amount", "buyer_limit"),
    (500_000, "amount", "buyer_limit"),
    (1_000_000, "amount", "buyer_limit"),
    (2_000_000, "amount", "buyer_limit"),
    (3_000_000, "amount", "buyer_limit"),
    (LARGE_LINE, "tech", "large"),
    (DELEGATION_LINE, "amount", "delegation"),
)
ALL_LINES = BUYER_LINES + (LARGE_LINE, DELEGATION_LINE)

STYLE_NAMES = ("guanyu_phase", "phase_suffix", "module", "supplement", "continued", "stage_prefix",
               "phase_en", "lot", "part", "num_front", "roman_suffix")


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    anomaly_rate: float = 0.065                 # share of filings carrying a label
    kind_mix: tuple = (0.36, 0.18, 0.24, 0.22)  # split, large_software, backdated, duplicate
    over_line_share: float = 0.5                # of large_software: over_line vs relative
    backdated_mix: tuple = (0.40, 0.25, 0.35)   # performance_before_signing, signed_after_end, sequence_inversion
    late_share: float = 0.28                    # honest filings filed 60+ days after signing
    very_late_frac: float = 0.12                # of late filings: more than a year
    early_start: float = 0.08                   # honest: work starts 1-14 days before signing
    spread_mix: tuple = (0.35, 0.45, 0.20)      # sellers narrow / medium / wide amount spread
    region_missing: float = 0.15                # parties without region
    group_share: float = 0.22                   # sellers belonging to a group of sister companies
    sister_styles: int = 3                      # how many company-name styles sisters use
    sister_share: float = 0.30                  # split deals spread over sister companies
    split_multi_point: float = 0.25             # split deals whose parts go to several points
    honest_alt_point: float = 0.05              # honest filings at a point other than the seller's own
    round_share: float = 0.35                   # round amounts (480000.00) vs not (487316.52)
    split_size_w: tuple = (0.40, 0.35, 0.25)    # just_under, unequal, mixed part sizes
    split_line_w: tuple = (0.12, 0.14, 0.16, 0.10, 0.08, 0.28, 0.12)  # SPLIT_LINES weights
    split_mixed_kinds: float = 0.35             # split deals mixing 开发/服务/咨询
    split_gap_w: tuple = (0.25, 0.40, 0.35)     # same day / days / weeks
    naming: tuple = (3, 3, 2, 1.5, 1.5, 1.5, 1, 1, 1, 1, 1)  # weights over STYLE_NAMES
    alt_vocab: float = 0.12                     # share of subjects from the alternate vocabulary
    qualifier_share: float = 0.20               # subjects with a qualifier (新一代…, 基于…的)
    qual_set: int = 0                           # which qualifier list
    lookalike_scale: float = 1.0                # multiplies honest look-alike budgets
    honest_just_under: float = 0.04             # honest singles priced just under a line
    seq_share: float = 0.60                     # sellers numbering contracts in signing order
    sign_start: str = "2023-01-01"
    sign_days: int = 900


SCENARIOS: dict[str, Scenario] = {}


def _add(s: Scenario) -> None:
    SCENARIOS[s.name] = s


_add(Scenario("baseline", "moderate settings on every axis; late filing common, some sisters, mixed rounding"))
_add(Scenario("late_filers", "very common late application (about half filed 60-600 days after signing), longer history",
              late_share=0.52, very_late_frac=0.2, early_start=0.10, sign_start="2022-07-01", sign_days=1000,
              backdated_mix=(0.45, 0.25, 0.30), naming=(1, 2, 3, 2, 2, 1, 1, 1.5, 1, 1.5, 1)))
_add(Scenario("wide_spread_sellers", "most sellers' amounts spread over an order of magnitude; honest 5-10x contracts common",
              spread_mix=(0.12, 0.25, 0.63), over_line_share=0.6, lookalike_scale=1.2, late_share=0.25,
              naming=(2, 1, 3, 1, 1, 2, 1, 1, 2, 1, 1)))
_add(Scenario("regions_missing", "about half of all parties carry no region code; otherwise baseline-like",
              region_missing=0.5, late_share=0.30, sister_share=0.35,
              naming=(1, 1, 2, 2, 2, 2, 1, 2, 1, 1, 2)))
_add(Scenario("many_points_sisters", "large seller groups named in many ways, split parts spread over several points",
              group_share=0.45, sister_styles=6, sister_share=0.70, split_multi_point=0.70, honest_alt_point=0.18,
              late_share=0.30, naming=(1, 1, 2, 1, 1, 2, 2, 2, 2, 2, 1)))
_add(Scenario("round_amounts", "mostly round amounts, many honest and split amounts just under lines",
              round_share=0.82, honest_just_under=0.09, split_size_w=(0.55, 0.25, 0.20), late_share=0.22,
              split_line_w=(0.18, 0.2, 0.18, 0.1, 0.08, 0.18, 0.08), naming=(2, 2, 1, 1, 1, 1, 1, 2, 1, 1, 1)))
_add(Scenario("mixed_hard", "held out: hard settings combined with own draws (alt vocabulary, other naming mix)",
              anomaly_rate=0.055, kind_mix=(0.40, 0.18, 0.22, 0.20), late_share=0.38, very_late_frac=0.18,
              spread_mix=(0.25, 0.35, 0.40), region_missing=0.35, group_share=0.38, sister_styles=6,
              sister_share=0.55, split_multi_point=0.5, honest_alt_point=0.12, round_share=0.5,
              split_size_w=(0.3, 0.45, 0.25), split_line_w=(0.2, 0.18, 0.16, 0.12, 0.1, 0.16, 0.08),
              split_mixed_kinds=0.5, split_gap_w=(0.15, 0.35, 0.5),
              naming=(0.5, 1, 1.5, 1, 1, 2, 3, 3, 2.5, 3, 3), alt_vocab=0.6, qualifier_share=0.3, qual_set=1,
              lookalike_scale=1.4, honest_just_under=0.06, seq_share=0.5, sign_start="2022-10-01", sign_days=960))

HELD_OUT = "mixed_hard"

# --------------------------------------------------------------------------------------------
# vocabulary
# --------------------------------------------------------------------------------------------
DOMAINS = ("electronic_information", "advanced_manufacturing", "aerospace", "modern_transport", "agriculture",
           "new_materials", "new_energy", "environment", "nuclear", "biomedicine", "urban_social")
DOMAIN_W = (0.34, 0.12, 0.025, 0.06, 0.04, 0.05, 0.08, 0.07, 0.015, 0.09, 0.10)

# subject, T = usually software / F = not software
_V = {
    "electronic_information": "智慧园区综合管理平台T 企业级数据中台T 工业互联网标识解析二级节点T 城市运行一网统管平台T "
    "医院信息集成平台T 供应链金融风控系统T 智能客服对话引擎T 政务数据共享交换平台T 网络安全态势感知系统T 电子签章与存证系统T "
    "低代码业务流程平台T 智能仓储管理系统T 图像识别质检算法T 边缘计算视频分析网关T 多模态大模型推理加速框架T "
    "银行核心系统分布式改造T 5G专网切片管理系统T 零信任访问控制平台T",
    "advanced_manufacturing": "数控机床热误差补偿技术F 工业机器人离线编程系统T 注塑模具随形冷却设计F 激光焊接工艺参数优化F "
    "智能产线数字孪生系统T 精密减速器齿形修形技术F 设备预测性维护系统T 制造执行系统MEST 柔性装配线视觉引导T "
    "增材制造金属粉末床工艺F 高速主轴动平衡技术F 钣金件自动排样算法T",
    "aerospace": "无人机集群协同控制算法T 航空发动机叶片涂层工艺F 卫星遥感影像解译系统T 机载设备振动试验方法F "
    "飞行器结构健康监测系统T 商业航天测控软件T 复合材料机翼铺层设计F 航空零件无损检测技术F 低空飞行服务保障平台T "
    "导航接收机抗干扰算法T",
    "modern_transport": "智能网联汽车测试评价体系F 城市轨道交通信号仿真平台T 港口集装箱自动化调度系统T 交通信号自适应控制系统T "
    "新能源公交智能调度平台T 高速公路路面病害识别算法T 船舶能效管理系统T 车路协同路侧感知系统T 网约车合规监管平台T "
    "铁路货运物流追踪系统T 自动驾驶高精地图更新T",
    "agriculture": "设施蔬菜水肥一体化技术F 水稻新品种选育技术F 智慧农场物联网监测系统T 生猪养殖环境智能调控F "
    "农产品质量溯源平台T 茶叶加工工艺改进F 食用菌工厂化栽培技术F 农田土壤墒情监测系统T 水产养殖尾水处理技术F "
    "植物病虫害智能识别系统T 种子活力快速检测方法F",
    "new_materials": "锂电池正极材料烧结工艺F 高性能碳纤维原丝制备F 石墨烯导热膜制备技术F 生物基可降解塑料改性F "
    "高温合金精密铸造工艺F 光学级聚酰亚胺薄膜F 陶瓷基复合材料制备F 材料基因数据库系统T 钙钛矿薄膜材料配方F "
    "稀土永磁材料晶界扩散技术F 特种涂料配方优化F",
    "new_energy": "分布式光伏运维管理平台T 储能电站能量管理系统T 氢燃料电池电堆测试技术F 风电机组故障诊断系统T "
    "建筑能耗监测平台T 虚拟电厂调度系统T 余热回收利用技术F 充电桩运营管理平台T 电池管理系统BMS算法T "
    "光伏组件缺陷检测技术F 综合能源服务平台T 高效热泵机组设计F",
    "environment": "城市内涝监测预警系统T 工业废水深度处理工艺F 垃圾焚烧烟气净化技术F 土壤重金属污染修复技术F "
    "大气污染源解析服务F 河道水质在线监测平台T 固废资源化利用技术F 碳排放核算管理系统T VOCs治理技术方案F "
    "环境监测数据质控系统T 污泥干化处置技术F",
    "nuclear": "核电站设备老化管理系统T 放射性废物处理工艺F 核级阀门密封技术F 辐射剂量监测系统T 同位素标记化合物制备F "
    "核电仪控系统验证T 辐照灭菌工艺优化F 反应堆热工水力分析软件T",
    "biomedicine": "单克隆抗体纯化工艺F 医学影像辅助诊断软件T 体外诊断试剂盒开发F 细胞治疗制备工艺F 临床试验数据管理系统T "
    "中药配方颗粒质量标准F 手术机器人控制系统T 基因测序数据分析平台T 药物晶型筛选技术F 医疗器械注册检验技术F "
    "互联网医院平台T 疫苗佐剂配方研究F",
    "urban_social": "智慧社区服务平台T 建筑信息模型BIM应用T 老旧小区改造评估F 城市更新规划研究F 智慧养老服务系统T "
    "地下管网GIS管理系统T 装配式建筑节点设计F 智慧校园管理平台T 城市生命线安全监测系统T 公共文化数字资源平台T "
    "海绵城市建设技术F 智慧停车管理系统T",
}
VOCAB_MAIN: dict[str, list] = {}
VOCAB_ALT: dict[str, list] = {}
for _d, _txt in _V.items():
    _items = [(w[:-1], w[-1] == "T") for w in _txt.split()]
    _cut = max(1, round(len(_items) * 0.7))
    VOCAB_MAIN[_d], VOCAB_ALT[_d] = _items[:_cut], _items[_cut:]
VOCAB_ALL = {d: VOCAB_MAIN[d] + VOCAB_ALT[d] for d in DOMAINS}

QUALIFIERS = (("新一代", "基于人工智能的", "一体化", "国产化", "改进型", "区域级"),
              ("面向中小企业的", "基于大数据的", "云原生", "低成本", "多场景", "高可靠"))
MODULES_SW = ("数据采集模块", "可视化子系统", "接口适配模块", "移动端应用", "运维监控模块", "算法模型",
              "数据治理模块", "用户权限子系统", "报表分析模块", "硬件对接模块")
MODULES_HW = ("工艺验证", "中试放大", "性能测试", "样机研制", "配方优化", "检测方法", "小试研究", "现场应用")

KINDS = ("development", "transfer", "license", "consulting", "service")
KW_FULL = {"development": "技术开发", "transfer": "技术转让", "license": "技术许可", "consulting": "技术咨询",
           "service": "技术服务"}
KW_SHORT = {"development": "开发", "transfer": "转让", "license": "许可", "consulting": "咨询", "service": "服务"}
SUBKINDS = {
    "development": (("commissioned", "cooperative"), (0.8, 0.2)),
    "transfer": (("patent", "patent_application", "technical_secret", "other"), (0.3, 0.1, 0.35, 0.25)),
    "license": (("patent", "technical_secret", "other"), (0.45, 0.3, 0.25)),
    "consulting": ((), ()),
    "service": (("service", "training", "intermediary"), (0.82, 0.12, 0.06)),
}

# city -> (party regions, registration points, weight for sellers)
CITIES = {
    "上海": (("310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112", "310113",
             "310114", "310115", "310117", "310118", "310120"),
            ("310101", "310104", "310105", "310110", "310112", "310115", "310117"), 0.55),
    "北京": (("110101", "110102", "110105", "110106", "110108", "110114"), ("110108", "110105", "110102"), 0.10),
    "杭州": (("330102", "330106", "330108", "330110"), ("330106", "330108"), 0.07),
    "深圳": (("440303", "440304", "440305", "440306"), ("440305", "440304"), 0.07),
    "苏州": (("320505", "320506", "320508"), ("320505", "320508"), 0.06),
    "南京": (("320102", "320106", "320115"), ("320115", "320106"), 0.05),
    "武汉": (("420102", "420106", "420111"), ("420111",), 0.04),
    "成都": (("510104", "510107", "510116"), ("510107",), 0.03),
    "合肥": (("340104", "340111"), ("340104",), 0.03),
}
BUYER_ONLY_CITIES = {"广州": ("440105", "440106"), "天津": ("120104", "120116"), "西安": ("610113",),
                     "重庆": ("500112",), "宁波": ("330212",), "无锡": ("320214",)}
SELLER_CITY_NAMES = tuple(CITIES)
SELLER_CITY_W = tuple(v[2] for v in CITIES.values())
ALL_POINTS = tuple(p for v in CITIES.values() for p in v[1])

IND = {
    "electronic_information": ("科技", "信息技术", "软件", "网络科技", "数字技术", "智能科技", "信息科技", "数据科技"),
    "advanced_manufacturing": ("智能装备", "机械科技", "自动化科技", "精密制造", "工业技术"),
    "aerospace": ("航空科技", "航天技术", "飞行器科技"),
    "modern_transport": ("交通科技", "智能交通", "汽车科技", "物流科技"),
    "agriculture": ("农业科技", "生物科技", "种业科技"),
    "new_materials": ("新材料科技", "材料科技", "化工科技"),
    "new_energy": ("新能源科技", "能源科技", "电力科技", "储能科技"),
    "environment": ("环保科技", "环境技术", "生态科技"),
    "nuclear": ("核技术", "辐射技术"),
    "biomedicine": ("生物医药", "生物科技", "医疗科技", "医药科技"),
    "urban_social": ("建筑科技", "城市科技", "规划设计", "工程技术"),
}
GENERIC_IND = ("科技", "信息技术", "软件", "网络科技", "数字技术", "智能科技")
SELLER_STYLES = ("{c}{b}{i}有限公司", "{b}（{c}）{i}有限公司", "{c}{b}{i}股份有限公司", "{b}{i}({c})有限公司",
                 "{b}{i}（{c}）有限公司", "{c}市{b}{i}有限公司", "{c}{b}{i}发展有限公司")
INSTITUTE_STYLES = ("{c}{b}研究院", "{b}工业技术研究院", "{c}{b}理工大学", "中国科学院{c}{b}研究所")
BUYER_IND = ("制造", "电子", "医药", "汽车零部件", "物流", "置业", "能源", "化工", "食品", "通信", "电力",
             "环境工程", "建设", "投资控股", "供应链管理", "精密机械", "纺织")
AGENCIES = ("交通运输局", "生态环境局", "水务局", "卫生健康委员会", "规划和自然资源局", "城市管理局",
            "经济和信息化局", "数据局", "农业农村局", "应急管理局")
BRAND_A = "华中新联创恒科智博天达鼎瑞宏泰安信嘉和康睿盛优明星海云启正远卓伟东汇金英腾晨思源致微普众"
BRAND_B = "峰创信科达泰通威联讯锐捷辰宇航图拓维新源盛睿诚远智安益德途川凯越芯数衡辉"
LETTERS = "ABCDEFGHJKLMNPQRSTWXYZ"

FMT_YEAR = ("HT-{Y}-{n:04d}", "{P}-{Y}{n:03d}", "{P}{y}{n:04d}", "{P}JS{Y}-{n:03d}", "（{Y}）{P}技字第{n:03d}号",
            "{P}-HT-{Y}-{n:03d}", "HT{Y}-{n:03d}", "JS-{Y}-{n:04d}")
FMT_CONT = ("{P}{n:05d}", "{P}-{n:04d}", "JSHT{n:06d}", "{P}-JS-{n:05d}")
FMT_DEPT = ("{P}-{D}-{Y}{n:03d}", "{D}{Y}-{n:03d}", "{P}{D}{y}{n:03d}")
FMT_NOYEAR = ("{P}-{n:03d}", "HT-{n:03d}", "{P}JS{n:03d}")
DEPTS = ("KF", "FW", "ZX", "JS", "RJ", "SH", "BJ", "YF")

_CN = "零一二三四五六七八九十"
_ROMAN = ("", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")


def _cn(i: int) -> str:
    if i <= 10:
        return _CN[i]
    return "十" + _CN[i - 10] if i < 20 else str(i)


def _roman(i: int) -> str:
    return _ROMAN[i] if i <= 10 else str(i)


def _iso(o: int) -> str:
    return date.fromordinal(o).isoformat()


def _money(c: int) -> str:
    return f"{c // 100}.{c % 100:02d}"


# --------------------------------------------------------------------------------------------
# titles
# --------------------------------------------------------------------------------------------
def _style_title(style: str, s: str, i: int, kind: str, mod: str, rng: random.Random) -> str:
    kf, ks = KW_FULL[kind], KW_SHORT[kind]
    if style == "guanyu_phase":
        w = {"development": "开发", "service": "技术服务", "consulting": "咨询"}.get(kind, "技术")
        return rng.choice((f"关于{s}的{w}项目（{_cn(i)}期）", f"关于{s}的{w}项目({_cn(i)}期)"))
    if style == "phase_suffix":
        return rng.choice((f"{s}{_cn(i)}期{ks}", f"{s}{_cn(i)}期{kf}合同", f"{s}（{_cn(i)}期）{kf}"))
    if style == "module":
        return rng.choice((f"{s}{mod}{ks}", f"{s}—{mod}", f"{s}-{mod}{kf}", f"{s}{mod}"))
    if style == "supplement":
        return rng.choice((f"{s}{kf}合同（补充）", f"{s}{kf}补充协议", f"{s}{kf}（补充{_cn(i)}）"))
    if style == "continued":
        return rng.choice((f"{s}{kf}（续）", f"{s}{kf}（续{_cn(i)}）", f"{s}后续{kf}"))
    if style == "stage_prefix":
        return rng.choice((f"第{i}阶段：{s}", f"第{_cn(i)}阶段：{s}{ks}", f"第{i}阶段:{s}{kf}"))
    if style == "phase_en":
        return rng.choice((f"{s} Phase {_roman(i)}", f"{s}（Phase {i}）", f"{s}{kf} Phase {_roman(i)}"))
    if style == "lot":
        return rng.choice((f"{s}项目-标段{i}", f"{s}项目第{i}标段", f"{s}项目标段{_cn(i)}{ks}"))
    if style == "part":
        return rng.choice((f"{s}（第{_cn(i)}部分）", f"{s}{kf}（第{i}部分）", f"{s}(第{_cn(i)}部分)"))
    if style == "num_front":
        return rng.choice((f"{i}-{s}{kf}", f"（{_cn(i)}）{s}", f"{_roman(i)}、{s}{ks}", f"{i}号包 {s}{kf}"))
    return rng.choice((f"{s}{kf}合同 {_roman(i)}", f"{s}{ks}-{_roman(i)}", f"{s}{kf}（{_roman(i)}）"))


def _single_title(s: str, kind: str, sub: str | None, sw: bool, rng: random.Random) -> str:
    if kind == "development":
        o = [f"{s}技术开发合同", f"{s}开发项目", f"关于{s}的技术开发合同", f"{s}研发项目",
             f"{s}合作开发协议" if sub == "cooperative" else f"{s}委托开发合同"]
        if sw:
            o += [f"{s}软件开发", f"{s}软件开发合同", f"{s}系统开发"]
    elif kind == "service":
        if sub == "training":
            o = [f"{s}技术培训", f"{s}技术培训服务合同", f"{s}应用培训"]
        elif sub == "intermediary":
            o = [f"{s}技术中介服务", f"{s}成果转化中介服务"]
        else:
            o = [f"{s}技术服务合同", f"关于{s}的技术服务合同", f"{s}技术支持服务", f"{s}测试技术服务"]
            o += [f"{s}运维技术服务", f"{s}实施服务"] if sw else [f"{s}检测技术服务", f"{s}工艺技术服务"]
    elif kind == "consulting":
        o = [f"{s}项目技术咨询", f"{s}可行性研究", f"{s}技术咨询合同", f"关于{s}的技术咨询", f"{s}技术评估咨询",
             f"{s}方案论证"]
    elif kind == "transfer":
        o = {"patent": [f"{s}专利权转让合同", f"{s}相关专利转让"], "patent_application": [f"{s}专利申请权转让"],
             "technical_secret": [f"{s}技术秘密转让合同", f"{s}技术转让合同"]}.get(sub, [f"{s}技术转让合同"])
        if sw and sub in (None, "other"):
            o = o + [f"{s}软件著作权转让"]
    else:
        o = {"patent": [f"{s}专利实施许可合同"], "technical_secret": [f"{s}技术秘密许可"]}.get(sub, [f"{s}技术许可合同"])
        if sw and sub in (None, "other"):
            o = o + [f"{s}软件使用许可"]
    return rng.choice(o)


# --------------------------------------------------------------------------------------------
# the builder
# --------------------------------------------------------------------------------------------
class _Org:
    __slots__ = ("idx", "name", "code", "region", "show_region", "city", "brand", "group", "is_seller",
                 "mu", "sigma", "spread", "domains", "pool", "sw_focus", "kind_w", "scheme", "fmt", "prefix",
                 "home", "late_p", "round_p", "always_big", "clients", "recs", "depts")

    def __init__(self, idx):
        self.idx = idx
        self.group = None
        self.is_seller = False
        self.clients = []
        self.recs = []


class _Builder:
    def __init__(self, n: int, seed: int, scn: Scenario):
        self.n, self.seed, self.scn = n, seed, scn
        self.rng = random.Random(f"techreg-scenarios|{scn.name}|{seed}")
        self.W0 = date.fromisoformat(scn.sign_start).toordinal()
        self.W1 = self.W0 + scn.sign_days
        self.codes: set = set()
        self.names: set = set()
        self.orgs: list = []
        self.sellers: list = []
        self.groups: list = []
        self.buyers: list = []
        self.recs: list = []
        self.guard: dict = {}
        self.quals = QUALIFIERS[scn.qual_set]

    # ---------------- entities ----------------
    def _code(self, head2: str, region: str) -> str:
        rng = self.rng
        while True:
            if rng.random() < 0.6:
                org = "MA" + "".join(rng.choice(ALPHABET) for _ in range(7))
            else:
                org = "".join(rng.choice("0123456789") for _ in range(8)) + rng.choice(ALPHABET)
            code = make_code(head2 + region + org)
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _brand(self) -> str:
        rng = self.rng
        if rng.random() < 0.85:
            return rng.choice(BRAND_A) + rng.choice(BRAND_B)
        return rng.choice(BRAND_A) + rng.choice(BRAND_B) + rng.choice(BRAND_B)

    def _new_org(self, name, head2, city, region) -> _Org:
        o = _Org(len(self.orgs))
        o.name, o.city, o.region = name, city, region
        o.code = self._code(head2, region)
        o.show_region = self.rng.random() >= self.scn.region_missing
        self.names.add(name)
        self.orgs.append(o)
        return o

    def _seller_attrs(self, o: _Org, domains, mu, always_big=False):
        rng, scn = self.rng, self.scn
        o.is_seller = True
        o.domains = domains
        o.always_big = always_big
        if always_big:
            o.spread, o.sigma = "narrow" if rng.random() < 0.6 else "medium", rng.uniform(0.12, 0.35)
        else:
            o.spread = rng.choices(("narrow", "medium", "wide"), weights=scn.spread_mix)[0]
            o.sigma = {"narrow": (0.12, 0.30), "medium": (0.35, 0.70), "wide": (0.90, 1.30)}[o.spread]
            o.sigma = rng.uniform(*o.sigma)
        o.mu = mu
        o.pool = self._make_pool(domains)
        if always_big:
            o.sw_focus = 0.95
        elif domains[0] == "electronic_information":
            o.sw_focus = rng.uniform(0.5, 0.95)
        else:
            o.sw_focus = rng.uniform(0.05, 0.45)
        base = (0.45, 0.08, 0.05, 0.12, 0.30)
        o.kind_w = tuple(b * rng.uniform(0.3, 1.7) for b in base)
        r = rng.random()
        if r < scn.seq_share:
            o.scheme = "seq_year" if rng.random() < 0.6 else "seq_cont"
        else:
            o.scheme = rng.choices(("dept", "restart_noyear", "draft", "random"), weights=(0.3, 0.2, 0.25, 0.25))[0]
        o.fmt = {"seq_year": FMT_YEAR, "seq_cont": FMT_CONT, "dept": FMT_DEPT, "restart_noyear": FMT_NOYEAR,
                 "draft": FMT_YEAR + FMT_CONT, "random": ("R",)}[o.scheme]
        o.fmt = rng.choice(o.fmt)
        o.depts = rng.sample(DEPTS, rng.randint(2, 4))
        o.prefix = "".join(rng.choice(LETTERS) for _ in range(rng.randint(2, 4)))
        regions, points, _ = CITIES[o.city]
        o.home = o.region if o.region in points else rng.choice(points)
        o.late_p = min(0.95, max(0.0, rng.gauss(scn.late_share, 0.15)))
        o.round_p = min(1.0, max(0.0, rng.gauss(scn.round_share, 0.2)))

    def _make_pool(self, domains):
        rng, scn = self.rng, self.scn
        size = rng.randint(4, 10)
        pool, seen = [], set()
        for _ in range(size * 4):
            if len(pool) >= size:
                break
            dom = domains[0] if (len(domains) == 1 or rng.random() < 0.75) else domains[1]
            src = VOCAB_ALT[dom] if (VOCAB_ALT[dom] and rng.random() < scn.alt_vocab) else VOCAB_MAIN[dom]
            core, sw = rng.choice(src)
            if core in seen:
                continue
            seen.add(core)
            full = core if rng.random() >= scn.qualifier_share else rng.choice(self.quals) + core
            pool.append((core, full, dom, sw))
        return pool

    def _domains(self):
        rng = self.rng
        d = [rng.choices(DOMAINS, weights=DOMAIN_W)[0]]
        if rng.random() < 0.3:
            d2 = rng.choices(DOMAINS, weights=DOMAIN_W)[0]
            if d2 != d[0]:
                d.append(d2)
        return d

    def _unique_name(self, make):
        for _ in range(200):
            name = make()
            if name not in self.names and len(name) <= 200:
                return name
        raise RuntimeError("could not make a unique name")

    def build_orgs(self):
        rng, scn = self.rng, self.scn
        n_sellers = max(12, self.n // 12)
        em = 2.7
        pg = scn.group_share / (em - scn.group_share * (em - 1))
        gid = 0
        while len(self.sellers) < n_sellers:
            if rng.random() < pg:
                m = rng.choices((2, 3, 4), weights=(0.5, 0.3, 0.2))[0]
                gid += 1
                brand = None
                domains = self._domains()
                gmu = min(math.log(3e6), max(math.log(4e4), math.log(3e5) + rng.gauss(0, 0.85)))
                styles = rng.sample(SELLER_STYLES[:max(1, scn.sister_styles)], min(m, max(1, scn.sister_styles)))
                inds = list(IND[domains[0]]) + list(GENERIC_IND)
                inds = rng.sample(inds, min(len(inds), m + 2))
                for _ in range(50):
                    brand = self._brand()
                    if not any(brand in x for x in self.names):
                        break
                members = []
                for j in range(m):
                    city = "上海" if (j == 0 and rng.random() < 0.6) else rng.choices(SELLER_CITY_NAMES, weights=SELLER_CITY_W)[0]
                    if j > 0 and rng.random() < 0.5:
                        city = rng.choice([c for c in SELLER_CITY_NAMES if c != members[0].city])
                    region = rng.choice(CITIES[city][0])
                    style = styles[j % len(styles)]
                    ind = inds[j % len(inds)]
                    name = self._unique_name(lambda: style.format(c=city, b=brand, i=rng.choice(inds) if len(members) else ind))
                    o = self._new_org(name, "91", city, region)
                    o.brand, o.group = brand, gid
                    self._seller_attrs(o, domains, gmu + rng.gauss(0, 0.3))
                    members.append(o)
                    self.sellers.append(o)
                self.groups.append(members)
            else:
                city = rng.choices(SELLER_CITY_NAMES, weights=SELLER_CITY_W)[0]
                region = rng.choice(CITIES[city][0])
                domains = self._domains()
                always_big = domains[0] == "electronic_information" and rng.random() < 0.06
                if rng.random() < 0.12 and not always_big:
                    st = rng.choice(INSTITUTE_STYLES)
                    brand = [None]

                    def mk():
                        brand[0] = self._brand()
                        return st.format(c=city, b=brand[0])
                    name = self._unique_name(mk)
                    o = self._new_org(name, "12", city, region)
                    o.brand = brand[0]
                else:
                    st = rng.choice(SELLER_STYLES)
                    ind = rng.choice(IND[domains[0]])
                    brand = [None]

                    def mk():
                        brand[0] = self._brand()
                        return st.format(c=city, b=brand[0], i=ind)
                    name = self._unique_name(mk)
                    o = self._new_org(name, "91", city, region)
                    o.brand = brand[0]
                if always_big:
                    mu = math.log(rng.uniform(1.5e6, 3.2e6))
                else:
                    mu = min(math.log(3e6), max(math.log(3e4), math.log(3e5) + rng.gauss(0, 0.85)))
                self._seller_attrs(o, domains, mu, always_big)
                self.sellers.append(o)
        w = [math.exp(rng.gauss(0, 1.0)) for _ in self.sellers]
        self.scum = list(accumulate(w))
        self.by_mu = sorted(self.sellers, key=lambda s: s.mu)
        self.mus = [s.mu for s in self.by_mu]
        self.sw_sellers = sorted([s for s in self.sellers if any(p[3] for p in s.pool)], key=lambda s: s.mu)
        self.sw_mus = [s.mu for s in self.sw_sellers]
        self.groups_by_mu = sorted(self.groups, key=lambda g: sum(s.mu for s in g) / len(g))
        self.g_mus = [sum(s.mu for s in g) / len(g) for g in self.groups_by_mu]

        # buyers: most new organisations, some are sellers buying technology themselves
        n_buyers = max(20, self.n // 5)
        all_cities = list(CITIES) + list(BUYER_ONLY_CITIES)
        for _ in range(n_buyers):
            if rng.random() < 0.10:
                self.buyers.append(rng.choice(self.sellers))
                continue
            city = rng.choice(all_cities) if rng.random() < 0.35 else rng.choices(SELLER_CITY_NAMES, weights=SELLER_CITY_W)[0]
            regions = CITIES[city][0] if city in CITIES else BUYER_ONLY_CITIES[city]
            region = rng.choice(regions)
            r = rng.random()
            if r < 0.80:
                st = rng.choice(("{c}{b}{i}有限公司", "{b}{i}（{c}）有限公司", "{c}{b}{i}股份有限公司", "{c}市{b}{i}有限公司"))
                ind = rng.choice(BUYER_IND)
                name, head = self._unique_name(lambda: st.format(c=city, b=self._brand(), i=ind)), "91"
            elif r < 0.88:
                name = self._unique_name(lambda: rng.choice((f"{city}市第{_cn(rng.randint(1, 12))}人民医院",
                                                              f"{city}{self._brand()}医院",
                                                              f"{city}市{self._brand()}中心医院")))
                head = "12"
            elif r < 0.95:
                name = self._unique_name(lambda: rng.choice((f"{city}市{rng.choice(AGENCIES)}",
                                                              f"{city}市{self._brand()}区{rng.choice(AGENCIES)}")))
                head = "11"
            else:
                name = self._unique_name(lambda: f"{city}{self._brand()}大学")
                head = "12"
            self.buyers.append(self._new_org(name, head, city, region))
        self.bcum = list(accumulate(math.exp(rng.gauss(0, 1.1)) for _ in self.buyers))

    # ---------------- picking helpers ----------------
    def pick_seller(self) -> _Org:
        return self.rng.choices(self.sellers, cum_weights=self.scum)[0]

    def pick_buyer(self, s: _Org, repeat=0.65, group=None) -> _Org:
        rng = self.rng
        g = s.group if group is None else group
        if s.clients and rng.random() < repeat:
            b = rng.choice(s.clients)
            if b is not s and (g is None or b.group != g):
                return b
        for _ in range(50):
            b = rng.choices(self.buyers, cum_weights=self.bcum)[0]
            if b is not s and (g is None or b.group != g):
                break
        s.clients.append(b)
        return b

    def _by_scale(self, lst, keys, target, lo_f, hi_f):
        lo, hi = math.log(target * lo_f), math.log(target * hi_f)
        for _ in range(6):
            i, j = bisect_left(keys, lo), bisect_right(keys, hi)
            if j - i >= 3:
                return lst[self.rng.randrange(i, j)]
            lo, hi = lo - 0.7, hi + 0.7
        return self.rng.choice(lst)

    def rand_date(self, lo=None, hi=None) -> int:
        rng = self.rng
        lo = self.W0 if lo is None else lo
        hi = self.W1 if hi is None else hi
        d = lo + rng.randrange(max(1, hi - lo + 1))
        if rng.random() < 0.12:  # year-end rush
            y = date.fromordinal(d).year
            dd = date(y, 12, rng.randint(1, 31)).toordinal()
            if lo <= dd <= hi:
                d = dd
        return d

    def guard_ok(self, b, core, d, gap=GUARD_DAYS) -> bool:
        for x in self.guard.get((b.idx, core), ()):
            if abs(x - d) < gap:
                return False
        return True

    def pick_subject(self, s, b, dates, need_sw=None, avoid=(), gap=GUARD_DAYS):
        rng = self.rng
        cands = list(s.pool)
        rng.shuffle(cands)
        for e in cands:
            if need_sw is not None and e[3] != need_sw:
                continue
            if e[0] in avoid:
                continue
            if all(self.guard_ok(b, e[0], d, gap) for d in dates):
                return e
        last = None
        for _ in range(60):
            dom = s.domains[0] if rng.random() < 0.7 else rng.choices(DOMAINS, weights=DOMAIN_W)[0]
            core, sw = rng.choice(VOCAB_ALL[dom])
            if need_sw is not None and sw != need_sw:
                continue
            last = (core, core, dom, sw)
            if core not in avoid and all(self.guard_ok(b, core, d, gap) for d in dates):
                return last
        return last or (rng.choice(cands) if cands else ("智慧园区综合管理平台", "智慧园区综合管理平台",
                                                          "electronic_information", True))

    def pick_kind(self, s) -> str:
        return self.rng.choices(KINDS, weights=s.kind_w)[0]

    def pick_sub(self, kind, sw):
        rng = self.rng
        subs, w = SUBKINDS[kind]
        if not subs or rng.random() < 0.08:
            return None
        if sw and kind in ("transfer", "license") and rng.random() < 0.75:
            return "other"
        return rng.choices(subs, weights=w)[0]

    def is_sw(self, s, subj, kind) -> bool:
        return bool(subj[3]) and kind != "consulting" and self.rng.random() < 0.45 + 0.5 * s.sw_focus

    # ---------------- amounts ----------------
    def draw(self, s, clip=2.2) -> float:
        z = max(-clip, min(clip, self.rng.gauss(0, 1)))
        return max(3000.0, math.exp(s.mu + s.sigma * z))

    def cents(self, v: float, round_p: float) -> int:
        rng = self.rng
        if rng.random() < round_p:
            if v >= 2e6:
                g = rng.choice((10000, 50000, 100000))
            elif v >= 2e5:
                g = rng.choice((1000, 5000, 10000))
            elif v >= 2e4:
                g = rng.choice((100, 1000, 5000))
            else:
                g = rng.choice((100, 500, 1000))
            return max(g, int(round(v / g)) * g) * 100
        if rng.random() < 0.5:
            return max(1, int(round(v * 100)))
        return max(100, int(round(v)) * 100)

    def tech_of(self, amt: int, kind: str, sw: bool, hw=False) -> int:
        rng = self.rng
        if hw:
            r = rng.uniform(0.2, 0.6)
        elif kind in ("consulting", "transfer", "license"):
            r = 1.0 if rng.random() < 0.85 else rng.uniform(0.9, 1.0)
        elif sw:
            r = 1.0 if rng.random() < 0.65 else rng.uniform(0.8, 1.0)
        else:
            r = 1.0 if rng.random() < 0.4 else rng.uniform(0.55, 1.0)
        if r >= 1.0:
            return amt
        t = int(amt * r)
        if rng.random() < 0.5:
            t = (t // 10000) * 10000
        return max(0, min(amt, t))

    # ---------------- dates ----------------
    def perf(self, kind, sig, honest=True):
        rng = self.rng
        r = rng.random()
        if r < 0.15:
            ps = sig
        elif r < 0.15 + self.scn.early_start:
            ps = sig - rng.randint(1, 14)
        elif r < 0.93:
            ps = sig + rng.randint(0, 20)
        else:
            ps = sig + rng.randint(21, 75)
        lo, hi = {"development": (60, 540), "service": (30, 365), "consulting": (20, 180), "transfer": (7, 120),
                  "license": (180, 1095)}[kind]
        pe = ps + rng.randint(lo, hi)
        pe = max(pe, sig + rng.randint(7, 30))
        return ps, min(pe, MAX_DATE)

    def lag(self, s, sig) -> int:
        rng, scn = self.rng, self.scn
        avail = MAX_DATE - sig
        if rng.random() < s.late_p and avail >= 60:
            if rng.random() < scn.very_late_frac and avail > 400:
                L = rng.randint(366, min(620, avail))
            elif rng.random() < 0.3:  # batch applications in next spring's tax season
                y = date.fromordinal(sig).year + 1
                L = date(y, rng.randint(3, 5), rng.randint(1, 28)).toordinal() - sig
                if not (60 <= L <= min(avail, 420)):
                    L = rng.randint(60, min(365, avail))
            else:
                L = rng.randint(60, min(365, avail))
        else:
            L = rng.randint(0, 20) if rng.random() < 0.65 else rng.randint(21, 59)
            L = min(L, avail)
        return sig + L

    def point(self, s, alt=None) -> str:
        rng = self.rng
        alt = self.scn.honest_alt_point if alt is None else alt
        if rng.random() < alt:
            pts = CITIES[s.city][1]
            if len(pts) > 1 and rng.random() < 0.6:
                return rng.choice([p for p in pts if p != s.home])
            return rng.choice([p for p in ALL_POINTS if p != s.home])
        return s.home

    # ---------------- records ----------------
    def rec(self, s, b, subj, kind, sub, sw, title, amt, tech, sig, ps, pe, fil, pt, role, lab=None):
        assert s is not b
        title = _tidy(title)
        r = {"s": s, "b": b, "core": subj[0], "dom": subj[2], "kind": kind, "sub": sub, "sw": sw, "title": title,
             "amt": amt, "tech": tech, "sig": sig, "ps": ps, "pe": pe, "fil": fil, "pt": pt, "role": role,
             "lab": lab, "nod": sig, "no": None}
        s.recs.append(r)
        self.recs.append(r)
        self.guard.setdefault((b.idx, subj[0]), []).append(sig)
        return r

    def _amounts(self, s, kind, sw, v=None, hw=False):
        """amount/tech cents for an honest contract; software stays below SW_SAFE."""
        for _ in range(12):
            x = self.draw(s) if v is None else v
            amt = self.cents(x, s.round_p)
            tech = self.tech_of(amt, kind, sw, hw)
            if not sw or tech < SW_SAFE * 100:
                return amt, tech, sw
            v = None
        return amt, tech, False

    def single(self, s=None, b=None, sig=None, role="single", avoid=(), subj=None, kind=None):
        rng = self.rng
        s = s or self.pick_seller()
        b = b or self.pick_buyer(s)
        sig = self.rand_date() if sig is None else sig
        subj = subj or self.pick_subject(s, b, (sig,), avoid=avoid)
        kind = kind or self.pick_kind(s)
        sw = self.is_sw(s, subj, kind)
        sub = self.pick_sub(kind, sw)
        v = None
        if rng.random() < self.scn.honest_just_under:
            m = math.exp(s.mu)
            lines = [L for L in ALL_LINES if m / 2.5 <= L <= m * 3]
            if lines:
                v = rng.choice(lines) * rng.uniform(0.85, 0.99)
        hw = kind in ("development", "service") and subj[2] != "biomedicine" and rng.random() < 0.07
        amt, tech, sw = self._amounts(s, kind, sw, v, hw)
        title = _single_title(subj[1], kind, sub, sw, rng)
        ps, pe = self.perf(kind, sig)
        return self.rec(s, b, subj, kind, sub, sw, title, amt, tech, sig, ps, pe, self.lag(s, sig), self.point(s), role)

    # ---------------- honest look-alikes ----------------
    def renewals(self) -> int:
        """yearly renewals of a service with one client (about a year apart)."""
        rng = self.rng
        s = self.pick_seller()
        b = self.pick_buyer(s, repeat=0.4)
        m = rng.choices((2, 3, 4), weights=(0.45, 0.35, 0.2))[0]
        while m > 1 and 365 * (m - 1) > self.W1 - self.W0 - 20:
            m -= 1
        d0 = self.W0 + rng.randrange(max(1, self.W1 - self.W0 - 365 * (m - 1)))
        dates = [d0] + [d0 + 365 * j + rng.randint(-20, 20) for j in range(1, m)]
        subj = self.pick_subject(s, b, dates)
        kind = "service"
        sw = self.is_sw(s, subj, kind)
        style = rng.randrange(4)
        base = self.draw(s)
        for j, d in enumerate(dates):
            Y = date.fromordinal(d).year
            sj = subj[1]
            title = (f"{Y}年度{sj}运维技术服务", f"{sj}技术服务合同（{Y}年）",
                     f"{sj}技术服务合同" if j == 0 else rng.choice((f"{sj}技术服务（续）", f"{sj}技术服务合同（续{_cn(j)}）")),
                     f"{sj}技术服务（{Y}—{Y + 1}年度）")[style]
            amt, tech, sw2 = self._amounts(s, kind, sw, base * rng.uniform(0.93, 1.12) * (1.03 ** j))
            ps = d - rng.randint(0, 14) if rng.random() < 0.4 else d + rng.randint(0, 15)
            pe = min(MAX_DATE, ps + 364)
            self.rec(s, b, subj, kind, "service", sw2, title, amt, tech, d, ps, pe, self.lag(s, d), self.point(s),
                     "renewal")
        return m

    def annual_dev(self) -> int:
        """distinct contracts with the same client and a similar title in different years."""
        rng = self.rng
        s = self.pick_seller()
        b = self.pick_buyer(s, repeat=0.4)
        m = 2 if rng.random() < 0.7 else 3
        gaps = [rng.randint(300, 460) for _ in range(m - 1)]
        if sum(gaps) > self.W1 - self.W0 - 10:
            m, gaps = 2, [300]
        d0 = self.W0 + rng.randrange(max(1, self.W1 - self.W0 - sum(gaps)))
        dates = list(accumulate([d0] + gaps))
        subj = self.pick_subject(s, b, dates)
        kind = rng.choice(("development", "development", "service", "consulting"))
        sw = self.is_sw(s, subj, kind)
        for j, d in enumerate(dates):
            Y = date.fromordinal(d).year
            sj = subj[1]
            title = rng.choice((f"{sj}升级{KW_SHORT[kind]}", f"{sj}（{Y}版）{KW_FULL[kind]}",
                                f"{sj}功能优化{KW_FULL[kind]}合同", f"{Y}年{sj}{KW_FULL[kind]}",
                                _single_title(sj, kind, None, sw, rng)))
            amt, tech, sw2 = self._amounts(s, kind, sw)
            ps, pe = self.perf(kind, d)
            self.rec(s, b, subj, kind, self.pick_sub(kind, sw2), sw2, title, amt, tech, d, ps, pe, self.lag(s, d),
                     self.point(s), "annual_similar")
        return m

    def _styles(self, k):
        rng = self.rng
        names, w = list(STYLE_NAMES), list(self.scn.naming)
        out = []
        for _ in range(k):
            if not names:
                names, w = list(STYLE_NAMES), list(self.scn.naming)
            i = rng.choices(range(len(names)), weights=w)[0]
            out.append(names.pop(i))
            w.pop(i)
        return out

    def phases(self) -> int:
        """real phases of one subject, at least four months apart (sometimes at sister companies)."""
        rng = self.rng
        s = self.pick_seller()
        b = self.pick_buyer(s, repeat=0.4)
        m = 2 if rng.random() < 0.65 else 3
        gaps = [rng.randint(122, 330) for _ in range(m - 1)]
        if sum(gaps) > self.W1 - self.W0 - 10:
            m, gaps = 2, [125]
        d0 = self.W0 + rng.randrange(max(1, self.W1 - self.W0 - sum(gaps)))
        dates = list(accumulate([d0] + gaps))
        subj = self.pick_subject(s, b, dates)
        sellers = [s] * m
        if s.group is not None and rng.random() < self.scn.sister_share * 0.5:
            grp = next(g for g in self.groups if g[0].group == s.group)
            sellers = [rng.choice(grp) for _ in range(m)]
        under = None
        if rng.random() < 0.35:
            mm = math.exp(s.mu)
            lines = [L for L in ALL_LINES if mm / 2 <= L <= mm * 3]
            under = rng.choice(lines) if lines else None
        styles = self._styles(m)
        start = 1 if rng.random() < 0.8 else 2
        mods = list(MODULES_SW if subj[3] else MODULES_HW)
        rng.shuffle(mods)
        titles = set()
        for j, d in enumerate(dates):
            sj = sellers[j]
            kind = "consulting" if (j == 0 and rng.random() < 0.15) else ("development" if rng.random() < 0.75 else "service")
            sw = self.is_sw(sj, subj, kind)
            v = under * rng.uniform(0.82, 0.99) if under else None
            amt, tech, sw = self._amounts(sj, kind, sw, v)
            if under and (amt >= under * 100):
                amt = tech = int(under * 0.95) * 100
            t = _style_title(styles[j], subj[1], start + j, kind, mods[j % len(mods)], rng)
            if t in titles:
                t = f"{subj[1]}{_cn(start + j)}期{KW_FULL[kind]}"
            titles.add(t)
            ps, pe = self.perf(kind, d)
            self.rec(sj, b, subj, kind, self.pick_sub(kind, sw), sw, t, amt, tech, d, ps, pe, self.lag(sj, d),
                     self.point(sj), "phases")
        return m

    def unrelated_close(self) -> int:
        """unrelated projects with one client signed close together (different subjects)."""
        rng = self.rng
        s = self.pick_seller()
        b = self.pick_buyer(s, repeat=0.4)
        m = rng.choices((2, 3, 4), weights=(0.55, 0.3, 0.15))[0]
        d0 = self.rand_date(hi=self.W1 - 30)
        dates = sorted(d0 + rng.randint(0, 25) for _ in range(m))
        sellers = [s] * m
        if s.group is not None and rng.random() < self.scn.sister_share * 0.5:
            grp = next(g for g in self.groups if g[0].group == s.group)
            sellers = [rng.choice(grp) for _ in range(m)]
        under = None
        if rng.random() < 0.3:
            mm = math.exp(s.mu)
            lines = [L for L in ALL_LINES if mm / 2 <= L <= mm * 3]
            under = rng.choice(lines) if lines else None
        used = set()
        for j, d in enumerate(dates):
            sj = sellers[j]
            subj = self.pick_subject(sj, b, (d,), avoid=used, gap=GUARD_DAYS + 30)
            used.add(subj[0])
            kind = self.pick_kind(sj)
            sw = self.is_sw(sj, subj, kind)
            v = under * rng.uniform(0.82, 0.99) if under else None
            amt, tech, sw = self._amounts(sj, kind, sw, v)
            sub = self.pick_sub(kind, sw)
            ps, pe = self.perf(kind, d)
            self.rec(sj, b, subj, kind, sub, sw, _single_title(subj[1], kind, sub, sw, rng), amt, tech, d, ps, pe,
                     self.lag(sj, d), self.point(sj), "unrelated_close")
        return m

    def small_cluster(self) -> int:
        """several small contracts with one client whose sum crosses no relevant line."""
        rng = self.rng
        s = self._by_scale(self.by_mu, self.mus, 4e4, 0.5, 1.6)
        b = self.pick_buyer(s)
        m = rng.choices((2, 3, 4, 5), weights=(0.35, 0.3, 0.2, 0.15))[0]
        d0 = self.rand_date(hi=self.W1 - 45)
        dates = sorted(d0 + rng.randint(0, 40) for _ in range(m))
        same = rng.random() < 0.6
        subj = self.pick_subject(s, b, (d0, d0 + 40), gap=GUARD_DAYS + 40) if same else None
        cap = min(55000.0, 175000.0 / m)
        styles = self._styles(m)
        used = set()
        for j, d in enumerate(dates):
            sj = subj if same else self.pick_subject(s, b, (d,), avoid=used, gap=GUARD_DAYS + 40)
            used.add(sj[0])
            kind = "service" if rng.random() < 0.5 else self.pick_kind(s)
            sw = self.is_sw(s, sj, kind)
            amt = self.cents(min(cap * rng.uniform(0.85, 1.0), self.draw(s)), s.round_p)
            tech = self.tech_of(amt, kind, sw)
            sub = self.pick_sub(kind, sw)
            if same and rng.random() < 0.5:
                t = _style_title(styles[j], sj[1], j + 1, kind, MODULES_SW[j % 10] if sj[3] else MODULES_HW[j % 8], rng)
            elif same and kind == "service":
                t = f"第{_cn(j + 1)}期{sj[1]}技术培训" if rng.random() < 0.5 else f"{sj[1]}技术服务（{d - d0 + 1}）"
            else:
                t = _single_title(sj[1], kind, sub, sw, rng)
            ps, pe = self.perf(kind, d)
            self.rec(s, b, sj, kind, sub, sw, t, amt, tech, d, ps, pe, self.lag(s, d), self.point(s), "small_cluster")
        return m

    def framework(self) -> int:
        """framework agreement plus call-off contracts of different amounts."""
        rng = self.rng
        s = self.pick_seller()
        b = self.pick_buyer(s, repeat=0.4)
        m = rng.choices((2, 3, 4), weights=(0.4, 0.4, 0.2))[0]
        d0 = self.rand_date(hi=self.W1 - 60)
        dates = [d0]
        d = d0 + rng.randint(20, 90)
        for _ in range(m):
            if d > self.W1 + 60:
                break
            dates.append(d)
            d += rng.randint(60, 150)
        subj = self.pick_subject(s, b, dates)
        kind = "service" if rng.random() < 0.7 else "development"
        sw = self.is_sw(s, subj, kind)
        calls = [self.draw(s) * rng.uniform(0.3, 0.8) for _ in dates[1:]]
        fw = sum(calls) * rng.uniform(1.0, 1.4)
        sj = subj[1]
        for j, d in enumerate(dates):
            if j == 0:
                title = rng.choice((f"{sj}{KW_FULL[kind]}框架协议", f"{sj}框架合作协议", f"{sj}年度框架合同"))
                amt, tech, sw2 = self._amounts(s, kind, sw, fw)
            else:
                Y = date.fromordinal(d).year
                title = rng.choice((f"{sj}{KW_FULL[kind]}（第{j}批次）", f"{sj}框架协议项下第{j}号订单",
                                    f"{sj}{KW_FULL[kind]}（{Y}年第{j}批）"))
                amt, tech, sw2 = self._amounts(s, kind, sw, calls[j - 1])
            ps, pe = self.perf(kind, d)
            if j == 0:
                pe = min(MAX_DATE, max(pe, ps + 365))
            self.rec(s, b, subj, kind, self.pick_sub(kind, sw2), sw2, title, amt, tech, d, ps, pe, self.lag(s, d),
                     self.point(s), "framework")
        return len(dates)

    def large_nonsw(self) -> int:
        """large single contracts that are not software, or software whose tech part is modest."""
        rng = self.rng
        if rng.random() < 0.6:
            tech_v = LARGE_LINE * math.exp(abs(rng.gauss(0, 0.7))) * rng.uniform(0.98, 1.0)
            s = self._by_scale(self.by_mu, self.mus, tech_v, 1 / 8, 1)
            b = self.pick_buyer(s)
            sig = self.rand_date()
            subj = self.pick_subject(s, b, (sig,))
            kind = rng.choice(("development", "development", "transfer", "service", "license"))
            sw = False
            tech = self.cents(tech_v, s.round_p)
            amt = tech if rng.random() < 0.4 else self.cents(tech / 100 / rng.uniform(0.55, 1.0), s.round_p)
            amt = max(amt, tech)
            role = "large_nonsw"
        else:  # hardware-heavy: big amount, technology part small
            amt_v = rng.uniform(5.2e6, 2.5e7)
            s = self._by_scale(self.by_mu, self.mus, amt_v / 5, 1 / 3, 2)
            b = self.pick_buyer(s)
            sig = self.rand_date()
            subj = self.pick_subject(s, b, (sig,))
            kind = "development" if rng.random() < 0.6 else "service"
            sw = False
            amt = self.cents(amt_v, s.round_p)
            tech = self.cents(min(amt_v * rng.uniform(0.1, 0.4), math.exp(s.mu) * rng.uniform(1, 3)), s.round_p)
            tech = min(tech, amt)
            role = "hardware_heavy"
        sub = self.pick_sub(kind, sw)
        ps, pe = self.perf(kind, sig)
        self.rec(s, b, subj, kind, sub, sw, _single_title(subj[1], kind, sub, sw, rng), amt, tech, sig, ps, pe,
                 self.lag(s, sig), self.point(s), role)
        return 1

    def hw_heavy_sw(self) -> int:
        """software contract with a big amount but a technology part normal for its seller."""
        rng = self.rng
        s = self._by_scale(self.sw_sellers, self.sw_mus, 6e5, 0.3, 5)
        b = self.pick_buyer(s)
        sig = self.rand_date()
        subj = self.pick_subject(s, b, (sig,), need_sw=True)
        kind = "development" if rng.random() < 0.7 else "service"
        m = math.exp(s.mu)
        tech_v = min(SW_SAFE * 0.97, m * rng.uniform(1.2, 3.0 if s.spread != "wide" else 5.0))
        amt = self.cents(tech_v / rng.uniform(0.15, 0.45), s.round_p)
        tech = min(amt, self.cents(tech_v, s.round_p))
        sub = self.pick_sub(kind, True)
        ps, pe = self.perf(kind, sig)
        self.rec(s, b, subj, kind, sub, True, _single_title(subj[1], kind, sub, True, rng), amt, tech, sig, ps, pe,
                 self.lag(s, sig), self.point(s), "hardware_heavy_sw")
        return 1

    def wide_big(self, cands) -> int:
        """wide-spread seller with an occasional big software contract (5-10x its median), honest."""
        rng = self.rng
        if not cands:
            return 0
        s = rng.choice(cands)
        m = math.exp(s.mu)
        mult = rng.uniform(5, 10)
        v = min(SW_SAFE * 0.98, m * mult)
        b = self.pick_buyer(s)
        ds = sorted(r["sig"] for r in s.recs)
        sig = self.rand_date(lo=ds[min(3, len(ds) - 1)])
        subj = self.pick_subject(s, b, (sig,), need_sw=True)
        kind = "development" if rng.random() < 0.7 else rng.choice(("service", "transfer", "license"))
        sub = self.pick_sub(kind, True)
        amt = self.cents(v, s.round_p)
        tech = amt if rng.random() < 0.7 else self.tech_of(amt, kind, True)
        ps, pe = self.perf(kind, sig)
        self.rec(s, b, subj, kind, sub, True, _single_title(subj[1], kind, sub, True, rng), amt, tech, sig, ps, pe,
                 self.lag(s, sig), self.point(s), "wide_big_sw")
        return 1

    # ---------------- anomalies (added filings) ----------------
    def _split_sizes(self, L, k):
        rng, scn = self.rng, self.scn
        rnd = rng.random() < scn.round_share
        mode = rng.choices(("just_under", "unequal", "mixed"), weights=scn.split_size_w)[0]
        for _ in range(200):
            if mode == "just_under":
                vals = [L * rng.uniform(0.85, 0.99) for _ in range(k)]
            elif mode == "unequal":
                tot = L * rng.uniform(1.05, min(2.8, 0.9 * k))
                w = [rng.uniform(0.15, 1.0) for _ in range(k)]
                sw_ = sum(w)
                vals = [tot * x / sw_ for x in w]
            else:
                vals = [L * rng.uniform(0.85, 0.99)] + [L * rng.uniform(0.1, 0.75) for _ in range(k - 1)]
            out = []
            for v in vals:
                if rnd:
                    g = 10000 if L >= 1_000_000 else rng.choice((1000, 5000, 10000))
                    out.append(int(v // g) * g * 100)
                elif rng.random() < 0.6:
                    out.append(int(v * 100))
                else:
                    out.append(int(v) * 100)
            if all(L * 3 <= c < L * 100 for c in out) and sum(out) > L * 100:
                rng.shuffle(out)
                return out, mode
        return [int(L * 90)] * k, "just_under"

    def split_deal(self, k) -> int:
        rng, scn = self.rng, self.scn
        L, basis, tag = rng.choices(SPLIT_LINES, weights=scn.split_line_w)[0]
        parts, _mode = self._split_sizes(L, k)
        maxp = max(parts) / 100
        sister = bool(self.groups) and rng.random() < scn.sister_share
        if sister:
            grp = self._by_scale(self.groups_by_mu, self.g_mus, maxp, 1 / 6, 1.5)
            members = list(grp)
            rng.shuffle(members)
            sel = [members[j % len(members)] for j in range(k)]
            rng.shuffle(sel)
        else:
            s = self._by_scale(self.by_mu, self.mus, maxp, 1 / 6, 1.5)
            sel = [s] * k
        s0 = sel[0]
        b = self.pick_buyer(s0)
        for sj in set(sel):
            if b not in sj.clients:
                sj.clients.append(b)
        d0 = self.rand_date(hi=self.W1 - 40)
        gap_mode = rng.choices(("same_day", "days", "weeks"), weights=scn.split_gap_w)[0]
        if gap_mode == "same_day":
            offs = [0 if rng.random() < 0.8 else 1 for _ in range(k)]
        elif gap_mode == "days":
            offs = [rng.randint(0, 7) for _ in range(k)]
        else:
            offs = [rng.randint(0, 35) for _ in range(k)]
        offs.sort()
        if rng.random() < 0.2:
            rng.shuffle(offs)
        dates = [d0 + o for o in offs]
        subj = self.pick_subject(s0, b, (d0, d0 + 35), gap=GUARD_DAYS + 40)
        if rng.random() < scn.split_mixed_kinds:
            kinds = ["development"] + [rng.choice(("service", "consulting", "development")) for _ in range(k - 1)]
            rng.shuffle(kinds)
        else:
            kinds = [rng.choice(("development", "development", "service", "consulting"))] * k
        styles = self._styles(k)
        start = 1 if rng.random() < 0.7 else 2
        mods = list(MODULES_SW if subj[3] else MODULES_HW)
        rng.shuffle(mods)
        multi = rng.random() < scn.split_multi_point
        pattern = ("sister_" if sister and len(set(sel)) > 1 else "same_seller_") + tag
        same_filing = rng.random() < 0.5
        fil0 = self.lag(s0, max(dates))
        self.deal_id = getattr(self, "deal_id", 0) + 1
        titles = set()
        for j in range(k):
            sj, kind, d = sel[j], kinds[j], dates[j]
            sw = self.is_sw(sj, subj, kind)
            c = parts[j]
            if basis == "tech":
                tech = c
                amt = tech if rng.random() < 0.6 else int(tech / rng.uniform(0.85, 1.0)) // 100 * 100
                amt = max(amt, tech)
            else:
                amt = c
                r = 1.0 if (kind != "development" or rng.random() < 0.5) else rng.uniform(0.7, 1.0)
                tech = amt if r >= 1 else int(amt * r)
            if sw and (tech >= SW_SAFE * 100 or (sj.spread != "wide" and tech / 100 > 4 * math.exp(sj.mu))):
                sw = False
            sub = self.pick_sub(kind, sw)
            t = _style_title(styles[j], subj[1], start + j, kind, mods[j % len(mods)], rng)
            for _ in range(5):
                if t not in titles:
                    break
                t = _style_title(rng.choice(STYLE_NAMES), subj[1], start + j, kind, mods[(j + 3) % len(mods)], rng)
            titles.add(t)
            ps = d + (rng.randint(0, 10) if rng.random() < 0.85 else -rng.randint(1, 7))
            lo, hi = {"development": (60, 400), "service": (30, 300), "consulting": (20, 150)}[kind]
            pe = min(MAX_DATE, max(ps + rng.randint(lo, hi), d + 10))
            fil = max(fil0, d) if same_filing else self.lag(sj, d)
            pt = self.point(sj, alt=0.6 if multi else scn.honest_alt_point)
            self.rec(sj, b, subj, kind, sub, sw, t, amt, tech, d, ps, pe, fil, pt, "split", ("split", pattern)).update(deal=self.deal_id, line=(L, basis))
        return k

    def over_line(self) -> int:
        rng = self.rng
        v = LARGE_LINE * math.exp(abs(rng.gauss(0, 0.6)))
        if rng.random() < 0.12:
            v = LARGE_LINE * rng.choice((1.0, 1.0, 1.004, 1.02))
        v = min(v, 4e7)
        s = self._by_scale(self.sw_sellers, self.sw_mus, v, 1 / 10, 1) if rng.random() < 0.7 else rng.choice(self.sw_sellers)
        b = self.pick_buyer(s)
        sig = self.rand_date()
        subj = self.pick_subject(s, b, (sig,), need_sw=True)
        kind = rng.choices(("development", "transfer", "service", "license"), weights=(0.6, 0.15, 0.15, 0.1))[0]
        sub = self.pick_sub(kind, True)
        tech = max(LARGE_LINE * 100, self.cents(v, s.round_p))
        amt = tech if rng.random() < 0.6 else self.cents(tech / 100 / rng.uniform(0.8, 1.0), s.round_p)
        amt = max(amt, tech)
        ps, pe = self.perf(kind, sig)
        self.rec(s, b, subj, kind, sub, True, _single_title(subj[1], kind, sub, True, rng), amt, tech, sig, ps, pe,
                 self.lag(s, sig), self.point(s), "over_line", ("large_software", "over_line"))
        return 1

    def relative(self, s) -> bool:
        rng = self.rng
        hist = sorted(r["tech"] / 100 for r in s.recs if r["tech"] > 0)
        if len(hist) < 6:
            return False
        m = statistics.median(hist)
        q1, _, q3 = statistics.quantiles(hist, n=4)
        iqr_log = math.log(max(q3, 1.0) / max(q1, 1.0))
        if iqr_log > 0.8 or hist[-1] > 5 * m:   # the seller's own history must be tightly clustered
            return False
        lo_mult = 10 if iqr_log <= 0.45 else 15
        hi_mult = min(30.0, SW_SAFE * 0.98 / m)
        lo_mult = max(lo_mult, 1.2e6 / m)
        if hi_mult < lo_mult:
            return False
        v = m * rng.uniform(lo_mult, hi_mult)
        ds = sorted(r["sig"] for r in s.recs)
        kh = rng.randint(4, 8)
        if len(ds) < kh + 1:
            return False
        lo = ds[kh - 1] + 1
        if lo > self.W1:
            return False
        sig = self.rand_date(lo=lo)
        b = self.pick_buyer(s)
        subj = self.pick_subject(s, b, (sig,), need_sw=True)
        kind = rng.choices(("development", "transfer", "service", "license"), weights=(0.65, 0.1, 0.15, 0.1))[0]
        sub = self.pick_sub(kind, True)
        amt = self.cents(v, s.round_p)
        tech = amt if rng.random() < 0.75 else max(int(amt * rng.uniform(0.9, 1.0)), int(m * 10 * 100))
        tech = min(tech, amt)
        if tech >= SW_SAFE * 100:
            tech = amt = int(SW_SAFE * 0.97) * 100
        ps, pe = self.perf(kind, sig)
        self.rec(s, b, subj, kind, sub, True, _single_title(subj[1], kind, sub, True, rng), amt, tech, sig, ps, pe,
                 self.lag(s, sig), self.point(s), "relative", ("large_software", "relative"))
        return True

    # ---------------- conversions (honest single -> backdated) ----------------
    def backdate(self, n_before, n_after, n_inv):
        rng = self.rng
        singles = [r for r in self.recs if r["role"] == "single" and r["lab"] is None]
        rng.shuffle(singles)
        it = iter(singles)
        done = {"performance_before_signing": 0, "signed_after_end": 0, "sequence_inversion": 0}
        for r in it:
            if done["performance_before_signing"] >= n_before:
                break
            gap = rng.randint(30, 120) if rng.random() < 0.6 else rng.randint(121, 365)
            r["ps"] = r["sig"] - gap
            r["pe"] = max(r["pe"], r["sig"] + rng.randint(7, 60))
            r["pe"] = min(r["pe"], MAX_DATE)
            r["lab"], r["role"] = ("backdated", "performance_before_signing"), "backdated"
            done["performance_before_signing"] += 1
        for r in it:
            if done["signed_after_end"] >= n_after:
                break
            dur = max(20, min(400, r["pe"] - r["ps"]))
            r["pe"] = r["sig"] - rng.randint(3, 150)
            r["ps"] = r["pe"] - dur
            r["lab"], r["role"] = ("backdated", "signed_after_end"), "backdated"
            done["signed_after_end"] += 1
        used_sellers = set()
        sig_lists = {}
        for r in it:
            if done["sequence_inversion"] >= n_inv:
                break
            s = r["s"]
            if s.scheme not in ("seq_year", "seq_cont") or s.idx in used_sellers or len(s.recs) < 5:
                continue
            if s.idx not in sig_lists:
                sig_lists[s.idx] = sorted(x["sig"] for x in s.recs)
            ds = sig_lists[s.idx]
            D = r["sig"]
            C = D - (rng.randint(60, 150) if rng.random() < 0.7 else rng.randint(151, 240))
            # at least two contracts numbered before this one were signed 30+ days after the claimed date
            i_prev = bisect_left(ds, D - 8)
            between = i_prev - bisect_right(ds, C + 40)
            if between < 2 or i_prev == 0 or ds[i_prev - 1] - C < 50 or C < MIN_DATE + 400:
                continue
            near = [x for x in self.guard.get((r["b"].idx, r["core"]), ()) if x != D]
            if any(abs(x - C) < GUARD_DAYS for x in near):
                continue
            dur = max(20, r["pe"] - r["ps"])
            r["nod"] = D
            r["sig"] = C
            r["ps"] = C + rng.randint(0, 15)
            r["pe"] = min(MAX_DATE, r["ps"] + dur)
            r["lab"], r["role"] = ("backdated", "sequence_inversion"), "backdated"
            used_sellers.add(s.idx)
            done["sequence_inversion"] += 1
        return done

    # ---------------- contract numbers ----------------
    def number(self):
        rng = self.rng
        for s in self.sellers:
            recs = s.recs
            if not recs:
                continue
            if s.scheme == "random":
                seen = set()
                for r in recs:
                    while True:
                        x = rng.choice((f"{s.prefix}{rng.randint(100000, 999999)}", f"HT{rng.randint(10 ** 7, 10 ** 8 - 1)}",
                                        f"{s.prefix}-{rng.randint(1000, 9999)}-{rng.randint(100, 999)}"))
                        if x not in seen:
                            seen.add(x)
                            break
                    r["no"] = x
                continue
            if s.scheme == "draft":
                keyed = [(r["nod"] - rng.uniform(0, 100), r) for r in recs]
            else:
                keyed = [(r["nod"] + rng.uniform(-4, 4), r) for r in recs]
            keyed.sort(key=lambda t: t[0])
            counters: dict = {}
            uses_year = "{Y}" in s.fmt or "{y}" in s.fmt
            for o_, (key, r) in enumerate(keyed):
                r["ord"] = o_
                Y = date.fromordinal(r["nod"] if s.scheme != "draft" else int(key)).year
                if s.scheme == "dept":
                    D = s.depts[KINDS.index(r["kind"]) % len(s.depts)] if rng.random() < 0.8 else rng.choice(s.depts)
                    ck = (D, Y)
                elif s.scheme == "restart_noyear" or uses_year:
                    D, ck = "", Y
                else:
                    D, ck = "", 0
                if ck not in counters:
                    counters[ck] = rng.randint(1, 40) if (ck == 0 or not counters) else rng.randint(1, 3)
                    if ck == 0:
                        counters[ck] = rng.randint(100, 3000)
                else:
                    counters[ck] += 1 + (rng.randint(1, 4) if rng.random() < 0.4 else 0)
                r["no"] = s.fmt.format(P=s.prefix, Y=Y, y=f"{Y % 100:02d}", n=counters[ck], D=D)

    # ---------------- duplicates ----------------
    def duplicates(self, n_dup):
        rng = self.rng
        cands = [r for r in self.recs if r["lab"] is None and r["fil"] < MAX_DATE - 10
                 and not (r["sw"] and r["tech"] >= 4_700_000 * 100)]
        rng.shuffle(cands)
        pats = ("other_point", "title_variant", "amount_changed", "dates_shifted", "contract_no_variant", "resubmitted")
        w = (0.25, 0.2, 0.15, 0.15, 0.1, 0.15)
        made = 0
        for o in cands:
            if made >= n_dup:
                break
            r = dict(o)
            pat = rng.choices(pats, weights=w)[0]
            extra = rng.random() < 0.35
            if pat == "other_point" or (extra and rng.random() < 0.5):
                r["pt"] = rng.choice([p for p in (CITIES[o["s"].city][1] if rng.random() < 0.7 else ALL_POINTS)
                                      if p != o["pt"]] or [p for p in ALL_POINTS if p != o["pt"]])
            if pat == "title_variant" or (extra and pat != "other_point"):
                r["title"] = _title_variant(o["title"], rng)
            if pat == "amount_changed":
                f = 1 + rng.choice((-1, 1)) * rng.uniform(0.01, 0.05)
                amt = int(o["amt"] * f)
                if o["amt"] % 100000 == 0:
                    amt = max(100000, amt // 100000 * 100000)
                r["amt"] = amt
                r["tech"] = min(amt, int(o["tech"] * f) if o["tech"] != o["amt"] else amt)
            if pat == "dates_shifted":
                dd = rng.choice((-1, 1)) * rng.randint(1, 7)
                r["sig"], r["ps"], r["pe"] = o["sig"] + dd, o["ps"] + dd, min(MAX_DATE, o["pe"] + dd)
                if r["pe"] < r["ps"]:
                    r["pe"] = r["ps"]
            if pat == "contract_no_variant":
                r["no"] = _no_variant(o["no"], rng)
            lo = o["fil"] + 3
            hi = min(MAX_DATE, o["fil"] + 300)
            if hi < lo:
                continue
            r["fil"] = max(rng.randint(lo, hi), r["sig"])
            r["lab"], r["role"] = ("duplicate", pat), "duplicate"
            self.recs.append(r)
            made += 1
        return made

    # ---------------- orchestration ----------------
    def run(self):
        rng, scn, n = self.rng, self.scn, self.n
        self.build_orgs()
        A = round(n * scn.anomaly_rate) if n >= 50 else 0
        km = scn.kind_mix
        n_split = round(A * km[0])
        n_ls = round(A * km[1])
        n_bd = round(A * km[2])
        n_dup = A - n_split - n_ls - n_bd
        n_over = round(n_ls * scn.over_line_share)
        n_rel = n_ls - n_over
        bm = scn.backdated_mix
        n_before = round(n_bd * bm[0])
        n_after = round(n_bd * bm[1])
        n_inv = n_bd - n_before - n_after

        base = n - n_dup  # everything but duplicates is created before numbering
        ls = scn.lookalike_scale
        budgets = [(self.renewals, 0.055), (self.annual_dev, 0.02), (self.phases, 0.04), (self.unrelated_close, 0.05),
                   (self.small_cluster, 0.03), (self.framework, 0.025), (self.large_nonsw, 0.012),
                   (self.hw_heavy_sw, 0.006 if self.sw_sellers else 0.0)]
        if n >= 200:
            for fn, share in budgets:
                target = int(n * share * ls)
                made = 0
                while made < target:
                    made += fn()
        # split deals
        made = 0
        while n_split - made >= 2:
            k = rng.choices((2, 3, 4, 5), weights=(0.4, 0.3, 0.2, 0.1))[0]
            k = min(k, n_split - made)
            if n_split - made - k == 1:
                k = k - 1 if k > 2 else k + 1
            made += self.split_deal(k)
        for _ in range(n_over if self.sw_sellers else 0):
            self.over_line()
        # honest singles (most of the data)
        n_wide = int(n * 0.008 * ls) if n >= 200 else 0
        n_single = base - len(self.recs) - n_rel - n_wide
        for _ in range(max(0, n_single)):
            self.single()
        # honest: wide-spread sellers with occasional big software contracts
        wide = [s for s in self.sw_sellers if s.spread == "wide" and len(s.recs) >= 5 and math.exp(s.mu) <= 7e5]
        for _ in range(n_wide):
            self.wide_big(wide)
        # relative anomalies: tightly clustered sellers with a real history
        cands = [s for s in self.sw_sellers if not s.always_big and s.sigma <= 0.5 and len(s.recs) >= 6
                 and 3e4 <= math.exp(s.mu) <= 6e5]
        rng.shuffle(cands)
        cands.sort(key=lambda s: s.sigma > 0.3)
        made = 0
        for s in cands:
            if made >= n_rel:
                break
            if self.relative(s):
                made += 1
        # top up with honest singles so that the total is exactly n
        while len(self.recs) < base:
            self.single()
        self.backdate(n_before, n_after, n_inv)
        self.number()
        self.duplicates(n_dup)
        while len(self.recs) < n:   # only if too few duplicate originals (tiny n)
            r = self.single()
            r["no"] = f"{r['s'].prefix}-X{len(self.recs):05d}"
        return self.emit()

    def emit(self):
        rng = self.rng
        pcache: dict = {}

        def party(o):
            p = pcache.get(o.idx)
            if p is None:
                p = {"name": o.name, "credit_code": o.code}
                if o.show_region:
                    p["region"] = o.region
                pcache[o.idx] = p
            return dict(p)

        order = sorted(self.recs, key=lambda r: (r["fil"], r["lab"] is not None and r["lab"][0] == "duplicate",
                                                 rng.random()))
        pre = self.scn.name[:3]
        filings, labels, roles = [], {}, {}
        for k, r in enumerate(order, 1):
            ref = f"SC-{pre}-{self.seed}-{k:07d}"
            f = {"ref": ref, "contract_no": r["no"], "title": r["title"], "kind": r["kind"]}
            if r["sub"]:
                f["subkind"] = r["sub"]
            f.update({"software": r["sw"], "domain": r["dom"], "seller": party(r["s"]), "buyer": party(r["b"]),
                      "amount": _money(r["amt"]), "tech_amount": _money(r["tech"]), "signed_on": _iso(r["sig"]),
                      "performance_start": _iso(r["ps"]), "performance_end": _iso(r["pe"]),
                      "filed_on": _iso(r["fil"]), "point": r["pt"]})
            filings.append(f)
            roles[ref] = r["role"]
            if r["lab"]:
                labels[ref] = r["lab"]
        return filings, labels, roles


def _tidy(t: str) -> str:
    for a, b in (("技术技术", "技术"), ("开发开发", "开发"), ("服务技术服务", "技术服务"), ("研究可行性研究", "可行性研究")):
        t = t.replace(a, b)
    return t


def _title_variant(t: str, rng: random.Random) -> str:
    opts = []
    if t.startswith("关于") and "的" in t:
        core = t[2:]
        i = core.find("的")
        opts.append(core[:i] + core[i + 1:])
    else:
        for kw in ("技术开发", "技术服务", "技术咨询", "技术转让", "技术许可", "软件开发", "开发", "可行性研究"):
            i = t.find(kw)
            if i > 0:
                opts.append(f"关于{t[:i]}的{t[i:]}")
                break
    if t.endswith("合同"):
        opts.append(t[:-2] + "项目合同")
        opts.append(t[:-2])
    else:
        opts.append(t + "合同")
        opts.append(t + "项目合同")
    if "（" in t:
        opts.append(t.replace("（", "(").replace("）", ")"))
    if "(" in t:
        opts.append(t.replace("(", "（").replace(")", "）"))
    opts.append(f"《{t}》")
    opts.append(t.replace("合同", " 合同") if "合同" in t else t + " ")
    opts = [o.strip() or t for o in opts if o.strip() != t]
    out = rng.choice(opts) if opts else t + "（重报）"
    return out[:200]


def _no_variant(no: str, rng: random.Random) -> str:
    opts = []
    if "-" in no:
        opts.append(no.replace("-", "", 1))
        opts.append(no.replace("-", ""))
        opts.append(no.replace("-", "_"))
    m = re.match(r"^([A-Za-z]+)(\d.*)$", no)
    if m:
        opts.append(f"{m.group(1)}-{m.group(2)}")
    m = re.search(r"0+(\d+)$", no)
    if m and m.group(1):
        opts.append(no[:m.start()] + m.group(1))
    if no.lower() != no:
        opts.append(no.lower())
    if not no.endswith("号"):
        opts.append(no + "号")
    opts = [o for o in opts if o != no and len(o) <= 64]
    return rng.choice(opts)


def _build(n: int, seed: int, scenario: str = "baseline"):
    if scenario not in SCENARIOS:
        raise KeyError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    if n <= 0:
        return [], {}, {}
    return _Builder(n, seed, SCENARIOS[scenario]).run()


def generate(n: int, seed: int, scenario: str = "baseline") -> tuple[list[dict], dict[str, tuple[str, str]]]:
    """n filings (format v1 dicts) and labels ref -> (kind, pattern) for the anomalous filings only."""
    filings, labels, _roles = _build(n, seed, scenario)
    return filings, labels


# --------------------------------------------------------------------------------------------
# self-check
# --------------------------------------------------------------------------------------------
_REF = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MONEY = re.compile(r"^\d+\.\d{2}$")
_SUB_OK = {"development": {"commissioned", "cooperative"}, "transfer": {"patent", "patent_application", "technical_secret", "other"},
           "license": {"patent", "technical_secret", "other"}, "consulting": set(),
           "service": {"service", "training", "intermediary"}}
_KEYS = {"ref", "contract_no", "title", "kind", "subkind", "software", "domain", "seller", "buyer", "amount",
         "tech_amount", "signed_on", "performance_start", "performance_end", "filed_on", "point", "description"}
LABEL_KINDS = ("split", "large_software", "backdated", "duplicate")


def check(filings: list[dict], labels: dict) -> list[str]:
    """Every format rule; returns a list of problems (empty when all pass)."""
    errs: list[str] = []
    refs: set = set()
    party_seen: dict = {}
    name_seen: dict = {}
    lo, hi = "2019-01-01", "2026-06-30"

    def bad(f, msg):
        if len(errs) < 50:
            errs.append(f"{f.get('ref')}: {msg}")

    for f in filings:
        if set(f) - _KEYS:
            bad(f, f"unknown keys {set(f) - _KEYS}")
        ref = f.get("ref")
        if not isinstance(ref, str) or not _REF.match(ref):
            bad(f, "ref")
        if ref in refs:
            bad(f, "duplicate ref")
        refs.add(ref)
        cn = f.get("contract_no")
        if not isinstance(cn, str) or not (1 <= len(cn) <= 64):
            bad(f, "contract_no")
        t = f.get("title")
        if not isinstance(t, str) or not (1 <= len(t) <= 200) or t != t.strip():
            bad(f, "title")
        if f.get("kind") not in _SUB_OK:
            bad(f, "kind")
        elif "subkind" in f and f["subkind"] not in _SUB_OK[f["kind"]]:
            bad(f, "subkind")
        if not isinstance(f.get("software"), bool):
            bad(f, "software")
        if f.get("domain") not in DOMAINS:
            bad(f, "domain")
        codes = []
        for role in ("seller", "buyer"):
            p = f.get(role)
            if not isinstance(p, dict) or set(p) - {"name", "credit_code", "region"}:
                bad(f, f"{role} object")
                continue
            name, code, reg = p.get("name"), p.get("credit_code"), p.get("region")
            if not isinstance(name, str) or not (1 <= len(name) <= 200):
                bad(f, f"{role} name")
            if not isinstance(code, str) or len(code) != 18 or any(c not in ALPHABET for c in code) \
                    or make_code(code[:17]) != code:
                bad(f, f"{role} credit code {code}")
            if "region" in p and (not isinstance(reg, str) or not re.fullmatch(r"\d{6}", reg)):
                bad(f, f"{role} region")
            prev = party_seen.setdefault(code, (name, reg))
            if prev != (name, reg):
                bad(f, f"party {code} inconsistent: {prev} vs {(name, reg)}")
            if name_seen.setdefault(name, code) != code:
                bad(f, f"name {name} used by two codes")
            codes.append(code)
        if len(codes) == 2 and codes[0] == codes[1]:
            bad(f, "seller == buyer")
        a, ta = f.get("amount"), f.get("tech_amount")
        if not (isinstance(a, str) and _MONEY.match(a) and isinstance(ta, str) and _MONEY.match(ta)):
            bad(f, "amount format")
        else:
            ac, tc = int(a.replace(".", "")), int(ta.replace(".", ""))
            if not (ac > 0 and 0 <= tc <= ac):
                bad(f, "amount values")
        ds = {}
        for k in ("signed_on", "performance_start", "performance_end", "filed_on"):
            v = f.get(k)
            try:
                date.fromisoformat(v)
                ok = isinstance(v, str) and len(v) == 10 and lo <= v <= hi
            except (TypeError, ValueError):
                ok = False
            if not ok:
                bad(f, f"{k} {v}")
            ds[k] = v
        if all(isinstance(v, str) for v in ds.values()):
            if ds["performance_end"] < ds["performance_start"]:
                bad(f, "performance_end < performance_start")
            if ds["filed_on"] < ds["signed_on"]:
                bad(f, "filed_on < signed_on")
        if not isinstance(f.get("point"), str) or not re.fullmatch(r"\d{6}", f["point"]):
            bad(f, "point")
    for ref, lab in labels.items():
        if ref not in refs:
            errs.append(f"label for unknown ref {ref}")
        if not (isinstance(lab, tuple) and len(lab) == 2 and lab[0] in LABEL_KINDS and isinstance(lab[1], str)):
            errs.append(f"bad label {ref}: {lab}")
    return errs


def _main(argv: list[str]) -> int:
    from collections import Counter
    n = int(argv[0]) if argv else 20000
    seed = int(argv[1]) if len(argv) > 1 else 1
    ok = True
    for name in SCENARIOS:
        t0 = time.perf_counter()
        filings, labels, roles = _build(n, seed, name)
        dt = time.perf_counter() - t0
        errs = check(filings, labels)
        if len(filings) != n:
            errs.append(f"got {len(filings)} filings, wanted {n}")
        ok &= not errs
        honest = [f for f in filings if f["ref"] not in labels]
        late = sum(1 for f in honest if date.fromisoformat(f["filed_on"]).toordinal()
                   - date.fromisoformat(f["signed_on"]).toordinal() > 60)
        byk = Counter(k for k, _ in labels.values())
        byp = Counter(f"{k}/{p}" for k, p in labels.values())
        look = Counter(roles[f["ref"]] for f in honest)
        print(f"== {name}{' (held out)' if name == HELD_OUT else ''}: {len(filings)} filings, "
              f"{len(labels)} labelled ({len(labels) / max(1, n):.1%}), {dt:.2f}s, "
              f"{'OK' if not errs else 'ERRORS'}")
        print("   kinds:", dict(sorted(byk.items())))
        print("   patterns:", dict(sorted(byp.items())))
        print(f"   honest filed >60 days after signing: {late / max(1, len(honest)):.1%}")
        print("   honest roles:", dict(sorted(look.items())))
        for e in errs[:10]:
            print("   !", e)
    a = generate(3000, 7, "mixed_hard")
    b = generate(3000, 7, "mixed_hard")
    det = a == b
    print("deterministic:", det)
    ok &= det
    t0 = time.perf_counter()
    big, _ = generate(50000, 2, "baseline")
    print(f"50k baseline: {len(big)} filings in {time.perf_counter() - t0:.2f}s")
    for small in (1, 7, 60, 250):
        f, l = generate(small, 3, "mixed_hard")
        e = check(f, l)
        ok &= len(f) == small and not e
        print(f"n={small}: {len(f)} filings, {len(l)} labelled, {'OK' if not e else e[:3]}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
