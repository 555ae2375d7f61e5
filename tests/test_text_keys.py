"""The SQL text keys: what they make of titles and names, and that the migrations use the code's expressions."""

from pathlib import Path

import pytest

from techreg.detection.text import BRAND_KEY_SQL, CONTRACT_KEY_SQL, TITLE_CORE_SQL, TITLE_MARKS_SQL

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def test_generated_columns_use_the_expressions_in_text_py():
    # changing an expression in text.py needs a new migration, or the stored keys go stale
    assert TITLE_CORE_SQL in (MIGRATIONS / "0004_text_keys.sql").read_text()
    assert TITLE_MARKS_SQL in (MIGRATIONS / "0004_text_keys.sql").read_text()
    assert CONTRACT_KEY_SQL in (MIGRATIONS / "0004_text_keys.sql").read_text()
    assert BRAND_KEY_SQL in (MIGRATIONS / "0010_brand_key_without_region.sql").read_text()


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
    assert await key("上海云图信息技术有限公司") != await key("上海云图信息技术有限公司", "310104")
    assert await key("上海云图信息技术有限公司") != await key("上海星辰信息技术有限公司")
    assert await key("某公司") == -1
    # the region is optional: the credit code's region digits stand in for a missing one
    assert await key("云图（上海）软件有限公司", None) == await key("上海云图信息技术有限公司")
    assert await key("云图（上海）软件有限公司", None, "91310104MA1FL0000X") != await key("上海云图信息技术有限公司")
