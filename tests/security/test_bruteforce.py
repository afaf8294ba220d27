"""Guessing staff passwords: the staff login and /admin/ lock after a few failures (django-axes).

Before, 100 wrong passwords in a row met no lockout and no delay. Now an account, and an
address, are locked after MADOGUCHI_LOGIN_FAILURE_LIMIT failures for a cool-off; the page says
so in plain Japanese without telling whether the account exists; an administrator can unlock;
the audit log has the events, without the password or the name that was typed.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from madoguchi.core.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "demo-pass-2026"  # load_demo's staff password
LOGIN = "/staff/login/"
ADMIN_LOGIN = "/admin/login/"
ATTACKER = "203.0.113.7"
WRONG = "wrong-password"  # noqa: S105 - a guess, not a secret


def _try(client, username, password=WRONG, url=LOGIN, ip=ATTACKER):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _fail_until_locked(client, username, url=LOGIN, ip=ATTACKER):
    """The limit's failures: the last of them already gets the lockout page."""
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _try(client, username, url=url, ip=ip).status_code == 200  # the form, again
    return _try(client, username, url=url, ip=ip)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_failure_limit_and_cool_off_are_set_from_the_environment_defaults():
    assert 3 <= settings.AXES_FAILURE_LIMIT <= 20
    assert settings.AXES_COOLOFF_TIME is not None  # never a lock for good from the internet
    assert settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT is False


def test_wrong_passwords_lock_the_staff_login_even_for_the_right_password(client, staff):
    locked = _fail_until_locked(client, "shimin-tanto")
    assert locked.status_code == 429
    right = _try(client, "shimin-tanto", PASSWORD)
    assert right.status_code == 429 and not _logged_in(client)


def test_the_account_is_locked_from_every_address(client, staff):
    _fail_until_locked(client, "shimin-tanto")
    elsewhere = Client()
    assert _try(elsewhere, "shimin-tanto", PASSWORD, ip="198.51.100.20").status_code == 429
    assert not _logged_in(elsewhere)


def test_the_address_is_locked_for_every_account(client, staff):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _try(client, f"nobody-{n}")
    assert _try(client, "kodomo-tanto", PASSWORD).status_code == 429
    # a clerk at another address is not affected
    office = Client()
    assert _try(office, "kodomo-tanto", PASSWORD, ip="198.51.100.20").status_code == 302
    assert _logged_in(office)


def test_admin_login_is_protected_too(client, staff):
    locked = _fail_until_locked(client, "admin", url=ADMIN_LOGIN)
    assert locked.status_code == 429
    assert _try(client, "admin", PASSWORD, url=ADMIN_LOGIN).status_code == 429
    assert not _logged_in(client)


def test_the_lockout_page_is_plain_japanese_and_says_nothing_about_the_account(client, staff):
    existing = _fail_until_locked(client, "shimin-tanto")
    unknown = _fail_until_locked(Client(), "no-such-clerk", ip="192.0.2.99")
    assert existing.status_code == unknown.status_code == 429
    assert existing["Content-Type"].startswith("text/html")
    page = existing.content.decode()
    assert 'lang="ja"' in page and 'id="locked-out"' in page
    assert "shimin-tanto" not in page and "no-such-clerk" not in unknown.content.decode()
    # the same words for an account that exists and one that does not
    assert _main(page) == _main(unknown.content.decode())


def _main(page: str) -> str:
    return page[page.index('id="locked-out"'):page.index("</main>")]


def test_the_lock_lifts_after_the_cool_off(client, staff):
    from axes.models import AccessAttempt

    _fail_until_locked(client, "shimin-tanto")
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert _try(client, "shimin-tanto", PASSWORD).status_code == 302 and _logged_in(client)


def test_an_administrator_unlocks_with_axes_reset(client, staff):
    _fail_until_locked(client, "shimin-tanto")
    call_command("axes_reset_username", "shimin-tanto", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _try(client, "shimin-tanto", PASSWORD, ip="198.51.100.20").status_code == 302


def test_failures_and_lockouts_are_audited_without_password_or_typed_name(client, staff):
    _fail_until_locked(client, "shimin-tanto")
    failed = AuditEvent.objects.filter(action="staff_login_failed")
    assert failed.count() >= settings.AXES_FAILURE_LIMIT
    locked = AuditEvent.objects.get(action="staff_locked_out")
    # a locked client that keeps trying does not grow the audit log
    before = AuditEvent.objects.count()
    for _ in range(3):
        assert _try(client, "shimin-tanto").status_code == 429
    assert AuditEvent.objects.count() == before
    assert locked.subject_ref == f"staff:{staff['shimin-tanto'].pk}"
    assert locked.ip_address == ATTACKER
    for event in AuditEvent.objects.filter(action__in=["staff_login_failed", "staff_locked_out"]):
        text = repr(event.detail) + event.target_id + event.actor_ref
        assert WRONG not in text and "shimin-tanto" not in text


def test_an_unknown_name_is_audited_without_a_subject(client, city):
    _try(client, "typed-my-password-here")
    event = AuditEvent.objects.get(action="staff_login_failed")
    assert event.subject_ref == ""
    assert "typed-my-password-here" not in repr(event.detail) + event.target_id


@pytest.mark.parametrize("username", ["a\x00b", "x" * 300])
def test_nul_or_overlong_names_get_the_form_with_a_message(client, city, username):
    client.raise_request_exception = False
    response = _try(client, username)
    assert response.status_code == 200
    assert 'id="login-error"' in response.content.decode()


def test_the_suites_force_login_still_works(client, staff):
    """The axes backend comes first but has no get_user: force_login picks ModelBackend."""
    client.force_login(staff["shimin-tanto"])
    assert client.get(reverse("casework:queue")).status_code == 200
