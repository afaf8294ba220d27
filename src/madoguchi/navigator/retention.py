"""Plans hold only answers, but nobody needs them for long: dispose of the stale ones."""

from datetime import timedelta

from django.utils import timezone

from madoguchi.navigator.models import NavigatorPlan


def dispose_plans(older_than_days: int = 30, now=None) -> int:
    """Delete plans untouched for `older_than_days`; returns how many (run daily with
    `madoguchi dispose`)."""
    now = now or timezone.now()
    deleted, _ = NavigatorPlan.objects.filter(
        updated_at__lt=now - timedelta(days=older_than_days)).delete()
    return deleted
