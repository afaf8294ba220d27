"""`{% requirements procedure %}`: applications.requirements rendered by `_requirements.html`,
the same on the procedure page and on the form's first step."""

from django import template

from madoguchi.applications.requirements import requirements_of

register = template.Library()


@register.inclusion_tag("applications/_requirements.html", takes_context=True)
def requirements(context, procedure, compact=False):
    """Render what `procedure` needs; `compact` for the first step (one short panel)."""
    municipality = context.get("municipality") or context["request"].municipality
    return {"req": requirements_of(procedure, municipality), "compact": compact,
            "procedure": procedure}
