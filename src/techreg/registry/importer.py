"""Bulk import of filing format v1 (JSON Lines) at COPY speed.

Lines are decoded and checked by the same code as the API (`rules`), in
batches; each batch is COPYed into a temporary stage and moved into the real
tables by a few set-based statements in one transaction, so a bad line never
leaves half a record behind and a good line is never held back by a bad one.
Parsing the next batch overlaps with the database work on the current one.
"""

import asyncio
import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import asyncpg
import msgspec

from .changes import notify_changed
from .columns import FILING_FIELDS, filing_values
from .events import event_hash, filing_state, now
from .regno import RAISE_COUNTERS_FROM_IMPORT
from .rules import HISTORY_APPROVED, FilingRejected, decode_filing

MAX_LINE_BYTES = 1 << 20  # a filing is a few KiB; anything past 1 MiB is not a filing

# What a line of history brings beyond the filing's own values (columns.FILING_FIELDS), as filings names it.
HISTORY_FIELDS = ("registrar", "status", "reg_no", "registered_on", "approved_amount")
# A record of the stage (parse_batch): the line number, the filing's own values, its history, its import event.
STAGE_COLUMNS = ("line", *FILING_FIELDS, *HISTORY_FIELDS, "event_at", "event_hash", "event_state")

# The stage: filings' own columns, with their types, and the line and the event beside them.
CREATE_STAGE = f"""
    CREATE TEMP TABLE IF NOT EXISTS import_stage AS
    SELECT 0 AS line, {", ".join(FILING_FIELDS + HISTORY_FIELDS)},
           NULL::timestamptz AS event_at, NULL::bytea AS event_hash, NULL::bytea AS event_state
    FROM filings WITH NO DATA
"""

# Lines whose registration number belongs to another ref, taken out of the stage and returned with that ref.
# A number belongs to the filing that holds it, or, when none does, to the batch's first line that gives it.
# Set-based: one sort of the stage by number (a window) and one probe of filings' unique index per
# numbered line, so a batch costs n log n, never n² (a self-join of the stage has no index to use).
REG_NO_CLASHES = """
    WITH claims AS (
        SELECT line, ref, reg_no, first_value(ref) OVER (PARTITION BY reg_no ORDER BY line) AS first_ref
        FROM import_stage WHERE reg_no IS NOT NULL
    ), clashes AS (
        SELECT c.line, c.reg_no, coalesce(held.ref, c.first_ref) AS owner
        FROM claims c LEFT JOIN LATERAL (SELECT f.ref FROM filings f WHERE f.reg_no = c.reg_no) held ON true
        WHERE coalesce(held.ref, c.first_ref) <> c.ref
    )
    DELETE FROM import_stage s USING clashes c WHERE s.line = c.line
    RETURNING c.line, c.reg_no, c.owner AS other
"""

# Lines naming a registration point the registry does not have, taken out of the stage: a point is set up by
# the office (`techreg point add`), never invented from a file (a typo would become a point no one serves).
UNKNOWN_POINTS = """
    DELETE FROM import_stage s
    WHERE NOT EXISTS (SELECT 1 FROM points p WHERE p.code = s.point_code)
    RETURNING s.line, s.point_code
"""

# History from an older system, imported with create_points (`techreg import --create-points`): its points,
# named by their codes until renamed, numbering with a six-digit code when no other point uses that prefix.
INSERT_POINTS = """
    INSERT INTO points (code, name, number_prefix)
    SELECT DISTINCT s.point_code, s.point_code,
           CASE WHEN s.point_code ~ '^[0-9]{6}$'
                 AND NOT EXISTS (SELECT 1 FROM points p WHERE p.number_prefix = s.point_code)
                THEN s.point_code END
    FROM import_stage s
    WHERE NOT EXISTS (SELECT 1 FROM points p WHERE p.code = s.point_code)
    ON CONFLICT DO NOTHING
    RETURNING code
"""

INSERT_PARTIES = """
    INSERT INTO parties (credit_code, name, region)
    SELECT DISTINCT ON (code) code, name, region FROM (
        SELECT seller_code AS code, seller_name AS name, seller_region AS region, line FROM import_stage
        UNION ALL
        SELECT buyer_code, buyer_name, buyer_region, line FROM import_stage
    ) p
    ORDER BY code, line
    ON CONFLICT (credit_code) DO NOTHING
"""

# lines naming a registrar who is not a registrar of the line's point, taken out of the stage: the name is
# checked, never invented
UNKNOWN_REGISTRARS = """
    DELETE FROM import_stage s
    WHERE s.registrar IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM users u WHERE u.username = s.registrar AND u.role = 'registrar' AND u.point_code = s.point_code)
    RETURNING s.line, s.registrar, s.point_code
"""

