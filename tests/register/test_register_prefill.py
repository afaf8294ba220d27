"""Once-only online: a card-linked resident's new draft is pre-filled from the register."""

from datetime import date

import pytest

from madoguchi.applications import services
from madoguchi.catalog.selectors import get_procedure
from madoguchi.core.models import AuditEvent
from madoguchi.identity.jpki.profile import BasicInfo
from madoguchi.identity.models import ResidentAccount
from madoguchi.register.models import RegisterLink
from madoguchi.register.prefill import children_of
from madoguchi.register.seeding import generate_register
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


def test_children_of_the_household_for_group_fields(register, resident):
    hanako = link_account(resident, HANAKO_CARD)
    assert [c["name"] for c in children_of(hanako, date(2026, 10, 1))] == ["山田\u3000一郎", "山田\u3000さくら"]
    assert children_of(hanako, date(2042, 1, 1)) == []


def test_a_resident_who_moved_out_is_not_used(register, resident):
    hanako = link_account(resident, HANAKO_CARD)
    hanako.status = "moved_out"
    hanako.latest_reason = "転出"
    hanako.save()
    draft = services.start_draft(resident, get_procedure(register, "child-allowance-claim"))
    assert "claimant_name" not in services.answers_of(draft)
