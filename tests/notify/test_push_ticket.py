"""Web Push on the queue's ticket page and in My Page: a subscription sent by the page's script
becomes a contact (bad input is a 400 with the field and the reason, never a 500), the queue's
「まもなく」 goes to it encrypted, the e-mail typed on the ticket only as its fallback, and a
ticket's subscription is forgotten when it leaves the line."""

# ruff: noqa: F811 - the shared fixtures are imported by name

import json
import sys
from pathlib import Path

import pytest
from push_support import push_server, push_setting  # noqa: F401

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "queueing"))
from queue_support import issue, load_counters, purpose, today_at, window  # noqa: E402

from madoguchi.core.actors import Actor  # noqa: E402
from madoguchi.notify.models import Contact, OutboxMessage, OutboxStatus  # noqa: E402
from madoguchi.queueing import services  # noqa: E402
from madoguchi.queueing.retention import dispose_contacts  # noqa: E402

ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36"


@pytest.fixture
def counters(city, push_server, audit_log_flushable):
    load_counters(city)
    push_setting(city, push_server.base_url)
    return city


def _line(city, count: int):
    tennyu = purpose(city, "jumin", "tennyu")
    return [issue(tennyu, f"t{n}", today_at(9, n)) for n in range(count)]


def _subscribe(client, ticket, subscription, remaining="3"):
    return client.post(f"/queue/t/{ticket.token}/push/",
                       {"subscription": json.dumps(subscription), "remaining": remaining},
                       HTTP_USER_AGENT=ANDROID, HTTP_ACCEPT="application/json")


def test_the_ticket_page_offers_push_only_where_the_city_does(counters, client):
    mine = _line(counters, 1)[0]
    page = client.get(f"/queue/t/{mine.token}/").content.decode()
    assert 'id="push-subscribe"' in page and "data-push-subscribe" in page
    assert 'id="push-notice" data-push-part hidden' in page  # shown by the script only
    Contact.objects.all().delete()
    from madoguchi.notify.models import ChannelSetting

    ChannelSetting.objects.filter(municipality=counters, channel="push").update(enabled=False)
    assert 'id="push-subscribe"' not in client.get(f"/queue/t/{mine.token}/").content.decode()


def test_the_turn_near_notice_goes_by_push_once_when_n_remain(counters, client, push_server, staff):
    line = _line(counters, 6)
    mine = line[5]
    answer = _subscribe(client, mine, push_server.subscription("ticket-phone"))
    assert answer.status_code == 200 and answer.json() == {"ok": True}
    contact = Contact.objects.get(person=f"ticket:{mine.pk}")
    assert contact.channel == "push" and contact.label == "Chrome (Android)"
    notices = OutboxMessage.objects.filter(notice_key=f"queue-near:{mine.pk}")
    clerk = Actor.staff(staff["shimin-tanto"])
    services.call_next(window(counters, "jumin", 0), clerk, today_at(9, 10))
    assert not notices.exists()  # four ahead
    services.call_next(window(counters, "jumin", 1), clerk, today_at(9, 11))
    notice = notices.get()
    assert (notice.channel, notice.status, notice.event) == ("push", OutboxStatus.SENT, "queue_near")
    shown = json.loads(push_server.wait_for("ticket-phone")["payload"])
    assert mine.label in shown["title"] and "3" in shown["body"]
    assert shown["url"].endswith(f"/queue/t/{mine.token}/")
    assert push_server.received[0]["urgency"] == "high"
    services.call_next(window(counters, "jumin", 2), clerk, today_at(9, 12))
    assert notices.count() == 1 and len(push_server.received) == 1


def test_a_gone_subscription_falls_back_to_the_address_typed_on_the_ticket(counters, client, push_server, mailoutbox):
    mine = _line(counters, 3)[2]
    client.post(f"/queue/t/{mine.token}/notice/", {"email": "goro@example.jp", "remaining": "1"})
    assert not mailoutbox  # two are ahead
    push_server.answer("gone", 410)
    answer = _subscribe(client, mine, push_server.subscription("gone"), remaining="3")
    assert answer.status_code == 200  # now within three: told at once, push first
    first = OutboxMessage.objects.get(dedupe_key=f"queue-near:{mine.pk}")
    assert (first.channel, first.status, first.failure) == ("push", OutboxStatus.FAILED, "expired")
    fallback = OutboxMessage.objects.get(fallback_of=first)
    assert (fallback.channel, fallback.status) == ("email", OutboxStatus.SENT)
    assert [m.to for m in mailoutbox] == [["goro@example.jp"]] and mine.label in mailoutbox[0].subject
    assert f"/queue/t/{mine.token}/" in mailoutbox[0].body  # the queue's own mail, not the short text


def test_the_tickets_subscription_is_forgotten_when_it_leaves_the_line(counters, client, push_server, staff):
    first, mine = _line(counters, 2)
    assert _subscribe(client, mine, push_server.subscription("p"), remaining="1").status_code == 200
    assert Contact.objects.filter(person=f"ticket:{mine.pk}").exists()
    clerk = Actor.staff(staff["shimin-tanto"])
    services.call_next(window(counters, "jumin", 0), clerk, today_at(9, 10))  # first is called
    services.call_next(window(counters, "jumin", 1), clerk, today_at(9, 11))  # mine is called
    assert not Contact.objects.filter(person=f"ticket:{mine.pk}").exists()


def test_a_transferred_visitor_keeps_the_subscription(counters, client, push_server, staff):
    mine = _line(counters, 3)[2]
    assert _subscribe(client, mine, push_server.subscription("p"), remaining="1").status_code == 200
    clerk = Actor.staff(staff["shimin-tanto"])
    moved = services.transfer(mine, _other_purpose(counters), clerk, today_at(9, 5))
    assert not Contact.objects.filter(person=f"ticket:{mine.pk}").exists()
    assert Contact.objects.filter(person=f"ticket:{moved.pk}", channel="push").exists()


