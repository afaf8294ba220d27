"""The 収納消込 file downloaded by 会計課 is an audited export: who, which day and provider, how many rows."""

from datetime import UTC, datetime

import pytest
from books_support import case, paid
from django.urls import reverse

from madoguchi.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_the_daily_file_download_logs_its_row_count(client, city, resident, django_user_model):
    user = django_user_model.objects.get(username="kaikei-tanto")
    client.force_login(user)
    paid(case(city, resident), datetime(2026, 3, 31, 3, 0, tzinfo=UTC), ref="cs_a")
    paid(case(city, resident), datetime(2026, 3, 31, 4, 0, tzinfo=UTC), ref="cs_b")
    assert client.get(reverse("payments:books_csv", args=["2026-03-31", "stripe"])).status_code == 200
    event = AuditEvent.objects.get(action="export", target_type="payments_day")
    assert event.actor_ref == f"staff:{user.pk}"
    assert event.detail == {"provider": "stripe", "day": "2026-03-31", "rows": 2}
