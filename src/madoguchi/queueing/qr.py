"""QR codes (segno, inline SVG) for ticket status and reservation links."""

import segno
from django.conf import settings


def public_url(path: str) -> str:
    return settings.MADOGUCHI_PUBLIC_URL.rstrip("/") + path


def svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=5, title=None)
