"""Who may do what: clerks of the group's department only; another city's tickets stay invisible;
the "turn is near" notice goes once through the outbox; the day's figures."""

import re

import pytest
from django.urls import reverse
from queue_support import issue, load_counters, purpose, today_at, window

from madoguchi.core.actors import Actor
from madoguchi.core.models import Department
from madoguchi.notify.models import OutboxMessage
from madoguchi.queueing import selectors, services
from madoguchi.queueing.models import CounterGroup, Ticket, VisitPurpose, Window

PASSWORD = "demo-pass-2026"


@pytest.fixture
def counters(city):
    load_counters(city)
    return city


def staff_client(client, user):
    client.force_login(user)
    return client


def test_anonymous_visitors_and_residents_cannot_call(counters, client, resident_client):
    ticket = issue(purpose(counters, "jumin", "tennyu"), "a")
    desk = window(counters, "jumin")
    for who in (client, resident_client):
        answer = who.post(f"/queue/staff/windows/{desk.pk}/call-next/")
        assert answer.status_code == 302 and answer["Location"].startswith(reverse("casework:login"))
        assert who.get("/queue/staff/figures/").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "issued"


def test_staff_of_another_department_cannot_work_the_window(counters, staff, client):
    ticket = issue(purpose(counters, "jumin", "tennyu"), "a")
    desk = window(counters, "jumin")
    kodomo = staff_client(client, staff["kodomo-tanto"])
    assert kodomo.post(f"/queue/staff/windows/{desk.pk}/call-next/").status_code == 404
    assert kodomo.get(f"/queue/staff/windows/{desk.pk}/").status_code == 404
    assert f"/queue/staff/windows/{desk.pk}/" not in kodomo.get("/queue/staff/").content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "issued"


def test_a_clerk_calls_starts_and_finishes_from_the_page(counters, staff, client):
    ticket = issue(purpose(counters, "jumin", "tennyu"), "a")
    desk = window(counters, "jumin")
    clerk = staff_client(client, staff["shimin-tanto"])
    page = clerk.get(f"/queue/staff/windows/{desk.pk}/").content.decode()
    assert '<tr data-ticket="A-001">' in page and 'data-action="call"' in page
    clerk.post(f"/queue/staff/windows/{desk.pk}/call-next/")
    assert 'data-testid="current">A-001' in clerk.get(f"/queue/staff/windows/{desk.pk}/").content.decode()
    for action in ("start", "finish"):
        clerk.post(f"/queue/staff/windows/{desk.pk}/{action}/", {"ticket": ticket.pk})
    ticket.refresh_from_db()
    assert ticket.status == "done" and ticket.window == desk


def test_a_clerk_cannot_act_on_a_ticket_of_another_group(counters, staff, client):
    other = issue(purpose(counters, "shomei", "juminhyo"), "b")
    desk = window(counters, "jumin")
    clerk = staff_client(client, staff["shimin-tanto"])
    answer = clerk.post(f"/queue/staff/windows/{desk.pk}/call/", {"ticket": other.pk}, follow=True)
    assert '<p class="msg msg-error">' in answer.content.decode()  # refused, and said so
    other.refresh_from_db()
    assert other.status == "issued"


@pytest.fixture
def town_ticket(other_city):
    group = CounterGroup.objects.create(municipality=other_city, code="jumin", prefix="A", name="住民",
                                        translations={"en": "Residents", "ja-easy": "じゅうみん"},
                                        department=Department.objects.get(municipality=other_city, code="kankyo"))
    Window.objects.create(group=group, number=1, is_open=True)
    visit = VisitPurpose.objects.create(group=group, code="x", name="届出", translations={"en": "x"},
                                        expected_minutes=10)
    return issue(visit, "town")


def test_another_citys_tickets_are_invisible(counters, town_ticket, client, settings):
    settings.ALLOWED_HOSTS = ["testserver", "other.example.jp"]
    assert client.get(f"/queue/t/{town_ticket.token}/").status_code == 404
    assert client.get(f"/queue/t/{town_ticket.token}/status.json").status_code == 404
    assert client.get(f"/queue/kiosk/ticket/{town_ticket.token}/").status_code == 404
    board = client.get("/queue/api/status.json").json()
    assert "住民" not in [g["name"] for g in board["groups"]]
    assert client.get(f"/queue/t/{town_ticket.token}/", HTTP_HOST="other.example.jp").status_code == 200


def test_another_citys_staff_cannot_open_demo_windows(counters, town_ticket, django_user_model, client):
    from madoguchi.core.models import Role, StaffMembership

    user = django_user_model.objects.create_user("town-clerk", password=PASSWORD)
    StaffMembership.objects.create(user=user, department=town_ticket.group.department, role=Role.CLERK)
    town = staff_client(client, user)
    assert town.get(f"/queue/staff/windows/{window(counters, 'jumin').pk}/").status_code == 403


