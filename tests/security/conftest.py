"""The party the API tests send answers as: a resident account of the demo city and its token."""

import pytest

from madoguchi.identity.emailcode import issue_api_token
from madoguchi.identity.models import ResidentAccount


@pytest.fixture
def account(city):
    return ResidentAccount.objects.create(municipality=city, email="api-resident@example.jp")


@pytest.fixture
def token(city, account):
    return issue_api_token(city, account=account)
