"""Staff look-ups: kana variants with birth date, 個人番号, the card's 基本4情報, households;
every look-up audited with its reason; another city's residents are never found."""

from datetime import date

import pytest

from madoguchi.core.actors import Actor
from madoguchi.core.models import AuditEvent
from madoguchi.identity.card.pkcs11 import CardFace
from madoguchi.register.seeding import generate_register
from madoguchi.register.selectors import (
    LookupRefused,
    find_by_basic_info,
    find_by_card_face,
    find_by_kana,
    find_by_my_number,
    household_members,
)

pytestmark = pytest.mark.django_db

REASON = "counter-session:17"
TARO_BORN = date(1988, 5, 20)
TARO_NUMBER = "900000000117"


@pytest.fixture
def register(city):
    generate_register(city, 400, seed=2)
    return city


@pytest.fixture
def clerk(staff):
    return Actor.staff(staff["shimin-tanto"])


def _names(found):
    return [r.name for r in found]


@pytest.mark.parametrize("kana", ["ヤマダ タロウ", "やまだ　たろう", "ﾔﾏﾀﾞﾀﾛｳ", "ヤマダタロウ", "ヤマダ", "たろう"])
def test_kana_in_any_form_with_birth_date(register, clerk, kana):
    assert _names(find_by_kana(register, clerk, REASON, kana, TARO_BORN)) == ["山田\u3000太郎"]


def test_kana_with_wareki_birth_date_and_small_kana_written_large(register, clerk):
    assert _names(find_by_kana(register, clerk, REASON, "ヤマダ サクラ", "令和5年4月10日")) == ["山田\u3000さくら"]
    assert find_by_kana(register, clerk, REASON, "ヤマダ ジロウ", TARO_BORN) == []


def test_my_number_finds_exactly_and_refuses_a_malformed_one(register, clerk):
    assert find_by_my_number(register, clerk, REASON, TARO_NUMBER).name == "山田\u3000太郎"
    assert find_by_my_number(register, clerk, REASON, "1234-5678-9018") is None
    with pytest.raises(LookupRefused):
        find_by_my_number(register, clerk, REASON, "900000000118")


def test_card_basic_info_tolerates_spaces_variants_and_address_styles(register, clerk):
    found = find_by_basic_info(register, clerk, REASON, "山田 太郎", "1988-05-20", "デモ県デモ市本町二丁目3番4号")
    assert _names(found) == ["山田\u3000太郎"]
    assert find_by_basic_info(register, clerk, REASON, "山田 太郎", TARO_BORN, "デモ市本町2-3-5") == []


def test_household_members_head_first(register, clerk):
    taro = find_by_my_number(register, clerk, REASON, TARO_NUMBER)
    members = household_members(register, clerk, REASON, taro)
    assert [m.relationship for m in members] == ["世帯主", "妻", "子", "子"]


def test_every_look_up_is_audited_with_reason_and_actor_but_not_the_query(register, clerk, staff):
    before = AuditEvent.objects.filter(action="register_lookup").count()
    find_by_kana(register, clerk, REASON, "ヤマダ タロウ", TARO_BORN)
    find_by_my_number(register, clerk, "転入手続の本人確認", TARO_NUMBER)
    events = list(AuditEvent.objects.filter(action="register_lookup").order_by("id"))[before:]
    assert [(e.target_id, e.detail["reason"]) for e in events] == [
        ("kana", REASON), ("my_number", "転入手続の本人確認")]
    assert all(e.actor_ref == f"staff:{staff['shimin-tanto'].pk}" for e in events)
    assert events[0].subject_ref.startswith("register:")
    text = str([(e.detail, e.subject_ref, e.target_id) for e in events])
    for secret in ("ヤマダ", "山田", "1988", TARO_NUMBER):
        assert secret not in text


def test_a_look_up_without_reason_is_refused_and_not_made(register, clerk):
    with pytest.raises(LookupRefused):
        find_by_kana(register, clerk, "  ", "ヤマダ", TARO_BORN)
    assert not AuditEvent.objects.filter(action="register_lookup").exists()


def test_another_citys_residents_are_never_found(register, other_city, clerk):
    assert find_by_kana(other_city, clerk, REASON, "ヤマダ タロウ", TARO_BORN) == []
    assert find_by_my_number(other_city, clerk, REASON, TARO_NUMBER) is None
    assert find_by_basic_info(other_city, clerk, REASON, "山田太郎", TARO_BORN, "デモ市本町2丁目3番4号") == []
    taro = find_by_my_number(register, clerk, REASON, TARO_NUMBER)
    with pytest.raises(LookupRefused):
        household_members(other_city, clerk, REASON, taro)


def test_card_face_by_number_or_by_basic_info(register, clerk):
    face = CardFace(name="山田　太郎", address="デモ市本町2丁目3番4号", birth_date="1988-05-20",
                    gender="1", my_number=TARO_NUMBER)
    assert _names(find_by_card_face(register, clerk, REASON, face)) == ["山田\u3000太郎"]
    without = CardFace(name="山田 太郎", address="デモ市本町二丁目3番4号", birth_date="1988-05-20",
                       gender="1", my_number="")
    assert _names(find_by_card_face(register, clerk, REASON, without)) == ["山田\u3000太郎"]
    methods = list(AuditEvent.objects.filter(action="register_lookup").values_list("target_id", flat=True))
    assert methods == ["card_my_number", "card_basic_info"]
