"""The 7-digit 元号 code of municipal systems in clerk date fields: the era's digit (1 明治,
2 大正, 3 昭和, 4 平成, 5 令和) and then the year, month and day within it (`4050101` is
平成5年1月1日). A code naming a day its era does not have is refused in plain words."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from madoguchi.core.actors import Actor
from madoguchi.core.japanese import JapaneseInputError, parse_date
from madoguchi.counter import services
from madoguchi.register.keys import kana_keys
from madoguchi.register.models import Household, Resident


@pytest.fixture
def visit(city, staff):
    return services.start_visit(city, staff["shimin-tanto"], Actor.staff(staff["shimin-tanto"]))


@pytest.fixture
def head(city):
    household = Household.objects.create(municipality=city, number="800001")
    whole, surname, given = kana_keys("サトウ　ミキ")
    resident = Resident.objects.create(
        municipality=city, code="80000000001", household=household, relationship="世帯主",
        name="佐藤\u3000美紀", kana="サトウ　ミキ", birth_date="1985-04-02", gender="2",
        address="デモ市中央町3番4号", postal_code="8920816", settled_on=timezone.localdate(),
        became_resident_on=timezone.localdate(), latest_reason="転入",
        kana_key=whole, surname_key=surname, given_key=given)
    household.head = resident
    household.save()
    return resident


@pytest.mark.parametrize("code, day", [
    ("4050101", date(1993, 1, 1)),
    ("1010125", date(1868, 1, 25)),   # 明治元年1月25日, 明治's first day
    ("1450729", date(1912, 7, 29)),   # 明治45年7月29日, its last
    ("2010730", date(1912, 7, 30)),   # 大正元年7月30日
    ("2151224", date(1926, 12, 24)),  # 大正15年12月24日, its last
    ("3011225", date(1926, 12, 25)),  # 昭和元年12月25日
    ("3640107", date(1989, 1, 7)),    # 昭和64年1月7日, its last
    ("4010108", date(1989, 1, 8)),    # 平成元年1月8日
    ("4310430", date(2019, 4, 30)),   # 平成31年4月30日, its last
    ("5010501", date(2019, 5, 1)),    # 令和元年5月1日
    ("5060229", date(2024, 2, 29)),   # 令和6年, a leap year
    ("３６００４０２", date(1985, 4, 2)),  # typed full width
    (" 4050101 ", date(1993, 1, 1)),
])
def test_a_code_is_the_day_it_names(code, day):
    assert parse_date(code) == day


@pytest.mark.parametrize("code", [
    "4310501",  # 平成31年5月1日: 令和 began that day
    "5010430",  # 令和元年4月30日: still 平成
    "3640108",  # 昭和64年1月8日: 平成 began that day
    "2151225",  # 大正15年12月25日: 昭和 began that day
    "1010124",  # before 明治
    "4000101",  # year 0
    "4050230",  # 2月30日
    "4051301",  # month 13
    "5070229",  # 令和7年 (2025) is no leap year
])
def test_a_code_for_a_day_the_era_does_not_have_is_refused(code):
    with pytest.raises(JapaneseInputError) as refused:
        parse_date(code)
    assert str(refused.value)


@pytest.mark.parametrize("code", ["6010101", "0050101", "9999999"])
def test_a_code_with_no_such_era_is_not_a_date(code):
    with pytest.raises(JapaneseInputError):
        parse_date(code)


def test_the_other_ways_of_writing_still_hold():
    assert parse_date("19930101") == parse_date("平成5年1月1日") == parse_date("H5.1.1") == date(1993, 1, 1)


@pytest.mark.django_db
def test_the_counters_register_search_takes_the_code(client, staff, visit, head):
    """End to end: the clerk types the birth date as the 宛名システム shows it."""
    client.force_login(staff["shimin-tanto"])
    url = reverse("counter:search", args=[visit.public_id])
    page = client.post(url, {"kana": "さとう みき", "birth_date": "3600402"}).content.decode()
    assert 'id="search-results" data-count="1"' in page
    page = client.post(url, {"kana": "さとう みき", "birth_date": "4310501"}).content.decode()
    assert 'class="msg msg-error"' in page and 'id="search-results"' not in page


def test_a_clerks_date_field_takes_the_code():
    """The counter's blanks and every form's date field go through one cleaner (fieldvalues):
    the code a clerk copies from the 宛名システム is a date there too."""
    from madoguchi.applications.fieldvalues import clean_scalar
    from madoguchi.catalog.schema import FieldType, FormField

    field = FormField(id="birth_date", type=FieldType.DATE, label="生年月日")
    assert clean_scalar(field, "4050101") == "1993-01-01"
    assert clean_scalar(field, "3550101") == "1980-01-01"
