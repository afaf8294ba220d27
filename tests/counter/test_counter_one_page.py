"""The 山田 family's 転入 at the counter through the pages: the register answers what it knows,
the questions come together, the blanks are saved at once and a family's answer is typed once."""

import base64
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from madoguchi.core.actors import Actor
from madoguchi.core.crypto import decrypt_bytes
from madoguchi.core.models import AuditEvent
from madoguchi.counter import bundle, services
from madoguchi.counter.models import CounterVisit, Source
from madoguchi.register.models import Resident
from madoguchi.register.seeding import generate_register
from madoguchi.register.synthetic import DEMO_HOUSEHOLD

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
ANSWERS = {"kind": "from_other_city", "card": "yes", "insurance": "nhi", "oldest": "under65", "daycare": "no",
           "care_cert": "no", "disability": "no", "dog": "yes", "licence": "yes", "car": "none", "moped": "no",
           "seal": "no", "online_moving_out": "no", "rearing_allowance": "no", "school_aid": "no", "pregnant": "no"}


@pytest.fixture
def yamada(city):
    generate_register(city, 8, seed=0)
    return list(Resident.objects.filter(municipality=city, household__number=DEMO_HOUSEHOLD).order_by("code"))


@pytest.fixture
def clerk_client(client, staff):
    client.force_login(staff["shimin-tanto"])
    return client


@pytest.fixture
def visit(city, staff, yamada):
    actor = Actor.staff(staff["shimin-tanto"])
    visit = services.start_visit(city, staff["shimin-tanto"], actor)
    services.choose(visit, actor, yamada[0].pk)
    return visit


def _post(client, visit, name, data=None):
    return client.post(reverse("counter:action", args=[visit.public_id, name]), data or {})


def _page(client, visit) -> str:
    return client.get(reverse("counter:visit", args=[visit.public_id])).content.decode()


def _answer_all(client, visit):
    for _ in range(3):
        asked = re.findall(r'data-question="([a-z_]+)"', _page(client, visit))
        if not asked:
            return
        data = {"question": asked}
        for question in asked:
            data[f"value-{question}"] = (timezone.localdate().isoformat() if question == "day"
                                         else ANSWERS[question])
        assert _post(client, visit, "answer", data).status_code == 302
    pytest.fail("the questions did not end")


