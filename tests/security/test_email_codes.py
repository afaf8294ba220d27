"""E-mail one-time codes: one account per address whatever its case, limits by the client's
address as well as by the target, JSON from the same origin only, and never a stranger
locking the owner out.

Found before: five requests locked a victim out for an hour; `Victim@` and `victim@` were two
accounts; one client asked for 60 addresses in 2 s; the endpoint took a `text/plain` body from
any origin; NUL or 300-character addresses gave a 500.
"""

import re

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from madoguchi.identity.models import LoginCode, ResidentAccount
from madoguchi.notify.services import deliver_pending

pytestmark = pytest.mark.django_db

VICTIM = "victim@example.jp"


def _ask(client, email, ip="203.0.113.7", **headers):
    return client.post("/api/auth/email-code", {"email": email}, content_type="application/json",
                       REMOTE_ADDR=ip, **headers)


def _token(client, email, code, ip="203.0.113.7"):
    return client.post("/api/auth/token", {"email": email, "code": code},
                       content_type="application/json", REMOTE_ADDR=ip)


def _mailed_code(email) -> str:
    """The newest code mailed to `email` (the owner reading their mailbox)."""
    deliver_pending()
    for message in reversed(mail.outbox):
        found = re.search(r"確認コード: (\d{6})", message.body)
        if message.to == [email] and found:
            return found.group(1)
    raise AssertionError(f"no code was mailed to {email}")


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


# --- one account per address --------------------------------------------------------------

@pytest.mark.parametrize("typed", ["Victim@example.jp", "VICTIM@EXAMPLE.JP", " victim@Example.jp ",
                                   "ｖｉｃｔｉｍ＠ｅｘａｍｐｌｅ．ｊｐ"])
def test_case_and_width_variants_are_the_same_account(client, city, typed):
    existing = ResidentAccount.objects.create(municipality=city, email=VICTIM)
    assert _ask(client, typed).status_code == 202
    assert _mailed_code(VICTIM)  # mailed to the one address, normalised
    response = _token(client, typed, _mailed_code(VICTIM))
    assert response.status_code == 200
    assert list(ResidentAccount.objects.values_list("pk", flat=True)) == [existing.pk]


def test_the_database_refuses_a_second_account_differing_only_by_case(city):
    ResidentAccount.objects.create(municipality=city, email=VICTIM)
    with pytest.raises(IntegrityError), transaction.atomic():
        ResidentAccount.objects.create(municipality=city, email="Victim@Example.jp")


def test_the_page_logs_in_the_same_account_whatever_the_case(client, city):
    existing = ResidentAccount.objects.create(municipality=city, email=VICTIM)
    response = client.post(reverse("identity:login"), {"email": "Victim@EXAMPLE.jp"})
    assert response.status_code == 302
    response = client.post(reverse("identity:login_code"), {"code": _mailed_code(VICTIM)})
    assert response.status_code == 302
    assert client.session["resident_account_id"] == existing.pk


def test_the_migration_lower_cases_existing_addresses(city):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("madoguchi.identity.migrations.0004_one_account_per_address")
    account = ResidentAccount.objects.create(municipality=city, email="placeholder@example.jp")
    ResidentAccount.objects.filter(pk=account.pk).update(email="Taro@Example.JP")  # as stored before
    migration.lower_case_addresses(apps, None)
    account.refresh_from_db()
    assert account.email == "taro@example.jp"


# --- a stranger never locks the owner out -----------------------------------------------------

def test_many_requests_by_strangers_do_not_lock_the_owner_out(client, city):
    for n in range(12):  # from many addresses, more than the old hourly limit of five
        response = _ask(Client(), VICTIM, ip=f"198.51.100.{n}")
        assert response.status_code == 202
    owner = Client()
    assert _ask(owner, VICTIM, ip="192.0.2.1").status_code == 202
    assert _token(owner, VICTIM, _mailed_code(VICTIM), ip="192.0.2.1").status_code == 200


def test_a_code_voided_by_a_strangers_guesses_is_replaced_at_once(client, city, settings):
    assert _ask(client, VICTIM).status_code == 202
    code = _mailed_code(VICTIM)
    stranger = Client()
    for _ in range(settings.MADOGUCHI_OTP_MAX_ATTEMPTS):
        assert _token(stranger, VICTIM, _wrong(code), ip="198.51.100.9").status_code == 401
    assert _token(client, VICTIM, code).status_code == 401  # void now: failed verifications may
    owner = Client()
    assert _ask(owner, VICTIM, ip="192.0.2.1").status_code == 202
    fresh = _mailed_code(VICTIM)
    assert LoginCode.objects.filter(email=VICTIM).count() == 2
    assert _token(owner, VICTIM, fresh, ip="192.0.2.1").status_code == 200


def test_attempts_count_per_code_not_per_address(client, city, settings):
    _ask(client, VICTIM)
    first = _mailed_code(VICTIM)
    for _ in range(settings.MADOGUCHI_OTP_MAX_ATTEMPTS - 1):
        _token(client, VICTIM, _wrong(first))
    assert _token(client, VICTIM, first).status_code == 200
    # a new login: the new code has all its tries, whatever the last one used
    _ask(client, VICTIM)
    second = _mailed_code(VICTIM)
    for _ in range(settings.MADOGUCHI_OTP_MAX_ATTEMPTS - 1):
        _token(client, VICTIM, _wrong(second))
    assert _token(client, VICTIM, second).status_code == 200


