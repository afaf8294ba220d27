"""The visitor's tablet as its own device: paired with a one-time code, never logged in, showing
only its clerk's current visit, signing through its own URL."""

import base64
import re
from datetime import timedelta

import pytest
import test_counter_pages as pages
import test_counter_services as shared
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from madoguchi.core.actors import Actor
from madoguchi.core.crypto import decrypt_bytes
from madoguchi.core.models import AuditEvent, Role, StaffMembership
from madoguchi.counter import services, tablets
from madoguchi.counter.models import CounterTablet, CounterVisit, TabletPairingCode, VisitStatus
from madoguchi.counter.tablet_views import COOKIE

head, _bundled, PNG = pages.head, pages._bundled, pages.PNG
HOME = "/counter/tablet/"
DATA_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()
INPUT = re.compile(r"<(input|textarea|select)\b[^>]*>", re.S)


@pytest.fixture
def clerk(staff):
    return staff["shimin-tanto"]


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


@pytest.fixture
def tablet():
    """A second browser: the tablet, with no login of any kind."""
    return Client()


def _code(clerk_client) -> str:
    response = clerk_client.post(reverse("counter:tablet_code"))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    return re.search(r'class="pairing-code">(\d{6})<', response.content.decode()).group(1)


def _pair(clerk_client, tablet) -> CounterTablet:
    response = tablet.post(reverse("counter_tablet:pair"), {"code": _code(clerk_client)})
    assert response.status_code == 302 and response["Location"] == HOME
    return CounterTablet.objects.latest("paired_at")


def _checked(visit, head):
    _bundled(visit, head)
    visit.status = VisitStatus.CHECKED
    visit.save(update_fields=["status"])
    return visit


@pytest.fixture
def visit(city, clerk):
    return services.start_visit(city, clerk, Actor.staff(clerk))


def test_an_unpaired_browser_sees_only_the_code_page(tablet, visit, head):
    _checked(visit, head)
    for client in (tablet, Client(cookies={COOKIE: "forged"})):
        response = client.get(HOME)
        page = response.content.decode()
        assert response.status_code == 200 and "no-store" in response["Cache-Control"]
        assert 'id="tablet-pairing"' in page and 'name="code"' in page
        assert "佐藤" not in page and str(visit.public_id) not in page and "<canvas" not in page
        assert client.get(reverse("counter_tablet:state")).status_code == 403
        assert client.post(reverse("counter_tablet:sign"),
                           {"visit": str(visit.public_id), "signature": DATA_URL}).status_code == 403
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CHECKED


def test_a_correct_code_pairs_once_with_a_strict_httponly_signed_cookie(clerk_client, tablet, clerk):
    code = _code(clerk_client)
    stored = TabletPairingCode.objects.get()
    assert stored.code_hash == tablets._hash("code", code) and stored.clerk == clerk  # only a hash
    assert abs(stored.expires_at - stored.created_at - timedelta(minutes=5)) < timedelta(seconds=1)
    response = tablet.post(reverse("counter_tablet:pair"), {"code": f"{code[:3]} {code[3:]}"})
    assert response.status_code == 302
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == HOME
    assert ":" in cookie.value  # signed
    device = CounterTablet.objects.get()
    assert device.clerk == clerk and device.revoked_at is None
    assert cookie.value.split(":")[0] not in device.token_hash
    assert timezone.localtime(device.expires_at).date() == timezone.localdate() + timedelta(days=1)
    assert timezone.localtime(device.expires_at).hour == 0
    page = tablet.get(HOME).content.decode()
    assert 'class="tablet-wait"' in page and 'name="code"' not in page
    # The same code a second time (another browser) pairs nothing.
    again = Client().post(reverse("counter_tablet:pair"), {"code": code})
    assert again.status_code == 400 and "使用済み" in again.content.decode()
    assert CounterTablet.objects.count() == 1
    event = AuditEvent.objects.get(action="counter_tablet_pair")
    assert event.actor_ref == f"staff:{clerk.pk}" and event.target_id == str(device.pk)
    assert code not in str(event.detail)


