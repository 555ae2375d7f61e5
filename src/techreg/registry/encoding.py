"""Is an import file UTF-8 at all? Judged once from its first bytes, before any line is read.

Offices often save exports from older systems in GBK (GB18030). Such a file fails on every line that
holds Chinese text; one message naming the file and the conversion helps more than one error per line.
A UTF-8 file with a few broken lines is not this case: those stay line errors (importer.py).
"""

import codecs
from pathlib import Path

import msgspec

# enough lines to judge a file by; a filing is a few KiB
HEAD_BYTES = 1 << 20

_UTF16_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class FileCheck(msgspec.Struct, frozen=True):
    empty: bool = False                 # nothing but blank lines
    not_utf8: bool = False              # every line with non-ASCII bytes fails as UTF-8
    looks_like: str | None = None       # the encoding it decodes in instead, as people name it
    convert_from: str | None = None     # that encoding as iconv names it


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False


def check_file(path: Path) -> FileCheck:
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES + 1)
    whole = len(head) <= HEAD_BYTES
    head = head[:HEAD_BYTES]
    if whole and not head.strip():
        return FileCheck(empty=True)
    for bom in _UTF16_BOMS:                      # UTF-32 first: its LE mark begins with UTF-16's
        if head.startswith(bom):
            name = "UTF-32" if len(bom) == 4 else "UTF-16"
            return FileCheck(not_utf8=True, looks_like=name, convert_from=name)
    if head.count(b"\x00") > len(head) // 4:     # UTF-16 without a mark: every other byte of ASCII is NUL
        return FileCheck(not_utf8=True, looks_like="UTF-16", convert_from="UTF-16LE")
    lines = head.removeprefix(codecs.BOM_UTF8).split(b"\n")
    if not whole:
        lines = lines[:-1] or lines              # the last line may be cut in the middle of a character
    text_lines = [line for line in lines if not line.isascii()]
    broken = [line for line in text_lines if not _decodes(line, "utf-8")]
    if not broken or len(broken) < len(text_lines):
        return FileCheck()
    if all(_decodes(line, "gb18030") for line in broken):
        # GB18030 contains GBK (and GB2312): converting from it loses nothing whichever the file is
        return FileCheck(not_utf8=True, looks_like="GBK/GB18030", convert_from="GB18030")
    return FileCheck(not_utf8=True)
