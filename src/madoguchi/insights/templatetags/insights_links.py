"""The staff navigation's link to the figures, shown only to those who may read them: a tag,
because the navigation (casework/base_staff.html) is drawn on every staff page and its view
does not know about insights; the answer is kept on the request, so a page asks once."""

from django import template

from madoguchi.core.roles import reads_insights

register = template.Library()


@register.simple_tag(takes_context=True)
def may_read_insights(context) -> bool:
    request = context.get("request")
    if request is None or getattr(request, "municipality", None) is None:
        return False
    if not hasattr(request, "_madoguchi_reads_insights"):
        request._madoguchi_reads_insights = reads_insights(request.user, request.municipality)
    return request._madoguchi_reads_insights
