"""Where the survey is offered: the done page after an online submission, the payment's result
page (the done page is skipped when a fee is due at once), and the counter tablet once the
visitor's forms are filed. Each link is about that procedure and department, in the resident's
language, and answers once."""
# ruff: noqa: F811 - the shared fixtures are imported by name

import sys
from pathlib import Path

import pytest
from django.urls import reverse

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "payments"))  # the payment tests' fixtures
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "counter"))  # the counter tests' fixtures

from payment_support import awaiting_submission, stripe_city, stripe_server  # noqa: E402, F401
from survey_support import link_on, token_of  # noqa: E402
from test_counter_pages import head  # noqa: E402, F401
from test_counter_tablet import (  # noqa: E402, F401
    _filed_through_the_tablet,
    clerk,
    clerk_client,
    tablet,
    visit,
)

from madoguchi.counter import services as counter_services  # noqa: E402
from madoguchi.feedback import invites  # noqa: E402
from madoguchi.feedback.models import SurveyAnswer  # noqa: E402
from madoguchi.payments.models import Attempt  # noqa: E402

from support import submit_via_web  # noqa: E402

pytestmark = pytest.mark.django_db


def test_the_done_page_invites_to_the_survey_about_that_procedure(resident_client, city):
    resident_client.get("/?lang=en")
    submission = submit_via_web(resident_client, "dog-registration-change", {"dog_name": "ポチ"})
    page = resident_client.get(reverse("applications:submitted", args=[submission.public_id])).content.decode()
    url = link_on(page)
    assert "lang=en" in url
    invite = invites.read_token(token_of(url), city)
    assert (invite.touchpoint, invite.procedure_code, invite.department_id, invite.language) == (
        "online", "dog-registration-change", submission.department_id, "en")
    assert resident_client.post(url, {"rating": "5"}).status_code == 302
    answer = SurveyAnswer.objects.get()
    assert (answer.procedure_code, answer.department_id, answer.language) == (
        "dog-registration-change", submission.department_id, "en")


def test_the_invite_carries_nothing_of_the_submission(resident_client):
    submission = submit_via_web(resident_client, "dog-registration-change", {"dog_name": "ポチ"})
    url = link_on(resident_client.get(reverse("applications:submitted", args=[submission.public_id])).content.decode())
    for private in (str(submission.public_id), submission.receipt_number, "ポチ", submission.account.email):
        assert private not in url


def test_after_paying_the_result_page_invites_instead_of_the_done_page(resident_client, resident, stripe_city,
                                                                       stripe_server):
    submission = awaiting_submission(resident)
    assert reverse("payments:pay", args=[submission.public_id]) in resident_client.get(
        reverse("applications:submitted", args=[submission.public_id]))["Location"]
    resident_client.post(reverse("payments:pay", args=[submission.public_id]), {"provider": "stripe", "method": "card"})
    attempt = Attempt.objects.get()
    result = reverse("payments:return", args=[attempt.public_id])
    assert 'id="survey-link"' not in resident_client.get(result).content.decode()  # not paid yet
    stripe_server.state.complete(attempt.provider_ref)
    url = link_on(resident_client.get(result).content.decode())
    invite = invites.read_token(token_of(url), stripe_city)
    assert (invite.touchpoint, invite.procedure_code) == ("online", "residence-certificate-copy")


def test_the_tablet_invites_the_visitor_once_the_forms_are_filed(clerk_client, tablet, visit, head, city):
    visit.language = "ko"
    visit.save(update_fields=["language"])
    assert 'id="survey-link"' not in tablet.get("/counter/tablet/").content.decode()  # nothing to pair yet
    _filed_through_the_tablet(clerk_client, tablet, visit, head)
    page = tablet.get("/counter/tablet/").content.decode()
    url = link_on(page)
    invite = invites.read_token(token_of(url), city)
    cases = counter_services.filed_cases(visit)
    codes = {c.procedure_code for c in cases}
    assert invite.touchpoint == "counter" and invite.language == "ko" and invite.back == "/counter/tablet/"
    assert invite.procedure_code == (codes.pop() if len(codes) == 1 else "")
    assert tablet.post(url, {"rating": "2"}).status_code == 302
    assert SurveyAnswer.objects.get().touchpoint == "counter"


def test_the_clerks_preview_of_the_tablet_offers_no_survey(clerk_client, tablet, visit, head):
    _filed_through_the_tablet(clerk_client, tablet, visit, head)
    preview = clerk_client.get(reverse("counter:tablet", args=[visit.public_id]))
    assert preview.status_code == 200 and 'id="survey-link"' not in preview.content.decode()
