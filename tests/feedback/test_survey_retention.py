"""Used links are forgotten once they have expired; the answers stay (they lead to nobody)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from madoguchi.feedback import invites, retention
from madoguchi.feedback.models import SurveyAnswer, SurveyUse, Touchpoint

pytestmark = pytest.mark.django_db


def _use(city, days_ago: int, digest: str) -> SurveyUse:
    return SurveyUse.objects.create(municipality=city, digest=digest,
                                    used_on=timezone.localdate() - timedelta(days=days_ago))


def test_a_used_link_is_kept_while_the_link_could_still_be_answered(city):
    days = invites.link_days()
    _use(city, days, "kept")
    _use(city, days + 1, "kept-too")  # made the day before it was used, at most: may still be live
    _use(city, days + 2, "gone")
    assert retention.purge_used_links() == 1
    assert set(SurveyUse.objects.values_list("digest", flat=True)) == {"kept", "kept-too"}


def test_the_link_days_are_a_setting(city, settings):
    settings.MADOGUCHI_SURVEY_LINK_DAYS = 2
    _use(city, 3, "kept")
    _use(city, 4, "gone")
    assert retention.purge_used_links() == 1


def test_a_link_is_refused_by_then_so_purging_never_lets_it_answer_twice(client, city, monkeypatch):
    import time

    url = reverse("feedback:answer", args=[invites.make_token(city, Touchpoint.ONLINE, "x")])
    assert client.post(url, {"rating": "4"}).status_code == 302
    later = timezone.now() + timedelta(days=invites.link_days() + 2)
    assert retention.purge_used_links(now=later) == 1
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + (invites.link_days() + 2) * 86400)
    assert client.post(url, {"rating": "1"}).status_code == 404
    assert SurveyAnswer.objects.count() == 1


def test_the_daily_dispose_command_runs_it(city):
    assert "madoguchi.feedback.retention.purge_used_links" in settings.MADOGUCHI_RETENTION_TASKS
    _use(city, invites.link_days() + 5, "old")
    call_command("dispose", stdout=StringIO())
    assert not SurveyUse.objects.exists()
