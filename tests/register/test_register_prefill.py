"""Once-only online: a card-linked resident's new draft is pre-filled from the register."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from madoguchi.applications import engine, services
from madoguchi.applications.models import Draft
from madoguchi.applications.prefill import Household, fill, from_register
from madoguchi.catalog.loader import catalog
from madoguchi.catalog.selectors import get_procedure
from madoguchi.core.crypto import decrypt_bytes, encrypt_json
from madoguchi.core.models import AuditEvent
from madoguchi.identity.jpki.profile import BasicInfo
from madoguchi.identity.models import ResidentAccount
from madoguchi.register.models import RegisterLink, Resident
from madoguchi.register.seeding import generate_register
from madoguchi.register.selectors import members_of
from madoguchi.register.services import link_account, linked_resident

pytestmark = pytest.mark.django_db

HANAKO_CARD = BasicInfo(name="山田 花子", address="デモ県デモ市本町二丁目3番4号",
                        birth_date=date(1990, 8, 3), gender="2")


@pytest.fixture
def register(city):
    generate_register(city, 50, seed=1)
    return city


def test_linked_resident_gets_register_values_marked_register(register, resident):
    assert link_account(resident, HANAKO_CARD).name == "山田\u3000花子"
    draft = services.start_draft(resident, get_procedure(register, "child-allowance-claim"))
    answers = services.answers_of(draft)
    assert answers["claimant_name"] == "山田\u3000花子"
    assert answers["claimant_kana"] == "ヤマダ\u3000ハナコ"
    assert answers["claimant_birth_date"] == "1990-08-03"
    assert answers["claimant_postal_code"] == "9990001"
    assert answers["claimant_address"] == "デモ市本町2丁目3番4号"
    assert draft.sources["claimant_name"] == services.SOURCE_REGISTER == "register"
    assert "claimant_phone" not in answers
    assert AuditEvent.objects.filter(action="register_prefill", subject_ref=resident.ref).exists()


def test_unlinked_resident_gets_nothing_from_the_register(register, resident):
    draft = services.start_draft(resident, get_procedure(register, "child-allowance-claim"))
    assert "claimant_name" not in services.answers_of(draft)
    assert "register" not in draft.sources.values()


def test_no_match_or_a_changed_card_never_links(register, resident):
    assert link_account(resident, HANAKO_CARD) is not None
    moved = BasicInfo(name="山田 花子", address="福岡県福岡市中央区天神一丁目1番1号",
                      birth_date=date(1990, 8, 3), gender="2")
    assert link_account(resident, moved) is None
    assert linked_resident(resident) is None
    assert not RegisterLink.objects.filter(account=resident).exists()
    assert AuditEvent.objects.filter(action="register_link_failed", detail__matches=0).exists()


def test_a_link_does_not_cross_cities(register, other_city):
    account = ResidentAccount.objects.create(municipality=other_city, email="x@example.jp")
    assert link_account(account, HANAKO_CARD) is None


def test_a_resident_who_moved_out_is_not_used(register, resident):
    hanako = link_account(resident, HANAKO_CARD)
    hanako.status = "moved_out"
    hanako.latest_reason = "転出"
    hanako.save()
    draft = services.start_draft(resident, get_procedure(register, "child-allowance-claim"))
    assert "claimant_name" not in services.answers_of(draft)


# Group fields: the household's children and members, from the same mapping as the counter.

def _children(draft):
    return services.answers_of(draft).get("children", [])


def test_a_linked_residents_claim_lists_the_two_children_from_the_register(register, resident):
    link_account(resident, HANAKO_CARD)
    draft = services.start_draft(resident, get_procedure(register, "child-allowance-claim"))
    assert _children(draft) == [
        {"name": "山田\u3000一郎", "kana": "ヤマダ\u3000イチロウ", "birth_date": "2017-07-15",
         "relationship": "child", "living": "together"},
        {"name": "山田\u3000さくら", "kana": "ヤマダ\u3000サクラ", "birth_date": "2023-04-10",
         "relationship": "child", "living": "together"},
    ]
    assert draft.sources["children-0-name"] == draft.sources["children-1-birth_date"] == "register"
    assert "children" not in draft.sources  # by path, as the counter records them
    event = AuditEvent.objects.get(action="register_prefill")
    assert {"claimant_name", "children-0-name", "children-1-kana"} <= set(event.detail["fields"])
    assert "山田" not in str(event.detail) and "2017-07-15" not in str(event.detail)


def test_a_saved_step_keeps_the_origin_of_the_items_the_resident_left_alone(register, resident):
    link_account(resident, HANAKO_CARD)
    draft = services.start_draft(resident, get_procedure(register, "child-allowance-claim"))
    answers = services.answers_of(draft)
    services.save_draft(draft, answers, 1, ["children"])
    draft.refresh_from_db()
    assert draft.sources["children-0-name"] == draft.sources["children-1-name"] == "register"
    assert "children" not in draft.sources  # nothing changed: not the resident's own yet

    answers["children"][0]["name"] = "山田\u3000一朗"
    services.save_draft(draft, answers, 1, ["children"])
    draft.refresh_from_db()
    assert "children-0-name" not in draft.sources  # typed over: the resident's own
    assert draft.sources["children-0-kana"] == draft.sources["children-1-name"] == "register"

    answers["children"] = answers["children"][1:]  # the first child removed: indices move
    services.save_draft(draft, answers, 1, ["children"])
    draft.refresh_from_db()
    assert not any(path.startswith("children-1-") for path in draft.sources)
    assert "children-0-name" not in draft.sources


def test_an_unlinked_account_gets_no_children_from_the_register(register, resident):
    draft = services.start_draft(resident, get_procedure(register, "child-allowance-claim"))
    assert "children" not in services.answers_of(draft)
    assert not AuditEvent.objects.filter(action="register_prefill").exists()


def test_a_child_of_18_or_over_is_not_listed(register, resident):
    hanako = link_account(resident, HANAKO_CARD)
    ichiro = Resident.objects.get(household=hanako.household, name="山田\u3000一郎")
    today = timezone.localdate()
    ichiro.birth_date = today.replace(year=today.year - 18, day=min(today.day, 28))
    ichiro.save()
    draft = services.start_draft(resident, get_procedure(register, "child-medical-subsidy"))
    assert [c["name"] for c in _children(draft)] == ["山田\u3000さくら"]
    assert _children(draft)[0]["sex"] == "female" and _children(draft)[0]["relationship"] == "child"
    assert "children-1-name" not in draft.sources


def test_a_value_the_field_refuses_is_left_out_of_the_item(register, resident):
    hanako = link_account(resident, HANAKO_CARD)
    Resident.objects.filter(household=hanako.household, name="山田\u3000一郎").update(kana="Ichiro")
    draft = services.start_draft(resident, get_procedure(register, "child-allowance-claim"))
    first = _children(draft)[0]
    assert first["name"] == "山田\u3000一郎" and "kana" not in first
    assert "children-0-kana" not in draft.sources and draft.sources["children-0-name"] == "register"


def test_members_fill_a_members_group_without_their_my_numbers_online(register, resident):
    hanako = link_account(resident, HANAKO_CARD)
    form = get_procedure(register, "nhi-enrollment").current_form
    filled = from_register(resident, form)
    members = filled.answers["members"]
    assert [m["relationship"] for m in members] == ["head", "spouse", "child", "child"]
    assert members[0]["sex"] == "male" and filled.sources["members-3-name"] == "register"
    # Another member's 個人番号 is not put on the account holder's screen.
    assert all("my_number" not in m for m in members)
    assert not any(path.endswith("my_number") for path in filled.sources)
    at_counter = fill(form, "nhi-enrollment", Household(subject=hanako, members=list(members_of(hanako)),
                                                        on=timezone.localdate()))
    assert at_counter.answers["members"][1]["my_number"] == decrypt_bytes(hanako.my_number).decode()


def test_the_card_flow_keeps_a_group_the_draft_already_has(register, resident):
    link_account(resident, HANAKO_CARD)
    procedure = get_procedure(register, "child-allowance-claim")
    form = procedure.current_form
    typed = [{"name": "髙橋\u3000一郎"}]
    draft = Draft.objects.create(municipality=register, account=resident, procedure_code=procedure.code,
                                 form_version=form.version, answers=encrypt_json({"children": typed}, register))
    assert "children" not in services.register_values(resident, form, draft)
    draft.answers = encrypt_json({"children": [{}]}, register)  # an empty item holds nothing yet
    draft.save()
    assert len(services.register_values(resident, form, draft)["children"]) == 2


def test_the_resident_sees_and_can_remove_a_prefilled_child(register, resident, resident_client):
    link_account(resident, HANAKO_CARD)
    resident_client.post(reverse("applications:start", args=["child-allowance-claim"]))
    draft = Draft.objects.latest("id")
    form = get_procedure(register, "child-allowance-claim").current_form
    index = next(i for i, s in enumerate(form.steps) if s.id == "children")
    url = reverse("applications:step", args=[draft.public_id, index])
    page = resident_client.get(url).content.decode()
    assert 'name="children-count" value="2"' in page
    assert 'value="山田\u3000さくら"' in page and "お子さん 2 を削除" in page
    data = {"children-count": "2"}
    for n, child in enumerate(_children(draft)):
        data.update({f"children-{n}-{k}": v for k, v in child.items()})
    resident_client.post(url, {**data, "_action": "remove:children:0"})
    draft.refresh_from_db()
    assert [c["name"] for c in _children(draft)] == ["山田\u3000さくら"]


def test_the_case_page_labels_a_group_items_source():
    form = catalog()["child-allowance-claim"].current_form
    sources = {"claimant_name": "register", "children-1-name": "register", "children-0-kana": "resident"}
    assert engine.labelled_sources(form, sources) == [("氏名", "register"), ("お子さん2 氏名", "register")]


def test_online_the_household_head_is_the_head_not_the_account_holder(register, resident):
    hanako = link_account(resident, HANAKO_CARD)  # the wife: not the 世帯主
    form = get_procedure(register, "nhi-withdrawal").current_form
    filled = from_register(resident, form)
    head = hanako.household.head
    assert head.name == "山田\u3000太郎" and head.pk != hanako.pk
    assert filled.answers["head_name"] == head.name and filled.answers["head_kana"] == head.kana
    assert filled.answers["head_birth_date"] == head.birth_date.isoformat()
    assert not any(k.startswith(("deceased_", "new_", "notifier")) for k in filled.answers)
