"""Where a city administrator lands after the staff login, and what a deactivated staff
account's API token still opens."""

import pytest
from django.urls import reverse

from madoguchi.administration.demo import load_city_admin
from madoguchi.identity.emailcode import issue_api_token

pytestmark = pytest.mark.django_db
PASSWORD = "landing-pass-2026-x"


def test_a_city_administrator_without_a_department_lands_on_the_citys_administration(client, city):
    load_city_admin(city, "landing-admin", PASSWORD)
    response = client.post(reverse("casework:login"), {"username": "landing-admin", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("administration:city_home")
    assert client.get(response["Location"]).status_code == 200


def test_a_clerk_still_lands_on_the_queue(client, staff):
    clerk = staff["kodomo-tanto"]
    clerk.set_password(PASSWORD)
    clerk.save()
    response = client.post(reverse("casework:login"), {"username": clerk.username, "password": PASSWORD})
    assert response["Location"] == reverse("casework:queue")


def test_a_deactivated_staff_accounts_token_opens_nothing(client, city, staff):
    clerk = staff["kodomo-tanto"]
    token = issue_api_token(city, staff_user=clerk)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/staff/cases", headers=headers).status_code == 200
    clerk.is_active = False
    clerk.save()  # as /admin/ would: the token itself is left in place
    assert client.get("/api/staff/cases", headers=headers).status_code == 401
