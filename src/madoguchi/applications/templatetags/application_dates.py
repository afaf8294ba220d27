"""Dates as the application pages show them: the Japanese pages keep 「2026年12月7日」, the
other languages get Django's format for the language (令和 only in Japanese)."""

from django import template
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.formats import date_format
from django.utils.translation import get_language

from madoguchi.core.i18n import is_japanese

register = template.Library()

_JAPANESE = {"date": "Y年n月j日", "datetime": "Y年n月j日 H:i"}  # ja-only: Japanese date patterns


@register.filter
def local_date(value, kind: str = "date") -> str:
    """`value` (a date or datetime) in the active language; "" for nothing."""
    if not value:
        return ""
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        value = timezone.localtime(value)
    kind = "datetime" if kind == "datetime" else "date"
    if is_japanese(get_language() or "ja"):
        return format_date(value, _JAPANESE[kind])
    return date_format(value, "DATETIME_FORMAT" if kind == "datetime" else "DATE_FORMAT")
