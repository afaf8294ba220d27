"""The comments page: a department's members read their departments' comments, readers of the
city's figures read all; always masked; filters by period, department, procedure, touchpoint and
rating; a filter that is not valid is an error next to it, never a 500."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from madoguchi.core.models import Department, Role, StaffMembership
from madoguchi.feedback import selectors
from madoguchi.feedback.models import SurveyAnswer

pytestmark = pytest.mark.django_db
URL = reverse("insights:comments")


@pytest.fixture
def departments(city):
    return {code: Department.objects.get(municipality=city, code=code) for code in ("kodomo", "shimin")}


def _answer(city, department, comment, days_ago=0, rating=4, procedure="child-allowance-claim",
            touchpoint="online"):
    return SurveyAnswer.objects.create(
        municipality=city, touchpoint=touchpoint, procedure_code=procedure, department=department,
        language="ja", rating=rating, comment=comment,
        answered_on=timezone.localdate() - timedelta(days=days_ago))


@pytest.fixture
def answers(city, departments):
    _answer(city, departments["kodomo"], "田中さんが親切でした。090-1234-5678")
    _answer(city, departments["shimin"], "住民票の窓口が分かりやすい", procedure="residence-certificate-copy",
            touchpoint="counter", rating=2)
    _answer(city, None, "一度に済んでよかった", procedure="", touchpoint="counter", rating=5)
    _answer(city, departments["kodomo"], "", rating=1)  # no comment: not listed
    _answer(city, departments["kodomo"], "去年の話", days_ago=60)


def _shown(response) -> list[str]:
    return re.findall(r'<blockquote class="comment-text" translate="no">(.*?)</blockquote>',
                      response.content.decode(), re.S)


def _login(client, user):
    client.force_login(user)
    return client


def test_a_department_member_reads_only_their_departments_comments(client, staff, answers):
    response = _login(client, staff["kodomo-tanto"]).get(URL)
    assert response.status_code == 200 and 'data-scope="departments"' in response.content.decode()
    assert len(_shown(response)) == 1 and "親切でした" in _shown(response)[0]


def test_the_comment_is_masked_for_everyone(client, staff, answers):
    shown = _shown(_login(client, staff["kodomo-tanto"]).get(URL))[0]
    assert "田中" not in shown and "1234" not in shown and "親切でした" in shown


def test_a_member_cannot_ask_for_another_departments_comments(client, staff, answers, departments):
    response = _login(client, staff["kodomo-tanto"]).get(URL, {"department": departments["shimin"].pk})
    assert response.status_code == 400 and 'data-error-for="department"' in response.content.decode()
    assert all("住民票" not in text for text in _shown(response))


def test_an_analyst_reads_every_comment_of_the_city(client, django_user_model, answers, departments):
    analyst = django_user_model.objects.create_user("analyst", password="x-pass-2026")
    StaffMembership.objects.create(user=analyst, department=departments["kodomo"], role=Role.ANALYST)
    response = _login(client, analyst).get(URL)
    assert 'data-scope="city"' in response.content.decode()
    assert len(_shown(response)) == 3  # the visit of several departments too; not last year's, not the empty one


def test_a_city_administrator_without_a_department_reads_them_too(client, staff, answers, city):
    from madoguchi.core.models import CityAdministrator

    administrator = CityAdministrator.objects.filter(municipality=city).first().user
    StaffMembership.objects.filter(user=administrator).delete()
    assert len(_shown(_login(client, administrator).get(URL))) == 3


def test_a_resident_or_a_stranger_reads_nothing(client, answers, resident_client):
    assert client.get(URL).status_code == 302  # to the staff login
    assert resident_client.get(URL).status_code in (302, 403)


def test_staff_of_another_city_read_nothing_here(client, django_user_model, answers, other_city):
    outsider = django_user_model.objects.create_user("outsider", password="x-pass-2026")
    StaffMembership.objects.create(user=outsider, department=Department.objects.filter(
        municipality=other_city).first(), role=Role.ADMIN)
    assert _login(client, outsider).get(URL).status_code == 403


@pytest.mark.parametrize("filters, expected", [
    ({"touchpoint": "counter"}, {"住民票の窓口が分かりやすい", "一度に済んでよかった"}),
    ({"rating": "5"}, {"一度に済んでよかった"}),
    ({"procedure": "residence-certificate-copy"}, {"住民票の窓口が分かりやすい"}),
    ({"first": (timezone.localdate() - timedelta(days=90)).isoformat(),
      "last": (timezone.localdate() - timedelta(days=30)).isoformat()}, {"去年の話"}),
])
def test_the_filters_narrow_the_comments(client, staff, answers, filters, expected):
    response = _login(client, staff["admin"]).get(URL, filters)
    assert response.status_code == 200
    assert {text.strip() for text in _shown(response)} == expected


def test_the_department_filter(client, staff, answers, departments):
    response = _login(client, staff["admin"]).get(URL, {"department": departments["shimin"].pk})
    assert [t.strip() for t in _shown(response)] == ["住民票の窓口が分かりやすい"]


@pytest.mark.parametrize("filters, field", [
    ({"first": "2026-13-45"}, "first"),
    ({"last": "yesterday"}, "last"),
    ({"first": "2026-12-01", "last": "2026-11-01"}, "first"),
    ({"first": "2020-01-01", "last": "2026-01-01"}, "first"),
    ({"rating": "9"}, "rating"),
    ({"touchpoint": "phone"}, "touchpoint"),
    ({"procedure": "<script>"}, "procedure"),
    ({"department": "abc"}, "department"),
    ({"page": "-3"}, "page"),
])
def test_a_bad_filter_is_an_error_next_to_it_and_the_page_still_shows(client, staff, answers, filters, field):
    response = _login(client, staff["admin"]).get(URL, filters)
    page = response.content.decode()
    assert response.status_code == 400 and 'id="filter-errors"' in page
    if field != "page":
        assert f'data-error-for="{field}"' in page
        assert f'aria-describedby="id_{field}-error"' in page


def test_pages_of_comments(city, departments):
    for n in range(7):
        _answer(city, departments["kodomo"], f"意見その{n}", days_ago=n)
    _answer(city, departments["kodomo"], "")
    rows = selectors.answers(city, timezone.localdate() - timedelta(days=30), timezone.localdate())
    first = selectors.comment_page(rows, 1, per_page=3)
    third = selectors.comment_page(rows, 3, per_page=3)
    assert [c.text for c in first.comments] == ["意見その0", "意見その1", "意見その2"] and first.has_next
    assert [c.text for c in third.comments] == ["意見その6"] and not third.has_next


def test_the_pager_keeps_the_filters(client, staff, city, departments, monkeypatch):
    monkeypatch.setattr(selectors.comment_page, "__defaults__", (1, 2))
    for n in range(3):
        _answer(city, departments["kodomo"], f"意見その{n}", touchpoint="counter")
    page = _login(client, staff["admin"]).get(URL, {"touchpoint": "counter"}).content.decode()
    link = re.search(r'id="comments-next" rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "touchpoint=counter" in link and "page=2" in link
    assert [t.strip() for t in _shown(client.get(URL + link))] == ["意見その0"]


def test_the_default_period_is_the_last_thirty_days_shown_in_the_fields(client, staff, answers):
    page = _login(client, staff["admin"]).get(URL).content.decode()
    today = timezone.localdate()
    assert f'name="first" value="{(today - timedelta(days=29)).isoformat()}"' in page
    assert f'name="last" value="{today.isoformat()}"' in page