def test_a_live_code_is_not_replaced_within_the_resend_interval(client, city):
    """One mail a minute at most for an address while its code is live: mail bombing is
    bounded, and the owner, who has that mail, is not refused."""
    for n in range(5):
        assert _ask(Client(), VICTIM, ip=f"198.51.100.{n}").status_code == 202
    deliver_pending()
    assert sum(1 for m in mail.outbox if m.to == [VICTIM]) == 1
    assert LoginCode.objects.filter(email=VICTIM).count() == 1


def test_the_page_goes_on_to_the_code_when_a_code_was_just_sent(client, city):
    first = Client()
    first.post(reverse("identity:login"), {"email": VICTIM})
    response = client.post(reverse("identity:login"), {"email": VICTIM})
    assert response.status_code == 302 and reverse("identity:login_code") in response["Location"]
    response = client.post(reverse("identity:login_code"), {"code": _mailed_code(VICTIM)})
    assert response.status_code == 302 and "resident_account_id" in client.session


# --- limits by the client's address --------------------------------------------------------------

def test_one_client_cannot_ask_for_codes_for_sixty_addresses(client, city):
    answers = [_ask(client, f"user{n}@example.jp").status_code for n in range(60)]
    assert answers.count(202) <= 20
    assert answers[-1] == 429
    assert set(answers) <= {202, 429}
    deliver_pending()
    assert len(mail.outbox) == answers.count(202)
    # another client is not affected
    assert _ask(Client(), "someone@example.jp", ip="192.0.2.50").status_code == 202


def test_a_refused_request_says_when_to_try_again(client, city):
    for n in range(60):
        response = _ask(client, f"user{n}@example.jp")
        if response.status_code == 429:
            break
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["detail"]


def test_the_page_is_limited_by_client_too(client, city):
    for n in range(60):
        response = client.post(reverse("identity:login"), {"email": f"user{n}@example.jp"})
        if response.status_code != 302:
            break
    assert response.status_code == 429
    assert 'id="email-error"' in response.content.decode()


def test_guessing_codes_is_limited_by_client(client, city):
    _ask(client, VICTIM)
    answers = set()
    for n in range(60):  # many addresses, five guesses each would be allowed per code
        answers.add(_token(client, f"user{n}@example.jp", "123456").status_code)
    assert 429 in answers


# --- JSON from the same origin ------------------------------------------------------------------

def test_a_text_plain_body_is_refused(client, city):
    response = client.post("/api/auth/email-code", '{"email": "victim@example.jp"}',
                           content_type="text/plain")
    assert response.status_code == 415
    assert not LoginCode.objects.exists()


def test_a_form_body_is_refused(client, city):
    response = client.post("/api/auth/email-code", {"email": VICTIM})  # multipart form
    assert response.status_code in {400, 415, 422}  # ninja refuses to parse it as JSON: 400
    assert not LoginCode.objects.exists()


@pytest.mark.parametrize("headers", [{"HTTP_ORIGIN": "https://evil.example"},
                                     {"HTTP_REFERER": "https://evil.example/page"},
                                     {"HTTP_ORIGIN": "null"}])
def test_another_origin_is_refused(client, city, headers):
    assert _ask(client, VICTIM, **headers).status_code == 403
    response = client.post("/api/auth/token", {"email": VICTIM, "code": "123456"},
                           content_type="application/json", **headers)
    assert response.status_code == 403
    assert not LoginCode.objects.exists()


@pytest.mark.parametrize("headers", [{}, {"HTTP_ORIGIN": "http://testserver"},
                                     {"HTTP_REFERER": "http://testserver/login/"}])
def test_the_same_origin_or_a_client_without_one_is_served(client, city, headers):
    assert _ask(client, VICTIM, **headers).status_code == 202


# --- bad addresses: a clear 422 or the form with a message, never a 500 --------------------------

BAD = ["vic\x00tim@example.jp", "a" * 290 + "@example.jp", "victim", "", "\x00"]


@pytest.mark.parametrize("email", BAD)
def test_the_api_names_the_field(client, city, email):
    client.raise_request_exception = False
    response = _ask(client, email)
    assert response.status_code == 422
    assert "email" in response.content.decode()
    response = _token(client, email, "123456")
    assert response.status_code == 422
    assert "email" in response.content.decode()


@pytest.mark.parametrize("email", BAD)
def test_the_page_shows_the_message_at_the_field(client, city, email):
    client.raise_request_exception = False
    response = client.post(reverse("identity:login"), {"email": email})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="email-error"' in page and 'aria-invalid="true"' in page
    assert "\x00" not in page


def test_a_nul_in_the_code_is_just_a_wrong_code(client, city):
    client.raise_request_exception = False
    _ask(client, VICTIM)
    assert _token(client, VICTIM, "12\x003456").status_code == 401
    client.post(reverse("identity:login"), {"email": VICTIM})
    assert client.post(reverse("identity:login_code"), {"code": "\x00" * 300}).status_code == 400
