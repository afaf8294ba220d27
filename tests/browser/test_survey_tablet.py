"""The satisfaction survey on the counter tablet: once the visitor has signed and the forms are
filed, the tablet invites them; the survey speaks the visit's language with no switch and no way
elsewhere, takes the answer as a counter answer, and gives the screen back to the desk by itself. axe-core on
each page."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from madoguchi.counter.models import VisitStatus
from madoguchi.feedback.models import SurveyAnswer

from .helpers import check_a11y
from .test_counter import _checked_visit, _family, _sign_on_the_pad
from .test_counter_tablet_summary import _paired_tablet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_visitor_answers_on_the_tablet_in_their_language_and_the_tablet_comes_back(new_context, city):
    clerk = get_user_model().objects.get(username="shimin-tanto")
    tablet = _paired_tablet(new_context, city, clerk)
    visit = _checked_visit(city, _family(city, "720001"))
    visit.language = "en"
    visit.save(update_fields=["language"])
    tablet.goto("/counter/tablet/")
    expect(tablet.locator('.tablet[data-language="en"]')).to_be_visible()
    expect(tablet.locator("#survey-invite")).to_have_count(0)  # not before the signature
    _sign_on_the_pad(tablet)
    tablet.locator("button[data-submit]").click()
    expect(tablet.locator("h2#receipts")).to_be_visible()
    expect(tablet.locator("#survey-invite")).to_be_visible()
    check_a11y(tablet)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.FILED

    tablet.locator("#survey-link").click()
    expect(tablet.locator("#survey")).to_have_attribute("data-survey-state", "question")
    expect(tablet.locator("html")).to_have_attribute("lang", "en")
    expect(tablet.locator("#language-switch")).to_have_count(0)
    expect(tablet.locator("header nav a")).to_have_count(0)
    check_a11y(tablet)
    tablet.locator('label[for="rating-5"]').click()
    tablet.locator("#comment").fill("Quick and kind.")
    tablet.locator("#survey-submit").click()
    expect(tablet.locator("#survey")).to_have_attribute("data-survey-state", "thanks")
    check_a11y(tablet)

    answer = SurveyAnswer.objects.get()
    assert (answer.touchpoint, answer.language, answer.rating) == ("counter", "en", 5)
    expect(tablet.locator("#survey-back")).to_be_visible()
    tablet.wait_for_url("**/counter/tablet/", timeout=20_000)  # by itself: the next visitor's screen
    expect(tablet.locator(".tablet")).to_be_visible()
