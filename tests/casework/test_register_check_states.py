"""The register check and the register's newer states and dates: a 転出予定 applicant is still a
resident (checked, household compared), a 消除 one is named as struck off, and a 生年月日 the
register knows only by month or year is never shown as a made-up day."""

from datetime import date

import pytest
from test_register_check import CODE, TARO

from madoguchi.casework import review
from madoguchi.catalog.selectors import procedure_of_record
from madoguchi.core.actors import Actor
from madoguchi.register.codes import DatePrecision, Reason, Status
from madoguchi.register.models import RegisterLink, Resident
from madoguchi.register.seeding import generate_register

from support import submit_via_web

pytestmark = pytest.mark.django_db


@pytest.fixture
def taro(city, resident):
    generate_register(city, 40, seed=1)
    taro = Resident.objects.get(municipality=city, code="90000000001")
    RegisterLink.objects.create(account=resident, municipality=city, resident=taro, linked_by="signing_certificate")
    return taro


def _check(client, staff, **changes):
    case = submit_via_web(client, CODE, {**TARO, **changes})
    return review.register_check(case, procedure_of_record(case.municipality, CODE),
                                 Actor.staff(staff["kodomo-tanto"]))


def test_a_resident_moving_out_is_still_current(resident_client, staff, taro):
    Resident.objects.filter(pk=taro.pk).update(status=Status.MOVING_OUT, moving_out_on=date(2026, 12, 20))
    result = _check(resident_client, staff)
    assert [r.state for r in result.rows] == ["match", "match", "match"]  # no 状態 row
    assert [r.state for r in result.children] == ["match"]


def test_a_removed_resident_is_named_as_struck_off(resident_client, staff, taro):
    Resident.objects.filter(pk=taro.pk).update(status=Status.REMOVED, latest_reason=Reason.OFFICIAL_REMOVAL)
    result = _check(resident_client, staff)
    assert result.rows[0].state == review.MISMATCH and result.rows[0].note == str(review.REMOVED)
    assert result.children[0].state == review.NOT_FOUND


def test_a_birth_date_known_by_month_matches_a_day_of_that_month_and_shows_as_unknown(
        resident_client, staff, taro):
    Resident.objects.filter(pk=taro.pk).update(birth_date=date(1988, 5, 1),
                                               birth_date_precision=DatePrecision.MONTH)
    assert [r.state for r in _check(resident_client, staff).rows] == ["match", "match", "match"]
    born = _check(resident_client, staff, claimant_birth_date="1988-06-20").rows[1]
    assert born.state == review.MISMATCH
    assert born.registered == "1988-05-不詳"
    assert "1988-05-01" not in born.registered and "5月1日" not in born.registered
