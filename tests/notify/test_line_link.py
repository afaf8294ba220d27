"""Linking LINE from My Page through LINE's account-link flow: the link token never travels in
a URL of ours past the first redirect, the nonce is kept only as a keyed hash, links once and
expires, LINE's dialog opened by another LINE user links nothing, and the resident unlinks at
any time (POST, CSRF)."""

# ruff: noqa: F811 - the shared fixture is imported by name

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from line_support import line, link_line, link_path, query_of, walk_to_dialog  # noqa: F401 - the fixture

from madoguchi.identity.models import ResidentAccount
from madoguchi.notify.models import ChannelSetting, Contact, ContactChallenge
from madoguchi.notify.services import add_contact

from conftest import login_resident

LINK = "/mypage/notifications/line/link/"


def _line_contacts(resident):
    return list(Contact.objects.filter(person=resident.ref, channel="line"))


def test_a_resident_links_line_and_line_confirms_in_the_talk(city, resident, resident_client, line):
    user = link_line(resident_client, line)
    (contact,) = _line_contacts(resident)
    assert (contact.address, contact.label, contact.municipality_id) == (user, "LINE", city.pk)
    assert contact.verified_at is not None and contact.disabled_at is None
    assert len(line.messages_for(user)) == 2  # the link, then the confirmation
    assert "linkToken" not in line.messages_for(user)[-1]
    assert not ContactChallenge.objects.filter(person=resident.ref).exists()  # used up


def test_the_dialog_url_carries_lines_token_and_a_nonce_kept_only_as_a_hash(city, resident, resident_client, line):
    user, _ = line.follow()
    dialog = walk_to_dialog(resident_client, line, user)
    assert dialog.startswith(f"{line.base_url}/dialog/bot/accountLink?")
    query = query_of(dialog)
    assert query["linkToken"] == query_of(line.link_for(user))["linkToken"]
    nonce = query["nonce"]
    assert len(nonce) >= 22  # ≥ 128 bits in URL-safe base64
    (challenge,) = ContactChallenge.objects.filter(person=resident.ref, channel="line")
    assert nonce not in (challenge.secret_digest, challenge.address or "")
    assert challenge.expires_at <= timezone.now() + timedelta(minutes=10)


def test_logging_in_on_the_way_keeps_the_link_token_out_of_every_url(city, resident, line):
    user, _ = line.follow()
    client = Client()
    answer = client.get(link_path(line.link_for(user)))
    assert answer["Location"] == LINK
    answer = client.get(LINK)
    assert answer.status_code == 302 and "/login/" in answer["Location"]
    assert "linkToken" not in answer["Location"]
    login_resident(client, resident)
    assert b'id="line-link-confirm"' in client.get(LINK).content


def test_a_nonce_links_once(city, resident, resident_client, line):
    user, _ = line.follow()
    dialog = walk_to_dialog(resident_client, line, user)
    nonce = query_of(dialog)["nonce"]
    assert line.open_dialog(dialog, user).status == 200
    assert resident_client.post("/mypage/notifications/line/unlink/").status_code == 302
    assert _line_contacts(resident) == []
    # The same accountLink event again (a redelivery, or someone replaying it): nothing.
    line.deliver([line._event("accountLink", user, reply=True, link={"result": "ok", "nonce": nonce})])
    assert _line_contacts(resident) == []


def test_an_expired_nonce_links_nothing(city, resident, resident_client, line):
    user, _ = line.follow()
    dialog = walk_to_dialog(resident_client, line, user)
    ContactChallenge.objects.filter(person=resident.ref).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert line.open_dialog(dialog, user).status == 200
    assert _line_contacts(resident) == []
    assert "linkToken" not in line.messages_for(user)[-1]  # told it failed, in the talk


def test_the_dialog_opened_by_another_line_user_links_nobody(city, resident, resident_client, line):
    victim_side, _ = line.follow()
    dialog = walk_to_dialog(resident_client, line, victim_side)
    other = line.befriend()
    assert line.open_dialog(dialog, other).status == 403
    assert line.webhooks[-1] == ("accountLink", 200)
    assert _line_contacts(resident) == []


