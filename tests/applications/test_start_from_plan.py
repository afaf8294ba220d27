"""「オンラインで申請をはじめる」 from a 手続ナビ result: the draft starts from the plan, carries
what the plan knows (source 「手続ナビ」), remembers the plan and its last day, and survives the
login on the way."""

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from madoguchi.applications import prefill, services
from madoguchi.applications.models import Draft
from madoguchi.catalog.selectors import get_procedure
from madoguchi.navigator import services as navigator_services
from madoguchi.navigator.rules import NO, QuestionType

from conftest import login_resident

pytestmark = pytest.mark.django_db

BIRTH_DAY = timezone.localdate() - timedelta(days=3)


def complete_plan(municipality, event: str, day: date, **chosen):
    """A plan with every question answered: `chosen` where given, else the event's day, 「いいえ」
    or the first option."""
    plan = navigator_services.start_plan(municipality, event)
    while (question := navigator_services.next_question(plan)) is not None:
        if question.id in chosen:
            value = chosen[question.id]
        elif question.type == QuestionType.DATE:
            value = day.isoformat()
        elif question.type == QuestionType.YESNO:
            value = NO
        else:
            value = question.options[0].value
        values = value if isinstance(value, list) else [value]
        assert navigator_services.answer(plan, question.id, values) == [], question.id
    return plan


@pytest.fixture
def birth_plan(city):
    return complete_plan(city, "birth", BIRTH_DAY, allowance="first")


def start(client, code, plan=None):
    return client.post(reverse("applications:start", args=[code]),
                       {"plan": plan.token} if plan is not None else {})


def test_the_newborns_birth_date_is_carried_into_the_claim_marked_navigator(resident_client, birth_plan):
    response = start(resident_client, "child-allowance-claim", birth_plan)
    draft = Draft.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:resume", args=[draft.public_id])
    answers = services.answers_of(draft)
    assert answers["children"] == [{"birth_date": BIRTH_DAY.isoformat()}]
    assert draft.sources["children-0-birth_date"] == "navigator"
    assert draft.navigator_plan == birth_plan
    procedure = get_procedure(birth_plan.municipality, "child-allowance-claim")
    assert draft.due_on == navigator_services.deadline_for(procedure, BIRTH_DAY)
    assert draft.due_on >= BIRTH_DAY + timedelta(days=procedure.deadline_days)


def test_the_step_page_marks_the_carried_value_with_its_source(resident_client, birth_plan):
    start(resident_client, "child-allowance-claim", birth_plan)
    draft = Draft.objects.get()
    response = resident_client.get(reverse("applications:step", args=[draft.public_id, 2]))
    field = next(sub for f in response.context["fields"] if f["name"] == "children"
                 for item in f["items"] for sub in item["fields"] if sub["name"] == "children-0-birth_date")
    assert (field["source"], field["source_label"]) == ("navigator", "手続ナビ")
    assert field["value"] == BIRTH_DAY.isoformat()
    typed = next(sub for f in response.context["fields"] if f["name"] == "children"
                 for item in f["items"] for sub in item["fields"] if sub["name"] == "children-0-name")
    assert typed["source"] == "" and typed["source_label"] == ""


def test_a_get_never_starts_a_draft(resident_client, birth_plan):
    response = resident_client.get(reverse("applications:start", args=["child-allowance-claim"]),
                                   {"plan": birth_plan.token})
    assert response.status_code == 405
    page = resident_client.get(reverse("navigator:result", args=[birth_plan.token]),
                               {"apply": "child-allowance-claim"})
    assert page.status_code == 200
    assert not Draft.objects.exists()


def test_the_plan_survives_the_login(client, birth_plan, resident):
    response = start(client, "child-allowance-claim", birth_plan)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("identity:login")
    back = parse_qs(location.query)["next"][0]
    assert back == (reverse("navigator:result", args=[birth_plan.token])
                    + "?apply=child-allowance-claim")
    assert not Draft.objects.exists()
    login_resident(client, resident)
    page = client.get(back)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'name="plan" value="{birth_plan.token}"' in html
    assert reverse("applications:start", args=["child-allowance-claim"]) in html
    assert not Draft.objects.exists()
    start(client, "child-allowance-claim", birth_plan)
    assert Draft.objects.get().sources["children-0-birth_date"] == "navigator"