def test_the_register_answers_the_household_and_the_rest_is_asked_on_two_pages(clerk_client, visit, yamada):
    assert _post(clerk_client, visit, "event", {"event": "moving"}).status_code == 302
    visit.refresh_from_db()
    assert visit.known_from_register == ["household", "children", "oldest"]
    assert visit.plan.answers == {"household": "family", "children": ["age_3_5", "elementary"], "oldest": "under65"}
    page = _page(clerk_client, visit)
    assert page.count('<tr class="member">') == 4 and all(m.name in page for m in yamada)
    assert '<strong>引越し</strong>' in page and "できごと: moving" not in page
    assert page.count('data-source="register"') == 3
    first = re.findall(r'data-question="([a-z_]+)"', page)
    assert first == ["kind", "day", "card", "insurance", "daycare", "care_cert", "disability", "dog",
                     "licence", "car", "moped", "seal"]
    # Each look-up of the household is audited with the visit as its reason.
    lookups = AuditEvent.objects.filter(action="register_lookup", target_id="household")
    assert lookups.exists() and all(e.detail["reason"] == visit.ref for e in lookups)

    # Two answers left out: the page comes back at once with those two, each named at its
    # question; what was chosen is stored and not asked again.
    data = {"question": first, **{f"value-{q}": ANSWERS.get(q, "") for q in first if q not in ("day", "card")}}
    response = _post(clerk_client, visit, "answer", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="answer-day-error"' in page and 'id="answer-card-error"' in page
    # (the kind of move, now answered, also opens 児童扶養手当・就学援助・妊娠 on the same page)
    assert re.findall(r'data-question="([a-z_]+)"', page) == ["day", "card", "rearing_allowance", "school_aid",
                                                              "pregnant"]
    visit.plan.refresh_from_db()
    assert visit.plan.answers["dog"] == "yes" and "card" not in visit.plan.answers

    _answer_all(clerk_client, visit)
    visit.plan.refresh_from_db()
    assert visit.plan.answers["online_moving_out"] == "no"


def test_one_save_for_every_form_and_a_familys_answer_typed_once(clerk_client, visit, yamada):
    _post(clerk_client, visit, "event", {"event": "moving"})
    _answer_all(clerk_client, visit)
    assert _post(clerk_client, visit, "build").status_code == 302
    visit.refresh_from_db()
    entries = {e.procedure.code: e for e in bundle.entries(visit)}
    moving_in, nhi = entries["moving-in"], entries["nhi-enrollment"]
    allowance, medical = entries["child-allowance-claim"], entries["child-medical-subsidy"]

    # What the answers and the register already say is filled, with where it came from.
    assert [m["has_card"] for m in moving_in.answers["movers"]] == ["continue"] * 4
    assert moving_in.answers["household_kind"] == "new"
    assert moving_in.form.sources["movers-0-has_card"] == Source.NAVIGATOR
    assert [c["insurance_kind"] for c in medical.answers["children"]] == ["nhi", "nhi"]
    assert [c["insurance_holder"] for c in medical.answers["children"]] == [yamada[0].name] * 2
    assert allowance.answers["claimant_pension"] == "kokumin"
    assert allowance.answers["account_holder_kana"] == medical.answers["account_holder_kana"] == yamada[0].kana

    page = _page(clerk_client, visit)
    assert page.count('<form method="post" action="') and page.count('id="save-all"') == 1
    family = f"family-{moving_in.form.pk}-movers-nationality"
    assert f'name="{family}"' in page and f'name="f{moving_in.form.pk}-movers-0-nationality"' not in page
    assert f'href="#{family}"' in page and f'href="#f{allowance.form.pk}-bank_name"' in page
    # The phone is asked on the first form that asks it, not again on the others.
    assert f'name="f{moving_in.form.pk}-notifier_phone"' in page and f'name="f{nhi.form.pk}-phone"' not in page

    response = _post(clerk_client, visit, "fill_all", {
        family: "japanese",
        f"family-{moving_in.form.pk}-movers-domicile": "福岡県福岡市中央区天神一丁目1番",
        f"family-{moving_in.form.pk}-movers-domicile_head": "山田 太郎",
        f"family-{moving_in.form.pk}-movers-country": "アメリカ合衆国",  # not for 国籍 日本: not stored
        f"f{moving_in.form.pk}-notifier_phone": "092-111-2222",
        f"f{allowance.form.pk}-bank_name": "デモ銀行",
        f"f{allowance.form.pk}-account_number": "12",  # too short: kept as typed, the rest stored
    })
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(rf'id="f{allowance.form.pk}-account_number" name="f{allowance.form.pk}-account_number" '
                     r'value="12"[^>]*aria-invalid="true"', page)
    entries = {e.procedure.code: e for e in bundle.entries(visit)}
    movers = entries["moving-in"].answers["movers"]
    assert [m["nationality"] for m in movers] == ["japanese"] * 4
    assert [m["domicile_head"] for m in movers] == ["山田\u3000太郎"] * 4
    assert all("country" not in m for m in movers)
    assert entries["nhi-enrollment"].answers["phone"] == entries["moving-in"].answers["notifier_phone"] == "0921112222"  # shared from the one typed
    assert entries["child-medical-subsidy"].answers["bank_name"] == "デモ銀行"
    assert entries["child-allowance-claim"].raw == {"account_number": "12"}
    visit.refresh_from_db()
    # 国籍, 本籍 and 筆頭者 typed once each for four people, the phone and the bank once.
    assert visit.fields_typed_by_clerk == 5


def test_after_filing_the_take_away_sheet_lists_what_is_done_elsewhere(clerk_client, visit, staff):
    _post(clerk_client, visit, "event", {"event": "moving"})
    _answer_all(clerk_client, visit)
    actor = Actor.staff(staff["shimin-tanto"])
    visit.refresh_from_db()
    bundle.build(visit, actor)
    for entry in bundle.entries(visit):
        form = entry.procedure.form(entry.form.form_version)
        values = {}
        for path in entry.blanks:
            field = bundle.field_at(form, path)
            values[path] = (field.options[0].value if field.options else True if field.type == "checkbox"
                            else "1234567" if field.id == "account_number"
                            else {"phone": "092-111-2222", "name": "山田 太郎", "kana": "ヤマダ　タロウ",
                                  "address": "福岡県福岡市中央区天神一丁目1番"}.get(field.type, "デモ"))
        bundle.fill_blanks(entry.form, entry.procedure, values, actor)
    for entry in bundle.entries(visit):  # 本籍 appears once 国籍 is chosen, the old 予診票 once 転入元 is
        form = entry.procedure.form(entry.form.form_version)
        bundle.fill_blanks(entry.form, entry.procedure, {p: bundle.field_at(form, p).options[0].value
                                                         if bundle.field_at(form, p).options
                                                         else "福岡県福岡市中央区天神一丁目1番" if p.split("-")[-1] == "domicile"
                                                         else "山田 太郎" for p in entry.blanks}, actor)
    services.confirm(visit, actor)
    url = reverse("counter:takeaway_pdf", args=[visit.public_id])
    services.sign(visit, actor, PNG)
    services.file_visit(visit, actor)
    visit = CounterVisit.objects.get(pk=visit.pk)
    page = _page(clerk_client, visit)
    assert 'id="takeaway"' in page and 'data-procedure="driving-licence-change"' in page
    assert f'href="{url}"' in page
    response = clerk_client.get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert decrypt_bytes(visit.signature.image).startswith(b"\x89PNG")


def test_the_registers_answers_are_asked_instead_when_the_visitor_says_so(clerk_client, city, staff, yamada):
    actor = Actor.staff(staff["shimin-tanto"])
    visit = services.start_visit(city, staff["shimin-tanto"], actor)
    _post(clerk_client, visit, "event", {"event": "moving"})  # the event before the visitor
    visit.refresh_from_db()
    assert visit.known_from_register == [] and visit.plan.answers == {}
    _post(clerk_client, visit, "choose", {"resident": yamada[1].pk})  # 花子 comes
    visit.refresh_from_db()
    assert visit.known_from_register == ["household", "children", "oldest"]
    assert 'id="ask-known"' in _page(clerk_client, visit)

    # Only 花子 and the children move (太郎 stays): the register's answers are not theirs.
    assert _post(clerk_client, visit, "ask_known").status_code == 302
    visit.refresh_from_db()
    visit.plan.refresh_from_db()
    assert visit.known_from_register == [] and visit.plan.answers == {}
    page = _page(clerk_client, visit)
    assert 'data-question="household"' in page and 'id="known-answers"' not in page
