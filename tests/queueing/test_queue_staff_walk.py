"""Every staff route of the queue, walked as every kind of caller: adding a staff route without
adding it here fails."""

import pytest
from django.urls import reverse
from queue_support import issue, load_counters, purpose, window

from madoguchi.core.models import Department, Role, StaffMembership
from madoguchi.queueing import urls as queue_urls
from madoguchi.queueing.models import Ticket

from conftest import login_resident

ACTIONS = ["call-next", "call", "recall", "start", "finish", "absent", "transfer", "open", "close"]
STAFF_PAGES = {"windows", "figures", "window", "window_action"}


def test_every_staff_route_is_in_the_walk():
    names = {p.name for p in queue_urls.urlpatterns if str(p.pattern).startswith("staff/")}
    assert names == STAFF_PAGES


@pytest.fixture
def world(city, other_city, staff, django_user_model, client):
    load_counters(city)
    town_clerk = django_user_model.objects.create_user("town-clerk", password="x-pass-2026")
    StaffMembership.objects.create(user=town_clerk, role=Role.CLERK,
                                   department=Department.objects.get(municipality=other_city, code="kankyo"))
    return {"anonymous": None, "kodomo-tanto": staff["kodomo-tanto"], "other-city": town_clerk,
            "shimin-tanto": staff["shimin-tanto"]}


def requests_for(desk, ticket):
    yield "get", reverse("queueing:windows"), {}
    yield "get", reverse("queueing:figures"), {}
    yield "get", reverse("queueing:window", args=[desk.pk]), {}
    for action in ACTIONS:
        body = {"ticket": ticket.pk, "purpose": purpose(desk.group.municipality, "kokuho", "kokuho").pk}
        yield "post", reverse("queueing:window_action", args=[desk.pk, action]), body


@pytest.mark.parametrize("who", ["anonymous", "resident", "kodomo-tanto", "other-city"])
def test_outsiders_change_nothing(client, world, who, resident):
    desk = window(resident.municipality, "jumin")
    ticket = issue(purpose(resident.municipality, "jumin", "tennyu"), "walk")
    if who == "resident":
        login_resident(client, resident)
    elif world[who] is not None:
        client.force_login(world[who])
    for method, url, body in requests_for(desk, ticket):
        answer = getattr(client, method)(url, body)
        if who in ("anonymous", "resident"):
            assert answer.status_code == 302 and answer["Location"].startswith(reverse("casework:login")), url
        elif who == "other-city":
            assert answer.status_code == 403, url
        elif "windows/" in url:
            assert answer.status_code == 404, url  # kodomo staff: another department's window
        else:
            assert answer.status_code == 200, url
    ticket.refresh_from_db()
    desk.refresh_from_db()
    assert ticket.status == "issued" and ticket.called_at is None and desk.is_open
    assert Ticket.objects.count() == 1


def test_the_groups_clerk_can_do_each_action(client, world, city):
    desk = window(city, "jumin")
    ticket = issue(purpose(city, "jumin", "tennyu"), "walk")
    client.force_login(world["shimin-tanto"])
    for action, status in [("call", "called"), ("recall", "called"), ("absent", "absent"),
                           ("call", "called"), ("start", "serving"), ("transfer", "transferred")]:
        answer = client.post(reverse("queueing:window_action", args=[desk.pk, action]),
                             {"ticket": ticket.pk, "purpose": purpose(city, "kokuho", "kokuho").pk})
        assert answer.status_code == 302
        ticket.refresh_from_db()
        assert ticket.status == status, action
    for action, is_open in [("close", False), ("open", True)]:
        client.post(reverse("queueing:window_action", args=[desk.pk, action]))
        desk.refresh_from_db()
        assert desk.is_open is is_open