def test_turn_near_notice_goes_once_when_n_remain(counters, staff, client):
    clerk = Actor.staff(staff["shimin-tanto"])
    tennyu = purpose(counters, "jumin", "tennyu")
    line = [issue(tennyu, f"t{n}", today_at(9, n)) for n in range(6)]
    mine = line[5]
    answer = client.post(f"/queue/t/{mine.token}/notice/", {"email": "jiro@example.jp", "remaining": "3"})
    assert answer.status_code == 302 and "jiro" not in answer["Location"]
    mine.refresh_from_db()
    assert b"jiro" not in bytes(mine.contact)
    notices = OutboxMessage.objects.filter(dedupe_key=f"queue-near:{mine.pk}")
    assert not notices.exists()  # five are ahead
    desk, second = window(counters, "jumin", 0), window(counters, "jumin", 1)
    services.call_next(desk, clerk, today_at(9, 10))
    assert not notices.exists()  # four ahead
    services.call_next(second, clerk, today_at(9, 11))
    assert notices.count() == 1  # three ahead: told once
    message = notices.get()
    assert message.recipient == "jiro@example.jp" and mine.label in message.subject
    assert f"/queue/t/{mine.token}/" in message.body and "3" in message.body.split(mine.label, 1)[1]
    services.call_next(window(counters, "jumin", 2), clerk, today_at(9, 12))
    assert notices.count() == 1
    mine.refresh_from_db()
    assert mine.contact is None  # told: the address is not kept


def test_the_notice_form_refuses_a_bad_address(counters, client):
    mine = issue(purpose(counters, "jumin", "tennyu"), "t")
    answer = client.post(f"/queue/t/{mine.token}/notice/", {"email": "nope", "remaining": "3"})
    assert answer.status_code == 400 and 'class="error-summary" role="alert"' in answer.content.decode()
    mine.refresh_from_db()
    assert mine.contact is None


@pytest.mark.parametrize("typed", ["jiro\x00@example.jp", "j" * 300 + "@example.jp", "jiro@@example.jp"])
def test_the_notice_form_refuses_what_cannot_be_an_address(counters, client, typed):
    mine = issue(purpose(counters, "jumin", "tennyu"), "t")
    answer = client.post(f"/queue/t/{mine.token}/notice/", {"email": typed, "remaining": "3"})
    assert answer.status_code == 400
    mine.refresh_from_db()
    assert mine.contact is None


def test_the_notice_goes_to_the_address_as_every_other_part_keeps_it(counters, client):
    """Full-width letters typed with a Japanese input method and capitals: one mailbox."""
    mine = issue(purpose(counters, "jumin", "tennyu"), "t")
    answer = client.post(f"/queue/t/{mine.token}/notice/", {"email": " Ｊｉｒｏ＠Example.JP ", "remaining": "3"})
    assert answer.status_code == 302
    notice = OutboxMessage.objects.get(dedupe_key=f"queue-near:{mine.pk}")  # nobody ahead: sent now
    assert notice.recipient == "jiro@example.jp"


def test_the_turn_notice_is_in_the_language_the_ticket_was_taken_in(counters, client):
    """Sent from whatever request changes the line (a clerk's call, in Japanese): the ticket's
    language is stored with it, so the mail and its link follow the visitor's choice."""
    tennyu = purpose(counters, "jumin", "tennyu")
    mine, _created = services.issue_ticket(tennyu, "t-en", language="en")
    assert mine.language == "en"
    answer = client.post(f"/queue/t/{mine.token}/notice/?lang=en", {"email": "en@example.jp", "remaining": "3"})
    assert answer.status_code == 302 and "lang=en" in answer["Location"]
    notice = OutboxMessage.objects.get(dedupe_key=f"queue-near:{mine.pk}")
    assert f"/queue/t/{mine.token}/?lang=en" in notice.body
    assert tennyu.group.translations["en"] in notice.body  # the group's English name


def test_daily_figures_give_average_and_maximum_wait_and_served_per_window(counters, staff):
    clerk = Actor.staff(staff["shimin-tanto"])
    tennyu = purpose(counters, "jumin", "tennyu")
    desk = window(counters, "jumin")
    for n, wait in enumerate((10, 30)):
        ticket = issue(tennyu, f"t{n}", today_at(9, 0))
        services.call_ticket(desk, ticket, clerk, today_at(9, wait))
        services.act(ticket, "finish", clerk, today_at(9, wait + 5))
    absent = issue(tennyu, "t3", today_at(9, 0))
    services.call_ticket(desk, absent, clerk, today_at(9, 50))
    services.act(absent, "absent", clerk, today_at(9, 52))
    figures = selectors.daily_figures(counters, today_at(9).date())
    jumin = figures["groups"]["jumin"]
    assert (jumin["issued"], jumin["served"], jumin["absent"]) == (3, 2, 1)
    assert jumin["average_wait_minutes"] == 30.0 and jumin["max_wait_minutes"] == 50.0
    assert figures["windows"] == [{"group": "住民異動", "window": desk.number, "served": 2}]


def test_tickets_keep_no_personal_data_in_urls(counters, client):
    page = client.get("/queue/kiosk/").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    answer = client.post("/queue/kiosk/issue/", {"form_token": token, "purpose": purpose(counters, "jumin", "tennyu").pk})
    ticket = Ticket.objects.get()
    assert ticket.token in answer["Location"] and len(ticket.token) >= 20
