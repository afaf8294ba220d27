"""Many cities on one deployment: each host serves its city, and every link sent out of a
request points to the city's own site."""

import pytest
from django.utils import timezone

from madoguchi.core import cities
from madoguchi.core.models import CityHost, Municipality

pytestmark = pytest.mark.django_db


@pytest.fixture
def town():
    town = Municipality.objects.create(slug="town", code="999981", name="デモ町",
                                       hostname="town.localhost")
    CityHost.objects.create(municipality=town, hostname="town.example.jp")
    return town


def test_each_host_serves_its_city_and_others_the_default(city, town):
    assert cities.municipality_for_host("town.localhost:8000").slug == "town"
    assert cities.municipality_for_host("TOWN.example.jp").slug == "town"  # another of its hosts
    assert cities.municipality_for_host("testserver").slug == city.slug


def test_a_city_that_left_serves_no_host(city, town):
    town.closed_at = timezone.now()
    town.save()
    assert cities.municipality_for_host("town.localhost").slug == city.slug


def test_links_point_to_the_citys_own_site(city, town, settings):
    settings.MADOGUCHI_PUBLIC_URL = "http://127.0.0.1:8000"
    assert cities.public_url(town, "/mypage/") == "https://town.localhost/mypage/"
    town.public_url = "http://town.localhost:8000/"
    assert cities.public_url(town, "/mypage/") == "http://town.localhost:8000/mypage/"
    assert cities.public_url(city, "/x/") == "http://127.0.0.1:8000/x/"  # no host of its own


def test_mail_goes_out_from_the_citys_address(town, settings):
    settings.DEFAULT_FROM_EMAIL = "no-reply@madoguchi.invalid"
    assert cities.sender(town) == "no-reply@madoguchi.invalid"
    town.sender_email, town.sender_name = "info@town.example.jp", ""
    assert cities.sender(town).endswith("<info@town.example.jp>")
    assert "info@town.example.jp" in cities.sender(town)


def test_two_cities_cannot_share_a_main_host(town):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Municipality.objects.create(slug="twin", code="999971", name="双子町", hostname="town.localhost")
    Municipality.objects.create(slug="nohost", code="999972", name="無名町")  # blank: many may
    Municipality.objects.create(slug="nohost2", code="999973", name="無名村")
