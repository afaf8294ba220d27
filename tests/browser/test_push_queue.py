"""Web Push in a phone's browser: a visitor takes a ticket at the kiosk, subscribes to push on
the ticket page, and gets the queue's 「まもなく」 from the real service worker.

What this proves and what it does not. Headless Chromium has no push service to subscribe
to, so an init script replaces `PushManager.prototype.subscribe`: it returns the subscription
a browser would (an endpoint on the local push service, tests/notify/push_server.py, and a real
P-256 key and auth secret the test made) and records the options the page passed (userVisibleOnly
and the city's applicationServerKey). Everything after that is real: the page's script POSTs
the subscription with its CSRF token; the clerk's calls make the queue tell the visitor;
pywebpush encrypts (aes128gcm) and signs (VAPID) the push; the local push service checks the
JWT and decrypts it with the browser's key; the decrypted payload is handed to the page's
registered service worker through DevTools (`ServiceWorker.deliverPushMessage`), whose push
handler posts it to the open page, which shows it (#push-inbox). Not proven here: that a real
push service (FCM, Mozilla's, Apple's) accepts the subscription and our token and delivers to
a device, and how the system shows the notification (docs/notifications.md lists what an
operator checks with a real phone)."""

import json
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect
from push_server import PushServer  # tests/notify, on the path (browser/conftest.py)
from push_support import push_setting  # tests/notify, on the path (browser/conftest.py)

from madoguchi.core.actors import Actor
from madoguchi.notify.models import ChannelSetting, Contact, OutboxMessage
from madoguchi.queueing import services
from madoguchi.queueing.models import Ticket, VisitPurpose, Window

from .conftest import ANDROID_CHROME, PHONE
from .helpers import check_a11y, log_in_resident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The browser's side of PushManager.subscribe, with the subscription the test made.
FAKE_SUBSCRIBE = """
(subscription) => {
  if (!window.PushManager) return;
  PushManager.prototype.subscribe = function (options) {
    var key = options && options.applicationServerKey;
    var bytes = key instanceof ArrayBuffer ? new Uint8Array(key) : key;
    var text = bytes ? btoa(String.fromCharCode.apply(null, Array.from(bytes)))
      .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "") : "";
    // kept across the page's own navigation after subscribing
    var asked = JSON.parse(sessionStorage.getItem("pushOptions") || "[]");
    asked.push({ userVisibleOnly: !!(options && options.userVisibleOnly), key: text });
    sessionStorage.setItem("pushOptions", JSON.stringify(asked));
    return Promise.resolve({
      endpoint: subscription.endpoint, expirationTime: null,
      toJSON: function () { return subscription; }
    });
  };
}
"""


@pytest.fixture
def push_service():
    server = PushServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def counters(city, site, push_service):
    call_command("load_queue_demo", "--history-weeks", "0", stdout=open("/dev/null", "w"))  # noqa: SIM115
    push_setting(city, push_service.base_url)
    window = Window.objects.filter(group__code="jumin").order_by("number").first()
    Window.objects.filter(group__code="jumin").exclude(pk=window.pk).update(is_open=False)
    return window


