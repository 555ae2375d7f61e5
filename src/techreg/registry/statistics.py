"""Annual statistics (年度统计): the registered contracts of a year, counted and summed by kind, technology field,
the seller's and the buyer's province, registration point and the seller's and the buyer's type — as figures
(the API, the CLI) and as an Excel workbook a statistics office can take in.

What is counted, as the workbook's notes sheet says it:
- A contract registered in the year and in force now (status `registered`); revoked and cancelled ones are left
  out and their number given. The year is the registration date's (kept as the day in TECHREG_TIMEZONE the
  registration was made); imported history without one counts by its application date — the rule the campaign
  population uses (audit/service.py FREEZE_SQL) and the credit batch check.
- Amounts: the contract amount (合同成交额) and the approved technology amount (核定技术交易额); a registration
  without an approved amount (older than approval, imported history) counts at its declared technology amount
  (registry/approval.COUNTED_AMOUNT_SQL), and every row says how many contracts and how much that is.
- Province: the first two digits of the party's region code (行政区划代码, GB/T 2260); none given: its own row.
- Party type: the first two characters of the unified social credit code (GB 32100-2015): the registration
  authority (登记管理部门) and the organisation type (机构类别) it assigns, mapped by PARTY_TYPE_BY_PREFIX.
"""

import datetime as dt
import io
from decimal import Decimal

import asyncpg
import msgspec

from ..config import Settings
from ..errors import InvalidInput
from ..labels import CATALOGUE, label, local_time, zone_name
from .approval import COUNTED_AMOUNT_SQL
from .service import today

# GB 32100-2015 Table 1: registration authority (first character) and organisation type (second) -> party type.
# 1 机构编制: 1 机关, 2 事业单位, 3 中央编办管理的群众团体; 3 司法行政: 1 律师执业机构, 2 公证处, 3 基层法律服务所,
# 4 司法鉴定机构, 5 仲裁委员会; 5 民政: 1 社会团体, 2 民办非企业单位, 3 基金会; 9 工商: 1 企业, 2 个体工商户,
# 3 农民专业合作社; A 中央军委改革和编制办公室: 1 军队事业单位; N 农业: 1–3 组、村、乡镇级集体经济组织.
# Every other prefix (外交, 文化, 旅游, 宗教, 工会, Y 其他, and each authority's 9 其他) is "other".
PARTY_TYPE_BY_PREFIX = {
    "11": "government", "12": "public_institution", "13": "mass_organisation",
    "31": "legal_service", "32": "legal_service", "33": "legal_service", "34": "legal_service", "35": "legal_service",
    "51": "social_organisation", "52": "social_organisation", "53": "social_organisation",
    "91": "enterprise", "92": "individual_business", "93": "farmer_cooperative",
    "A1": "public_institution", "N1": "rural_collective", "N2": "rural_collective", "N3": "rural_collective",
}
PARTY_TYPES = list(CATALOGUE["party_type"])
NO_REGION = "none"

# the breakdowns, in the workbook's order
BREAKDOWNS = ("kind", "domain", "seller_region", "buyer_region", "point", "seller_type", "buyer_type")

# The year's registered contracts ($1: first day, $2: first day of the next year), grouped once per breakdown
# (GROUPING SETS: one pass); party types are grouped by credit-code prefix here and mapped in Python.
BY_BREAKDOWN = f"""
    WITH counted AS (
        SELECT f.kind, f.domain, coalesce(left(f.seller_region, 2), '{NO_REGION}') AS seller_region,
               coalesce(left(f.buyer_region, 2), '{NO_REGION}') AS buyer_region, f.point_code AS point,
               left(f.seller_code, 2) AS seller_type, left(f.buyer_code, 2) AS buyer_type,
               f.amount, {COUNTED_AMOUNT_SQL} AS counted_amount, f.approved_amount IS NULL AS declared_only
        FROM filings f
        -- imported history carries no registration date: its application date stands in
        WHERE f.status = 'registered' AND coalesce(f.registered_on, f.filed_on) >= $1
          AND coalesce(f.registered_on, f.filed_on) < $2
    )
    SELECT CASE WHEN grouping(kind) = 0 THEN 'kind' WHEN grouping(domain) = 0 THEN 'domain'
                WHEN grouping(seller_region) = 0 THEN 'seller_region' WHEN grouping(buyer_region) = 0 THEN 'buyer_region'
                WHEN grouping(point) = 0 THEN 'point' WHEN grouping(seller_type) = 0 THEN 'seller_type'
                WHEN grouping(buyer_type) = 0 THEN 'buyer_type' ELSE 'total' END AS breakdown,
           coalesce(kind, domain, seller_region, buyer_region, point, seller_type, buyer_type) AS code,
           count(*) AS contracts, sum(amount) AS amount, sum(counted_amount) AS counted_amount,
           count(*) FILTER (WHERE declared_only) AS declared_only,
           coalesce(sum(counted_amount) FILTER (WHERE declared_only), 0) AS declared_amount
    FROM counted
    GROUP BY GROUPING SETS ((kind), (domain), (seller_region), (buyer_region), (point), (seller_type), (buyer_type), ())
"""
# registered in the year but no longer in force: left out, their number on the notes sheet
LEFT_OUT = """
    SELECT f.status, count(*) AS n FROM filings f
    WHERE f.status IN ('revoked', 'cancelled') AND coalesce(f.registered_on, f.filed_on) >= $1
      AND coalesce(f.registered_on, f.filed_on) < $2
    GROUP BY f.status
"""
POINT_NAMES = "SELECT code, name FROM points WHERE code = any($1::text[])"


