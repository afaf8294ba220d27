"""QR codes (segno, inline SVG) for ticket status and reservation links."""

import segno

from madoguchi.core import cities


def public_url(municipality, path: str) -> str:
    """The link a QR code carries: on the city's own site (core/cities.py)."""
    return cities.public_url(municipality, path)


def svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=5, title=None)