def test_wrong_expired_and_used_codes_are_refused_and_count_a_try(clerk_client, tablet, staff):
    live = _code(clerk_client)
    other = Client()
    other.force_login(staff["kodomo-tanto"])
    expired = _code(other)
    TabletPairingCode.objects.filter(clerk=staff["kodomo-tanto"]).update(expires_at=timezone.now())
    wrong = f"{(int(live) + 1) % 10**6:06d}"
    expectations = [(wrong, "接続コードが違います"), (expired, "有効期限（5分）が切れています"),
                    ("12", "6桁の数字")]
    for attempt, (code, message) in enumerate(expectations, start=1):
        response = tablet.post(reverse("counter_tablet:pair"), {"code": code})
        assert response.status_code == 400 and message in response.content.decode()
        assert COOKIE not in response.cookies
        assert TabletPairingCode.objects.get(code_hash=tablets._hash("code", live)).attempts == attempt
    assert not CounterTablet.objects.exists()
    # Two more refused tries (five in all) and the right code is void too.
    for _ in range(2):
        tablet.post(reverse("counter_tablet:pair"), {"code": wrong})
    response = tablet.post(reverse("counter_tablet:pair"), {"code": live})
    assert response.status_code == 400 and "何度も間違えた" in response.content.decode()
    assert not CounterTablet.objects.exists()
    # A new code for the clerk works, and the old one stays void.
    assert tablet.post(reverse("counter_tablet:pair"), {"code": _code(clerk_client)}).status_code == 302


def test_a_new_code_voids_the_clerks_earlier_one(clerk_client, tablet):
    first = _code(clerk_client)
    _code(clerk_client)
    response = tablet.post(reverse("counter_tablet:pair"), {"code": first})
    assert response.status_code == 400 and not CounterTablet.objects.exists()