def test_the_apply_page_refuses_a_procedure_the_plan_does_not_start(resident_client, birth_plan):
    response = resident_client.get(reverse("navigator:result", args=[birth_plan.token]),
                                   {"apply": "residence-certificate-copy"})
    assert response.status_code == 302
    assert response["Location"] == reverse("navigator:result", args=[birth_plan.token])


def test_a_second_press_resumes_the_open_draft_and_fills_only_blanks(resident_client, birth_plan):
    start(resident_client, "child-allowance-claim", birth_plan)
    draft = Draft.objects.get()
    answers = services.answers_of(draft)
    typed_day = (BIRTH_DAY - timedelta(days=1)).isoformat()
    answers["children"] = [{"name": "山田 太郎", "birth_date": typed_day}]
    services.save_draft(draft, answers, 2, ["children"])
    start(resident_client, "child-allowance-claim", birth_plan)
    assert Draft.objects.count() == 1
    draft.refresh_from_db()
    assert services.answers_of(draft)["children"] == [{"name": "山田 太郎", "birth_date": typed_day}]
    assert "children-0-birth_date" not in draft.sources


def test_typing_the_event_day_refreshes_the_last_day(resident_client, birth_plan):
    start(resident_client, "child-allowance-claim", birth_plan)
    draft = Draft.objects.get()
    procedure = get_procedure(birth_plan.municipality, "child-allowance-claim")
    before = draft.due_on
    later = BIRTH_DAY + timedelta(days=2)
    answers = services.answers_of(draft)
    answers["children"] = [{"birth_date": later.isoformat()}]
    services.save_draft(draft, answers, 2, ["children"], procedure)
    draft.refresh_from_db()
    assert draft.due_on == navigator_services.deadline_for(procedure, later)
    assert draft.due_on != before


def test_a_moving_plan_settles_the_dogs_change_and_its_day(resident_client, city):
    moved = timezone.localdate() - timedelta(days=5)
    plan = complete_plan(city, "moving", moved, kind="from_other_city", dog="yes")
    start(resident_client, "dog-registration-change", plan)
    draft = Draft.objects.get()
    answers = services.answers_of(draft)
    assert answers["change_kind"] == "moved_in"
    assert answers["change_date"] == moved.isoformat()
    assert draft.sources["change_kind"] == draft.sources["change_date"] == "navigator"
    procedure = get_procedure(city, "dog-registration-change")
    assert draft.due_on == navigator_services.deadline_for(procedure, moved)


def test_without_a_plan_typing_a_form_date_sets_the_last_day(resident, city):
    procedure = get_procedure(city, "dog-registration-change")
    draft = services.start_draft(resident, procedure)
    changed = timezone.localdate() - timedelta(days=2)
    answers = {**services.answers_of(draft), "change_date": changed.isoformat()}
    services.save_draft(draft, answers, 1, ["change_date"], procedure)
    draft.refresh_from_db()
    assert draft.due_on == navigator_services.deadline_for(procedure, changed)
    assert draft.navigator_plan is None


def test_another_citys_plan_is_not_used(resident_client, birth_plan, other_city):
    plan = complete_plan(other_city, "birth", BIRTH_DAY, allowance="first")
    start(resident_client, "child-allowance-claim", plan)
    draft = Draft.objects.get()
    assert draft.navigator_plan is None
    assert "children" not in services.answers_of(draft)


def test_the_newborn_item_is_for_the_online_form_only(city):
    form = get_procedure(city, "child-allowance-claim").current_form
    online = prefill.from_navigator(form, "child-allowance-claim", "birth", {}, BIRTH_DAY)
    assert online.answers["children"] == [{"birth_date": BIRTH_DAY.isoformat()}]
    at_counter = prefill.fill(form, "child-allowance-claim", None, "birth", {}, BIRTH_DAY)
    assert "children" not in at_counter.answers  # the counter's children come from the register
    assert prefill.from_navigator(form, "child-allowance-claim", "moving", {}, BIRTH_DAY).answers == {}


def test_the_event_day_is_read_from_the_fields_that_ask_it():
    assert prefill.event_day_in({"moved_date": "2026-04-01"}) == date(2026, 4, 1)
    assert prefill.event_day_in({"moved_date": "not a day"}) is None
    children = {"children": [{"birth_date": "2019-05-01"}, {"birth_date": "2026-04-03"}, {}]}
    assert prefill.event_day_in(children, "birth") == date(2026, 4, 3)
    assert prefill.event_day_in(children) is None  # without a birth plan, a child's birthday is no event
