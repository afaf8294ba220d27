"""An absolute session limit on top of the idle timeout: a session logged in longer ago than
MADOGUCHI_SESSION_ABSOLUTE_SECONDS (12 hours by default) is ended at its next request, however
busy it kept, and the browser is sent to the login page with a message. The clock is the
stored start: the tests set it back rather than wait."""

import time

import pytest
from django.conf import settings
from django.urls import reverse

from madoguchi.core import session_limit

from conftest import login_resident

pytestmark = pytest.mark.django_db


def _set_start_back(client, seconds: float) -> None:
    session = client.session
    session[session_limit.STARTED] = time.time() - seconds
    session.save()


def test_the_default_is_twelve_hours():
    assert settings.MADOGUCHI_SESSION_ABSOLUTE_SECONDS == 12 * 3600


def test_a_staff_session_within_the_limit_goes_on(client, staff):
    client.force_login(staff["kankyo-tanto"])
    assert client.get(reverse("casework:queue")).status_code == 200
    assert session_limit.STARTED in client.session  # stamped at its first request
    _set_start_back(client, 12 * 3600 - 60)
    assert client.get(reverse("casework:queue")).status_code == 200


def test_a_staff_session_over_the_limit_is_ended(client, staff):
    client.force_login(staff["kankyo-tanto"])
    assert client.get(reverse("casework:queue")).status_code == 200
    _set_start_back(client, 12 * 3600 + 1)
    response = client.get(reverse("casework:queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("casework:login"))
    assert "_auth_user_id" not in client.session
    # the login page says why, and a later request is anonymous (the idle timeout alone did not)
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert [m.extra_tags for m in page.context["messages"]] == [session_limit.MESSAGE_TAG]
    assert client.get(reverse("casework:queue")).status_code == 302


def test_activity_does_not_extend_the_limit(client, staff, settings):
    settings.MADOGUCHI_SESSION_ABSOLUTE_SECONDS = 60
    client.force_login(staff["kankyo-tanto"])
    client.get(reverse("casework:queue"))
    _set_start_back(client, 30)
    assert client.get(reverse("casework:queue")).status_code == 200
    started = client.session[session_limit.STARTED]
    client.get(reverse("casework:queue"))
    assert client.session[session_limit.STARTED] == started
    _set_start_back(client, 61)
    assert client.get(reverse("casework:queue")).status_code == 302


def test_a_new_login_starts_a_new_period(client, staff):
    client.force_login(staff["kankyo-tanto"])
    client.get(reverse("casework:queue"))
    _set_start_back(client, 13 * 3600)
    client.force_login(staff["kankyo-kacho"])  # another identity: its own start
    assert client.get(reverse("casework:queue")).status_code == 200


def test_a_residents_session_has_the_same_limit(client, resident):
    login_resident(client, resident)
    assert client.get(reverse("applications:mypage")).status_code == 200
    _set_start_back(client, 12 * 3600 + 1)
    response = client.get(reverse("applications:mypage"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("identity:login"))
    assert client.get(reverse("applications:mypage"))["Location"].startswith(reverse("identity:login"))


def test_an_anonymous_session_is_left_alone(client, city):
    assert client.get("/").status_code == 200
    assert session_limit.STARTED not in client.session


def test_the_resident_key_is_identitys():
    from madoguchi.identity.session import SESSION_KEY

    assert session_limit.RESIDENT_KEY == SESSION_KEY
