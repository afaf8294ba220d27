"""The visitor's summary on the tablet: per form what it is for and the facts that make it the
family's (who, which address, which day, the fee), every row behind a <details>, the signature
reachable from the top; after the filing, the receipt numbers and what is left elsewhere."""

import re

import pytest
import test_counter_services as shared
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from madoguchi.core.actors import Actor
from madoguchi.core.crypto import decrypt_bytes
from madoguchi.counter import bundle, presenting, services, tablets
from madoguchi.counter.models import VisitStatus

clerk, actor, family, visit = shared.clerk, shared.actor, shared.family, shared.visit

HOME = "/counter/tablet/"
WITH_SEAL_AND_LICENCE = {**shared.MOVING_IN, "seal": ["yes"], "licence": ["yes"]}
TAGS = re.compile(r"<[^>]+>")


def _checked(visit, actor, family):
    services.choose(visit, actor, family["head"].pk)
    plan = services.start_event(visit, "moving")
    shared._answer_all(plan, WITH_SEAL_AND_LICENCE, timezone.localdate())
    visit.refresh_from_db()
    bundle.build(visit, actor)
    shared._fill_every_blank(visit, actor)
    services.confirm(visit, actor)
    visit.refresh_from_db()
    return visit


@pytest.fixture
def tablet(city, clerk):
    device = Client()
    code = tablets.issue_code(city, clerk, Actor.staff(clerk))
    assert device.post(reverse("counter_tablet:pair"), {"code": code}).status_code == 302
    return device


def _briefs(visit, easy=False) -> dict:
    return {e.procedure.code: presenting.brief(e, easy) for e in bundle.entries(visit)}


def test_each_form_reads_as_who_where_when_and_the_fee(visit, actor, family):
    briefs = _briefs(_checked(visit, actor, family))
    moving_in = dict(briefs["moving-in"].facts)
    assert "引っ越してきた" in briefs["moving-in"].purpose and briefs["moving-in"].purpose.endswith("。")
    assert all(p.name in moving_in["異動者"] for p in family.values())  # the four who move
    assert moving_in["新住所"] == shared.ADDRESS
    assert "東京都千代田区" in moving_in["前住所（住民票のあった住所）"]
    assert any(label.startswith("異動日") for label in moving_in)
    assert moving_in["手数料"] == "なし"
    assert dict(briefs["seal-registration"].facts)["手数料"] == "300円"
    allowance = dict(briefs["child-allowance-claim"].facts)
    assert {family["son"].name, family["daughter"].name} <= set(allowance["児童"].split("、"))
    assert family["head"].name in allowance.values()


def test_the_short_summary_leaves_numbers_and_birth_dates_to_the_details(visit, actor, family):
    _checked(visit, actor, family)
    numbers = [decrypt_bytes(p.my_number).decode() for p in family.values()]
    for entry in bundle.entries(visit):
        facts = presenting.brief(entry).facts
        text = " ".join(f"{label} {value}" for label, value in facts)
        assert not any(n in text for n in numbers), entry.procedure.code
        assert "個人番号" not in text and "生年月日" not in text
        assert len(facts) < sum(1 for r in presenting.summary_rows(entry) if "label" in r)


def test_in_easy_japanese_the_catalogue_text_is_left_out_and_the_fee_line_stays(visit, actor, family):
    """The plain words of the fee line are the ja-easy catalogue's (.po); the line is the same one."""
    briefs = _briefs(_checked(visit, actor, family), easy=True)
    plain = _briefs(visit)
    assert all(b.purpose == "" for b in briefs.values())
    assert all(briefs[code].facts[-1] == plain[code].facts[-1] for code in briefs)


def _text(html: str) -> str:
    return TAGS.sub("", html)


def test_the_tablet_leads_to_the_signature_first_and_keeps_the_details_one_tap_away(tablet, visit, actor, family):
    _checked(visit, actor, family)
    page = tablet.get(HOME).content.decode()
    jump, first_form, pad = page.index('href="#sign"'), page.index('class="tablet-form"'), page.index("<canvas")
    assert jump < first_form < pad
    assert 'id="sign"' in page
    forms = bundle.entries(visit)
    assert page.count("<details") == len(forms) == page.count('class="tablet-form"')
    # The last form's details close before the signature: the pad follows the short summaries.
    assert page.rindex("</details>") < pad
    for entry in forms:
        start = page.index(f'id="form-{entry.form.pk}"')
        section = page[start:page.index("</li>", start)]
        short, details = section.split("<details", 1)
        assert "手数料" in short
        for row in presenting.summary_rows(entry):
            if "label" in row:
                assert row["label"] in _text(details)
    assert not re.search(r"<(input|textarea|select)\b(?![^>]*type=\"hidden\")", page)


def test_after_the_filing_the_tablet_shows_what_is_left_elsewhere_not_the_forms(tablet, visit, actor, family):
    _checked(visit, actor, family)
    services.sign(visit, actor, shared.PNG)
    services.file_visit(visit, actor)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.FILED
    page = tablet.get(HOME).content.decode()
    assert 'id="receipts"' in page and 'id="takeaway"' in page
    for code in ("school-transfer", "driving-licence-change", "mynumber-card-address-change"):
        assert f'data-procedure="{code}"' in page
    for code in visit.forms.values_list("procedure_code", flat=True):
        assert f'data-procedure="{code}"' not in page  # filed: a receipt number, not a form again
    assert "<details" not in page and "在学証明書" in page and "警察署" in page
    easy = tablet.get(HOME + "?lang=easy").content.decode()
    assert 'id="takeaway"' in easy and 'data-language="ja-easy"' in easy


def test_the_clerk_s_preview_shows_the_visitor_the_same_page(client, clerk, tablet, visit, actor, family):
    """The clerk's own screen, when no tablet is paired, is the visitor's page too: the same
    short summaries, every row behind them, the way to the signature."""
    _checked(visit, actor, family)
    client.force_login(clerk)
    page = client.get(reverse("counter:tablet", args=[visit.public_id])).content.decode()
    on_tablet = tablet.get(HOME).content.decode()
    forms = bundle.entries(visit)
    assert page.count("<details") == on_tablet.count("<details") == len(forms)
    assert 'href="#sign"' in page and 'id="sign"' in page
    for entry in forms:
        rows = [r["label"] for r in presenting.summary_rows(entry) if "label" in r]
        assert all(label in _text(page) for label in rows)
