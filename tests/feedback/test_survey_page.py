"""The survey page: the question, the answer stored once, clear errors, never a 500."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from madoguchi.core.models import Department
from madoguchi.feedback import invites, services
from madoguchi.feedback.models import SurveyAnswer, SurveyUse, Touchpoint

pytestmark = pytest.mark.django_db



@pytest.fixture
def department(city):
    return Department.objects.get(municipality=city, code="kodomo")


@pytest.fixture
def visitor(city):
    """A browser on the city's site with no login: the link is the key."""
    return Client()


@pytest.fixture
def url(city, department):
    return reverse("feedback:answer", args=[
        invites.make_token(city, Touchpoint.ONLINE, "child-allowance-claim", department, "ja")])


def test_the_page_asks_one_question_on_a_five_point_scale(visitor, url):
    response = visitor.get(url)
    page = response.content.decode()
    assert response.status_code == 200 and 'data-survey-state="question"' in page
    assert sorted(re.findall(r'name="rating" value="(\d)"', page)) == ["1", "2", "3", "4", "5"]
    assert 'id="comment"' in page and 'aria-describedby="comment-help"' in page
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_an_answer_is_stored_once_with_where_it_was_asked_and_the_day(visitor, url, city, department):
    response = visitor.post(url, {"rating": "4", "comment": "分かりやすかった"})
    assert response.status_code == 302
    answer = SurveyAnswer.objects.get()
    assert (answer.municipality, answer.touchpoint, answer.procedure_code, answer.department, answer.language,
            answer.rating, answer.comment, answer.answered_on) == (
        city, "online", "child-allowance-claim", department, "ja", 4, "分かりやすかった", timezone.localdate())
    assert SurveyUse.objects.count() == 1
    thanks = visitor.get(response["Location"])
    assert 'data-survey-state="thanks"' in thanks.content.decode()


def test_a_second_answer_on_the_same_link_shows_the_thanks_and_stores_nothing(visitor, url):
    visitor.post(url, {"rating": "5"})
    again = Client().post(url, {"rating": "1", "comment": "again"})
    assert again.status_code == 200 and 'data-survey-state="thanks"' in again.content.decode()
    assert SurveyAnswer.objects.count() == 1 and SurveyAnswer.objects.get().rating == 5


def test_the_service_refuses_a_used_link_even_when_the_page_did_not_see_it(city, department):
    invite = invites.read_token(invites.make_token(city, Touchpoint.ONLINE, "x", department), city)
    assert services.record_answer(invite, 3, "", "ja") is True
    assert services.record_answer(invite, 1, "", "ja") is False
    assert SurveyAnswer.objects.count() == 1 and SurveyUse.objects.count() == 1


def test_no_rating_is_an_error_next_to_the_question(visitor, url):
    response = visitor.post(url, {"comment": "書いたけれど選ばなかった"})
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="rating-error"' in page and 'aria-describedby="rating-help rating-error"' in page
    assert 'href="#rating-1"' in page  # the summary leads to the question
    assert "書いたけれど選ばなかった" in page  # what was typed is kept
    assert not SurveyAnswer.objects.exists() and not SurveyUse.objects.exists()


@pytest.mark.parametrize("rating", ["0", "6", "9", "-1", "abc", "4.5", "", "４"])
def test_a_rating_off_the_scale_is_an_error_not_a_500(visitor, url, rating):
    response = visitor.post(url, {"rating": rating})
    assert response.status_code == 400 and 'id="rating-error"' in response.content.decode()
    assert not SurveyAnswer.objects.exists()


def test_a_comment_too_long_is_an_error_next_to_the_comment(visitor, url):
    response = visitor.post(url, {"rating": "2", "comment": "あ" * (services.COMMENT_MAX + 1)})
    page = response.content.decode()
    assert response.status_code == 400 and 'id="comment-error"' in page and 'aria-invalid="true"' in page
    assert not SurveyAnswer.objects.exists()
    assert visitor.post(url, {"rating": "2", "comment": "あ" * services.COMMENT_MAX}).status_code == 302


