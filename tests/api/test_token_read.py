"""identity.emailcode.api_token, the bearer token read compiled once per connection: one
statement, the same instances Django's queryset gives (token and holder, their columns
converted, the relation cached), and the same refusals — an unknown, expired or other
city's token, a token of the other kind of holder."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from madoguchi.identity.emailcode import api_token, hash_secret, issue_api_token
from madoguchi.identity.models import ApiToken, ResidentAccount


@pytest.fixture
def account(city):
    return ResidentAccount.objects.create(municipality=city, email="token@example.jp",
                                          last_login_at=timezone.now())


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@pytest.mark.django_db
def test_a_residents_token_and_account_in_one_statement_as_the_orm_reads_them(city, account):
    token = issue_api_token(city, account=account, label="app", days=3)
    api_token(city, token)  # compiled on first use
    with CaptureQueriesContext(connection) as queries:
        found = api_token(city, token)
    assert len(queries) == 1
    reference = ApiToken.objects.select_related("account").get(token_hash=hash_secret(token))
    assert _fields(found) == _fields(reference)
    assert found.expires_at.tzinfo is not None and found.created_at.tzinfo is not None
    with CaptureQueriesContext(connection) as queries:
        held = found.account  # cached: no second query
    assert len(queries) == 0
    assert _fields(held) == _fields(reference.account)
    assert held.municipality is city and found.municipality is city
    assert not found._state.adding and found._state.db == "default"
    found.label = "renamed"
    found.save(update_fields=["label"])  # an instance Django can save
    assert ApiToken.objects.get(pk=found.pk).label == "renamed"


@pytest.mark.django_db
def test_unknown_expired_and_other_citys_tokens_are_refused(city, other_city, account):
    assert api_token(city, "no-such-token") is None
    expired = issue_api_token(city, account=account, days=1)
    ApiToken.objects.filter(token_hash=hash_secret(expired)).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    assert api_token(city, expired) is None
    theirs = issue_api_token(other_city, account=ResidentAccount.objects.create(
        municipality=other_city, email="town@example.jp"))
    assert api_token(city, theirs) is None
    assert api_token(other_city, theirs).account.email == "town@example.jp"


@pytest.mark.django_db
def test_a_staff_token_has_its_user_and_no_account(city, django_user_model, account):
    user = django_user_model.objects.create_user("token-staff", password="x-pass-2026")
    staff_token = issue_api_token(city, staff_user=user)
    found = api_token(city, staff_token, holder="staff_user")
    assert found.staff_user == user and found.staff_user.username == "token-staff"
    assert found.account_id is None
    resident_token = issue_api_token(city, account=account)
    as_staff = api_token(city, resident_token, holder="staff_user")
    assert as_staff.staff_user_id is None and as_staff.staff_user is None
    assert api_token(city, staff_token).account is None  # read as a resident's: no account