def test_pairing_logs_out_a_staff_session_in_that_browser(clerk_client, tablet, staff):
    browser = Client()
    browser.force_login(staff["kodomo-tanto"])
    assert browser.get(reverse("counter:start")).status_code == 200
    assert browser.post(reverse("counter_tablet:pair"), {"code": _code(clerk_client)}).status_code == 302
    response = browser.get(reverse("counter:start"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("casework:login"))


def test_the_tablet_shows_only_its_clerks_current_visit(clerk_client, tablet, visit, head, city, staff):
    _pair(clerk_client, tablet)
    state = tablet.get(reverse("counter_tablet:state")).json()
    assert set(state) == {"state", "visit"} and state["visit"] == ""
    # Another clerk's visit, ready to sign, is never shown.
    theirs = services.start_visit(city, staff["kodomo-tanto"], Actor.staff(staff["kodomo-tanto"]))
    _checked(theirs, head)
    page = tablet.get(HOME).content.decode()
    assert 'class="tablet-wait"' in page and "佐藤" not in page and "<canvas" not in page
    assert tablet.get(reverse("counter_tablet:state")).json() == state
    # The own clerk's visit: shown while it waits for the check, the pad and nothing to type.
    assert "佐藤" not in tablet.get(HOME).content.decode()
    _checked(visit, head)
    response = tablet.get(HOME)
    page = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert 'id="to-sign"' in page and "佐藤\u3000美紀" in page and "<canvas" in page
    assert 'data-language="ja"' in page and 'id="tablet-easy"' in page
    easy = tablet.get(HOME, {"lang": "easy"}).content.decode()
    assert 'data-language="ja-easy"' in easy and 'id="tablet-plain"' in easy
    assert str(theirs.public_id) not in page
    assert all('type="hidden"' in tag for tag in (m.group(0) for m in INPUT.finditer(page)))
    assert INPUT.search(page)  # the hidden fields of the signature form are there
    assert '<meta http-equiv="refresh"' in page and "data-tablet-poll" in page
    now = tablet.get(reverse("counter_tablet:state")).json()
    assert now["state"] != state["state"] and now["visit"]
    assert str(visit.public_id) not in str(now)
    # The clerk starts the next visit: the tablet goes back to waiting.
    services.start_visit(city, visit.clerk, Actor.staff(visit.clerk))
    page = tablet.get(HOME).content.decode()
    assert 'class="tablet-wait"' in page and "佐藤" not in page


def test_signing_through_the_tablet_files_the_visit(clerk_client, tablet, visit, head, clerk):
    device = _pair(clerk_client, tablet)
    _checked(visit, head)
    sign = reverse("counter_tablet:sign")
    strict = Client(enforce_csrf_checks=True, cookies=tablet.cookies)
    assert strict.post(sign, {"visit": str(visit.public_id), "signature": DATA_URL}).status_code == 403
    other = CounterVisit.objects.create(municipality=visit.municipality, clerk=clerk)
    CounterVisit.objects.filter(pk=other.pk).update(called_at=visit.called_at - timedelta(minutes=1))
    response = tablet.post(sign, {"visit": str(other.public_id), "signature": DATA_URL})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CHECKED  # not the visit shown: nothing signed

    response = tablet.post(sign, {"visit": str(visit.public_id), "signature": DATA_URL, "lang": "easy"})
    assert response.status_code == 302 and response["Location"] == HOME + "?lang=easy"
    visit.refresh_from_db()
    assert visit.status == VisitStatus.FILED and decrypt_bytes(visit.signature.image) == PNG
    cases = services.filed_cases(visit)
    assert len(cases) == visit.forms.count() and {c.actor_ref for c in cases} == {f"staff:{clerk.pk}"}
    event = AuditEvent.objects.get(action="counter_tablet_sign")
    assert event.target_id == str(visit.public_id) and event.detail == {"tablet": device.pk}
    assert AuditEvent.objects.filter(action="counter_sign", target_id=str(visit.public_id)).count() == 1
    page = tablet.get(HOME, {"lang": "easy"}).content.decode()
    assert 'role="status"' in page and 'data-language="ja-easy"' in page
    assert all(c.receipt_number in page for c in cases)
    assert "<canvas" not in page and "佐藤" not in page  # the forms are not left on the screen
    # A minute later the tablet waits for the next visitor.
    earlier = timezone.now() - timedelta(seconds=tablets.thanks_seconds() + 1)
    CounterVisit.objects.filter(pk=visit.pk).update(signed_at=earlier, finished_at=earlier)
    page = tablet.get(HOME).content.decode()
    assert 'class="tablet-wait"' in page and cases[0].receipt_number not in page


def test_a_disconnected_or_expired_tablet_is_refused(clerk_client, tablet, visit, head, staff):
    device = _pair(clerk_client, tablet)
    _checked(visit, head)
    assert "<canvas" in tablet.get(HOME).content.decode()
    other = Client()
    other.force_login(staff["kodomo-tanto"])
    assert other.post(reverse("counter:tablet_unpair", args=[device.pk])).status_code == 404
    page = clerk_client.get(reverse("counter:start")).content.decode()
    assert f'class="tablet-unpair" data-tablet="{device.pk}"' in page
    revoked_cookie = tablet.cookies[COOKIE].value
    assert clerk_client.post(reverse("counter:tablet_unpair", args=[device.pk])).status_code == 302
    device.refresh_from_db()
    assert device.revoked_at is not None
    event = AuditEvent.objects.get(action="counter_tablet_unpair")
    assert event.target_id == str(device.pk) and event.detail == {"reason": "clerk"}
    response = tablet.get(HOME)
    page = response.content.decode()
    assert 'id="pairing-ended"' in page and "佐藤" not in page and "<canvas" not in page
    assert response.cookies[COOKIE].value == ""  # the cookie is deleted
    stale = Client()
    stale.cookies[COOKIE] = revoked_cookie  # the revoked tablet's own cookie, kept
    assert stale.get(reverse("counter_tablet:state")).status_code == 403
    assert "佐藤" not in stale.get(HOME).content.decode()
    # Past its day, a tablet is refused the same way.
    second = Client()
    fresh = _pair(clerk_client, second)
    CounterTablet.objects.filter(pk=fresh.pk).update(expires_at=timezone.now())
    assert second.post(reverse("counter_tablet:sign"), {"visit": str(visit.public_id),
                                                         "signature": DATA_URL}).status_code == 403
    assert "佐藤" not in second.get(HOME).content.decode()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CHECKED


def test_a_new_tablet_replaces_the_clerks_earlier_one(clerk_client, tablet):
    first = _pair(clerk_client, tablet)
    second = _pair(clerk_client, Client())
    first.refresh_from_db()
    assert first.revoked_at is not None and second.revoked_at is None
    assert 'name="code"' in tablet.get(HOME).content.decode()
    assert AuditEvent.objects.get(action="counter_tablet_unpair").detail == {"reason": "replaced"}


def test_a_clerk_who_lost_the_role_no_longer_has_a_tablet(clerk_client, tablet, clerk):
    _pair(clerk_client, tablet)
    StaffMembership.objects.filter(user=clerk, role=Role.CLERK).delete()
    assert 'name="code"' in tablet.get(HOME).content.decode()


def test_staff_pages_stay_closed_to_the_tablets_cookie(clerk_client, tablet, visit, head):
    device = _pair(clerk_client, tablet)
    _checked(visit, head)
    assert "sessionid" not in tablet.cookies
    for name, method, url in pages._urls(visit.public_id, device.pk):
        response = getattr(tablet, method)(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("casework:login")), name
    for url in ("/staff/", reverse("register:search")):
        response = tablet.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("casework:login"))
    device.refresh_from_db()
    assert device.revoked_at is None
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CHECKED


def test_with_a_paired_tablet_the_clerk_stays_on_their_page_after_the_check(clerk_client, tablet, visit, head):
    _bundled(visit, head)
    shared._fill_every_blank(visit, Actor.staff(visit.clerk))
    _pair(clerk_client, tablet)
    response = pages._post(clerk_client, visit, "confirm")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CHECKED
    assert response["Location"] == reverse("counter:visit", args=[visit.public_id])
    page = clerk_client.get(response["Location"]).content.decode()
    assert 'class="msg msg-success"' in page and 'id="tablet-paired"' in page
    assert 'http-equiv="refresh"' in page  # the clerk's page follows the signature on the tablet
    shown = tablet.get(HOME).content.decode()
    assert "<canvas" in shown and "/api/docs" not in shown  # no way off the tablet's page