@pytest.mark.parametrize("comment", ["a\x00b", "\x01\x02\x7f", "😀" * 100, "<script>alert(1)</script>"])
def test_odd_characters_in_a_comment_never_make_a_500(visitor, url, comment):
    response = visitor.post(url, {"rating": "3", "comment": comment})
    assert response.status_code in (302, 400)
    assert SurveyAnswer.objects.count() == (1 if response.status_code == 302 else 0)


@pytest.mark.parametrize("token", ["x", "a" * 3000, "..", "eyJ:abc:def", "%E3%81%82"])
def test_a_broken_link_shows_why_not_a_500(visitor, token):
    for response in (visitor.get(f"/survey/{token}/"), visitor.post(f"/survey/{token}/", {"rating": "5"})):
        assert response.status_code == 404
        assert 'data-survey-state="invalid"' in response.content.decode()
    assert not SurveyAnswer.objects.exists()


def test_a_nul_in_the_link_is_refused_not_a_500(visitor):
    assert visitor.post("/survey/%00/", {"rating": "5"}).status_code in (400, 404)
    assert not SurveyAnswer.objects.exists()


def test_a_link_of_another_city_is_not_answered_here(visitor, other_city):
    url = reverse("feedback:answer", args=[invites.make_token(other_city, Touchpoint.ONLINE, "x")])
    assert visitor.post(url, {"rating": "5"}).status_code == 404
    assert not SurveyAnswer.objects.exists()


def test_an_online_answer_is_in_the_language_the_resident_reads(visitor, url):
    visitor.get(url + "?lang=pt-br")
    response = visitor.post(url, {"rating": "5"})
    assert response.status_code == 302 and SurveyAnswer.objects.get().language == "pt-br"


def test_on_the_tablet_the_page_speaks_the_visitors_language_not_the_previous_ones(city, visitor):
    visitor.get("/?lang=en")  # the tablet's browser remembers the previous visitor's English
    url = reverse("feedback:answer", args=[
        invites.make_token(city, Touchpoint.COUNTER, "moving-in", language="vi", back="/counter/tablet/")])
    page = visitor.get(url).content.decode()
    assert '<html lang="vi"' in page
    assert 'class="lang-switch' not in page  # no switch: the clerk set the language on the visit
    assert re.search(r'<meta http-equiv="refresh" content="\d+;url=/counter/tablet/"', page)
    response = visitor.post(url, {"rating": "4"})
    thanks = visitor.get(response["Location"]).content.decode()
    assert 'data-survey-state="thanks"' in thanks and '<a href="/counter/tablet/" id="survey-back">' in thanks
    answer = SurveyAnswer.objects.get()
    assert (answer.touchpoint, answer.language, answer.department) == ("counter", "vi", None)


def test_a_department_closed_since_the_link_leaves_the_answer_without_one(visitor, city):
    gone = Department.objects.create(municipality=city, code="gone", name="廃止課")
    url = reverse("feedback:answer", args=[invites.make_token(city, Touchpoint.ONLINE, "x", gone)])
    gone.delete()
    assert visitor.post(url, {"rating": "3"}).status_code == 302
    assert SurveyAnswer.objects.get().department is None


def test_an_answer_has_no_field_that_leads_back_to_a_person_or_a_moment():
    from django.db import models

    fields = {f.name: f for f in SurveyAnswer._meta.get_fields()}
    assert set(fields) == {"id", "municipality", "touchpoint", "procedure_code", "department", "language",
                           "rating", "comment", "answered_on"}
    assert type(fields["answered_on"]) is models.DateField  # the day, never the time
    assert {f.name for f in SurveyUse._meta.get_fields()} == {"id", "municipality", "digest", "used_on"}
