"""Japanese font lookup and registration for ReportLab.

ReportLab's built-in CID fonts (HeiseiMin, HeiseiKakuGo) are *not* embedded,
so a notice would render differently (or not at all) on the resident's viewer.
We register a TrueType font with ``TTFont`` instead: ReportLab embeds a subset
of it (a ``/FontFile2`` stream), making the PDF self-contained.
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
