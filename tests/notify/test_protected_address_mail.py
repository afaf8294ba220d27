"""支援措置 in the outbox: a message to anyone but the protected resident leaves with their
address masked on every channel (e-mail through a real SMTP server, SMS through the local
Twilio, LINE through the local LINE platform, Web Push through the local push service), however
the text writes the address; the same message to the protected person's own account is not
masked; a lifted mark masks nothing; a mark made after the message was queued still holds when
it is sent."""

import copy
import json
from types import SimpleNamespace

import pytest
from django.utils import translation
from django.utils.functional import lazy
from line_server import LocalLine, configure_city
from protected_residents import REGISTERED, WRITTEN, lift, link, masked, protect, resident_at
from push_support import push_server, push_setting  # noqa: F401 - the fixture
from sms_support import configure_sms, sms_server  # noqa: F401 - the fixture

from madoguchi.identity.models import ResidentAccount
from madoguchi.notify import services
from madoguchi.notify.models import OutboxMessage, OutboxStatus
from madoguchi.register import protection

pytestmark = pytest.mark.django_db

EVENT = "moved_note"  # a notice of the tests' own, whose text carries an address


@pytest.fixture
def templates(settings, tmp_path):
    """The notice's e-mail and short texts: a clerk's note naming an address, in the subject
    and in the body (each on a line of its own and after a label)."""
    (tmp_path / "protected_mail").mkdir()
    (tmp_path / "protected_mail" / f"{EVENT}.txt").write_text(
        "【{{ municipality.name }}】{{ note.address }}について\n"
        "担当課からのお知らせです。\n住所：{{ note.address }}\n{{ note.address }}\n{{ mypage_url }}\n",
        encoding="utf-8")
    (tmp_path / "notify" / "short").mkdir(parents=True)
    (tmp_path / "notify" / "short" / f"{EVENT}.txt").write_text(
        "{{ municipality.name }}から：{{ note.address }}\n住所：{{ note.address }}\n{{ link_url }}\n", encoding="utf-8")
    engines = copy.deepcopy(settings.TEMPLATES)
    engines[0]["DIRS"] = [tmp_path, *engines[0]["DIRS"]]
    settings.TEMPLATES = engines


@pytest.fixture
def misaki(city):
    return resident_at(city, "70000000011", REGISTERED)


@pytest.fixture
def mark(city, staff, misaki):
    return protect(city, staff, misaki)


@pytest.fixture
def other(city):
    return ResidentAccount.objects.create(municipality=city, email="other@example.jp")


@pytest.fixture
def own(city, misaki):
    """The protected resident's own account, linked to her register record with the card."""
    account = ResidentAccount.objects.create(municipality=city, email="misaki@example.jp")
    link(city, account, misaki)
    return account


def tell(city, account, key: str = "note:1"):
    return services.tell(city, EVENT, key=key, person=account.ref, email=account.email,
                         context={"note": SimpleNamespace(address=WRITTEN)}, email_template=EVENT,
                         template_dir="protected_mail", link="/mypage/")


def received(smtp, address: str) -> tuple[str, str]:
    [(_to, message)] = [(to, m) for to, m in smtp.messages if to == [address]]
    return str(message["Subject"]), message.get_body(("plain",)).get_content()


def test_a_mail_to_someone_else_arrives_with_the_address_masked(templates, smtp, city, mark, other):
    tell(city, other)
    assert services.deliver_pending() == 1
    subject, body = received(smtp, other.email)
    assert WRITTEN not in subject and WRITTEN not in body
    assert masked() in subject and masked() in body
    assert "住所：" in body and "/mypage/" in body  # the rest of the text is untouched
    row = OutboxMessage.objects.get()
    assert row.status == OutboxStatus.SENT
    assert WRITTEN not in row.subject  # the sending record keeps the subject as it left


def test_the_same_mail_to_the_protected_persons_own_account_is_not_masked(templates, smtp, city, mark, own):
    tell(city, own)
    services.deliver_pending()
    subject, body = received(smtp, own.email)
    assert WRITTEN in subject and f"住所：{WRITTEN}" in body
    assert masked() not in body


