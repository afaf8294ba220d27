"""Model rules and look-up keys of the register."""

from datetime import date

import pytest
from django.db import IntegrityError

from madoguchi.register.keys import address_key, kana_keys, my_number_hash
from madoguchi.register.models import Household, Resident
from madoguchi.register.seeding import RegisterNotEmpty, generate_register


@pytest.mark.parametrize("written", [
    "デモ市桜ケ丘2丁目3番4号", "デモ県デモ市桜ヶ丘二丁目3番4号", "デモ市桜ケ丘2-3-4", "デモ市 桜ケ丘２丁目３番４号",
])
def test_one_address_written_four_ways_has_one_key(written):
    assert address_key(written) == address_key("デモ市桜ケ丘2丁目3番4号")


def test_address_key_keeps_different_addresses_apart():
    assert address_key("デモ市桜ケ丘2丁目3番4号") != address_key("デモ市桜ケ丘2丁目3番14号")
    assert address_key("デモ市本町12番地") != address_key("デモ市本町1番地")


def test_kana_keys_fold_spacing_script_and_small_kana():
    assert kana_keys("きょうこ") == kana_keys("キヨウコ")
    assert kana_keys("ヤマダ　キョウコ") == ("ヤマダキヨウコ", "ヤマダ", "キヨウコ")


def test_my_number_hash_is_keyed(settings):
    first = my_number_hash("123456789018")
    assert len(first) == 64 and "123456789018" not in first
    settings.MADOGUCHI_MY_NUMBER_HASH_KEY = "another secret"
    assert my_number_hash("123456789018") != first


@pytest.mark.django_db
def test_resident_code_is_unique_per_city_not_across_cities(city, other_city):
    generate_register(city, 5, seed=1)
    taro = Resident.objects.get(municipality=city, code="90000000001")
    household = Household.objects.create(municipality=other_city, number="1")
    twin = Resident.objects.get(pk=taro.pk)
    twin.pk, twin.municipality, twin.household = None, other_city, household
    twin.save()  # the same code in another city is another person
    with pytest.raises(IntegrityError):
        Resident.objects.create(
            municipality=city, code="90000000001", household=taro.household, relationship="子",
            name="山田\u3000次郎", kana="ヤマダ\u3000ジロウ", birth_date=date(2020, 1, 1), gender="1",
            address="デモ市本町2丁目3番4号", settled_on=date(2020, 1, 1),
            became_resident_on=date(2020, 1, 1), latest_reason="出生", kana_key="ヤマダジロウ",
            surname_key="ヤマダ", given_key="ジロウ")


@pytest.mark.django_db
def test_household_head_is_the_current_head(city):
    generate_register(city, 30, seed=9)
    for household in Household.objects.filter(municipality=city).select_related("head"):
        assert household.head.relationship == "世帯主"
        assert household.head.household_id == household.pk
    with pytest.raises(RegisterNotEmpty):
        generate_register(city, 5)
