"""A 生年月日 partly 不詳 is found by the date the visitor gives: the clerk's フリガナ look-up and
the card's 基本4情報 match any day the unknown part allows, and no other."""

from datetime import date

import pytest
from django.utils import timezone

from madoguchi.core.actors import Actor
from madoguchi.register.codes import DatePrecision
from madoguchi.register.keys import kana_keys
from madoguchi.register.models import Household, Resident
from madoguchi.register.selectors import find_by_kana, matching_basic_info

pytestmark = pytest.mark.django_db

ADDRESS = "デモ市本町三丁目1番1号"


def _person(city, code, kana, born, precision):
    household = Household.objects.create(municipality=city, number=code[-6:])
    whole, surname, given = kana_keys(kana)
    return Resident.objects.create(
        municipality=city, code=code, household=household, relationship="世帯主", name="グエン　バン　アン",
        kana=kana, birth_date=born, birth_date_precision=precision, gender="1", address=ADDRESS,
        settled_on=timezone.localdate(), became_resident_on=timezone.localdate(), latest_reason="転入",
        kana_key=whole, surname_key=surname, given_key=given)


@pytest.mark.parametrize(("precision", "stored", "given", "found"), [
    (DatePrecision.MONTH, date(1960, 5, 1), date(1960, 5, 17), True),
    (DatePrecision.MONTH, date(1960, 5, 1), date(1960, 6, 1), False),
    (DatePrecision.YEAR, date(1960, 1, 1), date(1960, 11, 30), True),
    (DatePrecision.YEAR, date(1960, 1, 1), date(1961, 1, 1), False),
    (DatePrecision.DAY, date(1960, 5, 1), date(1960, 5, 2), False),
])
def test_a_partly_unknown_birth_date_is_found_by_any_day_it_allows(city, staff, precision, stored, given, found):
    person = _person(city, "80000000001", "グエン　アン", stored, precision)
    clerk = Actor.staff(staff["shimin-tanto"])
    assert (find_by_kana(city, clerk, "counter-session:1", "グエン アン", given) == [person]) is found
    assert (matching_basic_info(city, person.name, given, ADDRESS) == [person]) is found
