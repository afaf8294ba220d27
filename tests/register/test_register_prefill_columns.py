"""Online pre-fill from the register's optional columns: 本籍 and 筆頭者 where a form asks the
applicant's own, never the 世帯主 by a field's id; a 生年月日 known in part is left blank, for the
applicant and for the children of a claim, and a child of that year still counts as a child."""

from datetime import date

import pytest
from django.utils import timezone

from madoguchi.applications import services
from madoguchi.applications.prefill import Household, fill
from madoguchi.catalog.selectors import get_procedure
from madoguchi.identity.jpki.profile import BasicInfo
from madoguchi.register.codes import DatePrecision, ResidentKind
from madoguchi.register.models import Resident
from madoguchi.register.seeding import generate_register
from madoguchi.register.selectors import members_of
from madoguchi.register.services import link_account

pytestmark = pytest.mark.django_db

HANAKO_CARD = BasicInfo(name="山田 花子", address="デモ県デモ市本町二丁目3番4号",
                        birth_date=date(1990, 8, 3), gender="2")


@pytest.fixture
def hanako(city, resident):
    generate_register(city, 20, seed=1)
    hanako = link_account(resident, HANAKO_CARD)
    Resident.objects.filter(pk=hanako.pk).update(domicile="福岡県福岡市中央区天神一丁目1番", domicile_head="山田\u3000太郎")
    hanako.refresh_from_db()
    return hanako


def test_the_applicants_own_domicile_and_head_not_the_household_head(city, resident, hanako):
    draft = services.start_draft(resident, get_procedure(city, "family-register-certificate"))
    answers = services.answers_of(draft)
    assert answers["domicile"] == "福岡県福岡市中央区天神一丁目1番"
    assert answers["head_name"] == "山田\u3000太郎"  # the 筆頭者, as the field is marked
    assert draft.sources["domicile"] == "register"


def test_a_foreign_applicants_domicile_field_takes_the_nationality(city, resident, hanako):
    Resident.objects.filter(pk=hanako.pk).update(kind=ResidentKind.FOREIGN, domicile="", domicile_head="",
                                                 nationality="ブラジル")
    hanako.refresh_from_db()
    form = get_procedure(city, "divorce-registration").current_form  # a paper form: filled at the counter
    household = Household(subject=hanako, members=list(members_of(hanako)), on=timezone.localdate())
    answers = fill(form, "divorce-registration", household).answers
    assert answers["domicile"] == "ブラジル"
    assert "domicile_head" not in answers


def test_a_birth_date_known_in_part_is_not_filled_online(city, resident, hanako):
    Resident.objects.filter(pk=hanako.pk).update(birth_date=date(1990, 8, 1), birth_date_precision=DatePrecision.MONTH)
    sakura = Resident.objects.get(municipality=city, code="90000000004")
    Resident.objects.filter(pk=sakura.pk).update(birth_date=date(2023, 1, 1), birth_date_precision=DatePrecision.YEAR)
    answers = services.answers_of(services.start_draft(resident, get_procedure(city, "child-allowance-claim")))
    assert answers["claimant_name"] == "山田\u3000花子"
    assert "claimant_birth_date" not in answers
    children = {child["name"]: child for child in answers["children"]}
    assert "birth_date" not in children["山田\u3000さくら"]
    assert children["山田\u3000一郎"]["birth_date"] == "2017-07-15"


def test_a_child_born_in_a_year_that_may_make_them_seventeen_is_a_child(city, hanako):
    ichiro = Resident.objects.get(municipality=city, code="90000000003")
    on = date(2026, 6, 1)
    Resident.objects.filter(pk=ichiro.pk).update(birth_date=date(2008, 1, 1), birth_date_precision=DatePrecision.YEAR)
    household = Household(subject=hanako, members=list(members_of(hanako)), on=on)
    assert ichiro.pk in [c.pk for c in household.children]  # 18 only if born before 2 June 2008
    form = get_procedure(city, "child-allowance-claim").current_form
    assert fill(form, "child-allowance-claim", household, day=timezone.localdate()).answers["children"]
