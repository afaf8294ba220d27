"""Font lookup and registration for ReportLab: Japanese, and the fonts of the other languages.

ReportLab's built-in CID fonts (HeiseiMin, HeiseiKakuGo) are *not* embedded,
so a notice would render differently (or not at all) on the resident's viewer.
We register a TrueType font with ``TTFont`` instead: ReportLab embeds a subset
of it (a ``/FontFile2`` stream), making the PDF self-contained.

IPAexGothic has no Hangul, no simplified Chinese forms and no Vietnamese letters (ạ, ữ), so a
PDF in another language draws with a chain of fonts: the language's own first, then the
Japanese one (a Japanese name inside a Vietnamese receipt still prints), then any other found;
`common.markup` switches font per run of text. Noto Sans CJK (Debian's fonts-noto-cjk) would be
the natural choice, but it has PostScript (CFF) outlines, which ReportLab cannot embed; the
TrueType fonts below are Debian's too (`make pdf-fonts` installs them):

- Latin and Vietnamese (en, pt-br, vi): Noto Sans (fonts-noto-core)
- Korean: NanumGothic (fonts-nanum)
- Chinese (simplified): WenQuanYi Micro Hei (fonts-wqy-microhei)
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "MadoguchiGothic"
SETTING = "MADOGUCHI_PDF_FONT"

_SYSTEM_FONTS = (
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
)


def _configured_path() -> str:
    """The Django setting, or "" when Django is absent or not configured."""
    try:
        from django.conf import settings

        return str(getattr(settings, SETTING, "") or "")
    except Exception:  # ImproperlyConfigured, ImportError: fall back to the defaults
        return ""


def _fontja_path() -> str | None:
    """IPAexGothic shipped by ``matplotlib_fontja``, found without importing it.

    Importing the package would import matplotlib (slow, and pointless here).
    """
    try:
        spec = importlib.util.find_spec("matplotlib_fontja")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return str(Path(list(spec.submodule_search_locations)[0]) / "fonts" / "ipaexg.ttf")


def _candidates() -> list[str]:
    fontja = _fontja_path()
    return ([fontja] if fontja else []) + list(_SYSTEM_FONTS)


def find_font_path(configured: str | None = None) -> str:
    """Return the font file to embed; ``configured`` overrides the Django setting.

    An explicitly configured path that does not exist is an error rather than a
    silent fallback, so a misconfigured deployment is noticed.
    """
    configured = _configured_path() if configured is None else configured
    if configured:
        if Path(configured).is_file():
            return configured
        raise RuntimeError(f"{SETTING} points to a missing font file: {configured}")
    for path in _candidates():
        if Path(path).is_file():
            return path
    raise RuntimeError(
        "No Japanese TrueType font found for PDF output. Install matplotlib-fontja or "
        f"fonts-ipaexfont-gothic, or set {SETTING} to the path of a .ttf file."
    )


# ReportLab name -> (candidate files, index in a .ttc)
EXTRA_FONTS = {
    "MadoguchiLatin": (("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",), 0),
    "MadoguchiKorean": (("/usr/share/fonts/truetype/nanum/NanumGothic.ttf",), 0),
    "MadoguchiChinese": (("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",), 0),
}
# The language's own font, drawn first; Japanese (and ja-easy) only need IPAexGothic.
LANGUAGE_FONT = {"en": "MadoguchiLatin", "pt-br": "MadoguchiLatin", "vi": "MadoguchiLatin",
                 "ko": "MadoguchiKorean", "zh-hans": "MadoguchiChinese"}
# Languages broken into lines anywhere (no spaces between words); the others at spaces.
CJK_WRAP = {"ja", "ja-easy", "zh-hans"}


@functools.cache
def register_font(name: str) -> bool:
    """Register one of EXTRA_FONTS once; False when its file is not installed."""
    try:
        pdfmetrics.getFont(name)
        return True
    except KeyError:
        pass
    paths, index = EXTRA_FONTS[name]
    for path in paths:
        if Path(path).is_file():
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
            return True
    return False


def missing_fonts() -> list[str]:
    """The files of EXTRA_FONTS not installed (`madoguchi check` and the tests say so)."""
    return [paths[0] for name, (paths, _index) in EXTRA_FONTS.items() if not register_font(name)]


def font_chain(language: str | None) -> tuple[str, ...]:
    """The fonts a PDF in `language` draws with, in order of preference."""
    japanese = register_japanese_font()
    own = LANGUAGE_FONT.get(language or "")
    chain = [own] if own and register_font(own) else []
    chain.append(japanese)
    chain += [name for name in EXTRA_FONTS if name not in chain and register_font(name)]
    return tuple(chain)


def font_for(char: str, chain: tuple[str, ...]) -> str | None:
    """The first font of `chain` that has `char`, or None."""
    for name in chain:
        if ord(char) in pdfmetrics.getFont(name).face.charToGlyph:
            return name
    return None


@functools.cache
def register_japanese_font() -> str:
    """Register the font once per process and return its ReportLab name."""
    try:
        pdfmetrics.getFont(FONT_NAME)
    except KeyError:
        pdfmetrics.registerFont(TTFont(FONT_NAME, find_font_path()))
    return FONT_NAME


def has_glyph(char: str) -> bool:
    """Whether the registered font can draw ``char`` (otherwise it would print .notdef)."""
    font = pdfmetrics.getFont(register_japanese_font())
    return ord(char) in font.face.charToGlyph
