"""Unpaid cases in the department queue: hidden until paid unless the city's procedure file
says `payment: {unpaid_visible: true}`, and then marked 未納; a fee the department asked for
after review (事後決済) always shows."""

import pytest
import yaml
from django.urls import reverse
from queue_cases import at, make_cases, make_desk

from madoguchi.applications.models import Status, Submission
from madoguchi.casework import selectors
from madoguchi.catalog import loader
from madoguchi.identity.emailcode import issue_api_token

pytestmark = pytest.mark.django_db

HIDDEN = "residence-certificate-copy"  # the demo city's default: only paid cases show
VISIBLE = "dog-registration"  # the demo city shows its unpaid cases


@pytest.fixture
def desk(city, django_user_model):
    desk = make_desk(city, django_user_model)
    one, two = desk.own
    cases = make_cases(city, [
        {"department": one, "at": at("2025-04-01 09:00"), "procedure": HIDDEN},
        {"department": one, "at": at("2025-04-01 09:01"), "procedure": HIDDEN,
         "status": Status.AWAITING_PAYMENT},
        {"department": two, "at": at("2025-04-01 09:02"), "procedure": VISIBLE,
         "status": Status.AWAITING_PAYMENT},
        {"department": two, "at": at("2025-04-01 09:03"), "procedure": HIDDEN,
         "status": Status.AWAITING_PAYMENT},  # 事後決済: asked for after review
    ])
    Submission.objects.filter(pk=cases[3].pk).update(fee_deferred=True)
    desk.cases = cases
    return desk


def _listed(desk, filters: selectors.Filters | None = None) -> list[str]:
    page = selectors.queue_page(selectors.departments(desk.user, desk.city),
                                filters or selectors.Filters())
    return [c.receipt_number for c in page.cases]


def test_unpaid_cases_show_only_where_the_city_says_so(desk):
    paid, hidden, visible, deferred = (c.receipt_number for c in desk.cases)
    assert _listed(desk) == [paid, visible, deferred]
    departments = selectors.departments(desk.user, desk.city)
    assert selectors.queue_count(departments, selectors.Filters()).value == 3
    assert [c.receipt_number for c in selectors.queue(desk.user, desk.city)] == [paid, visible, deferred]
    waiting = selectors.Filters(status=Status.AWAITING_PAYMENT)
    assert _listed(desk, waiting) == [visible, deferred]
    assert selectors.queue_count(departments, waiting).value == 2


def test_the_queue_page_marks_unpaid_cases(client, desk):
    paid, hidden, visible, deferred = (c.receipt_number for c in desk.cases)
    client.force_login(desk.user)
    page = client.get(reverse("casework:queue")).content.decode()
    assert f'data-unpaid="{visible}"' in page and f'data-unpaid="{deferred}"' in page
    assert f'data-unpaid="{paid}"' not in page
    assert hidden not in page
    assert 'id="queue-count" data-exactness="exact">3件' in page


def test_the_staff_api_hides_them_too(client, desk):
    hidden = desk.cases[1].receipt_number
    headers = {"Authorization": f"Bearer {issue_api_token(desk.city, staff_user=desk.user)}"}
    listed = [c["receipt_number"] for c in client.get("/api/staff/cases", headers=headers).json()]
    assert hidden not in listed and len(listed) == 3


def test_a_city_override_shows_the_unpaid_cases(desk, settings, tmp_path):
    settings.MADOGUCHI_MUNICIPAL_CATALOG_DIR = tmp_path
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "overrides.yaml").write_text(yaml.safe_dump(
        {"procedures": {HIDDEN: {"payment": {"unpaid_visible": True}}}}), encoding="utf-8")
    loader.reload()  # this folder stands for the city's whole folder: dog-registration hides now
    paid, hidden, visible, deferred = (c.receipt_number for c in desk.cases)
    try:
        assert _listed(desk) == [paid, hidden, deferred]
    finally:
        loader.reload()
