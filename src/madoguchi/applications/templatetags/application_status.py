"""`{% status_label submission %}` (or `{% status_label submission event.to_status %}`): a
case's state as people read it, 受理 for a 届出 (applications/workflow.py)."""

from django import template

from madoguchi.applications import workflow

register = template.Library()


@register.simple_tag(takes_context=True)
def status_label(context, submission, status: str | None = None) -> str:
    request = context.get("request")
    city = getattr(request, "municipality", None)
    kind = workflow.kind_of(city, submission.procedure_code) if city is not None else None
    return workflow.status_label(status or submission.status, kind)
