"""The counter queue in a real browser: the kiosk, the display following a clerk's call, a
reservation from booking to call, and the phone status page as the line moves."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from madoguchi.core.actors import Actor
from madoguchi.queueing import events, services
from madoguchi.queueing.models import ReservationSlot, Ticket, VisitPurpose, Window

from .helpers import check_a11y, log_in_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def counters(city, site):
    call_command("load_queue_demo", "--history-weeks", "0", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return city


def first_window(code: str) -> Window:
    return Window.objects.filter(group__code=code).order_by("number").first()


def clerk_page(new_context, window: Window):
    page = new_context().new_page()
    log_in_staff(page, "shimin-tanto")
    page.goto(f"/queue/staff/windows/{window.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"住民異動 {window.number}番窓口")
    check_a11y(page)
    return page


def test_take_a_ticket_on_the_kiosk_and_follow_it_on_the_phone(counters, new_context):
    kiosk = new_context().new_page()
    kiosk.goto("/queue/kiosk/")
    expect(kiosk.locator("html")).to_have_attribute("lang", "ja")
    expect(kiosk.get_by_role("heading", level=1)).to_be_visible()
    check_a11y(kiosk)
    kiosk.locator('#kiosk-languages a[data-lang="en"]').click()
    expect(kiosk.locator("html")).to_have_attribute("lang", "en")
    expect(kiosk.locator('#kiosk-languages a[data-lang="en"]')).to_have_attribute("aria-current", "page")
    check_a11y(kiosk)
    kiosk.locator('#kiosk-languages a[data-lang="ja"]').click()
    expect(kiosk.locator("html")).to_have_attribute("lang", "ja")
    # Keyboard: the purpose buttons are ordinary buttons, reached and pressed without a mouse.
    button = kiosk.get_by_role("button", name="転入届")
    button.focus()
    kiosk.keyboard.press("Enter")
    expect(kiosk.get_by_test_id("ticket-number")).to_have_text("A-001")
    expect(kiosk.get_by_test_id("ahead")).to_contain_text("0")
    check_a11y(kiosk)
    kiosk.go_back()  # a second press of the same screen does not issue a second ticket
    kiosk.get_by_role("button", name="転入届").click()
    expect(kiosk.get_by_test_id("ticket-number")).to_have_text("A-001")
    assert Ticket.objects.count() == 1
    status_url = kiosk.get_by_test_id("status-url").inner_text()

    phone = new_context(viewport=PHONE).new_page()
    phone.goto(status_url)
    expect(phone.get_by_role("heading", level=1)).to_have_text("番号札 A-001 の状況")
    check_a11y(phone)


def test_the_display_updates_when_a_clerk_calls_and_through_a_reconnect(counters, new_context, monkeypatch):
    # Streams end after a second here (5 minutes in service), so the display must reconnect
    # (EventSource sends Last-Event-ID) and still show every call.
    monkeypatch.setattr(events, "STREAM_SECONDS", 1)
    tennyu = VisitPurpose.objects.get(group__code="jumin", code="tennyu")
    services.issue_ticket(tennyu, "first")
    display = new_context().new_page()
    display.goto("/queue/display/")
    expect(display.get_by_role("heading", level=1)).to_contain_text("お呼び出し中の番号")
    connection = display.locator("#connection")
    expect(connection).to_have_text("自動で更新しています。")
    check_a11y(display)
    expect(connection).to_have_text("接続が切れました。再接続しています…")
    expect(connection).to_have_text("自動で更新しています。")

    desk = first_window("jumin")
    clerk = clerk_page(new_context, desk)
    services.issue_ticket(tennyu, "second")  # the clerk's page says the line grew
    expect(clerk.locator("#live-waiting")).to_contain_text("いまお待ちの方は2人です。")
    clerk.get_by_role("button", name="次の方を呼ぶ").click()
    expect(clerk.get_by_test_id("current")).to_have_text("A-001")
    check_a11y(clerk)

    # No reload: the stream brings the call, with words (not colour alone) and a spoken line.
    newest = display.locator("#calls tr.newest")
    expect(newest).to_contain_text("A-001", timeout=5_000)
    expect(newest).to_contain_text(f"{desk.number}番")
    expect(newest).to_contain_text("呼出中")
    expect(display.locator("#announce")).to_have_text(f"A-001番の方、{desk.number}番窓口へお越しください。")
    check_a11y(display)
    clerk.get_by_role("button", name="再呼出").click()
    expect(newest).to_contain_text("（再呼出）", timeout=5_000)


def test_a_reservation_is_made_checked_in_and_called(counters, new_context):
    jumin = first_window("jumin").group
    starts = timezone.now() + timedelta(minutes=20)
    slot = ReservationSlot.objects.create(group=jumin, starts_at=starts, ends_at=starts + timedelta(minutes=30))
    walk_in, _ = services.issue_ticket(VisitPurpose.objects.get(group=jumin, code="tenkyo"), "walk-in")

    resident = new_context(viewport=PHONE).new_page()
    resident.goto("/queue/reserve/")
    expect(resident.get_by_role("heading", level=1)).to_have_text("来庁予約")
    check_a11y(resident)
    resident.get_by_role("link", name="転入届").click()
    expect(resident.get_by_role("heading", level=1)).to_have_text("転入届の予約")
    check_a11y(resident)
    resident.locator(f"#slot-{slot.pk}").check()
    resident.get_by_label("メールアドレス（任意）").fill("sakura@example.jp")
    resident.get_by_role("button", name="予約する").click()
    expect(resident.get_by_role("heading", level=1)).to_have_text("予約の確認")
    check_a11y(resident)
    code = resident.get_by_test_id("reservation-code").inner_text()

    kiosk = new_context().new_page()
    kiosk.goto("/queue/kiosk/")
    kiosk.get_by_label("予約番号").fill(code)
    kiosk.get_by_role("button", name="受付する").click()
    expect(kiosk.get_by_test_id("ticket-number")).to_have_text("A-002")
    expect(kiosk.get_by_text("予約の方")).to_be_visible()
    check_a11y(kiosk)

    # The slot begins: from now the reserved visitor goes ahead of the earlier walk-in ticket.
    ReservationSlot.objects.filter(pk=slot.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    clerk = clerk_page(new_context, first_window("jumin"))
    expect(clerk.get_by_role("row", name="A-002 優先 予約")).to_be_visible()
    clerk.get_by_role("button", name="次の方を呼ぶ").click()
    expect(clerk.get_by_test_id("current")).to_have_text("A-002")
    walk_in.refresh_from_db()
    assert walk_in.status == "issued"

    resident.reload()
    expect(resident.get_by_text("受付済みです。")).to_be_visible()
    check_a11y(resident)


def test_the_phone_status_page_shows_the_estimate_falling(counters, new_context):
    Window.objects.filter(group__code="jumin").exclude(pk=first_window("jumin").pk).update(is_open=False)
    tennyu = VisitPurpose.objects.get(group__code="jumin", code="tennyu")  # 20 minutes a visit
    tickets = [services.issue_ticket(tennyu, f"t{n}")[0] for n in range(3)]
    phone = new_context(viewport=PHONE).new_page()
    phone.goto(f"/queue/t/{tickets[2].token}/")
    state = phone.locator("#ticket-state")
    expect(state.locator('[data-field="ahead_text"]')).to_have_text("2人")
    expect(state.locator('[data-field="estimate_text"]')).to_have_text("約40分")
    check_a11y(phone)

    # One window: a visit called now still holds it for its 20 minutes; a finished one frees it.
    clerk = clerk_page(new_context, first_window("jumin"))
    clerk.get_by_role("button", name="次の方を呼ぶ").click()
    expect(state.locator('[data-field="ahead_text"]')).to_have_text("1人", timeout=5_000)
    clerk.get_by_role("button", name="受付終了").click()
    expect(state.locator('[data-field="estimate_text"]')).to_have_text("約20分", timeout=5_000)
    clerk.get_by_role("button", name="次の方を呼ぶ").click()
    expect(state.locator('[data-field="ahead_text"]')).to_have_text("0人", timeout=5_000)
    clerk.get_by_role("button", name="受付終了").click()
    expect(state.locator('[data-field="estimate_text"]')).to_have_text("まもなく", timeout=5_000)
    check_a11y(phone)


def test_without_javascript_the_kiosk_issues_and_the_display_refreshes(counters, new_context):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/queue/kiosk/?lang=ja-easy")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator('#kiosk-languages a[data-lang="ja-easy"]')).to_have_attribute("aria-current", "page")
    check_a11y(page)
    page.get_by_role("button", name="じゅうみんひょう").click()
    expect(page.get_by_test_id("ticket-number")).to_have_text("B-001")
    check_a11y(page)
    page.goto("/queue/display/")
    expect(page.locator("#calls tr.call")).to_have_count(0)  # nobody called yet
    clerk = Actor.staff(get_user_model().objects.get(username="shimin-tanto"))
    services.call_next(first_window("shomei"), clerk)
    # The page reloads itself (meta refresh every 10 s) and shows the call.
    expect(page.locator("#calls tr.newest")).to_contain_text("B-001", timeout=15_000)
    check_a11y(page)
