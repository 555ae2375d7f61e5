"""Evidence files on audit items: uploaded by the item's inspector while it is open, kept in PostgreSQL with
the digest the database computes, downloaded by whoever may see the item, withdrawn (never deleted) on the
item's record. Files live in the database rather than a folder so that a file and the record of its upload
commit together, backups carry them, and every replica serves the same copy (migrations/0016)."""

import re
import unicodedata

import asyncpg
import msgspec

from ..config import Settings
from ..errors import Conflict, InvalidInput, NotFound, TooLarge
from ..registry.users import CurrentUser
from . import filetypes
from .access import item_for
from .schema import EvidenceOut, WithdrawIn

# The stored bytes, with what the uploader said about them; the digest and size are generated columns.
INSERT_FILE = """
    INSERT INTO evidence_files (item_id, file_name, media_type, content, note, uploaded_by)
    VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
"""
# An item's files, oldest first, each with its withdrawal if there is one (never the bytes).
FILE_COLUMNS = """
    SELECT e.id, e.item_id, e.file_name, e.media_type, e.size_bytes, encode(e.sha256, 'hex') AS sha256, e.note,
           e.uploaded_by, e.uploaded_at, w.file_id IS NOT NULL AS withdrawn, w.withdrawn_by, w.withdrawn_at,
           w.reason AS withdraw_reason
    FROM evidence_files e LEFT JOIN evidence_withdrawals w ON w.file_id = e.id
"""
FILES_OF_ITEM = FILE_COLUMNS + " WHERE e.item_id = $1 ORDER BY e.id"
ONE_FILE = FILE_COLUMNS + " WHERE e.item_id = $1 AND e.id = $2"
CONTENT = "SELECT content FROM evidence_files WHERE item_id = $1 AND id = $2"
# The files a finding rests on: those of the item not withdrawn.
STANDING_FILES = """
    SELECT e.id FROM evidence_files e
    WHERE e.item_id = $1 AND NOT EXISTS (SELECT 1 FROM evidence_withdrawals w WHERE w.file_id = e.id) ORDER BY e.id
"""
WITHDRAW = "INSERT INTO evidence_withdrawals (file_id, withdrawn_by, reason) VALUES ($1, $2, $3)"
RECORD = "INSERT INTO audit_item_history (item_id, actor, action, detail) VALUES ($1, $2, $3, $4)"