def test_a_lifted_mark_masks_nothing(templates, smtp, city, staff, mark, other):
    lift(staff, mark)
    tell(city, other)
    services.deliver_pending()
    subject, body = received(smtp, other.email)
    assert WRITTEN in subject and f"住所：{WRITTEN}" in body


def test_a_mark_made_after_the_mail_was_queued_holds_when_it_is_sent(templates, smtp, city, staff, misaki, other):
    tell(city, other)
    protect(city, staff, misaki)
    services.deliver_pending()
    subject, body = received(smtp, other.email)
    assert WRITTEN not in subject and WRITTEN not in body


def test_the_mask_is_written_in_the_recipients_language(templates, smtp, city, mark, other, monkeypatch):
    # The mask names the language it was written in, so the test does not wait for translations.
    monkeypatch.setattr(protection, "MASKED", lazy(lambda: f"[masked:{translation.get_language()}]", str)())
    services.tell(city, EVENT, key="note:en", person=other.ref, email=other.email, language="en",
                  context={"note": SimpleNamespace(address=WRITTEN)}, email_template=EVENT,
                  template_dir="protected_mail", link="/mypage/")
    tell(city, other, key="note:ja")
    services.deliver_pending()
    bodies = [m.get_body(("plain",)).get_content() for _to, m in smtp.messages]
    assert ["[masked:en]" in body for body in bodies] == [True, False]
    assert ["[masked:ja]" in body for body in bodies] == [False, True]


def test_an_sms_to_someone_else_is_masked_and_to_herself_is_not(templates, city, sms_server, mark, other, own):  # noqa: F811
    configure_sms(city, sms_server.base_url)
    services.add_contact(city, other.ref, "sms", "+819011112222")
    services.add_contact(city, own.ref, "sms", "+819033334444")
    tell(city, other)
    tell(city, own, key="note:2")
    assert services.deliver_pending() == 2
    texts = {m["form"]["To"]: m["form"]["Body"] for m in sms_server.messages}
    assert WRITTEN not in texts["+819011112222"] and masked() in texts["+819011112222"]
    assert WRITTEN in texts["+819033334444"]  # an SMS is the title (its first line) and the link


def test_a_line_message_to_someone_else_is_masked_and_to_herself_is_not(templates, city, mark, other, own):
    city.channels = []
    city.save(update_fields=["channels"])
    with LocalLine() as line:
        configure_city(city, line)
        strangers, hers = line.befriend(), line.befriend()
        services.add_contact(city, other.ref, "line", strangers)
        services.add_contact(city, own.ref, "line", hers)
        tell(city, other)
        tell(city, own, key="note:2")
        assert services.deliver_pending() == 2
        [to_stranger] = [m["text"] for push in line.pushes_to(strangers) for m in push["messages"]]
        [to_her] = [m["text"] for push in line.pushes_to(hers) for m in push["messages"]]
    assert WRITTEN not in to_stranger and masked() in to_stranger
    assert f"住所：{WRITTEN}" in to_her


def test_a_push_to_someone_else_is_masked_and_to_herself_is_not(templates, city, push_server, mark, other, own):  # noqa: F811
    city.channels = []
    city.save(update_fields=["channels"])
    push_setting(city, push_server.base_url)
    services.add_contact(city, other.ref, "push", json.dumps(push_server.subscription("strangers-phone")))
    services.add_contact(city, own.ref, "push", json.dumps(push_server.subscription("her-phone")))
    tell(city, other)
    tell(city, own, key="note:2")
    assert services.deliver_pending() == 2
    to_stranger = json.loads(push_server.wait_for("strangers-phone")["payload"])
    to_her = json.loads(push_server.wait_for("her-phone")["payload"])
    assert WRITTEN not in to_stranger["title"] + to_stranger["body"] and masked() in to_stranger["title"]
    assert WRITTEN in to_her["title"] and f"住所：{WRITTEN}" in to_her["body"]
