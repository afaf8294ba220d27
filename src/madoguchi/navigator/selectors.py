"""Read queries over plans, always scoped to the municipality serving the request."""

from madoguchi.core.models import Municipality
from madoguchi.navigator.loader import events
from madoguchi.navigator.models import NavigatorPlan


def plan_by_token(municipality: Municipality, token: str) -> NavigatorPlan | None:
    """The plan behind a URL or the counter's QR code; another city's plan is not found."""
    plan = NavigatorPlan.objects.filter(municipality=municipality, token=token).first()
    if plan is None or plan.event not in events():
        return None
    return plan
