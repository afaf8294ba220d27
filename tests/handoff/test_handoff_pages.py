"""The staff page of hand-offs: who sees which, odd states render, 再送 only where allowed, and
the case page's panel."""

from datetime import timedelta

import handoff_support
import pytest
from django.urls import reverse
from django.utils import timezone
from handoff_support import accepted_case, file_target

from madoguchi.core.models import CityAdministrator, Department, Role, StaffMembership
from madoguchi.handoff.models import Handoff, State

pytestmark = pytest.mark.django_db
targets = handoff_support.targets


@pytest.fixture
def handoff(resident_client, staff, targets):
    targets.write(file_target())
    case = accepted_case(resident_client, staff)
    return Handoff.objects.get(submission=case)


def test_department_staff_see_their_departments_hand_offs_only(client, staff, handoff):
    client.force_login(staff["kodomo-tanto"])
    assert f'id="handoff-{handoff.public_id}"' in client.get(reverse("handoff:index")).content.decode()
    client.force_login(staff["kankyo-tanto"])  # another department of the city
    page = client.get(reverse("handoff:index"))
    assert page.status_code == 200 and f'id="handoff-{handoff.public_id}"' not in page.content.decode()
    response = client.post(reverse("handoff:resend", args=[handoff.public_id]))
    assert response.status_code == 404


def test_a_city_administrator_sees_the_whole_city(client, city, staff, handoff, django_user_model):
    admin = django_user_model.objects.create_user("handoff-admin", password="x-pass-2026")
    CityAdministrator.objects.create(user=admin, municipality=city)
    client.force_login(admin)
    page = client.get(reverse("handoff:index")).content.decode()
    assert f'id="handoff-{handoff.public_id}"' in page
    assert f'href="{reverse("casework:case", args=[handoff.submission.public_id])}"' not in page  # no case access


def test_anonymous_and_other_cities_are_kept_out(client, other_city, handoff, django_user_model, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, other_city.hostname]
    response = client.get(reverse("handoff:index"))
    assert response.status_code == 302 and reverse("casework:login") in response["Location"]
    stranger = django_user_model.objects.create_user("other-clerk", password="x-pass-2026")
    StaffMembership.objects.create(user=stranger, department=Department.objects.get(
        municipality=other_city, code="kodomo"), role=Role.CLERK)
    client.force_login(stranger)
    assert client.get(reverse("handoff:index")).status_code == 403  # the demo city's host
    page = client.get(reverse("handoff:index"), HTTP_HOST=other_city.hostname)
    assert page.status_code == 200 and str(handoff.public_id) not in page.content.decode()
    response = client.post(reverse("handoff:resend", args=[handoff.public_id]), HTTP_HOST=other_city.hostname)
    assert response.status_code == 404


def test_resend_is_post_only(client, staff, handoff):
    client.force_login(staff["kodomo-tanto"])
    assert client.get(reverse("handoff:resend", args=[handoff.public_id])).status_code == 405


def test_odd_states_render(client, staff, handoff, targets):
    """A target removed from the settings, a lease that ran out, an unknown error code, a
    broken settings file, a bad filter: the page answers 200 for each."""
    now = timezone.now()
    Handoff.objects.filter(pk=handoff.pk).update(target="gone", last_error="something:new",
                                                 claimed_until=now - timedelta(hours=1),
                                                 next_attempt_at=now - timedelta(hours=2))
    client.force_login(staff["kodomo-tanto"])
    page = client.get(reverse("handoff:index")).content.decode()
    assert 'data-stuck="true"' in page and "something:new" in page
    for state in ("failed", "pending", "delivered", "nonsense", ""):
        assert client.get(reverse("handoff:index"), {"state": state}).status_code == 200
    (targets.config / "demo" / "handoff.yaml").write_text("targets: [", encoding="utf-8")
    assert client.get(reverse("handoff:index")).status_code == 200
    assert client.get(reverse("casework:case", args=[handoff.submission.public_id])).status_code == 200
    response = client.post(reverse("handoff:resend", args=[handoff.public_id]), follow=True)
    assert response.status_code == 200
    handoff.refresh_from_db()
    assert handoff.state == State.PENDING and handoff.last_error == "settings_unreadable"


def test_resend_of_a_removed_target_fails_visibly(client, staff, handoff):
    Handoff.objects.filter(pk=handoff.pk).update(target="gone", state=State.FAILED)
    client.force_login(staff["kodomo-tanto"])
    page = client.post(reverse("handoff:resend", args=[handoff.public_id]), follow=True).content.decode()
    assert "resend-retrying" in page or "resend-failed" in page
    handoff.refresh_from_db()
    assert handoff.last_error == "target_not_configured"


def test_settings_problems_are_shown_to_the_city_administrator(client, city, handoff, targets, django_user_model):
    (targets.config / "demo" / "handoff.yaml").write_text(
        "targets:\n  - {name: a, kind: file, procedures: [no-such-procedure], events: [accepted], directory: /nonexistent/x}\n",
        encoding="utf-8")
    admin = django_user_model.objects.create_user("handoff-admin", password="x-pass-2026")
    CityAdministrator.objects.create(user=admin, municipality=city)
    client.force_login(admin)
    page = client.get(reverse("handoff:index")).content.decode()
    assert 'id="handoff-problems"' in page and "no-such-procedure" in page


def test_the_case_panel_shows_where_the_case_went(client, staff, handoff):
    client.force_login(staff["kodomo-tanto"])
    page = client.get(reverse("casework:case", args=[handoff.submission.public_id])).content.decode()
    assert 'id="handoff"' in page and 'data-state="pending"' in page
    assert f'id="resend-{handoff.public_id}"' not in page  # 再送 only when failed


def test_system_check_reports_a_bad_city_file(city, targets):
    from madoguchi.handoff.apps import check_settings

    assert check_settings() == []  # no file: nothing to say
    targets.write(file_target(procedures=["no-such-procedure"]))
    assert any("no-such-procedure" in m.msg for m in check_settings())
