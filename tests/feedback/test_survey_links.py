"""A survey link: signed, for one city, expiring, and carrying nothing about the resident."""

import time

import pytest
from django.core import signing

from madoguchi.core.models import Department
from madoguchi.feedback import invites
from madoguchi.feedback.models import Touchpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def department(city):
    return Department.objects.get(municipality=city, code="kodomo")


def test_a_link_reads_back_what_it_was_made_with(city, department):
    token = invites.make_token(city, Touchpoint.ONLINE, "child-allowance-claim", department, "vi")
    invite = invites.read_token(token, city)
    assert (invite.city_id, invite.touchpoint, invite.procedure_code, invite.department_id, invite.language,
            invite.back) == (city.pk, "online", "child-allowance-claim", department.pk, "vi", "")


def test_two_links_for_the_same_procedure_are_answered_apart(city, department):
    one = invites.read_token(invites.make_token(city, Touchpoint.ONLINE, "x", department), city)
    two = invites.read_token(invites.make_token(city, Touchpoint.ONLINE, "x", department), city)
    assert one.nonce != two.nonce and one.digest != two.digest
    assert one.nonce not in one.digest  # only the keyed hash is kept of a used link


def test_the_link_holds_only_where_it_was_asked_not_who(city, department):
    token = invites.make_token(city, Touchpoint.COUNTER, "moving-in", department, "en", back="/counter/tablet/")
    payload = signing.loads(token, salt=invites.SALT)
    assert set(payload) == {"c", "t", "p", "d", "l", "n", "b"}


@pytest.mark.parametrize("edit", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature
    lambda t: "x" + t,  # the payload
    lambda t: "",
    lambda t: "not-a-token",
    lambda t: t * 40,  # very long
])
def test_an_edited_link_is_refused(city, department, edit):
    token = invites.make_token(city, Touchpoint.ONLINE, "x", department)
    with pytest.raises(invites.InvalidInvite):
        invites.read_token(edit(token), city)


def test_a_link_of_another_city_is_refused(city, other_city):
    token = invites.make_token(other_city, Touchpoint.ONLINE, "x")
    with pytest.raises(invites.InvalidInvite):
        invites.read_token(token, city)
    with pytest.raises(invites.InvalidInvite):
        invites.read_token(token, None)


def test_a_link_expires_after_the_documented_days(city, monkeypatch, settings):
    settings.MADOGUCHI_SURVEY_LINK_DAYS = 3
    token = invites.make_token(city, Touchpoint.ONLINE, "x")
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 3 * 86400 - 60)
    invites.read_token(token, city)
    monkeypatch.setattr(time, "time", lambda: now + 3 * 86400 + 60)
    with pytest.raises(invites.InvalidInvite):
        invites.read_token(token, city)


def test_a_link_cannot_send_the_resident_to_another_site(city):
    for back in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        with pytest.raises(invites.InvalidInvite):
            invites.read_token(invites.make_token(city, Touchpoint.COUNTER, back=back), city)


def test_an_unknown_language_falls_back_to_japanese(city):
    invite = invites.read_token(invites.make_token(city, Touchpoint.ONLINE, language="xx"), city)
    assert invite.language == "ja"


def test_the_counter_link_is_about_the_one_procedure_of_a_visit_or_the_visit(city):
    kodomo, shimin = (Department.objects.get(municipality=city, code=c) for c in ("kodomo", "shimin"))

    class Case:
        def __init__(self, code, department):
            self.procedure_code, self.department_id = code, department.pk

    def read(cases):
        url = invites.counter_url(city, cases, "ja", back="/counter/tablet/")
        return invites.read_token(url.split("/")[-2], city)

    one = read([Case("moving-in", shimin)])
    assert (one.procedure_code, one.department_id, one.touchpoint) == ("moving-in", shimin.pk, "counter")
    same_department = read([Case("moving-in", shimin), Case("seal-registration", shimin)])
    assert (same_department.procedure_code, same_department.department_id) == ("", shimin.pk)
    several = read([Case("moving-in", shimin), Case("child-allowance-claim", kodomo)])
    assert (several.procedure_code, several.department_id) == ("", None)
