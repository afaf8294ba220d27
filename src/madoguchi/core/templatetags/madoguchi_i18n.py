"""Template tags for the language switch, display settings and fallback marking."""

from urllib.parse import parse_qsl, urlencode

from django import template
from django.utils import translation
from django.utils.safestring import mark_safe

from madoguchi.core import i18n
from madoguchi.core.i18n.content import Fallback

register = template.Library()


@register.simple_tag
def langattr(value) -> str:
    """` lang="ja"` on the element holding `value` when it is Japanese shown for want of a
    translation (a screen reader then reads it as Japanese)."""
    if isinstance(value, Fallback) and not i18n.is_japanese(translation.get_language() or ""):
        return mark_safe(' lang="ja"')
    return ""


@register.simple_tag(takes_context=True)
def choose_url(context, **choices) -> str:
    """This page's address with a choice made (`lang`, `text`, `contrast`): the switch's links."""
    request = context["request"]
    query = [(k, v) for k, v in parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
             if k not in choices]
    query += [(k, v) for k, v in choices.items()]
    return f"{request.path}?{urlencode(query)}"


@register.inclusion_tag("core/_language_switch.html", takes_context=True)
def language_switch(context):
    return {"request": context["request"], "languages": context.get("site_languages", []),
            "language_code": context.get("language_code"),
            "suggested_language": context.get("suggested_language"),
            "language_names": i18n.names()}
