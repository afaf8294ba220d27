"""Writing CSV that a spreadsheet cannot run: OWASP's rule against CSV (formula) injection.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel and LibreOffice (``=cmd|' /C calc'!A0`` runs a program). Such a cell is written with a
leading apostrophe, which the spreadsheet shows as text. Full-width ＝＋－＠ count too: Japanese
input methods type them and spreadsheets fold them to ASCII (NFKC) before parsing.

A cell that already begins with an apostrophe gets one more, so ``unescape`` (one leading
apostrophe off) gives back exactly what was written; an importer of our own files calls it on
every cell. Python's csv module has no hook for this and no maintained library wraps it, so it
is this small wrapper; every CSV the project writes goes through ``writer`` (a test checks).
"""

import csv
import unicodedata

_FORMULA_START = frozenset("=+-@\t\r")


def neutralise(value) -> str:
    text = "" if value is None else str(value)
    if not text:
        return text
    first = unicodedata.normalize("NFKC", text[0])[:1]
    if first in _FORMULA_START or text[0] in _FORMULA_START or text[0] == "'":
        return "'" + text
    return text


def unescape(text: str) -> str:
    """The value ``neutralise`` was given: one leading apostrophe off."""
    return text[1:] if text.startswith("'") else text


class SafeWriter:
    """csv.writer with every cell passed through ``neutralise``."""

    def __init__(self, handle, **options):
        self._writer = csv.writer(handle, **options)

    def writerow(self, row):
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(handle, **options) -> SafeWriter:
    return SafeWriter(handle, **options)