def _registration_id(cdp, page, timeout: float = 10) -> str:
    """The id DevTools gives the service worker registration the page made."""
    seen = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: seen.extend(r["registrationId"] for r in event["registrations"] if not r["isDeleted"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + timeout
    while not seen and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert seen, "the page registered no service worker"
    return seen[-1]


def test_a_visitor_subscribes_on_the_ticket_page_and_gets_the_turn_near_by_push(counters, new_context, push_service, site):
    window = counters
    tennyu = VisitPurpose.objects.get(group__code="jumin", code="tennyu")
    for n in range(3):
        services.issue_ticket(tennyu, f"ahead{n}")

    kiosk = new_context().new_page()
    kiosk.goto("/queue/kiosk/")
    kiosk.get_by_role("button", name="転入届").click()
    expect(kiosk.get_by_test_id("ticket-number")).to_have_text("A-004")
    check_a11y(kiosk)
    status_url = kiosk.get_by_test_id("status-url").inner_text()
    mine = Ticket.objects.get(number=4, group=window.group)

    city_key = ChannelSetting.objects.get(channel="push").config["vapid_public_key"]
    subscription = push_service.subscription("visitor-phone", application_server_key=city_key)
    context = new_context(**PHONE, user_agent=ANDROID_CHROME)
    context.grant_permissions(["notifications"])
    context.add_init_script(f"({FAKE_SUBSCRIBE})({json.dumps(subscription)})")
    phone = context.new_page()
    phone.goto(status_url)
    offer = phone.locator("#push-notice")
    expect(offer).to_be_visible()  # the script found PushManager and showed the option
    check_a11y(phone)

    phone.locator("#push-remaining").select_option("1")
    phone.locator("#push-subscribe-button").click()
    expect(phone.locator("#push-subscribe")).to_have_attribute("data-state", "done")
    expect(phone.locator("#push-status")).not_to_be_empty()
    assert phone.evaluate("JSON.parse(sessionStorage.getItem('pushOptions'))") == [{"userVisibleOnly": True, "key": city_key}]
    contact = Contact.objects.get(person=f"ticket:{mine.pk}")
    assert json.loads(contact.address)["endpoint"] == subscription["endpoint"]
    check_a11y(phone)
    registration = _registration_id(cdp := context.new_cdp_session(phone), phone)

    clerk = Actor.staff(get_user_model().objects.get(username="shimin-tanto"))
    services.call_next(window, clerk)  # two ahead: not yet
    assert not push_service.received
    services.act(Ticket.objects.get(number=1, group=window.group), "finish", clerk)
    services.call_next(window, clerk)  # one ahead: 「まもなく」
    arrived = push_service.wait_for("visitor-phone")
    shown = json.loads(arrived["payload"])
    assert "A-004" in shown["title"] and shown["url"].endswith(f"/queue/t/{mine.token}/")
    assert OutboxMessage.objects.get(dedupe_key=f"queue-near:{mine.pk}").channel == "push"

    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": site, "registrationId": registration, "data": arrived["payload"].decode()})
    inbox = phone.locator("#push-inbox")
    expect(inbox).to_have_attribute("role", "status")
    expect(inbox).to_have_attribute("data-count", "1")
    link = inbox.locator(".push-notice a")
    expect(link).to_have_attribute("href", shown["url"])
    expect(link).to_have_text(shown["title"])
    check_a11y(phone)

    services.act(Ticket.objects.get(number=2, group=window.group), "finish", clerk)
    services.call_next(window, clerk)
    services.act(Ticket.objects.get(number=3, group=window.group), "finish", clerk)
    services.call_next(window, clerk)  # the visitor is called: the subscription is forgotten
    expect(phone.locator("#ticket-state")).to_have_attribute("data-status", "called")
    assert not Contact.objects.filter(person=f"ticket:{mine.pk}").exists()
    phone.context.close()


@pytest.mark.parametrize("browser_kind", ["no-javascript", "no-push-manager"])
def test_without_push_the_option_is_simply_not_shown(counters, new_context, browser_kind):
    ticket, _ = services.issue_ticket(VisitPurpose.objects.get(group__code="jumin", code="tennyu"), "p")
    if browser_kind == "no-javascript":
        context = new_context(**PHONE, java_script_enabled=False)
    else:
        context = new_context(**PHONE)
        context.add_init_script("delete window.PushManager;")
    phone = context.new_page()
    phone.goto(f"/queue/t/{ticket.token}/")
    expect(phone.locator("#notice-h")).to_be_visible()  # e-mail stays offered
    expect(phone.locator("#push-notice")).to_be_hidden()
    check_a11y(phone)


def test_a_resident_subscribes_this_phone_in_my_page_and_removes_it(counters, new_context, push_service):
    """My Page reads the city's key from /notify/push/key.json, subscribes, and lists the device."""
    from madoguchi.identity.models import ResidentAccount

    account = ResidentAccount.objects.create(municipality=counters.group.municipality, email="push@example.jp")
    city_key = ChannelSetting.objects.get(channel="push").config["vapid_public_key"]
    subscription = push_service.subscription("resident-phone", application_server_key=city_key)
    context = new_context(**PHONE, user_agent=ANDROID_CHROME)
    context.add_init_script(f"({FAKE_SUBSCRIBE})({json.dumps(subscription)})")
    phone = context.new_page()
    phone.goto("/mypage/notifications/")
    log_in_resident(phone, account.email)
    expect(phone).to_have_url(re.compile(r"/mypage/notifications/$"))
    section = phone.locator("#contacts-push")
    expect(section.locator("#push-subscribe-button")).to_be_visible()
    check_a11y(phone)
    section.locator("#push-subscribe-button").click()
    row = phone.locator('#contacts-push li.contact[data-channel="push"]')
    expect(row).to_have_attribute("data-state", "active")
    expect(row.locator(".contact-label")).to_have_text("Chrome (Android)")
    assert phone.evaluate("JSON.parse(sessionStorage.getItem('pushOptions'))") == [{"userVisibleOnly": True, "key": city_key}]
    check_a11y(phone)
    row.locator("form.push-remove button").click()
    expect(phone.locator('#contacts-push li.contact[data-channel="push"]')).to_have_count(0)
    assert not Contact.objects.filter(person=account.ref).exists()
