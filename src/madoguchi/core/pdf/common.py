"""Shared layout pieces: styles, 和暦 dates, glyph fallback, QR codes, page numbers."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from datetime import date, datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, Paragraph, SimpleDocTemplate, Table, TableStyle

from .fonts import has_glyph, register_japanese_font

JST = ZoneInfo("Asia/Tokyo")
MARGIN = 20 * mm
GETA = "〓"  # the customary placeholder for a character that cannot be printed

# Variant (外字-like) characters outside common fonts → the standard form used in
# official correspondence when the variant cannot be printed.
_VARIANT_FALLBACK = {"𠮷": "吉", "𡈽": "土", "𣘺": "橋", "𥔎": "碕"}


def wareki_year(d: date) -> str:
    """Era year such as 令和7年 (元年 for year 1); 西暦 before 平成 (not expected here)."""
    for era, start, first in (("令和", 2019, date(2019, 5, 1)), ("平成", 1989, date(1989, 1, 8))):
        if d >= first:
            n = d.year - start + 1
            return f"{era}{'元' if n == 1 else n}年"
    return f"{d.year}年"


def wareki_date(d: date) -> str:
    return f"{wareki_year(d)}{d.month}月{d.day}日"


def western_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def to_jst(dt: datetime) -> datetime:
    """Show times in Japan; a naive value is taken to be JST already."""
    return dt.replace(tzinfo=JST) if dt.tzinfo is None else dt.astimezone(JST)


def wareki_datetime(dt: datetime) -> str:
    t = to_jst(dt)
    return f"{wareki_date(t.date())} {t.hour}時{t.minute:02d}分"


def printable(text: str) -> str:
    """Replace characters the font lacks, which would otherwise print as a blank box.

    Known variants fall back to their standard form (𠮷 → 吉), anything else to 〓.
    """
    out = []
    for ch in text:
        if ch in "\n\t" or has_glyph(ch):
            out.append(ch)
        else:
            alt = _VARIANT_FALLBACK.get(ch, GETA)
            out.append(alt if has_glyph(alt) else GETA)
    return "".join(out)


def needs_fallback(texts: Iterable[str]) -> bool:
    return any(printable(t) != t for t in texts)


def markup(text: str) -> str:
    """Plain user text → Paragraph markup (escaped, glyph-safe, newlines kept)."""
    return escape(printable(text)).replace("\n", "<br/>")


def style(size: float = 10.5, **kw) -> ParagraphStyle:
    """Paragraph style in the embedded font, with CJK line breaking for long values."""
    kw.setdefault("leading", size * 1.55)
    return ParagraphStyle(
        f"jp{size}", fontName=register_japanese_font(), fontSize=size, wordWrap="CJK", **kw
    )


def para(text: str, size: float = 10.5, **kw) -> Paragraph:
    return Paragraph(markup(text), style(size, **kw))


CENTER = {"alignment": TA_CENTER}
RIGHT = {"alignment": TA_RIGHT}
SHADE = colors.HexColor("#eeeeee")


def table(
    rows: list[list], widths: list[float], *, header: bool = False, grid: bool = True
) -> Table:
    """Table that may split inside a tall row, with the header repeated on each page.

    Layout-only tables (``grid=False``) never split: splitting them inside a row
    could leave a blank trailing page.

    FONTNAME is set even for Paragraph cells: Table otherwise selects Helvetica,
    which would leave a non-embedded font reference in the PDF.
    """
    t = Table(rows, colWidths=widths, repeatRows=1 if header else 0, splitInRow=int(grid))
    commands = [
        ("FONTNAME", (0, 0), (-1, -1), register_japanese_font()),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if grid:
        commands += [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#666666")),
            ("BACKGROUND", (0, 0), (0, -1), SHADE),
        ]
    if grid and header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), SHADE))
    t.setStyle(TableStyle(commands))
    return t


def qr_block(url: str, caption: str, side: float = 30 * mm) -> list[Flowable]:
    """QR code as an embedded PNG image (an image XObject) with its caption below."""
    buf = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buf, kind="png", scale=4, border=4)
    buf.seek(0)
    img = Image(buf, width=side, height=side)
    return [img, para(caption, 8, **CENTER)]


class SpacedText(Flowable):
    """A single line with extra letter spacing, e.g. a receipt number read aloud."""

    def __init__(self, text: str, size: float, char_space: float):
        super().__init__()
        self.text, self.size, self.char_space = printable(text), size, char_space

    def wrap(self, avail_width, avail_height):
        self.width = avail_width
        return avail_width, self.size * 1.4

    def draw(self):
        font = register_japanese_font()
        c = self.canv
        width = c.stringWidth(self.text, font, self.size) + self.char_space * len(self.text)
        c.setFont(font, self.size)
        c.drawString(
            (self.width - width) / 2, self.size * 0.3, self.text, charSpace=self.char_space
        )


def _numbered_canvas(footer: str) -> type[Canvas]:
    """Canvas that defers page output so each page can show 「n / N」."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 (ReportLab API)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for n, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                font = register_japanese_font()
                width = A4[0]
                if footer:
                    self.setFont(font, 8)
                    self.drawCentredString(width / 2, 14 * mm, printable(footer))
                self.setFont(font, 9)
                self.drawCentredString(width / 2, 9 * mm, f"{n} / {total}")
                super().showPage()
            super().save()

    return NumberedCanvas


def build_pdf(story: list, *, title: str, author: str, subject: str, footer: str = "") -> bytes:
    """Lay out ``story`` on A4 with metadata and the page footer; return PDF bytes."""
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 6 * mm,
        title=title,
        author=author,
        subject=subject,
        creator="Madoguchi",
        lang="ja-JP",
        initialFontName=register_japanese_font(),  # else pages reference a non-embedded Helvetica
    )
    canvasmaker: Callable[..., Canvas] = _numbered_canvas(footer)
    doc.build(story, canvasmaker=canvasmaker)
    return buf.getvalue()