MAX_NOTE = 500
# characters that hide or reorder what a name shows (controls, bidirectional overrides) and a folder part
HIDDEN_CHARACTERS = re.compile("[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MAX_NAME = 255


class Upload(msgspec.Struct):
    file_name: str
    content: bytes
    note: str = ""


def clean_name(raw: str) -> str:
    """The name as the uploader's computer had it, without a folder part or characters that disguise it."""
    name = unicodedata.normalize("NFC", HIDDEN_CHARACTERS.sub("", raw or "")).replace("\\", "/").rsplit("/", 1)[-1]
    name = name.strip().lstrip(".")
    if len(name) > MAX_NAME:
        ext = filetypes.extension(name)
        name = name[: MAX_NAME - len(ext)] + ext
    return name


def size_label(n: int) -> str:
    """A limit as people say it: 20 MB, 64 KB."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    return f"{n / 1024:g} KB" if n >= 1024 else f"{n} B"


def _out(row) -> EvidenceOut:
    d = dict(row)
    d["download"] = f"/api/audit/items/{d.pop('item_id')}/evidence/{d['id']}"
    return msgspec.convert(d, EvidenceOut)


async def may_add(conn: asyncpg.Connection, user: CurrentUser, item_id: int) -> None:
    """Before a byte of an upload is read: only the item's inspector, only while the item is open."""
    row = await item_for(conn, user, item_id, acting=True)
    if row["status"] != "open":
        raise Conflict("该检查事项已有结论，证据不能再更改", "this item has its finding: its evidence is closed",
                       status=row["status"])


def checked(settings: Settings, upload: Upload) -> tuple[str, str]:
    """(the name to keep, the media type told from the content) of an upload any stored file must pass: a
    name, some bytes, within TECHREG_EVIDENCE_MAX_BYTES, a short note, a type allowed and agreeing with the
    name's extension (filetypes.check). Evidence files and the documents answering an order both use it."""
    name = clean_name(upload.file_name)
    if not name:
        raise InvalidInput("请选择要上传的文件（文件名为空）", "choose a file to upload (the name is empty)", field="file")
    if not upload.content:
        raise InvalidInput(f"文件 {name} 是空的", f"{name} is empty", field="file")
    if len(upload.content) > settings.evidence_max_bytes:
        raise TooLarge(f"文件 {name} 超过 {size_label(settings.evidence_max_bytes)} 的上限",
                       f"{name} is larger than the {size_label(settings.evidence_max_bytes)} limit", field="file",
                       limit_bytes=settings.evidence_max_bytes)
    if len(upload.note) > MAX_NOTE:
        raise InvalidInput(f"说明不能超过 {MAX_NOTE} 字", f"the note is longer than {MAX_NOTE} characters", field="note")
    return name, filetypes.check(name, upload.content).media_type


async def add(conn: asyncpg.Connection, user: CurrentUser, settings: Settings, item_id: int,
              upload: Upload) -> EvidenceOut:
    row = await item_for(conn, user, item_id, lock=True, acting=True)
    if row["status"] != "open":
        raise Conflict("该检查事项已有结论，证据不能再更改", "this item has its finding: its evidence is closed",
                       status=row["status"])
    name, media_type = checked(settings, upload)
    file_id = await conn.fetchval(INSERT_FILE, item_id, name, media_type, upload.content, upload.note.strip(),
                                  user.username)
    added = _out(await conn.fetchrow(ONE_FILE, item_id, file_id))
    await conn.execute(RECORD, item_id, user.username, "evidence_added",
                       {"file_id": added.id, "file_name": added.file_name, "sha256": added.sha256,
                        "size_bytes": added.size_bytes, "media_type": added.media_type})
    return added


async def of_item(conn: asyncpg.Connection, item_id: int) -> list[EvidenceOut]:
    """The item's files (the caller has checked who is asking)."""
    return [_out(r) for r in await conn.fetch(FILES_OF_ITEM, item_id)]


async def standing(conn: asyncpg.Connection, item_id: int) -> list[int]:
    return [r["id"] for r in await conn.fetch(STANDING_FILES, item_id)]


async def _file(conn: asyncpg.Connection, item_id: int, file_id: int) -> EvidenceOut:
    row = await conn.fetchrow(ONE_FILE, item_id, file_id)
    if row is None:
        raise NotFound(f"检查事项 {item_id} 没有证据文件 {file_id}", f"audit item {item_id} has no evidence file {file_id}")
    return _out(row)


async def download(conn: asyncpg.Connection, user: CurrentUser, item_id: int,
                   file_id: int) -> tuple[EvidenceOut, bytes]:
    """A file and its bytes, for those who may see the item (withdrawn files stay readable: they are on record)."""
    await item_for(conn, user, item_id)
    meta = await _file(conn, item_id, file_id)
    return meta, await conn.fetchval(CONTENT, item_id, file_id)


async def withdraw(conn: asyncpg.Connection, user: CurrentUser, item_id: int, file_id: int,
                   body: WithdrawIn) -> EvidenceOut:
    row = await item_for(conn, user, item_id, lock=True, acting=True)
    if row["status"] != "open":
        raise Conflict("该检查事项已有结论，证据不能再更改", "this item has its finding: its evidence is closed",
                       status=row["status"])
    meta = await _file(conn, item_id, file_id)
    if meta.withdrawn:
        raise Conflict(f"证据文件 {meta.file_name} 已撤回", f"{meta.file_name} was withdrawn already")
    reason = body.reason.strip()
    if not reason:
        raise InvalidInput("请说明撤回的理由", "say why the file is withdrawn", field="reason")
    await conn.execute(WITHDRAW, file_id, user.username, reason)
    await conn.execute(RECORD, item_id, user.username, "evidence_withdrawn",
                       {"file_id": file_id, "file_name": meta.file_name, "reason": reason})
    return await _file(conn, item_id, file_id)
