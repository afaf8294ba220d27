"""Shared layout pieces: styles, 和暦 dates, glyph fallback, QR codes, page numbers.

A PDF is laid out in the language active when it is built (translation.override around the
render call, or the resident's request): its fonts (`fonts.font_chain`), line breaking, dates
(和暦 only in Japanese) and the document's /Lang follow it."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, Paragraph, SimpleDocTemplate, Table, TableStyle
from reportlab.platypus.flowables import HRFlowable

from .fonts import CJK_WRAP, font_chain, font_for

JST = ZoneInfo("Asia/Tokyo")
MARGIN = 20 * mm
GETA = "〓"  # ja-only: the customary placeholder for a character that cannot be printed

# Variant (外字-like) characters outside common fonts → the standard form used in
# official correspondence when the variant cannot be printed.
_VARIANT_FALLBACK = {"𠮷": "吉", "𡈽": "土", "𣘺": "橋", "𥔎": "碕"}  # ja-only: character table


def wareki_year(d: date) -> str:
    """Era year such as 令和7年 (元年 for year 1); 西暦 before 平成 (not expected here)."""
    for era, start, first in (("令和", 2019, date(2019, 5, 1)), ("平成", 1989, date(1989, 1, 8))):  # ja-only: era names
        if d >= first:
            n = d.year - start + 1
            return f"{era}{'元' if n == 1 else n}年"  # ja-only: 和暦 is Japanese only
    return f"{d.year}年"  # ja-only: 和暦 is Japanese only


def wareki_date(d: date) -> str:
    return f"{wareki_year(d)}{d.month}月{d.day}日"  # ja-only: 和暦 is Japanese only


def western_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"  # ja-only: the Japanese form of a Gregorian date


def to_jst(dt: datetime) -> datetime:
    """Show times in Japan; a naive value is taken to be JST already."""
    return dt.replace(tzinfo=JST) if dt.tzinfo is None else dt.astimezone(JST)


def wareki_datetime(dt: datetime) -> str:
    t = to_jst(dt)
    return f"{wareki_date(t.date())} {t.hour}時{t.minute:02d}分"  # ja-only: 和暦 is Japanese only


def gettext_noop(text: str) -> str:
    """Marks a module constant for translation (makemessages knows the name) without importing
    Django here: the fonts and layout stay usable without it. Translate it where it is shown."""
    return text


def language() -> str:
    """The language the PDF being built speaks (the active one; Japanese by default)."""
    from django.utils import translation

    from madoguchi.core import i18n

    return i18n.supported(translation.get_language()) or i18n.DEFAULT


def japanese() -> bool:
    from madoguchi.core import i18n

    return i18n.is_japanese(language())


def _date_format(d: date) -> str:
    from django.utils import formats

    return formats.date_format(d, "DATE_FORMAT")


def shown_date(d: date) -> str:
    """和暦 in Japanese (as the city's documents are dated); the language's own format otherwise."""
    return wareki_date(d) if japanese() else _date_format(d)


def shown_datetime(dt: datetime, new_line: bool = False) -> str:
    """和暦 with the 西暦 beside it (or under it) in Japanese; the language's own date and time
    otherwise (JST)."""
    t = to_jst(dt)
    if japanese():
        gap = "\n" if new_line else ""
        return f"{wareki_datetime(t)}{gap}（西暦{western_date(t)} {t:%H:%M}）"  # ja-only: 和暦 is Japanese only
    return f"{_date_format(t.date())} {t:%H:%M} (JST)"


def chain() -> tuple[str, ...]:
    return font_chain(language())


def base_font() -> str:
    """The font a PDF in the active language is set in (others fill in per run of text)."""
    return chain()[0]


def printable(text: str) -> str:
    """Replace characters the font lacks, which would otherwise print as a blank box.

    Known variants fall back to their standard form (𠮷 → 吉), anything else to 〓.
    """
    fonts = chain()
    out = []
    for ch in text:
        if ch in "\n\t" or font_for(ch, fonts):
            out.append(ch)
        else:
            alt = _VARIANT_FALLBACK.get(ch, GETA)
            out.append(alt if font_for(alt, fonts) else GETA)
    return "".join(out)


def runs(text: str) -> list[tuple[str, str]]:
    """`text` (printable already) cut into (font, run) pieces: each in the first font of the
    chain that has its characters (a Japanese name in a Vietnamese PDF is set in IPAexGothic)."""
    fonts = chain()
    pieces: list[tuple[str, str]] = []
    for ch in text:
        font = fonts[0] if ch in "\n\t " else (font_for(ch, fonts) or fonts[0])
        if pieces and pieces[-1][0] == font:
            pieces[-1] = (font, pieces[-1][1] + ch)
        else:
            pieces.append((font, ch))
    return pieces


def needs_fallback(texts: Iterable[str]) -> bool:
    return any(printable(t) != t for t in texts)


def markup(text: str) -> str:
    """Plain user text → Paragraph markup (escaped, glyph-safe, newlines kept, a font per run)."""
    base = base_font()
    out = []
    for font, run in runs(printable(str(text))):
        shown = escape(run).replace("\n", "<br/>")
        out.append(shown if font == base else f'<font name="{font}">{shown}</font>')
    return "".join(out)


def style(size: float = 10.5, **kw) -> ParagraphStyle:
    """Paragraph style in the embedded font, with CJK line breaking for long values."""
    kw.setdefault("leading", size * 1.55)
    font = base_font()
    return ParagraphStyle(
        f"{font}{size}", fontName=font, fontSize=size,
        wordWrap="CJK" if language() in CJK_WRAP else None, **kw
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
        ("FONTNAME", (0, 0), (-1, -1), base_font()),
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


@dataclass(frozen=True)
class Letterhead:
    """The head of a city's document, as plain data (core/branding.letterhead builds it): the
    city's name, its service's own name (blank: none), its logo (PNG bytes, checked and
    re-encoded when stored) and its key colour (a design token with AA contrast on white)."""

    name: str
    service: str = ""
    logo: bytes | None = None
    color: str = "#000000"


LOGO_HEIGHT = 12 * mm
LOGO_MAX_WIDTH = 48 * mm


def _logo_image(png: bytes) -> Image | None:
    """The logo at LOGO_HEIGHT (narrower when it would be wider than LOGO_MAX_WIDTH); None for
    bytes ReportLab cannot read (the document is issued without the logo, not refused)."""
    try:
        width, height = ImageReader(io.BytesIO(png)).getSize()
    except Exception:  # noqa: BLE001 - any unreadable image: no logo on the document
        return None
    if not width or not height:
        return None
    scale = min(LOGO_HEIGHT / height, LOGO_MAX_WIDTH / width)
    return Image(io.BytesIO(png), width=width * scale, height=height * scale, mask="auto")


def letterhead_block(head: Letterhead, width: float, *, colour: bool = True) -> list[Flowable]:
    """The city's logo (when it has one) beside its name and service name, over a rule in its
    key colour (`colour=False`: black, for the formal 決定通知書). Every key colour a city may
    choose keeps 4.5:1 on white, so the rule and nothing else in colour stays legible printed
    in grey; text stays black."""
    names: list[Flowable] = [para(head.name, 14)]
    if head.service:
        names.append(para(head.service, 9))
    logo = _logo_image(head.logo) if head.logo else None
    if logo is not None:
        row = table([[logo, names]], [logo.drawWidth + 4 * mm, width - logo.drawWidth - 4 * mm],
                    grid=False)
        row.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                                 ("LEFTPADDING", (0, 0), (0, 0), 0)]))
    else:
        row = table([[names]], [width], grid=False)
        row.setStyle(TableStyle([("LEFTPADDING", (0, 0), (0, 0), 0)]))
    rule = colors.HexColor(head.color) if colour else colors.black
    return [row, HRFlowable(width="100%", thickness=1.5, color=rule, spaceBefore=2, spaceAfter=4 * mm)]


class SpacedText(Flowable):
    """A single line with extra letter spacing, e.g. a receipt number read aloud."""

    def __init__(self, text: str, size: float, char_space: float):
        super().__init__()
        self.text, self.size, self.char_space = printable(text), size, char_space

    def wrap(self, avail_width, avail_height):
        self.width = avail_width
        return avail_width, self.size * 1.4

    def draw(self):
        c = self.canv
        pieces = runs(self.text)
        width = sum(c.stringWidth(run, font, self.size) + self.char_space * len(run)
                    for font, run in pieces)
        x = (self.width - width) / 2
        for font, run in pieces:
            c.setFont(font, self.size)
            c.drawString(x, self.size * 0.3, run, charSpace=self.char_space)
            x += c.stringWidth(run, font, self.size) + self.char_space * len(run)


def draw_centred(canvas: Canvas, x: float, y: float, text: str, size: float) -> None:
    """One line centred on x, a font per run of text."""
    pieces = runs(printable(text))
    x -= sum(canvas.stringWidth(run, font, size) for font, run in pieces) / 2
    for font, run in pieces:
        canvas.setFont(font, size)
        canvas.drawString(x, y, run)
        x += canvas.stringWidth(run, font, size)


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
                width = A4[0]
                if footer:
                    draw_centred(self, width / 2, 14 * mm, footer, 8)
                self.setFont(base_font(), 9)
                self.drawCentredString(width / 2, 9 * mm, f"{n} / {total}")
                super().showPage()
            super().save()

    return NumberedCanvas


def _pdf_lang() -> str:
    from madoguchi.core import i18n

    return "ja-JP" if japanese() else i18n.html_lang(language())


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
        lang=_pdf_lang(),
        initialFontName=base_font(),  # else pages reference a non-embedded Helvetica
    )
    canvasmaker: Callable[..., Canvas] = _numbered_canvas(footer)
    doc.build(story, canvasmaker=canvasmaker)
    return buf.getvalue()
