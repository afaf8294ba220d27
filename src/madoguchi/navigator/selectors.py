"""Read queries over plans, always scoped to the municipality serving the request."""

import re

from madoguchi.core.models import Municipality
from madoguchi.navigator.loader import events
from madoguchi.navigator.models import NavigatorPlan

# What models.new_token makes (URL-safe base64), at most the column's length: anything else is
# no plan's token and is not looked up (a NUL would make PostgreSQL refuse the query).
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,32}")


def plan_by_token(municipality: Municipality, token: str) -> NavigatorPlan | None:
    """The plan behind a URL or the counter's QR code; another city's plan is not found."""
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        return None
    plan = NavigatorPlan.objects.filter(municipality=municipality, token=token).first()
    if plan is None or plan.event not in events():
        return None
    return plan


def life_events(lang: str = "ja") -> list[tuple[str, str]]:
    """(event id, title in `lang`) of the shipped life events in display order: what other
    pages (the home page) offer as a way into 手続ナビ without reading the event files."""
    return [(event.id, event.title.get(lang)) for event in events().values()]
