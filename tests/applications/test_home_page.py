"""The home page (手続をさがす) on a phone: search first, then the life events, then categories
opened on demand; the full list one tap away; おくやみ not first."""

import re

import pytest
from django.urls import reverse

from madoguchi.catalog.selectors import procedures_for
from madoguchi.navigator.loader import events

pytestmark = pytest.mark.django_db

HOME = reverse("applications:catalogue")


def test_the_home_page_lists_no_procedure_in_full(client, city):
    response = client.get(HOME)
    assert response.status_code == 200
    assert response.context["lists"] == []
    html = response.content.decode()
    assert 'class="card"' not in html
    offered = procedures_for(city)
    assert response.context["total"] == len(offered)
    assert f'href="{HOME}?all=1"' in html
    # Every procedure is a link inside a category the resident opens.
    assert html.count('<details class="home-category"') == len({p.category for p in offered})
    for procedure in offered:
        assert reverse("applications:procedure", args=[procedure.code]) in html


def test_search_comes_first_then_events_then_categories(client, city):
    html = client.get(HOME).content.decode()
    order = [html.index(marker) for marker in
             ('role="search"', 'id="events-heading"', 'id="categories-heading"', 'id="all-procedures"')]
    assert order == sorted(order)


def test_every_life_event_starts_the_navigator(client, city):
    html = client.get(HOME).content.decode()
    for event_id in events():
        assert f'action="{reverse("navigator:start", args=[event_id])}"' in html


def test_okuyami_is_not_the_first_category(client, city):
    response = client.get(HOME)
    categories = list(response.context["categories"])
    assert "おくやみ" in categories
    assert categories[0] != "おくやみ"
    summaries = re.findall(r'<details class="home-category" id="category-[0-9]+" data-category="([^"]+)">',
                           response.content.decode())
    assert summaries == categories
    assert categories.index("おくやみ") > categories.index("証明書")


def test_a_search_finds_the_residence_certificate_without_script(client, city):
    response = client.get(HOME, {"q": "住民票"})
    assert response.status_code == 200
    codes = [p.code for p in response.context["results"]]
    assert "residence-certificate-copy" in codes[:3]
    assert response.context["lists"] == [("", response.context["results"])]
    assert 'role="status"' in response.content.decode()


def test_a_search_that_finds_nothing_says_so_and_offers_the_rest(client, city):
    response = client.get(HOME, {"q": "ぴよぴよ星人"})
    assert response.status_code == 200
    assert response.context["results"] == []
    html = response.content.decode()
    assert 'id="events-heading"' in html and 'id="categories-heading"' in html


def test_the_full_list_shows_every_procedure_by_category(client, city):
    response = client.get(HOME, {"all": "1"})
    assert response.status_code == 200
    shown = [p.code for _, items in response.context["lists"] for p in items]
    assert sorted(shown) == sorted(p.code for p in procedures_for(city))
    assert response.context["lists"][0][0] != "おくやみ"
    assert 'id="events-heading"' not in response.content.decode()
