"""The printable registration certificate (技术合同登记证明) as a PDF: reportlab with a TrueType CJK font embedded
(as a subset of the characters used), and a QR code (segno) of the public verification address.

The font is TECHREG_CERTIFICATE_FONT, or the first of the known CJK TrueType fonts found on the machine
(Debian/Ubuntu: the package fonts-wqy-microhei). reportlab embeds TrueType outlines only: an OpenType/CFF font
(Noto Sans CJK .otf/.ttc) is refused with a clear error.
"""

import datetime as dt
import io
import threading
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import segno
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from xml.sax.saxutils import escape

from ..errors import DomainError
from ..labels import label, subkind
from ..labels.times import local_time, zone_name
from .schema import CertificateOut
from .verification import grouped

# CJK fonts with TrueType outlines where distributions put them (first found wins)
KNOWN_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",          # Debian, Ubuntu: fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",            # fonts-wqy-zenhei
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",          # Fedora
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",  # Arch
    "/usr/share/fonts/truetype/arphic/uming.ttc",              # fonts-arphic-uming
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/simsun.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
)
FONT_NAME = "CertificateCJK"
# reportlab keeps fonts and their subsets in process-wide state: one certificate at a time (a build takes ~20 ms)
_RENDERING = threading.Lock()


class FontUnavailable(DomainError):
    status_code = 503


def font_path(configured: Path | None) -> Path:
    """The CJK font to embed: the setting's, else the first known one present."""
    if configured is not None:
        if not configured.is_file():
            raise FontUnavailable(
                f"找不到证明所用的中文字体文件 {configured}（TECHREG_CERTIFICATE_FONT）",
                f"the certificate's CJK font file {configured} (TECHREG_CERTIFICATE_FONT) does not exist")
        return configured
    for candidate in KNOWN_FONTS:
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontUnavailable(
        "未找到可嵌入证明的中文 TrueType 字体：请安装 fonts-wqy-microhei，或以 TECHREG_CERTIFICATE_FONT 指定字体文件",
        "no CJK TrueType font to embed in the certificate: install fonts-wqy-microhei or name a font file "
        "in TECHREG_CERTIFICATE_FONT")


@lru_cache(maxsize=4)
def _registered_font(path: str) -> str:
    """Loads the font once per process (a CJK font is megabytes) under a name of its own."""
    name = f"{FONT_NAME}-{len(pdfmetrics.getRegisteredFontNames())}"
    try:
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
        pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
    except (TTFError, OSError, ValueError) as exc:
        raise FontUnavailable(
            f"字体文件 {path} 不能嵌入证明（须为 TrueType 轮廓的 .ttf/.ttc）：{exc}",
            f"the font file {path} cannot be embedded (it must have TrueType outlines, .ttf/.ttc): {exc}") from exc
    return name


class QrCode(Flowable):
    """The QR code drawn as vector squares: sharp at any print size, no image library needed."""

    def __init__(self, data: str, size: float):
        super().__init__()
        self.qr = segno.make(data, error="m")
        self.size = size

    def wrap(self, *_):
        return self.size, self.size

    def draw(self):
        rows = [list(row) for row in self.qr.matrix_iter(scale=1, border=2)]
        cell = self.size / len(rows)
        self.canv.setFillColor(colors.black)
        for y, row in enumerate(rows):
            for x, dark in enumerate(row):
                if dark:
                    self.canv.rect(x * cell, self.size - (y + 1) * cell, cell, cell, stroke=0, fill=1)


# imported history that states a registration without its day (the public check says the same words)
NO_DATE = "未记录（历史数据导入）"


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f} 元"


def render(cert: CertificateOut, code: str, verify_url: str, *, timezone: str, font: Path | None,
           issued_at: dt.datetime) -> bytes:
    """The certificate as PDF bytes (A4, one page)."""
    with _RENDERING:
        return _render(cert, code, verify_url, timezone=timezone, font=font, issued_at=issued_at)


def _render(cert: CertificateOut, code: str, verify_url: str, *, timezone: str, font: Path | None,
            issued_at: dt.datetime) -> bytes:
    face = _registered_font(str(font_path(font)))
    title = ParagraphStyle("title", fontName=face, fontSize=22, leading=28, alignment=1)
    subtitle = ParagraphStyle("subtitle", fontName=face, fontSize=10, leading=14, alignment=1, textColor=colors.grey)
    head = ParagraphStyle("head", fontName=face, fontSize=10, leading=13, wordWrap="CJK")
    cell = ParagraphStyle("cell", fontName=face, fontSize=11, leading=15, wordWrap="CJK")
    small = ParagraphStyle("small", fontName=face, fontSize=8.5, leading=11, wordWrap="CJK", textColor=colors.grey)

    def row(zh: str, en: str, value: str):
        return [Paragraph(f"{zh}<br/><font size=8 color='grey'>{en}</font>", head), Paragraph(value, cell)]

    def party(p) -> str:
        return f"{escape(p.name)}<br/><font size=9>统一社会信用代码 {escape(p.credit_code)}</font>"

    kind_zh = label("kind", cert.kind)
    kind = kind_zh + (f" · {subkind(cert.kind, cert.subkind)}" if cert.subkind else "") + \
        ("（软件类）" if cert.software else "")
    rows = [
        row("登记号", "Registration no.", f"<b>{escape(cert.reg_no)}</b>"),
        row("合同名称", "Contract title", escape(cert.title)),
        row("合同编号", "Contract no.", escape(cert.contract_no)),
        row("合同类别", "Kind", escape(kind)),            # values in Chinese, as every other row's
        row("技术领域", "Field", escape(label("domain", cert.domain))),
        row("卖方（技术提供方）", "Seller", party(cert.seller)),
        row("买方（技术接受方）", "Buyer", party(cert.buyer)),
        row("合同成交额", "Contract amount", _yuan(cert.amount)),
        row("核定技术交易额", "Approved technology amount", f"<b>{_yuan(cert.approved_amount)}</b>"),
        row("登记日期", "Registration date",
            f"{cert.registered_on} <font size=8 color='grey'>（{escape(zone_name(timezone))}）</font>"
            if cert.registered_on else NO_DATE),
        row("登记机构", "Registration point", f"{escape(cert.point_name)}（{escape(cert.point)}）"),
        *([row("登记员", "Registrar", escape(cert.registrar_name))] if cert.registrar_name else []),
        row("核验码", "Verification code", f"<b>{grouped(code)}</b>"),
    ]
    table = Table(rows, colWidths=[42 * mm, 128 * mm])
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f3f3f3")),
        ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]))
    verify_note = Paragraph(
        f"扫描二维码，或在 {escape(verify_url.split('?')[0])} 输入登记号和核验码，核验本证明是否有效。<br/>"
        "Scan the code, or enter the registration number and verification code at that address, to check "
        f"whether this certificate is valid.<br/>出具时间 Issued: {escape(local_time(issued_at, timezone))}", small)
    footer = Table([[verify_note, QrCode(verify_url, 32 * mm)]], colWidths=[134 * mm, 36 * mm])
    footer.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=22 * mm,
                            bottomMargin=18 * mm, initialFontName=face, title=f"技术合同登记证明 {cert.reg_no}",
                            author=cert.point_name, subject="Technology contract registration certificate")
    doc.build([Paragraph("技术合同登记证明", title),
               Paragraph("Technology Contract Registration Certificate", subtitle), Spacer(1, 8 * mm),
               table, Spacer(1, 8 * mm), footer])
    return out.getvalue()
