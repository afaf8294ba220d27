"""What a procedure needs before step 1: a card-required procedure says so on its page and on its
first step (the card, which PIN), and what to do without the card (窓口 with what to bring, 郵送
with what to enclose), instead of listing 運転免許証・パスポート as if they were enough online."""

import re

import pytest
from django.urls import reverse

from madoguchi.applications.models import Draft
from madoguchi.applications.requirements import by_post, requirements_of
from madoguchi.catalog.loader import catalog

pytestmark = pytest.mark.django_db

CARD = "residence-certificate-copy"


def _section(html: str, section_id: str) -> str:
    """The text of the requirements block from its heading `section_id` to the next heading."""
    found = re.search(rf'<h3 id="{section_id}">(.*?)(?=<h3 |</section>)', html, re.S)
    assert found, f"no #{section_id} in the page"
    return found.group(1)


def test_card_required_procedure_page_says_card_and_pins_online_and_the_ways_without(client, city):
    html = client.get(reverse("applications:procedure", args=[CARD])).content.decode()
    req = requirements_of(catalog()[CARD], city)
    online = _section(html, "req-online")
    for pin in req.pins:  # both PINs, each with its form and what it is for
        assert str(pin.name) in online and str(pin.rule) in online and str(pin.use) in online
    # Identification other than the card is listed for the counter and the post, not online.
    assert "運転免許証" not in online.split("</ul>")[0]
    counter = _section(html, "req-counter")
    assert req.counter.split("（")[0] in counter  # the department (its window is the city's own)
    assert all(d.name in counter for d in req.bring)
    post = _section(html, "req-post")
    assert len(req.enclose) >= 4 and all(str(e) in post for e in req.enclose)


def test_a_procedure_without_the_card_lists_its_documents_as_before(client, city):
    procedure = catalog()["dog-registration-change"]
    html = client.get(reverse("applications:procedure", args=[procedure.code])).content.decode()
    assert 'id="req-online"' not in html and 'id="req-post"' not in html
    for document in procedure.documents:
        assert document.name in html


def test_post_is_offered_only_where_the_law_provides_for_it():
    assert by_post(catalog()[CARD])
    assert by_post(catalog()["family-register-certificate"])
    assert not by_post(catalog()["moving-in"])


def test_requirements_follow_the_catalogue(city):
    req = requirements_of(catalog()[CARD], city)
    assert req.card and req.by_post
    assert [pin.rule for pin in req.pins][1] == "数字4桁"
    assert "6〜16文字" in req.pins[0].rule
    assert req.bring == catalog()[CARD].documents
    # A マイナポータル procedure needs the card there, not a signature here.
    assert not requirements_of(catalog()["moving-in-reservation"], city).card


def test_the_first_step_says_the_card_is_needed_before_any_input(resident_client):
    resident_client.post(reverse("applications:start", args=[CARD]))
    draft = Draft.objects.latest("id")
    first = resident_client.get(reverse("applications:step", args=[draft.public_id, 0]))
    html = first.content.decode()
    block = re.search(r'<div class="panel requirements" id="requirements">(.*?)</div>', html, re.S)
    assert block, "the first step shows what is needed"
    pin = requirements_of(catalog()[CARD], draft.account.municipality).pins[0]
    assert str(pin.name) in block.group(1) and str(pin.rule) in block.group(1)
    assert f'{reverse("applications:procedure", args=[CARD])}#requirements' in block.group(1)
    second = resident_client.get(reverse("applications:step", args=[draft.public_id, 1]))
    assert 'id="requirements"' not in second.content.decode()


def test_the_first_step_of_a_procedure_without_the_card_shows_no_card_panel(resident_client):
    resident_client.post(reverse("applications:start", args=["dog-registration-change"]))
    draft = Draft.objects.latest("id")
    html = resident_client.get(reverse("applications:step", args=[draft.public_id, 0])).content.decode()
    assert 'id="requirements"' not in html
