"""Yen amounts as residents read them (「1,650円」): whole yen only, never a float."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def yen(value) -> str:
    """An integer amount with thousands separators and 円; anything else is shown as it is."""
    if isinstance(value, bool) or not isinstance(value, int):
        return str(value)
    return _("%(amount)s円") % {"amount": f"{value:,}"}
