"""Registration numbers: year(4) + province(2) + city(2) + point(2) + sequence(6).

The counter row for (point, year) is incremented inside the registering
transaction; its row lock orders concurrent registrations at one point, and a
rollback takes the increment back, so numbers are strictly increasing and
gap-free. Imported history raises the counter past the numbers it carries, so
no number is issued twice.
"""

import asyncpg

from ..errors import Conflict

MAX_SEQ = 999_999


async def issue_number(conn: asyncpg.Connection, point_code: str, year: int) -> str:
    prefix = await conn.fetchval("SELECT number_prefix FROM points WHERE code = $1", point_code)
    if prefix is None:
        raise Conflict(f"登记点 {point_code} 未配置登记号前缀（省市点6位代码），无法发号",
                       f"point {point_code} has no registration-number prefix configured")
    seq = await conn.fetchval(
        """
        INSERT INTO reg_counters (point_code, year, last_seq) VALUES ($1, $2, 1)
        ON CONFLICT (point_code, year) DO UPDATE SET last_seq = reg_counters.last_seq + 1
        RETURNING last_seq
        """,
        point_code, year)
    if seq > MAX_SEQ:
        raise Conflict(f"登记点 {point_code} 在 {year} 年的登记号已用尽",
                       f"registration numbers for point {point_code} in {year} are exhausted")
    return f"{year:04d}{prefix}{seq:06d}"


# Imported history brings numbers of its own: each point's counter for each year is raised to the highest
# number the import's stage (importer.py) holds, so a number issued later never repeats one.
RAISE_COUNTERS_FROM_IMPORT = """
    INSERT INTO reg_counters (point_code, year, last_seq)
    SELECT p.code, substr(f.reg_no, 1, 4)::int, max(substr(f.reg_no, 11, 6)::int)
    FROM import_stage f JOIN points p ON p.number_prefix = substr(f.reg_no, 5, 6)
    WHERE f.reg_no ~ '^[0-9]{16}$'
    GROUP BY 1, 2
    ON CONFLICT (point_code, year) DO UPDATE SET last_seq = greatest(reg_counters.last_seq, excluded.last_seq)
"""