class StatisticsRow(msgspec.Struct, kw_only=True):
    code: str                        # kind, field, province (2 digits, "none"), point, party type
    name: str                        # Chinese
    name_en: str
    contracts: int
    amount: Decimal                  # contract amount (合同成交额), yuan
    counted_amount: Decimal          # approved technology amount (核定技术交易额), declared where none, yuan
    declared_only: int               # of `contracts`, counted at the declared amount
    declared_amount: Decimal         # their part of `counted_amount`, yuan


class Breakdown(msgspec.Struct, kw_only=True):
    by: str                          # one of BREAKDOWNS
    title: str
    title_en: str
    rows: list[StatisticsRow]
    total: StatisticsRow


class AnnualStatistics(msgspec.Struct, kw_only=True):
    year: int
    counted: str                     # what is counted, in words (Chinese / English)
    amount_basis: str
    total: StatisticsRow
    left_out: dict[str, int]         # revoked, cancelled: registered in the year, not counted
    breakdowns: list[Breakdown]


AMOUNT_BASIS = ("金额为合同成交额与核定技术交易额；未核定的登记（早于核定制度的登记、导入的历史数据）按申报技术交易额计，"
                "每行另列其合同数与金额。金额单位：万元。",
                "Amounts are the contract amount and the approved technology amount; registrations without an approved "
                "amount (older than approval, imported history) count at the declared technology amount, shown "
                "separately on each row. Workbook amounts in 10,000 yuan; the API's in yuan.")
COUNTED = ("当年登记且现仍有效（状态为已登记）的技术合同；年度按登记日期（{zone}）划分，"
           "无登记日期的导入历史数据按申请登记日期划分；已撤销、已注销的不计入。",
           "Technology contracts registered in the year and in force now (status registered); the year is the "
           "registration date's, as a day in {zone}; imported history without one goes by its "
           "application date; revoked and cancelled registrations are left out.")


def counted(timezone: str) -> tuple[str, str]:
    """What the statistics count, the office's time zone named as people call it (北京时间 UTC+08:00)."""
    return COUNTED[0].format(zone=zone_name(timezone)), COUNTED[1].format(zone=zone_name(timezone, "en"))


REGION_RULE = ("地区按当事人行政区划代码前两位（省级）划分；未填报行政区划代码的单列。",
               "Province: the first two digits of the party's region code; parties without one have their own row.")
PARTY_TYPE_RULE = ("当事人类型按统一社会信用代码（GB 32100-2015）第1位登记管理部门代码与第2位机构类别代码划分：",
                   "Party type by the unified social credit code's (GB 32100-2015) first character (registration "
                   "authority) and second (organisation type):")


def party_type(prefix: str) -> str:
    return PARTY_TYPE_BY_PREFIX.get(prefix, "other")


def check_year(year: int, settings: Settings) -> int:
    """The year asked for, or a 400 naming it: from the earliest plausible date to next year."""
    last = (today(settings) + dt.timedelta(days=settings.latest_days_ahead)).year
    if not settings.earliest_date.year <= year <= last:
        raise InvalidInput(f"统计年度 {year} 无效：应在 {settings.earliest_date.year} 至 {last} 之间",
                           f"year {year} is out of range: {settings.earliest_date.year} to {last}")
    return year


