"""The delivery display's reading: notices grouped by their key, newest first, each with its
deliveries in the order tried (a fallback marked), in two queries however many there are;
and the markup every page shows them with."""

from html.parser import HTMLParser

import pytest
from django.template.loader import render_to_string

from madoguchi.notify import labels, selectors
from madoguchi.notify.channels.base import FAILURES
from madoguchi.notify.models import Contact, OutboxMessage, OutboxStatus
from madoguchi.notify.services import tell


def _row(city, key, channel, *, person="resident:1", about="", event="returned", status="sent",
         failure="", fallback_of=None):
    return OutboxMessage.objects.create(
        municipality=city, channel=channel, person=person, about=about, event=event, notice_key=key,
        dedupe_key=f"{key}@{channel}", subject="s", body=None, recipient="x", status=status,
        failure=failure, fallback_of=fallback_of)


class _Tags(HTMLParser):
    """The start tags of a rendered fragment, with their attributes (the markup is the contract)."""

    def __init__(self, text):
        super().__init__()
        self.tags = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def having(self, cls):
        return [attrs for _tag, attrs in self.tags if cls in (attrs.get("class") or "").split()]


def test_every_failure_code_has_words_for_the_resident():
    assert set(labels.FAILURE_LABELS) == set(FAILURES)
    assert set(labels.STATUS_LABELS) == set(OutboxStatus.values)


def test_notices_are_grouped_by_key_newest_first_with_their_fallbacks_in_order(city):
    first = _row(city, "n1", "sms", status="failed", failure="unreachable", about="submission:7")
    _row(city, "n1", "email", fallback_of=first, about="submission:7")
    _row(city, "n2", "line", event="decided", status="delivered")
    _row(city, "other", "email", person="resident:2")

    found = selectors.notices(city, person="resident:1")
    assert [n.key for n in found] == ["n2", "n1"]
    n1 = found[1]
    assert [(d.channel, d.status, d.failure, d.fallback) for d in n1.deliveries] == [
        ("sms", "failed", "unreachable", False), ("email", "sent", "", True)]
    assert n1.state == "sent" and n1.fell_back
    assert [n.key for n in selectors.notices(city, about="submission:7")] == ["n1"]
    assert selectors.notices(city) == []  # neither a person nor a subject: nothing


def test_the_latest_notice_counts_by_its_latest_delivery_and_the_limit_holds(city):
    old = _row(city, "old", "sms", status="failed", failure="expired")
    _row(city, "new", "email")
    _row(city, "old", "email", fallback_of=old)  # the old notice's fallback came last
    assert [n.key for n in selectors.notices(city, person="resident:1")] == ["old", "new"]
    assert [n.key for n in selectors.notices(city, person="resident:1", limit=1)] == ["old"]


def test_two_queries_however_many_notices(city, django_assert_num_queries):
    for n in range(12):
        first = _row(city, f"k{n}", "sms", status="failed", failure="unreachable")
        _row(city, f"k{n}", "email", fallback_of=first)
    with django_assert_num_queries(2):
        found = selectors.notices(city, person="resident:1")
        render_to_string("notify/_deliveries.html", {"notices": found})
    assert len(found) == 12


def test_another_city_s_notices_never_show(city, other_city):
    _row(other_city, "theirs", "email")
    assert selectors.notices(city, person="resident:1") == []


def test_the_markup_names_channel_state_failure_and_fallback(city):
    first = _row(city, "n1", "sms", status="failed", failure="unreachable")
    _row(city, "n1", "email", fallback_of=first, status="pending")
    text = render_to_string("notify/_deliveries.html", {"notices": selectors.notices(city, person="resident:1")})
    tags = _Tags(text)
    assert len(tags.having("notices")) == 1
    notice, = tags.having("notice")
    assert notice["data-event"] == "returned"
    sms, email = tags.having("delivery")
    assert (sms["data-channel"], sms["data-status"], sms["data-failure"]) == ("sms", "failed", "unreachable")
    assert "data-fallback" not in sms
    assert (email["data-channel"], email["data-status"], email["data-failure"], email["data-fallback"]) == (
        "email", "pending", "", "1")
    assert len(tags.having("delivery-failure")) == 1
    assert str(labels.FAILURE_LABELS["unreachable"]) in text


def test_nothing_told_yet_says_so(city):
    assert _Tags(render_to_string("notify/_deliveries.html", {"notices": []})).having("notices-empty")


def test_a_notice_told_by_tell_is_read_back(city, resident):
    tell(city, "returned", key="returned:1", person=resident.ref, email=resident.email, about="submission:1",
         email_template="status_returned", context={"submission": {"receipt_number": "R-1"}})
    notice, = selectors.notices(city, person=resident.ref)
    assert notice.event == "returned" and [d.channel for d in notice.deliveries] == ["email"]


@pytest.mark.parametrize("disabled", [False, True])
def test_contacts_of_a_person_in_their_order(city, disabled):
    from django.utils import timezone

    b = Contact.objects.create(municipality=city, person="resident:1", channel="sms", digest="b", rank=20)
    a = Contact.objects.create(municipality=city, person="resident:1", channel="line", digest="a", rank=10,
                               disabled_at=timezone.now() if disabled else None)
    Contact.objects.create(municipality=city, person="resident:2", channel="sms", digest="c")
    assert [c.pk for c in selectors.contacts_of(city, "resident:1")] == [a.pk, b.pk]
    assert selectors.contacts_of(city, "") == []
