"""The SQL text keys: what they make of titles and names, and that the migrations use the code's expressions."""

from pathlib import Path

import pytest

from techreg.detection.text import (BRAND_KEY_SQL, CONTRACT_KEY_SQL, CONTRACT_NUMBER_SQL, CONTRACT_SERIES_SQL,
                                    TITLE_CORE_SQL, TITLE_MARKS_SQL, TITLE_PART_MARKS_SQL, TITLE_SUBJECT_SQL)

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def test_generated_columns_use_the_expressions_in_text_py():
    # changing an expression in text.py needs a new migration, or the stored keys go stale
    assert TITLE_CORE_SQL in (MIGRATIONS / "0004_text_keys.sql").read_text()
    assert TITLE_MARKS_SQL in (MIGRATIONS / "0004_text_keys.sql").read_text()
    assert CONTRACT_KEY_SQL in (MIGRATIONS / "0004_text_keys.sql").read_text()
    # each generated column as its newest migration defines it
    for column, expression in (("brand_key", BRAND_KEY_SQL), ("title_subject", TITLE_SUBJECT_SQL),
                               ("title_part_marks", TITLE_PART_MARKS_SQL), ("contract_prefix", CONTRACT_SERIES_SQL),
                               ("contract_seq", CONTRACT_NUMBER_SQL)):
        defining = [p for p in sorted(MIGRATIONS.glob("*.sql")) if f"ADD COLUMN {column} " in p.read_text()]
        assert expression in defining[-1].read_text(), (column, defining[-1].name)


@pytest.mark.parametrize("title, core, marks", [
    ("智慧园区管理平台开发（一期）", "智慧园区管理平台开发", "一"),
    ("智慧园区管理平台开发（二期）", "智慧园区管理平台开发", "二"),
    ("数据中台模块A开发合同", "数据中台开发合同", "a"),
    ("ERP System Phase II", "erpsystem", "ii"),
    ("第3部分：供应链协同软件", "供应链协同软件", "3"),
    ("平台运维服务合同（2025年度）", "平台运维服务合同年度", ""),
])
async def test_title_core_and_marks(conn, title, core, marks):
    row = await conn.fetchrow(f"SELECT {TITLE_CORE_SQL} AS core, {TITLE_MARKS_SQL} AS marks"
                              " FROM (SELECT $1::text AS title) t", title)
    assert (row["core"], row["marks"]) == (core, marks)


async def test_sister_companies_share_a_brand_key(conn):
    async def key(name, region="310101", credit_code="91310101MA1FL0000X"):
        return await conn.fetchval(f"SELECT {BRAND_KEY_SQL} FROM (SELECT $1::text AS name, $2::char(6) AS region,"
                                   " $3::char(18) AS credit_code) p", name, region, credit_code)
    assert await key("上海云图信息技术有限公司") == await key("云图（上海）软件有限公司")
    # sister companies sit in other cities and are named in several ways; the region is no part of the key
    assert await key("上海云图信息技术有限公司") == await key("云图（北京）软件有限公司", "110108")
    assert await key("上海云图信息技术有限公司") == await key("云图网络科技(深圳)有限公司", None, "91440300MA1FL0000X")
    assert await key("上海云图信息技术有限公司") != await key("上海星辰信息技术有限公司")
    assert await key("中国云图科技有限公司") == await key("上海云图信息技术有限公司")
    assert await key("某公司") == -1


PARTS = ["关于智能客服对话引擎的开发项目（三期）", "智能客服对话引擎二期开发", "智能客服对话引擎数据采集模块开发",
         "智能客服对话引擎技术服务合同（补充）", "智能客服对话引擎技术服务（续）", "第2阶段：智能客服对话引擎",
         "智能客服对话引擎 Phase IV", "智能客服对话引擎项目-标段3", "4号包 智能客服对话引擎技术开发"]


async def test_one_deals_parts_share_a_subject_and_differ_in_their_marks(conn):
    rows = await conn.fetch(f"SELECT {TITLE_SUBJECT_SQL} AS subject, {TITLE_PART_MARKS_SQL} AS marks"
                            " FROM unnest($1::text[]) AS t(title)", PARTS)
    # the module's own name stays with the subject: parts are compared by containment (pairs.py)
    assert {r["subject"] for r in rows} == {"智能客服对话引擎", "智能客服对话引擎数据采集"}
    assert all(r["marks"] for r in rows)
    assert len({r["marks"] for r in rows}) == len(PARTS)


@pytest.mark.parametrize("title, subject", [
    ("智能客服对话引擎运维技术服务合同（2025年度）", "智能客服对话引擎运维"),   # a renewal's year is no part number
    ("400G光模块封装工艺技术开发合同", "光封装工艺"),
    ("手术机器人导航模块可行性研究技术转让合同", "手术机器人导航可行性研究"),   # 模块 here is the subject's own word
])
async def test_titles_without_part_numbers(conn, title, subject):
    row = await conn.fetchrow(f"SELECT {TITLE_SUBJECT_SQL} AS subject, {TITLE_PART_MARKS_SQL} AS marks"
                              " FROM (SELECT $1::text AS title) t", title)
    assert row["subject"] == subject
    assert row["marks"] == ""      # a module word followed by more of the subject marks no part


@pytest.mark.parametrize("number, series, place", [
    ("HT-2023-041", "HT--", 2023 * 10**9 + 41),
    ("HT-2024-003", "HT--", 2024 * 10**9 + 3),        # next year's numbers follow this year's
    ("PFF-SH-2023004", "PFF-SH-", 2023004),
    ("XQ-032", "XQ-", 32),
    ("补充协议", "补充协议", -1),
])
async def test_numbering_series_folds_the_year_into_the_number(conn, number, series, place):
    row = await conn.fetchrow(f"SELECT {CONTRACT_SERIES_SQL} AS series, {CONTRACT_NUMBER_SQL} AS place"
                              " FROM (SELECT $1::text AS contract_no) t", number)
    assert (row["series"], row["place"]) == (series, place)