INSERT_FILINGS = f"""
    WITH firsts AS (
        SELECT DISTINCT ON (ref) * FROM import_stage ORDER BY ref, line
    ), ins AS (
        INSERT INTO filings ({", ".join(FILING_FIELDS + HISTORY_FIELDS)}, created_by, event_count, last_event_hash)
        SELECT {", ".join(FILING_FIELDS + HISTORY_FIELDS)}, $1, 1, event_hash
        FROM firsts
        ON CONFLICT (ref) DO NOTHING
        RETURNING id, ref
    )
    INSERT INTO filing_events (filing_id, seq, at, actor, action, from_status, to_status, detail, prev_hash, hash,
                               state_digest)
    SELECT ins.id, 1, s.event_at, $1, 'import', NULL, s.status, $2::jsonb, NULL, s.event_hash, s.event_state
    FROM ins JOIN firsts s USING (ref)
"""


def history_approved_amount(f) -> Decimal | None:
    """Registered history carries its approved amount (核定技术交易额); without one it is taken at the declared
    tech_amount (docs/filing-format.md). Pending and refused history has none."""
    if f.status not in HISTORY_APPROVED:
        return None
    return Decimal(f.approved_amount if f.approved_amount is not None else f.tech_amount)


class LineError(msgspec.Struct, omit_defaults=True):
    """One bad field of one line (a line with three bad fields has three)."""
    line: int
    field: str
    message: str
    message_en: str
    value: str | int | float | bool | None | msgspec.UnsetType = msgspec.UNSET


class ImportReport(msgspec.Struct):
    lines: int = 0
    imported: int = 0
    already_present: int = 0
    rejected: int = 0
    errors: list[LineError] = []
    unknown_points: list[str] = []      # the point codes lines were refused for (no such point), once each
    points_created: list[str] = []      # only with create_points: the codes of the points made for the history


def read_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes | None, int]]:
    """Yield (line number, content or None when too long, bytes consumed)."""
    number = 0
    while True:
        chunk = stream.readline(MAX_LINE_BYTES + 1)
        if not chunk:
            return
        number += 1
        consumed = len(chunk)
        if len(chunk) > MAX_LINE_BYTES and not chunk.endswith(b"\n"):
            while chunk and not chunk.endswith(b"\n"):  # skip the rest of the oversized line
                chunk = stream.readline(MAX_LINE_BYTES)
                consumed += len(chunk)
            yield number, None, consumed
            continue
        yield number, chunk, consumed


def parse_batch(batch: list[tuple[int, bytes | None]], key: bytes, actor: str, detail: dict,
                at: dt.datetime) -> tuple[list[tuple], list[LineError]]:
    records: list[tuple] = []
    errors: list[LineError] = []
    for number, raw in batch:
        if raw is None:
            errors.append(LineError(number, "$", f"行过长（超过 {MAX_LINE_BYTES} 字节）",
                                    f"line longer than {MAX_LINE_BYTES} bytes"))
            continue
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(LineError(number, "$", f"不是 UTF-8 编码（第 {exc.start + 1} 字节）",
                                    f"not UTF-8 (byte {exc.start + 1})"))
            continue
        try:
            f = decode_filing(raw)
        except FilingRejected as exc:
            errors.extend(LineError(number, e.field, e.message, e.message_en, e.value) for e in exc.errors)
            continue
        status = f.status
        approved = history_approved_amount(f)
        state = filing_state(f, status=status, registrar=f.registrar, reg_no=f.reg_no, approved_amount=approved)
        digest = event_hash(key, f.ref, 1, at, actor, "import", None, status, detail, None, state)
        records.append((number, *filing_values(f), f.registrar, status, f.reg_no, None, approved, at, digest, state))
    return records, errors


def unknown_point_error(line: int, code: str) -> LineError:
    return LineError(line, "point", f"登记点 {code} 不存在：请先建立该登记点（techreg point add），"
                                    "或核对登记点代码",
                     f"point {code} does not exist: add the point first (techreg point add), or check its code", code)


