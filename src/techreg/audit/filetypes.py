"""What an evidence file is, told from its bytes: the kinds an inspector's evidence comes in (PDF, images,
Office documents, plain text and CSV, ZIP), never a program or a web page.

The name's extension must agree with the content (a PDF named .txt, or a page named .csv, is refused): the
file is served back under that name, and the person who downloads it opens it by the extension.
"""

import codecs
import io
import struct
import zipfile
from pathlib import PurePosixPath

from ..errors import InvalidInput
from ..labels import pair

# kind -> (media type served back, extensions the name may carry); what a person calls each: the catalogue's
# "file_type" by media type (techreg.labels)
KINDS: dict[str, tuple[str, frozenset[str]]] = {
    "pdf": ("application/pdf", frozenset({".pdf"})),
    "png": ("image/png", frozenset({".png"})),
    "jpeg": ("image/jpeg", frozenset({".jpg", ".jpeg"})),
    "gif": ("image/gif", frozenset({".gif"})),
    "webp": ("image/webp", frozenset({".webp"})),
    "tiff": ("image/tiff", frozenset({".tif", ".tiff"})),
    "bmp": ("image/bmp", frozenset({".bmp"})),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", frozenset({".docx"})),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", frozenset({".xlsx"})),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", frozenset({".pptx"})),
    "odt": ("application/vnd.oasis.opendocument.text", frozenset({".odt"})),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", frozenset({".ods"})),
    "odp": ("application/vnd.oasis.opendocument.presentation", frozenset({".odp"})),
    "doc": ("application/msword", frozenset({".doc"})),
    "xls": ("application/vnd.ms-excel", frozenset({".xls"})),
    "ppt": ("application/vnd.ms-powerpoint", frozenset({".ppt"})),
    "txt": ("text/plain", frozenset({".txt"})),
    "csv": ("text/csv", frozenset({".csv"})),
    "zip": ("application/zip", frozenset({".zip"})),
}
ALLOWED_EXTENSIONS = sorted(ext for _, exts in KINDS.values() for ext in exts)

# programs, by their first bytes: Windows (MZ), Linux (ELF), macOS (Mach-O, fat), Java classes, scripts
EXECUTABLE_STARTS = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe",
                     b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"#!")
# names inside a ZIP that a double click runs, or a browser renders
RISKY_MEMBER_SUFFIXES = (".exe", ".dll", ".com", ".scr", ".bat", ".cmd", ".ps1", ".vbs", ".vbe", ".js", ".jse",
                         ".wsf", ".hta", ".msi", ".jar", ".lnk", ".sh", ".app", ".html", ".htm", ".xhtml", ".svg")
# the start of markup: a browser would render it as a page
MARKUP_MARKERS = ("<!doctype", "<html", "<head", "<body", "<script", "<iframe", "<svg", "<?xml", "<object", "<embed")
OLE_STREAMS = {"doc": "WordDocument", "xls": "Workbook", "ppt": "PowerPoint Document"}
MAX_ZIP_MEMBERS = 10_000


class Sniffed:
    def __init__(self, kind: str, charset: str | None = None):
        self.kind, self.charset = kind, charset

    @property
    def media_type(self) -> str:
        media = KINDS[self.kind][0]
        return f"{media}; charset={self.charset}" if self.charset else media


def _refuse(zh: str, en: str) -> InvalidInput:
    return InvalidInput(zh, en, field="file", errors=[{"field": "file", "message": zh, "message_en": en}])


def extension(name: str) -> str:
    return PurePosixPath(name.lower()).suffix


def _zip_kind(content: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, struct.error):
        raise _refuse("ZIP 文件已损坏，无法读取", "the ZIP archive is damaged and cannot be read") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise _refuse(f"压缩包内文件超过 {MAX_ZIP_MEMBERS} 个", f"the archive holds more than {MAX_ZIP_MEMBERS} files")
    names = {m.filename for m in members}
    for m in members:
        if m.filename.lower().rstrip("/").endswith(RISKY_MEMBER_SUFFIXES):
            raise _refuse(f"压缩包内含可执行文件或网页（{m.filename}），不予接收",
                          f"the archive holds a program or web page ({m.filename}): refused")
        if m.file_size and not m.flag_bits & 0x1:        # an encrypted member cannot be looked into
            try:
                with archive.open(m) as member:
                    head = member.read(4)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError, EOFError):
                raise _refuse(f"压缩包内文件 {m.filename} 无法读取", f"{m.filename} in the archive cannot be read") from None
            if head.startswith(EXECUTABLE_STARTS):
                raise _refuse(f"压缩包内含可执行文件（{m.filename}），不予接收",
                              f"the archive holds a program ({m.filename}): refused")
    if "[Content_Types].xml" in names:
        for prefix, kind in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
            if any(n.startswith(prefix) for n in names):
                return kind
    if "mimetype" in names:
        with archive.open("mimetype") as member:          # a few bytes: never inflate a large member whole
            declared = member.read(100).decode("ascii", "replace").strip()
        for kind in ("odt", "ods", "odp"):
            if declared == KINDS[kind][0]:
                return kind
    return "zip"