def _zero(code: str, name: tuple[str, str]) -> dict:
    return {"code": code, "name": name[0], "name_en": name[1], "contracts": 0, "amount": Decimal(0),
            "counted_amount": Decimal(0), "declared_only": 0, "declared_amount": Decimal(0)}


_SUMMED = ("contracts", "amount", "counted_amount", "declared_only", "declared_amount")


def _add(into: dict, row) -> None:
    for f in _SUMMED:
        into[f] += row[f]


def _name(by: str, code: str, points: dict[str, str]) -> tuple[str, str]:
    if by in ("kind", "domain"):
        return label(by, code), label(by, code, "en")
    if by in ("seller_region", "buyer_region"):
        return (label("province", code, default=f"未知省份（{code}）"),
                label("province", code, "en", default=f"unknown province ({code})"))
    if by == "point":
        name = points.get(code, code)
        return name, name
    return label("party_type", code), label("party_type", code, "en")


async def annual_statistics(conn: asyncpg.Connection, settings: Settings, year: int) -> AnnualStatistics:
    """The year's figures (the caller has checked the role: supervisors and admins)."""
    check_year(year, settings)
    first, after = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    rows = await conn.fetch(BY_BREAKDOWN, first, after)
    total = next((r for r in rows if r["breakdown"] == "total" and r["contracts"]), None)
    points = {r["code"]: r["name"] for r in await conn.fetch(
        POINT_NAMES, [r["code"] for r in rows if r["breakdown"] == "point"])}
    breakdowns = []
    for by in BREAKDOWNS:
        # the catalogue's rows always, in its order (a form's fixed lines); provinces and points as they occur
        fixed = {"kind": list(CATALOGUE["kind"]), "domain": list(CATALOGUE["domain"]),
                 "seller_type": PARTY_TYPES, "buyer_type": PARTY_TYPES}.get(by, [])
        found: dict[str, dict] = {code: _zero(code, _name(by, code, points)) for code in fixed}
        for r in rows:
            if r["breakdown"] != by:
                continue
            code = party_type(r["code"]) if by.endswith("_type") else r["code"]
            _add(found.setdefault(code, _zero(code, _name(by, code, points))), r)
        ordered = found.values() if fixed else sorted(found.values(), key=lambda d: (d["code"] == NO_REGION, d["code"]))
        summed = _zero("total", (label("statistics", "total"), label("statistics", "total", "en")))
        for d in ordered:
            _add(summed, d)
        breakdowns.append(Breakdown(by=by, title=label("statistics", by), title_en=label("statistics", by, "en"),
                                    rows=[StatisticsRow(**d) for d in ordered], total=StatisticsRow(**summed)))
    grand = _zero("total", (label("statistics", "total"), label("statistics", "total", "en")))
    if total is not None:
        _add(grand, total)
    left_out = {"revoked": 0, "cancelled": 0} | {r["status"]: r["n"] for r in await conn.fetch(LEFT_OUT, first, after)}
    return AnnualStatistics(year=year, counted=" / ".join(counted(settings.timezone)), amount_basis=" / ".join(AMOUNT_BASIS),
                            total=StatisticsRow(**grand), left_out=left_out, breakdowns=breakdowns)


# -- the workbook ------------------------------------------------------------------------------------------

# 序号, the code where a statistics office has one (province, point, credit-code prefixes), the name, the figures
COLUMNS = ("no", "code", "name", "contracts", "amount", "counted_amount", "declared_only", "declared_amount")
TEXT = {"no", "code", "name"}
AMOUNTS = {"amount", "counted_amount", "declared_amount"}
WAN = Decimal(10000)
MONEY = "#,##0.00"                    # 万元 to two places shown; the cell keeps the exact figure
COUNT = "#,##0"
HEADER_ROW = 4                        # title, year and unit, a blank line, then the headers (Chinese, English)


def office_code(by: str, code: str) -> str | None:
    """The code a statistics office reads in the workbook: the province's two digits, the point's code, a party
    type's credit-code prefixes; kinds and fields go by name (their stored codes are the API's)."""
    if by.endswith("_region"):
        return None if code == NO_REGION else code
    if by == "point":
        return code
    if by.endswith("_type"):
        return "、".join(p for p, kind in PARTY_TYPE_BY_PREFIX.items() if kind == code) or None
    return None


def _wan(amount: Decimal) -> float:
    return float(amount / WAN)


# the row under the headers: the columns' numbers (栏次) as statistical forms write them, text columns 甲乙丙
COLUMN_NUMBERS = ("甲", "乙", "丙", 1, 2, 3, 4, 5)


