"""`{{ resident|birth_date_shown }}`: a register 生年月日 as staff pages show it, 不詳 kept.

The stored date of a 生年月日 known only by month or year is the first day it could be (for
sorting); a page that printed it with `date` would show a day nobody registered."""

from django import template

from madoguchi.register.dates import format_partial

register = template.Library()


@register.filter
def birth_date_shown(resident) -> str:
    return format_partial(resident.birth_date, resident.birth_date_precision)
