"""My Page's 「通知の受け取り方」: the channels the city offers, the account's e-mail and whether
mail reaches it (a bounce told plainly, with a way to try again), which channel comes first,
the opt-in to name the procedure in short messages, and the recent notices."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from madoguchi.notify import selectors
from madoguchi.notify.models import ChannelSetting, Contact
from madoguchi.notify.services import add_contact, digest, routes_for, tell

from support import submit_via_web

PAGE = "/mypage/notifications/"
# No provider is reached from a test: a delivery tried on LINE or SMS meets a closed local port.
NOWHERE = "http://127.0.0.1:9"


def _ids(text: str) -> set[str]:
    return set(re.findall(r'<section id="([\w-]+)"', text))


def _bounced(city, email, reason="unreachable"):
    return Contact.objects.create(municipality=city, person="", channel="email", digest=digest("email", email),
                                  address=email, disabled_at=timezone.now(), disabled_reason=reason)


def _tell(city, resident, n=1):
    return tell(city, "returned", key=f"returned:{n}", person=resident.ref, email=resident.email,
                about=f"submission:{n}", email_template="status_returned",
                context={"submission": {"receipt_number": f"R-{n}"}})


def test_the_page_is_my_page_s_and_needs_login(client, city):
    assert reverse("identity:contacts") == PAGE
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_my_page_links_to_it(resident_client):
    assert f'href="{PAGE}"' in resident_client.get("/mypage/").content.decode()


def test_the_account_s_e_mail_and_the_recent_notices(resident_client, city, resident):
    _tell(city, resident)
    text = resident_client.get(PAGE).content.decode()
    assert {"contacts-email", "recent-notices"} <= _ids(text)
    assert 'data-channel="email" data-state="active"' in text
    assert 'class="notice" data-event="returned"' in text
    assert 'id="email-retry"' not in text


def test_a_channel_the_city_does_not_offer_has_no_section(resident_client, city):
    city.channels = ["online", "counter"]
    city.save(update_fields=["channels"])
    ids = _ids(resident_client.get(PAGE).content.decode())
    assert not ids & {"contacts-email", "contacts-line", "contacts-sms", "contacts-push"}
    assert "recent-notices" in ids


def test_a_channel_offered_but_not_set_up_by_the_city_has_no_section(resident_client, city):
    city.channels = []
    city.save(update_fields=["channels"])
    assert "contacts-line" not in _ids(resident_client.get(PAGE).content.decode())
    set_up(city, "line")
    assert "contacts-line" in _ids(resident_client.get(PAGE).content.decode())


def test_a_channel_not_set_up_cannot_come_first(resident_client, city, resident, two_channels):
    ChannelSetting.objects.filter(channel="line").update(enabled=False)
    text = resident_client.get(PAGE).content.decode()
    assert 'id="main-line"' not in text
    resident_client.post(reverse("identity:contacts_main"), {"channel": "line"})
    assert Contact.objects.get(channel="line").rank == 10


def test_a_bounced_address_is_told_and_tried_again_when_the_resident_says_it_is_fixed(
        resident_client, city, resident):
    _bounced(city, resident.email)
    assert routes_for(city, resident.ref, resident.email) == []  # no mail goes to it now
    text = resident_client.get(PAGE).content.decode()
    assert 'data-channel="email" data-state="disabled"' in text
    assert 'data-failure="unreachable"' in text and 'id="email-retry"' in text
    assert 'id="mypage-email-failing"' in resident_client.get("/mypage/").content.decode()

    response = resident_client.post(reverse("identity:contacts_email_retry"))
    assert response.status_code == 302
    assert not Contact.objects.filter(person="", channel="email").exists()
    assert [r[0] for r in routes_for(city, resident.ref, resident.email)] == ["email"]
    assert 'data-state="active"' in resident_client.get(PAGE).content.decode()
    assert 'id="mypage-email-failing"' not in resident_client.get("/mypage/").content.decode()


def test_another_address_s_bounce_is_not_this_account_s(resident_client, city):
    _bounced(city, "someone-else@example.jp")
    assert 'data-state="disabled"' not in resident_client.get(PAGE).content.decode()


def set_up(city, code):
    """The city has set the channel up (as its IT does with `madoguchi channel set`)."""
    config, secrets = {
        "line": ({"add_friend_url": "https://lin.ee/demo", "api_base": NOWHERE}, {"channel_access_token": "t", "channel_secret": "s"}),
        "sms": ({"from": "+815012345678", "api_base": NOWHERE}, {"account_sid": "AC" + "0" * 32, "auth_token": "token"}),
    }[code]
    setting = ChannelSetting(municipality=city, channel=code, enabled=True, config=config)
    setting.set_secrets(secrets)
    setting.save()


@pytest.fixture
def two_channels(city, resident):
    city.channels = []
    city.save(update_fields=["channels"])
    set_up(city, "line")
    set_up(city, "sms")
    line = add_contact(city, resident.ref, "line", "U" + "a" * 32, label="LINE")
    sms = add_contact(city, resident.ref, "sms", "+819012345678", label="090-****-5678")
    return line, sms


def test_the_resident_chooses_which_channel_comes_first(resident_client, city, resident, two_channels):
    line, sms = two_channels
    text = resident_client.get(PAGE).content.decode()
    assert 'id="main-line"' in text and 'id="main-sms"' in text
    resident_client.post(reverse("identity:contacts_main"), {"channel": "sms"})
    assert [r[0] for r in routes_for(city, resident.ref, resident.email)] == ["sms", "line", "email"]
    resident_client.post(reverse("identity:contacts_main"), {"channel": "line"})
    assert [r[0] for r in routes_for(city, resident.ref, resident.email)] == ["line", "sms", "email"]


def test_a_channel_the_resident_has_not_linked_cannot_be_chosen(resident_client, city, resident, two_channels):
    before = list(Contact.objects.order_by("pk").values_list("rank", flat=True))
    response = resident_client.post(reverse("identity:contacts_main"), {"channel": "push"}, follow=True)
    assert response.status_code == 200 and 'class="msg msg-error"' in response.content.decode()
    assert list(Contact.objects.order_by("pk").values_list("rank", flat=True)) == before


def test_the_procedure_s_name_is_shown_only_where_the_resident_opted_in(
        resident_client, city, resident, two_channels, other_city):
    line, sms = two_channels
    assert not line.detail and not sms.detail  # off unless chosen
    resident_client.post(reverse("identity:contacts_detail"), {"contact": sms.pk, "detail": "1"})
    sms.refresh_from_db()
    line.refresh_from_db()
    assert sms.detail and not line.detail
    text = resident_client.get(PAGE).content.decode()
    assert 'data-channel="sms" data-detail="on"' in text and 'data-channel="line" data-detail="off"' in text
    resident_client.post(reverse("identity:contacts_detail"), {"contact": sms.pk, "detail": "0"})
    sms.refresh_from_db()
    assert not sms.detail


@pytest.mark.parametrize("value", ["", "abc", "999999"])
def test_someone_else_s_or_no_contact_is_refused_plainly(resident_client, city, two_channels, value):
    other = add_contact(city, "resident:999", "sms", "+819000000000")
    for contact in (value, other.pk):
        response = resident_client.post(reverse("identity:contacts_detail"), {"contact": contact, "detail": "1"},
                                        follow=True)
        assert response.status_code == 200 and 'class="msg msg-error"' in response.content.decode()
    other.refresh_from_db()
    assert not other.detail


def _shown(text: str) -> list[str]:
    return re.findall(r'class="notice" data-event="(\w+)"', text)


def test_the_submission_page_and_the_case_page_show_what_was_sent_about_it(
        resident_client, client, city, resident, staff):
    submission = submit_via_web(resident_client, "dog-registration-change", {"dog_name": "ポチ"})
    other = submit_via_web(resident_client, "dog-registration-change", {"dog_name": "タロ"})
    tell(city, "returned", key="test:returned", person=resident.ref, email=resident.email,
         about=f"submission:{submission.pk}", email_template="status_returned",
         context={"submission": submission})
    tell(city, "decided", key="test:other", person=resident.ref, email=resident.email,
         about=f"submission:{other.pk}", email_template="status_returned", context={"submission": other})
    about = selectors.notices(city, about=f"submission:{submission.pk}")
    assert "test:returned" in [n.key for n in about] and "test:other" not in [n.key for n in about]

    mine = resident_client.get(reverse("applications:submission", args=[submission.public_id])).content.decode()
    assert 'id="notifications"' in mine
    assert _shown(mine) == [n.event for n in about]

    client.force_login(staff["kankyo-tanto"])
    case = client.get(reverse("casework:case", args=[submission.public_id])).content.decode()
    assert 'id="notifications"' in case
    assert _shown(case) == [n.event for n in about]
