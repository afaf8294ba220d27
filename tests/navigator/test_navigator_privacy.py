"""Who may change a plan: reading with the token stays open (the QR code, the resident's other
devices), changing needs the browser that made the plan or the counter working a visit; and an
answer to a question no longer asked leaves the plan."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from madoguchi.core.actors import Actor
from madoguchi.counter import services as counter
from madoguchi.identity.session import SESSION_KEY
from madoguchi.navigator import services
from madoguchi.navigator.models import NavigatorPlan
from madoguchi.notify.services import deliver_pending

QUESTION = re.compile(r'name="question" value="([a-z0-9_]+)"')
OPTION = re.compile(r'<input type="(?:radio|checkbox)" id="answer-([a-z0-9_]+)" name="answer"')
DATE = re.compile(r'type="date" id="answer" name="answer" class="short" value="([^"]+)"')


def start(client, event: str) -> str:
    response = client.post(reverse("navigator:start", args=[event]))
    assert response.status_code == 302
    return response["Location"]


def plan_of(url: str) -> NavigatorPlan:
    return NavigatorPlan.objects.get(token=url.rstrip("/").split("/p/")[1].split("/")[0])


def answer_all(client, url: str, answers: dict) -> list[str]:
    """Answer whatever the pages ask (from `answers`, else the proposed day or the first option)
    until the result; return the question ids in the order asked."""
    asked = []
    response = client.get(url)
    while response.status_code == 200:
        html = response.content.decode()
        question = QUESTION.search(html).group(1)
        asked.append(question)
        value = answers.get(question) or (DATE.search(html) or OPTION.search(html)).group(1)
        posted = client.post(url, {"question": question, "answer": value if isinstance(value, list) else [value]})
        assert posted.status_code == 302, posted.content.decode()[:1000]
        response = client.get(posted["Location"])
        assert len(asked) < 40, "the questions never end"
    assert response["Location"].endswith("/result/")
    return asked


BIRTH = {"insurance": "nhi", "allowance": "first", "single_parent": "no", "daycare": "no"}
FAMILY_MOVE = {"kind": "from_other_city", "household": "family", "children": ["age_0_2"], "daycare": "yes"}


@pytest.fixture
def owner(client):
    return client


@pytest.fixture
def birth_plan(owner, city) -> NavigatorPlan:
    url = start(owner, "birth")
    answer_all(owner, url, BIRTH)
    return plan_of(url)


def change_url(plan, question: str) -> str:
    return reverse("navigator:change", args=[plan.token, question])


def result_html(client, plan) -> str:
    response = client.get(reverse("navigator:result", args=[plan.token]))
    assert response.status_code == 200
    return response.content.decode()


# --- the owner ----------------------------------------------------------------------------------


def test_the_browser_that_made_the_plan_changes_its_answers(owner, birth_plan):
    html = result_html(owner, birth_plan)
    assert 'data-change="insurance"' in html and 'id="navi-copy"' not in html
    page = owner.get(change_url(birth_plan, "insurance"))
    assert page.status_code == 200 and QUESTION.search(page.content.decode()).group(1) == "insurance"
    response = owner.post(change_url(birth_plan, "insurance"), {"question": "insurance", "answer": "employee"})
    assert response.status_code == 302
    birth_plan.refresh_from_db()
    assert birth_plan.answers["insurance"] == "employee"


# --- anyone else with the token -----------------------------------------------------------------


def test_another_browser_reads_the_result_without_change_links(birth_plan):
    other = Client()
    assert other.get(reverse("navigator:plan", args=[birth_plan.token]))["Location"].endswith("/result/")
    html = result_html(other, birth_plan)
    assert 'id="answers-heading"' in html  # the answers are shown …
    assert "data-change=" not in html and "/q/" not in html  # … but offered to nobody to change
    assert 'id="navi-readonly"' in html and 'id="navi-copy"' in html
    checklist = other.get(reverse("navigator:checklist", args=[birth_plan.token]))
    assert checklist.status_code == 200 and checklist["Content-Type"] == "application/pdf"


def test_another_browser_gets_no_form_to_change_an_answer(birth_plan):
    other = Client()
    before = dict(birth_plan.answers)
    response = other.get(change_url(birth_plan, "insurance"))
    html = response.content.decode()
    assert response.status_code == 403
    assert 'name="question"' not in html and 'name="answer"' not in html
    assert 'id="navi-readonly"' in html and 'id="navi-copy"' in html
    for url in (change_url(birth_plan, "insurance"), reverse("navigator:plan", args=[birth_plan.token])):
        refused = other.post(url, {"question": "insurance", "answer": "employee"})
        assert refused.status_code == 403
        assert 'name="answer"' not in refused.content.decode()
    birth_plan.refresh_from_db()
    assert birth_plan.answers == before


def test_an_unfinished_plan_is_read_but_not_answered_by_another_browser(owner, city):
    url = start(owner, "birth")
    owner.post(url, {"question": "day", "answer": timezone.localdate().isoformat()})
    other = Client()
    response = other.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="answer"' not in html and 'id="navi-copy"' in html
    assert 'id="answers-heading"' in html and "data-change=" not in html
    refused = other.post(url, {"question": "insurance", "answer": "nhi"})
    assert refused.status_code == 403
    assert "insurance" not in plan_of(url).answers
    assert QUESTION.search(owner.get(url).content.decode()).group(1) == "insurance"


def test_a_copy_has_the_same_answers_and_belongs_to_the_browser_that_made_it(owner, birth_plan):
    other = Client()
    response = other.post(reverse("navigator:copy", args=[birth_plan.token]))
    assert response.status_code == 302
    copy = plan_of(response["Location"])
    assert copy.pk != birth_plan.pk and copy.token != birth_plan.token
    assert copy.event == birth_plan.event and copy.answers == birth_plan.answers
    assert 'data-change="insurance"' in result_html(other, copy)

    assert other.post(change_url(copy, "insurance"), {"question": "insurance", "answer": "employee"}).status_code == 302
    copy.refresh_from_db()
    birth_plan.refresh_from_db()
    assert copy.answers["insurance"] == "employee" and birth_plan.answers["insurance"] == "nhi"
    # The copy is the other browser's own: the first one now only reads it.
    assert owner.get(change_url(copy, "insurance")).status_code == 403
    assert "data-change=" not in result_html(owner, copy)


def test_a_copy_is_made_only_by_a_post(birth_plan):
    other = Client()
    count = NavigatorPlan.objects.count()
    response = other.get(reverse("navigator:copy", args=[birth_plan.token]))
    assert response.status_code in (302, 405)
    assert NavigatorPlan.objects.count() == count


def test_logging_in_keeps_the_plans_this_browser_made(owner, birth_plan, resident):
    before = owner.session.session_key
    owner.post(reverse("identity:login"), {"email": resident.email})
    deliver_pending()
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", mail.outbox[-1].body).group(1)
    logged_in = owner.post(reverse("identity:login_code"), {"code": code})
    assert logged_in.status_code == 302
    assert owner.session[SESSION_KEY] == resident.pk and owner.session.session_key != before
    response = owner.post(change_url(birth_plan, "insurance"), {"question": "insurance", "answer": "employee"})
    assert response.status_code == 302
    birth_plan.refresh_from_db()
    assert birth_plan.answers["insurance"] == "employee"


def test_logging_out_leaves_the_plan_to_read_and_copy(owner, birth_plan, resident):
    from conftest import login_resident

    login_resident(owner, resident)
    owner.post(reverse("identity:logout"))
    assert owner.get(change_url(birth_plan, "insurance")).status_code == 403


# --- the counter --------------------------------------------------------------------------------


@pytest.fixture
def clerk(staff):
    browser = Client()
    browser.force_login(staff["shimin-tanto"])
    return browser


def test_the_counter_changes_the_residents_plan_through_its_visit(owner, city, staff, clerk):
    url = start(owner, "moving")
    answer_all(owner, url, FAMILY_MOVE)
    plan = plan_of(url)
    visit = counter.start_visit(city, staff["shimin-tanto"], Actor.staff(staff["shimin-tanto"]))
    action = lambda name: reverse("counter:action", args=[visit.public_id, name])  # noqa: E731
    assert clerk.post(action("qr"), {"token": plan.token}).status_code == 302
    visit.refresh_from_db()
    assert visit.plan == plan

    response = clerk.post(action("answer"), {"question": "household", "value": "alone"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.answers["household"] == "alone"
    # What the new answer no longer asks went with it, at the counter as on the pages.
    assert "children" not in plan.answers and "daycare" not in plan.answers
    # The clerk's own browser is not the resident's: the navigator's pages only read for it.
    assert clerk.get(change_url(plan, "household")).status_code == 403


# --- stale answers ------------------------------------------------------------------------------


def test_an_answer_no_longer_asked_is_dropped_and_asked_again_if_it_applies_again(owner, city):
    url = start(owner, "moving")
    answer_all(owner, url, FAMILY_MOVE)
    plan = plan_of(url)
    assert plan.answers["children"] == ["age_0_2"] and plan.answers["daycare"] == "yes"
    assert 'data-code="childcare-admission"' in result_html(owner, plan)

    owner.post(change_url(plan, "household"), {"question": "household", "answer": "alone"})
    plan.refresh_from_db()
    assert plan.answers["household"] == "alone"
    assert "children" not in plan.answers and "daycare" not in plan.answers  # daycare hung on children
    html = result_html(owner, plan)
    assert 'data-change="children"' not in html and 'data-change="daycare"' not in html
    assert 'data-code="childcare-admission"' not in html and 'data-code="child-allowance-claim"' not in html

    owner.post(change_url(plan, "household"), {"question": "household", "answer": "family"})
    page = owner.get(url)
    assert page.status_code == 200 and QUESTION.search(page.content.decode()).group(1) == "children"


def test_services_drop_stale_answers_wherever_answers_are_saved(city):
    plan = services.start_plan(city, "moving")
    for question, value in [("kind", "within"), ("day", timezone.localdate().isoformat()),
                            ("household", "family"), ("children", "age_3_5"), ("daycare", "no")]:
        assert services.answer(plan, question, [value]) == []
    assert services.answer(plan, "household", ["alone"]) == []
    plan.refresh_from_db()
    assert {"children", "daycare"}.isdisjoint(plan.answers)

    # A plan saved before stale answers were dropped is cleaned on its next save …
    NavigatorPlan.objects.filter(pk=plan.pk).update(
        answers={**plan.answers, "children": ["age_3_5"], "gone_question": "yes"})
    plan.refresh_from_db()
    assert services.answer(plan, "kind", ["within"]) == []
    plan.refresh_from_db()
    assert {"children", "gone_question"}.isdisjoint(plan.answers)
    # … or at once by drop_stale (what the counter does on loading a QR code).
    NavigatorPlan.objects.filter(pk=plan.pk).update(answers={**plan.answers, "children": ["none"]})
    plan.refresh_from_db()
    assert services.drop_stale(plan) == ["children"]
    plan.refresh_from_db()
    assert "children" not in plan.answers and services.drop_stale(plan) == []


# --- tokens that lead nowhere -------------------------------------------------------------------


@pytest.mark.parametrize("token", ["x" * 24, "%00", "..", "a" * 300, "%E6%97%A5%E6%9C%AC", "%20", "'%3B--"])
def test_unknown_or_garbled_tokens_are_not_found_and_never_fail(client, city, token):
    for suffix in ("", "q/insurance/", "result/", "checklist.pdf", "copy/"):
        url = f"/navi/p/{token}/{suffix}"
        # 400: a NUL is refused before any view (core's middleware); never a 500
        assert client.get(url).status_code in (400, 404), url
        assert client.post(url, {"question": "insurance", "answer": "nhi"}).status_code in (400, 404), url
    assert NavigatorPlan.objects.count() == 0