def test_lapsed_pairing_codes_are_disposed_of_the_next_day(clerk_client):
    from madoguchi.counter.retention import dispose_pairing_codes

    _code(clerk_client)
    assert dispose_pairing_codes() == 0  # still live
    later = timezone.now() + timedelta(days=1, minutes=10)
    assert dispose_pairing_codes(now=later) == 1 and not TabletPairingCode.objects.exists()


def _filed_through_the_tablet(clerk_client, tablet, visit, head):
    device = _pair(clerk_client, tablet)
    _checked(visit, head)
    tablet.post(reverse("counter_tablet:sign"), {"visit": str(visit.public_id), "signature": DATA_URL})
    visit.refresh_from_db()
    assert visit.status == VisitStatus.FILED and visit.finished_at is not None
    return device


def _refresh_seconds(page: str) -> int:
    return int(re.search(r'<meta http-equiv="refresh" content="(\d+)', page).group(1))


def test_the_thanks_leave_the_tablet_on_their_own_after_the_documented_time(clerk_client, tablet, visit, head):
    """No next visit is started: the server's clock alone turns the tablet back to waiting."""
    device = _filed_through_the_tablet(clerk_client, tablet, visit, head)
    filed = visit.finished_at
    assert tablets.thanks_seconds() == 60
    just_before = filed + timedelta(seconds=tablets.thanks_seconds() - 1)
    assert tablets.current(device, now=just_before) == (tablets.THANKS, visit)
    after = filed + timedelta(seconds=tablets.thanks_seconds() + 1)
    assert tablets.current(device, now=after) == (tablets.WAIT, None)
    assert tablets.state_of(*tablets.current(device, now=just_before)) != tablets.state_of(
        *tablets.current(device, now=after))  # so the page's poll reloads


def test_the_thanks_time_is_a_setting(clerk_client, tablet, visit, head, settings):
    settings.MADOGUCHI_COUNTER_THANKS_SECONDS = 20
    device = _filed_through_the_tablet(clerk_client, tablet, visit, head)
    assert tablets.current(device, now=visit.finished_at + timedelta(seconds=19))[0] == tablets.THANKS
    assert tablets.current(device, now=visit.finished_at + timedelta(seconds=21))[0] == tablets.WAIT


def test_the_tablets_pages_and_poll_reach_the_waiting_screen_in_time(clerk_client, tablet, visit, head,
                                                                     monkeypatch):
    _filed_through_the_tablet(clerk_client, tablet, visit, head)
    cases = services.filed_cases(visit)
    filed, state_url = visit.finished_at, reverse("counter_tablet:state")
    monkeypatch.setattr(timezone, "now", lambda: filed + timedelta(seconds=50))
    page = tablet.get(HOME).content.decode()
    thanks = tablet.get(state_url).json()
    assert cases[0].receipt_number in page
    # Without JavaScript the page reloads itself no later than the thanks end.
    assert 1 <= _refresh_seconds(page) <= tablets.thanks_seconds() - 50 + 1

    monkeypatch.setattr(timezone, "now", lambda: filed + timedelta(seconds=tablets.thanks_seconds() + 1))
    waiting = tablet.get(state_url).json()
    assert waiting["state"] != thanks["state"] and waiting["visit"] == ""  # the poll reloads
    page = tablet.get(HOME).content.decode()
    assert 'class="tablet-wait"' in page
    assert all(c.receipt_number not in page for c in cases) and "佐藤" not in page


def test_the_clerk_chooses_the_visitor_s_language_and_the_tablet_speaks_it(clerk_client, tablet, visit, head):
    _pair(clerk_client, tablet)
    _checked(visit, head)
    url = reverse("counter:visit_language", args=[visit.public_id])
    assert clerk_client.post(url, {"language": "xx"}).status_code == 302  # refused, said on the page
    visit.refresh_from_db()
    assert visit.language == "ja"
    assert clerk_client.post(url, {"language": "en"}).status_code == 302
    visit.refresh_from_db()
    assert visit.language == "en"
    page = tablet.get(HOME).content.decode()
    assert '<html lang="en">' in page and 'data-language="en"' in page and "<canvas" in page
    assert 'id="tablet-easy"' not in page  # the やさしい日本語 switch is for a Japanese page
    assert 'id="language-switch"' not in page  # the clerk sets the language, not the shared device
    clerk_page = clerk_client.get(reverse("counter:visit", args=[visit.public_id])).content.decode()
    assert '<option value="en" lang="en" selected>' in clerk_page
    assert '<html lang="ja">' in clerk_page  # the clerk's own page keeps the clerk's language
