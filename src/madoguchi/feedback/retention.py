"""Used survey links are worth nothing once the links have expired: forget them then."""

from datetime import timedelta

from django.utils import timezone

from madoguchi.feedback import invites
from madoguchi.feedback.models import SurveyUse


def purge_used_links(now=None) -> int:
    """Delete the record of used links once every link it could stop has expired (a link lives
    `invites.link_days()` from the day it was made, which is no later than the day it was used);
    returns how many (run daily with `madoguchi dispose`). The answers stay: they hold no link."""
    today = timezone.localdate(now)
    deleted, _ = SurveyUse.objects.filter(used_on__lt=today - timedelta(days=invites.link_days() + 1)).delete()
    return deleted