def _ole_kind(content: bytes) -> str | None:
    """A compound file (Office 97-2003, but also installers): which Office stream it carries, if any."""
    for kind, stream in OLE_STREAMS.items():
        if stream.encode("utf-16-le") in content:
            return kind
    if "Book".encode("utf-16-le") in content:          # Excel 5/95 workbooks name their stream "Book"
        return "xls"
    return None


def _text_charset(content: bytes) -> str | None:
    """The charset plain text decodes in (UTF-8, UTF-16 with its mark, GB18030), or None for binary data."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        if b"\x00" in content:
            return None
        candidates = ["utf-8", "gb18030"]
    for charset in candidates:
        try:
            text = content.decode(charset)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\t\n\r\f")
        return charset if controls == 0 else None
    return None


def _looks_like_markup(content: bytes, charset: str) -> bool:
    text = content[:65536].decode(charset, "ignore").lstrip("\ufeff \t\r\n").lower()
    return text.startswith("<") or any(marker in text for marker in ("<script", "<html", "<iframe", "<svg"))


def sniff(content: bytes) -> Sniffed:
    """The kind of file the bytes are; a program, a web page or anything unknown is refused."""
    head = content[:16]
    if head.startswith(EXECUTABLE_STARTS):
        raise _refuse("可执行文件或脚本不能作为证据上传", "programs and scripts cannot be uploaded as evidence")
    if head.startswith(b"%PDF-"):
        return Sniffed("pdf")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("png")
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("jpeg")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return Sniffed("gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("webp")
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return Sniffed("tiff")
    # "BM" alone is too weak a mark: the header also states the file's own length
    if head.startswith(b"BM") and len(content) >= 14 and struct.unpack("<I", content[2:6])[0] == len(content):
        return Sniffed("bmp")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return Sniffed(_zip_kind(content))
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        kind = _ole_kind(content)
        if kind is None:
            raise _refuse("该复合文档不是 Word、Excel 或 PowerPoint 文件（可能是安装程序），不予接收",
                          "this compound file is no Word, Excel or PowerPoint document (perhaps an installer): refused")
        return Sniffed(kind)
    charset = _text_charset(content)
    if charset is not None:
        if _looks_like_markup(content, charset):
            raise _refuse("网页（HTML）、SVG 或 XML 文件不能作为证据上传", "web pages (HTML), SVG and XML cannot be "
                          "uploaded as evidence")
        return Sniffed("txt", charset)
    raise _refuse(f"无法识别的文件类型；可上传 PDF、图片、Office 文档、纯文本/CSV、ZIP（{'、'.join(ALLOWED_EXTENSIONS)}）",
                  f"unrecognised file type; upload PDF, images, Office documents, plain text/CSV or ZIP "
                  f"({', '.join(ALLOWED_EXTENSIONS)})")


def check(name: str, content: bytes) -> Sniffed:
    """The file's kind when its content is allowed and its name's extension agrees with it."""
    ext = extension(name)
    if ext not in ALLOWED_EXTENSIONS:
        raise _refuse(f"不接受扩展名为「{ext or '（无）'}」的文件；可上传：{'、'.join(ALLOWED_EXTENSIONS)}",
                      f"files named '{ext or '(no extension)'}' are not accepted; allowed: "
                      f"{', '.join(ALLOWED_EXTENSIONS)}")
    found = sniff(content)
    if found.kind == "txt" and ext == ".csv":
        found = Sniffed("csv", found.charset)
    if ext not in KINDS[found.kind][1]:
        zh, en = pair("file_type", KINDS[found.kind][0])
        raise _refuse(f"文件内容是{zh}，与扩展名「{ext}」不符",
                      f"the content is {en}, which does not match the extension '{ext}'")
    return found