def test_a_link_token_of_another_shape_or_too_old_asks_to_start_again(city, resident, resident_client, line):
    answer = resident_client.get(LINK + "?linkToken=<script>")
    page = resident_client.get(answer["Location"])
    assert b'id="line-link-expired"' in page.content
    assert resident_client.post(LINK).status_code == 400
    assert not ContactChallenge.objects.exists()


def test_linking_another_line_account_replaces_the_first(city, resident, resident_client, line):
    first = link_line(resident_client, line)
    second = link_line(resident_client, line)
    assert [c.address for c in _line_contacts(resident)] == [second]
    assert first != second


def test_two_residents_may_share_one_line_user_each_linking_it(city, resident, resident_client, line):
    user = link_line(resident_client, line)
    other = ResidentAccount.objects.create(municipality=city, email="jiro@example.jp")
    link_line(login_resident(Client(), other), line, user)
    assert {c.person for c in Contact.objects.filter(channel="line")} == {resident.ref, other.ref}


def test_unlink_is_a_post_with_the_csrf_token(city, resident, line):
    add_contact(city, resident.ref, "line", line.befriend(), label="LINE")
    strict = login_resident(Client(enforce_csrf_checks=True), resident)
    assert strict.get("/mypage/notifications/line/unlink/").status_code == 405
    assert strict.post("/mypage/notifications/line/unlink/").status_code == 403
    assert len(_line_contacts(resident)) == 1
    page = strict.get("/mypage/notifications/")
    token = page.context["csrf_token"]
    answer = strict.post("/mypage/notifications/line/unlink/", {"csrfmiddlewaretoken": str(token)})
    assert answer.status_code == 302
    assert _line_contacts(resident) == []


def test_the_notifications_page_shows_the_link_state(city, resident, resident_client, line):
    page = resident_client.get("/mypage/notifications/").content.decode()
    assert 'id="contacts-line"' in page and 'id="line-start"' in page
    contact = add_contact(city, resident.ref, "line", line.befriend(), label="LINE")
    page = resident_client.get("/mypage/notifications/").content.decode()
    assert '<li class="contact" data-channel="line" data-state="active"' in page
    assert 'id="line-unlink"' in page and 'id="line-start"' not in page
    Contact.objects.filter(pk=contact.pk).update(disabled_at=timezone.now(), disabled_reason="blocked")
    page = resident_client.get("/mypage/notifications/").content.decode()
    assert 'data-state="disabled" data-failure="blocked"' in page and 'id="line-relink"' in page


def test_the_start_page_shows_the_add_friend_link_and_its_qr_code(city, resident, resident_client, line):
    page = resident_client.get("/mypage/notifications/line/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="{line.add_friend_url}"' in html and "<svg" in html and line.basic_id in html


def test_the_pages_need_login_and_a_city_with_line(city, resident, resident_client, line):
    for path in ("/mypage/notifications/line/", LINK):
        answer = Client().get(path)
        assert answer.status_code == 302 and "/login/" in answer["Location"]
    ChannelSetting.objects.filter(municipality=city, channel="line").update(enabled=False)
    assert resident_client.get("/mypage/notifications/line/").status_code == 404


@pytest.mark.parametrize("path", ["/mypage/notifications/line/", LINK])
def test_another_citys_resident_is_not_logged_in_here(city, other_city, line, path):
    stranger = ResidentAccount.objects.create(municipality=other_city, email="x@example.jp")
    answer = login_resident(Client(), stranger).get(path)
    assert answer.status_code == 302 and "/login/" in answer["Location"]


def test_the_confirm_page_lets_its_form_lead_on_to_lines_dialog(city, resident, resident_client, line):
    """Chrome applies the CSP's form-action to the redirect after the form."""
    user, _ = line.follow()
    resident_client.get(link_path(line.link_for(user)))
    policy = resident_client.get(LINK)["Content-Security-Policy"]
    form_action = next(part for part in policy.split(";") if part.strip().startswith("form-action"))
    assert line.base_url in form_action.split()
