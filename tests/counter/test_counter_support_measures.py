"""支援措置 at the counter: the clerk is warned at once when a protected resident is in the
visit; until the clerk confirms the visitor is that person, no register address is filled and
neither the visitor's tablet nor the printed 確認票 carries an address; the candidates of a
search show the record as 支援措置対象 with the address masked."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from test_counter_services import (  # noqa: F401 - the fixtures of the counter's services tests
    ADDRESS,
    MOVING_IN,
    _answer_all,
    actor,
    clerk,
    family,
    visit,
)

from madoguchi.catalog.schema import FieldType
from madoguchi.core.actors import Actor
from madoguchi.core.models import AuditEvent
from madoguchi.counter import bundle, pdf, services
from madoguchi.counter.models import Source
from madoguchi.counter.presenting import visitor_context
from madoguchi.counter.protected import came_in_person
from madoguchi.register import protection

pytestmark = pytest.mark.django_db

ADDRESS_TYPES = (FieldType.ADDRESS, FieldType.POSTAL_CODE)


@pytest.fixture
def protect(city, staff):
    def mark(resident):
        return protection.mark(city, Actor.staff(staff["shimin-shien"]), resident)
    return mark


def _moving_bundle(visit, actor, family, chosen="head", represented=False):  # noqa: F811
    services.choose(visit, actor, family[chosen].pk, represented=represented)
    plan = services.start_event(visit, "moving")
    _answer_all(plan, MOVING_IN, timezone.localdate() - timedelta(days=3))
    visit.refresh_from_db()
    return bundle.build(visit, actor)


def _register_addresses(entries) -> list[str]:
    """Paths of address and postal code fields the register filled."""
    found = []
    for entry in entries:
        form = entry.procedure.form(entry.form.form_version)
        for path, source in entry.form.sources.items():
            field = bundle.field_at(form, path)
            if source == Source.REGISTER and field is not None and field.type in ADDRESS_TYPES:
                found.append(f"{entry.procedure.code}:{path}")
    return found


def _tablet_text(visit) -> str:  # noqa: F811
    context = visitor_context(visit)
    return " ".join(str(value) for item in context["entries"]
                    for value in [*(r.get("value", "") for r in item["rows"]),
                                  *(v for _, v in item["brief"].facts)])


def _summary_pdf_text(visit) -> str:  # noqa: F811
    reader = PdfReader(io.BytesIO(pdf.render_summary(visit, bundle.entries(visit))))
    return "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\n", "")


def test_without_a_protected_person_the_register_fills_addresses(visit, actor, family):  # noqa: F811
    entries = _moving_bundle(visit, actor, family)
    assert _register_addresses(entries)  # what the rule below takes away
    assert ADDRESS in _tablet_text(visit)


def test_a_protected_member_keeps_every_address_off_the_forms_tablet_and_print(visit, actor, family, protect):  # noqa: F811
    protect(family["wife"])
    entries = _moving_bundle(visit, actor, family)
    assert entries and _register_addresses(entries) == []
    assert ADDRESS not in _tablet_text(visit)
    assert ADDRESS.replace(" ", "") not in _summary_pdf_text(visit)
    assert services.protected_people(visit) == {family["wife"].pk}


def test_the_clerk_page_warns_at_once_and_marks_the_member(client, clerk, visit, actor, family, protect):  # noqa: F811
    protect(family["son"])
    services.choose(visit, actor, family["head"].pk)
    client.force_login(clerk)
    page = client.get(reverse("counter:visit", args=[visit.public_id])).content.decode()
    assert 'id="protected-warning"' in page and 'role="alert"' in page
    assert f'data-protected="{family["son"].pk}"' in page
    assert 'id="confirm-protected-person"' not in page  # the visitor is not the protected person


def test_confirming_the_protected_visitor_brings_the_addresses_back(client, clerk, visit, actor, family, protect):  # noqa: F811
    protect(family["wife"])
    _moving_bundle(visit, actor, family, chosen="wife")
    assert ADDRESS not in _tablet_text(visit)
    client.force_login(clerk)
    page = client.get(reverse("counter:visit", args=[visit.public_id])).content.decode()
    assert 'id="confirm-protected-person"' in page
    client.post(reverse("counter:action", args=[visit.public_id, "protected_person"]))
    visit.refresh_from_db()
    assert visit.protected_person_confirmed
    assert _register_addresses(bundle.entries(visit))
    assert ADDRESS in _tablet_text(visit)
    event = AuditEvent.objects.get(action="counter_protected_person_confirmed")
    assert event.subject_ref == family["wife"].ref


def test_a_proxy_for_the_protected_person_cannot_be_confirmed_and_a_new_person_resets_it(visit, actor, family, protect):  # noqa: F811
    protect(family["wife"])
    _moving_bundle(visit, actor, family, chosen="wife", represented=True)
    with pytest.raises(services.VisitRefused):
        services.confirm_protected_person(visit, actor)
    services.choose(visit, actor, family["wife"].pk)  # the wife herself came after all
    services.confirm_protected_person(visit, actor)
    visit.refresh_from_db()
    assert visit.protected_person_confirmed
    services.choose(visit, actor, family["head"].pk)
    visit.refresh_from_db()
    assert not visit.protected_person_confirmed


def test_the_search_candidates_mask_a_protected_address(client, clerk, visit, family, protect):  # noqa: F811
    protect(family["wife"])
    client.force_login(clerk)
    page = client.post(reverse("counter:search", args=[visit.public_id]),
                       {"kana": "ヤマダ", "birth_date": ""}).content.decode()
    assert f'data-protected="{family["wife"].pk}"' in page
    assert page.count(ADDRESS) == 3  # the three others; not the wife's


def test_who_came_in_person_for_a_certificate_request(visit, actor, family, protect):  # noqa: F811
    """The counter tells the filing whether the applicant came themselves: a request for a
    protected resident's 住民票の写し by anyone else then waits for the 支援措置担当."""
    services.choose(visit, actor, family["head"].pk)
    visit.refresh_from_db()
    assert came_in_person(visit, family["head"])  # nobody protected
    services.choose(visit, actor, family["wife"].pk, represented=True)
    visit.refresh_from_db()
    assert not came_in_person(visit, family["wife"])  # a proxy for her
    protect(family["wife"])
    services.choose(visit, actor, family["wife"].pk)
    visit.refresh_from_db()
    assert not came_in_person(visit, family["wife"])  # not yet confirmed as her
    services.confirm_protected_person(visit, actor)
    visit.refresh_from_db()
    assert came_in_person(visit, family["wife"])