def _other_purpose(city):
    from madoguchi.queueing.models import VisitPurpose

    return VisitPurpose.objects.filter(group__municipality=city).exclude(group__code="jumin").first()


def test_contacts_of_tickets_of_earlier_days_are_disposed(counters, client, push_server):
    mine = _line(counters, 2)[1]
    _subscribe(client, mine, push_server.subscription("p"), remaining="1")
    assert dispose_contacts(now=today_at(23, 0))["ticket_push_contacts"] == 0
    assert dispose_contacts(now=today_at(9, 0, days=1))["ticket_push_contacts"] == 1
    assert not Contact.objects.filter(person=f"ticket:{mine.pk}").exists()


@pytest.mark.parametrize(("fields", "field"), [
    ({"subscription": "{", "remaining": "3"}, "subscription"),
    ({"subscription": "", "remaining": "3"}, "subscription"),
    ({"subscription": "[1, 2]", "remaining": "3"}, "subscription"),
    ({"subscription": json.dumps({"endpoint": "http://10.0.0.1/x", "keys": {}}), "remaining": "3"}, "subscription"),
    ({"subscription": "x" * 10000, "remaining": "3"}, "subscription"),
    ({"remaining": "3"}, "subscription"),
    ({"subscription": "{}", "remaining": "zwei"}, "remaining"),
    ({"subscription": "{}", "remaining": "2"}, "remaining"),
])
def test_what_the_ticket_page_cannot_use_is_a_400_with_the_reason(counters, client, fields, field):
    mine = _line(counters, 1)[0]
    answer = client.post(f"/queue/t/{mine.token}/push/", fields)
    assert answer.status_code == 400
    assert answer.json()["field"] == field and answer.json()["reason"] and answer.json()["message"]
    mine.refresh_from_db()
    assert mine.notify_when_remaining is None and not Contact.objects.exists()


def test_a_called_ticket_refuses_the_subscription(counters, client, push_server, staff):
    mine = _line(counters, 1)[0]
    services.call_next(window(counters, "jumin", 0), Actor.staff(staff["shimin-tanto"]), today_at(9, 10))
    answer = _subscribe(client, mine, push_server.subscription("late"))
    assert answer.status_code == 400 and answer.json()["field"] == "remaining"
    assert not Contact.objects.exists()


def test_an_unknown_ticket_is_a_404(counters, client, push_server):
    assert client.post("/queue/t/nope/push/", {"subscription": "{}"}).status_code == 404


# --- My Page ---------------------------------------------------------------------------------

def test_a_resident_subscribes_this_browser_and_removes_it(counters, resident_client, resident, push_server):
    sent = push_server.subscription("mine")
    answer = resident_client.post("/mypage/notifications/push/", {"subscription": json.dumps(sent)},
                                  HTTP_USER_AGENT=ANDROID)
    assert answer.status_code == 200 and answer.json()["next"] == "/mypage/notifications/"
    contact = Contact.objects.get(person=resident.ref)
    assert contact.channel == "push" and json.loads(contact.address)["endpoint"] == sent["endpoint"]
    page = resident_client.get("/mypage/notifications/").content.decode()
    assert 'data-channel="push" data-state="active"' in page and f'id="push-remove-{contact.pk}"' in page
    assert resident_client.post(f"/mypage/notifications/push/{contact.pk}/remove/").status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_a_resident_cannot_remove_anothers_subscription(counters, resident_client, push_server):
    other = Contact.objects.create(municipality=counters, person="resident:999", channel="push",
                                   address=json.dumps(push_server.subscription("x")), digest="d")
    assert resident_client.post(f"/mypage/notifications/push/{other.pk}/remove/").status_code == 404
    assert Contact.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize("raw", ["{", "", "null", '{"endpoint": "https://fcm.googleapis.com/x"}', "é" * 5000])
def test_my_page_refuses_what_is_not_a_subscription_with_a_reason(counters, resident_client, raw):
    answer = resident_client.post("/mypage/notifications/push/", {"subscription": raw})
    assert answer.status_code == 400 and answer.json()["reason"] and not Contact.objects.exists()


def test_the_service_worker_may_control_the_whole_site_and_is_never_cached(counters, client):
    answer = client.get("/notify/push/sw.js")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/javascript")
    assert answer["Service-Worker-Allowed"] == "/" and answer["Cache-Control"] == "no-cache"
    body = answer.content.decode()
    assert 'addEventListener("push"' in body and 'addEventListener("notificationclick"' in body


def test_the_citys_key_is_public_and_only_where_push_is_offered(counters, client):
    from madoguchi.notify.models import ChannelSetting

    key = client.get("/notify/push/key.json").json()["applicationServerKey"]
    assert key == ChannelSetting.objects.get(municipality=counters, channel="push").config["vapid_public_key"]
    ChannelSetting.objects.filter(municipality=counters, channel="push").update(enabled=False)
    assert client.get("/notify/push/key.json").status_code == 404


def test_the_site_is_a_web_app_ios_offers_push_to(counters, client):
    """iOS offers push only to a Home Screen web app whose manifest asks for its own window."""
    answer = client.get("/notify/push/manifest.webmanifest")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/manifest+json"
    manifest = answer.json()
    assert manifest["display"] == "standalone" and manifest["name"] == counters.name
    assert manifest["scope"] == "/" and manifest["icons"]
    mine = _line(counters, 1)[0]
    assert 'rel="manifest" href="/notify/push/manifest.webmanifest"' in client.get(
        f"/queue/t/{mine.token}/").content.decode()