async def _load_batch(conn: asyncpg.Connection, records: list[tuple], actor: str, detail: dict,
                      report: ImportReport, create_points: bool) -> None:
    async with conn.transaction():
        await conn.execute("TRUNCATE import_stage")
        await conn.copy_records_to_table("import_stage", records=records, columns=STAGE_COLUMNS)
        clashes = await conn.fetch(REG_NO_CLASHES)
        for c in clashes:
            report.errors.append(LineError(c["line"], "reg_no", f"登记号 {c['reg_no']} 已被 {c['other']} 使用",
                                           f"reg_no {c['reg_no']} is already used by {c['other']}"))
        report.rejected += len(clashes)
        created = [r["code"] for r in await conn.fetch(INSERT_POINTS)] if create_points else []
        unknown_points = await conn.fetch(UNKNOWN_POINTS)
        report.errors.extend(unknown_point_error(u["line"], u["point_code"]) for u in unknown_points)
        report.unknown_points.extend(sorted({u["point_code"] for u in unknown_points} - set(report.unknown_points)))
        report.rejected += len(unknown_points)
        unknown = await conn.fetch(UNKNOWN_REGISTRARS)
        for u in unknown:
            report.errors.append(LineError(u["line"], "registrar",
                                           f"{u['registrar']} 不是登记点 {u['point_code']} 的登记员",
                                           f"{u['registrar']} is not a registrar of point {u['point_code']}"))
        report.rejected += len(unknown)
        await conn.execute(INSERT_PARTIES)
        status = await conn.execute(INSERT_FILINGS, actor, detail)
        inserted = int(status.rsplit(" ", 1)[-1])
        await conn.execute(RAISE_COUNTERS_FROM_IMPORT)
    report.imported += inserted
    report.points_created.extend(created)
    report.already_present += len(records) - len(clashes) - len(unknown_points) - len(unknown) - inserted


def _first_of_each_ref(records: list[tuple], seen: dict, errors: list) -> list[tuple]:
    """A ref repeated in one file with the same content is the same filing (imported once); with other
    content it is a conflict, reported on its line, never silently dropped as "already present"."""
    kept = []
    for record in records:
        line, ref, state = record[0], record[1], record[-1][:8]
        first = seen.setdefault(ref, (line, state))
        if first[0] != line and first[1] != state:
            errors.append(LineError(line, "ref", f"申请编号 {ref} 已在第 {first[0]} 行使用，内容不同",
                                    f"ref {ref} is already used on line {first[0]} with other content"))
            continue
        kept.append(record)
    return kept


async def import_stream(conn: asyncpg.Connection, stream: BinaryIO, key: bytes, *, actor: str, source: str,
                        batch_size: int = 20_000, progress: Callable[[int], None] | None = None,
                        create_points: bool = False) -> ImportReport:
    """Import the stream's filings, batch by batch; a line naming a point the registry does not have is refused,
    unless `create_points` (history from an older system) makes the point. Whoever scores filings is told once
    the batches are committed (registry/changes.py), as for a filing submitted through the API."""
    report = ImportReport()
    try:
        await _import_batches(conn, stream, key, report, actor=actor, source=source, batch_size=batch_size,
                              progress=progress, create_points=create_points)
    except BaseException:
        if report.imported:             # the batches committed before the failure are scored all the same
            with contextlib.suppress(Exception):
                await notify_changed(conn)
        raise
    if report.imported:
        await notify_changed(conn)
    report.errors.sort(key=lambda e: e.line)
    return report


async def _import_batches(conn: asyncpg.Connection, stream: BinaryIO, key: bytes, report: ImportReport, *,
                          actor: str, source: str, batch_size: int, progress: Callable[[int], None] | None,
                          create_points: bool) -> None:
    detail = {"source": source}
    at = now()
    await conn.execute(CREATE_STAGE)
    pending: asyncio.Task | None = None
    seen: dict[str, tuple[int, bytes]] = {}      # ref -> (first line, start of its content digest)
    batch: list[tuple[int, bytes | None]] = []
    consumed = 0

    async def flush(batch: list) -> None:
        nonlocal pending
        # parse in a thread while the previous batch is still being written
        records, errors = await asyncio.to_thread(parse_batch, batch, key, actor, detail, at)
        records = _first_of_each_ref(records, seen, errors)
        report.errors.extend(errors)
        report.rejected += len({e.line for e in errors})
        if pending is not None:
            await pending
        pending = (asyncio.create_task(_load_batch(conn, records, actor, detail, report, create_points))
                   if records else None)

    for number, raw, size in read_lines(stream):
        report.lines = number
        consumed += size
        if raw is not None and not raw.strip():
            continue  # blank lines carry nothing
        batch.append((number, raw))
        if len(batch) >= batch_size:
            await flush(batch)
            batch = []
            if progress:
                progress(consumed)
    if batch:
        await flush(batch)
    if pending is not None:
        await pending
    if progress:
        progress(consumed)


async def import_file(conn: asyncpg.Connection, path: Path, key: bytes, *, actor: str,
                      batch_size: int = 20_000, progress: Callable[[int], None] | None = None,
                      create_points: bool = False) -> ImportReport:
    with open(path, "rb") as stream:
        return await import_stream(conn, stream, key, actor=actor, source=os.path.basename(path),
                                   batch_size=batch_size, progress=progress, create_points=create_points)