def _sheet(book, found: Breakdown, year: int, language: str) -> None:
    from openpyxl.styles import Alignment, Font

    def w(code: str) -> str:
        return label("statistics", code, language)

    zh = language != "en"
    sheet = book.create_sheet(w(f"{found.by}_sheet")[:31])
    sheet.append([f"{year}年{w('title')}——{found.title}" if zh else f"{w('title')}, {year}: {found.title_en}"])
    sheet.append([f"{w('year')}：{year}年" if zh else f"{w('year')}: {year}", None, None, w("unit")])
    sheet.append([])
    sheet.append([w(c) for c in COLUMNS])
    sheet.append(list(COLUMN_NUMBERS))
    sheet["A1"].font = Font(bold=True, size=14)
    for cell in (*sheet[HEADER_ROW], *sheet[HEADER_ROW + 1]):
        cell.font = Font(bold=cell.row == HEADER_ROW)
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    for number, row in enumerate([*found.rows, found.total], start=1):
        total = row is found.total
        values = {"no": None if total else number, "code": None if total else office_code(found.by, row.code),
                  **{c: getattr(row, c) for c in COLUMNS if c not in ("no", "code")}}
        if not zh:
            values["name"] = row.name_en
        sheet.append([_wan(values[c]) if c in AMOUNTS else values[c] for c in COLUMNS])
        for c, cell in zip(COLUMNS, sheet[sheet.max_row]):
            if c == "no":
                cell.number_format = COUNT
            elif c in TEXT:
                if cell.value not in (None, ""):
                    cell.value, cell.data_type, cell.number_format = str(cell.value), "s", "@"   # codes stay text
            else:
                cell.number_format = MONEY if c in AMOUNTS else COUNT
            if total:
                cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGH", (6, 12, 40, 14, 20, 24, 22, 24)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = f"D{HEADER_ROW + 2}"


def _notes(book, found: AnnualStatistics, language: str, timezone: str, made_at: dt.datetime) -> None:
    def w(code: str) -> str:
        return label("statistics", code, language)

    k = 1 if language == "en" else 0
    sheet = book.create_sheet(w("notes_sheet"))
    lines = [
        [w("title"), f"{found.year}"],
        [w("made_at"), local_time(made_at, timezone)],
        [w("counted"), counted(timezone)[k]],
        [w("registered"), found.total.contracts],
        [w("excluded"), ("；" if not k else ", ").join(f"{label('status', s, language)} {n}"
                                                     for s, n in found.left_out.items())],
        [w("amount_basis"), AMOUNT_BASIS[k]],
        [w("region_rule"), REGION_RULE[k]],
        [w("party_type_rule"), PARTY_TYPE_RULE[k]],
    ]
    by_type: dict[str, list[str]] = {}
    for prefix, kind in PARTY_TYPE_BY_PREFIX.items():
        by_type.setdefault(kind, []).append(prefix)
    for kind in PARTY_TYPES:
        prefixes = "、".join(by_type.get(kind, [])) or ("其余代码" if not k else "every other prefix")
        lines.append(["", f"{label('party_type', kind, language)}{'：' if not k else ': '}{prefixes}"])
    for line in lines:
        sheet.append(line)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 20, 100


def workbook(found: AnnualStatistics, language: str, timezone: str, made_at: dt.datetime) -> bytes:
    """One sheet per breakdown (title, year and unit, the headers and the columns' numbers 栏次, a totals row;
    codes as text, counts and amounts in 万元 as numbers), and a notes sheet saying what is counted; in
    `language` (zh, en), as every export of the registry follows the reader's language."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for breakdown in found.breakdowns:
        _sheet(book, breakdown, found.year, language)
    _notes(book, found, language, timezone, made_at)
    book.active = 0
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def annual_workbook(conn: asyncpg.Connection, settings: Settings, year: int, language: str, *,
                          made_at: dt.datetime) -> bytes:
    return workbook(await annual_statistics(conn, settings, year), language, settings.timezone, made_at)


# the earliest signing day (an index read): no contract is registered before it was signed
EARLIEST_SIGNED = "SELECT min(signed_on) FROM filings"


async def statistics_years(conn: asyncpg.Connection, settings: Settings) -> list[int]:
    """The years a person may pick, newest first: from the earliest signing to this year."""
    this_year = today(settings).year
    earliest = await conn.fetchval(EARLIEST_SIGNED)
    first = max(earliest.year if earliest else this_year, settings.earliest_date.year)
    return list(range(this_year, min(first, this_year) - 1, -1))
