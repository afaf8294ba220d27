"""The satisfaction survey on a phone: a resident submits an application, is invited on the
done page, answers the one question (a missing answer is told next to it first) with a comment,
cannot answer the same link twice, and the answer is in the next day's aggregate; the
department's member reads the comment with the name and the number masked. axe-core on each page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from madoguchi.applications.models import Draft, Submission
from madoguchi.catalog.loader import catalog
from madoguchi.feedback.models import SurveyAnswer
from madoguchi.identity.models import ResidentAccount
from madoguchi.insights import figures
from madoguchi.insights.daily import build_day
from madoguchi.insights.measures import Kpi

from .helpers import check_a11y, check_phone_page, log_in_resident, log_in_staff, screenshot
from conftest import login_resident
from support import step_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "survey.phone@example.jp"
CODE = "dog-registration-change"  # no fee: the done page follows the submission
COMMENT = "田中さんが親切でした。090-1234-5678 まで連絡ください"


def _filled_draft(account) -> Draft:
    """Every step of the form filled (as the resident would); the sending is left to the phone."""
    client = login_resident(Client(), account)
    client.post(reverse("applications:start", args=[CODE]))
    draft = Draft.objects.latest("id")
    for index, step in enumerate(catalog()[CODE].current_form.steps):
        response = client.post(reverse("applications:step", args=[draft.public_id, index]), step_data(step))
        assert response.status_code == 302
    return draft


def test_a_resident_answers_after_submitting_and_the_answer_is_in_the_next_days_figures(
        phone, new_context, city):
    account = ResidentAccount.objects.create(municipality=city, email=EMAIL)
    draft = _filled_draft(account)
    phone.goto("/mypage/")
    log_in_resident(phone, EMAIL, check=check_phone_page)
    phone.goto(reverse("applications:confirm", args=[draft.public_id]))
    phone.locator('#submit-button[data-submit="send"]').click()
    expect(phone.locator("#submitted")).to_be_visible()
    expect(phone.locator("#survey-invite")).to_be_visible()
    check_phone_page(phone)
    screenshot(phone, "survey-invite-phone")

    phone.locator("#survey-link").click()
    survey = phone.locator("#survey")
    expect(survey).to_have_attribute("data-survey-state", "question")
    expect(phone.get_by_role("radio")).to_have_count(5)
    check_phone_page(phone)
    survey_url = phone.url

    phone.locator("#comment").fill(COMMENT)
    phone.locator("#survey-submit").click()  # no rating chosen
    expect(phone.locator("#rating-error")).to_be_visible()
    expect(phone.locator("#survey-errors")).to_be_visible()
    expect(phone.locator("#comment")).to_have_value(COMMENT)  # what was typed is kept
    check_phone_page(phone)
    assert not SurveyAnswer.objects.exists()

    phone.locator("#survey-errors a").first.click()
    expect(phone.locator("#rating-1")).to_be_focused()
    phone.locator('label[for="rating-4"]').click()
    expect(phone.locator("#rating-4")).to_be_checked()
    phone.locator("#survey-submit").click()
    expect(survey).to_have_attribute("data-survey-state", "thanks")
    check_phone_page(phone)
    screenshot(phone, "survey-thanks-phone")

    phone.goto(survey_url)  # the same link again: the thanks, no second question
    expect(phone.locator("#survey")).to_have_attribute("data-survey-state", "thanks")
    submission = Submission.objects.get(draft=draft)
    answer = SurveyAnswer.objects.get()
    assert (answer.touchpoint, answer.procedure_code, answer.department_id, answer.rating) == (
        "online", CODE, submission.department_id, 4)

    # the next morning's job builds the day the answer was given
    day = answer.answered_on
    build_day(city, day, now=timezone.now() + timedelta(days=1))
    for scope in (figures.Scope(city, day, day),
                  figures.Scope(city, day, day, department=submission.department, procedure=CODE)):
        satisfaction = figures.kpis(scope)[Kpi.SATISFACTION]
        assert (satisfaction.value, satisfaction.base) == (Decimal("100.0"), 1)
        ratings = {row.key: row.count for row in figures.breakdown(scope, "satisfaction_ratings")}
        assert ratings == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}

    # the department's member reads the comment, masked
    staff = new_context().new_page()
    log_in_staff(staff, f"{submission.department.code}-tanto")
    staff.goto(reverse("insights:comments"))
    comment = staff.locator(f'#comments li.comment[data-rating="4"][data-procedure="{CODE}"]')
    expect(comment).to_have_count(1)
    text = comment.locator(".comment-text").inner_text()
    assert "田中" not in text and "1234" not in text and "親切でした" in text
    check_a11y(staff)
    screenshot(staff, "survey-comments-staff")
