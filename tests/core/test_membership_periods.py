"""A staff role has a period: from `valid_from` to `valid_until` (by default the end of the
fiscal year it starts in, 31 March: 人事異動 is on 1 April). Outside it the role grants nothing,
wherever roles are read: the staff pages, the queue, the counter, the figures, the API."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from madoguchi.core import roles
from madoguchi.core.models import Department, Role, StaffMembership, fiscal_year_end
from madoguchi.identity.emailcode import issue_api_token

pytestmark = pytest.mark.django_db


def _today():
    return roles.today()


def _expire(user, days_ago: int = 1) -> None:
    """Every role of `user` ended `days_ago` days ago."""
    ended = _today() - timedelta(days=days_ago)
    StaffMembership.objects.filter(user=user).update(valid_from=ended - timedelta(days=365),
                                                     valid_until=ended)


def _not_yet(user, days: int = 1) -> None:
    starts = _today() + timedelta(days=days)
    StaffMembership.objects.filter(user=user).update(valid_from=starts, valid_until=fiscal_year_end(starts))


@pytest.mark.parametrize("day, end", [
    (date(2026, 4, 1), date(2027, 3, 31)),
    (date(2026, 12, 4), date(2027, 3, 31)),
    (date(2027, 1, 1), date(2027, 3, 31)),
    (date(2027, 3, 31), date(2027, 3, 31)),
    (date(2027, 4, 1), date(2028, 3, 31)),
])
def test_the_fiscal_year_ends_on_31_march(day, end):
    assert fiscal_year_end(day) == end


def test_a_new_role_runs_from_today_to_the_fiscal_years_end(city, django_user_model):
    user = django_user_model.objects.create_user("new-clerk")
    department = Department.objects.get(municipality=city, code="kankyo")
    made = StaffMembership.objects.create(user=user, department=department, role=Role.CLERK)
    made.refresh_from_db()
    assert made.valid_from == _today()
    assert made.valid_until == fiscal_year_end(_today())
    assert made.note == ""
    later = StaffMembership.objects.create(user=user, department=department, role=Role.APPROVER,
                                           valid_from=date(2030, 5, 1))
    assert later.valid_until == date(2031, 3, 31)


def test_the_role_holds_on_its_first_and_last_day_only(city, staff):
    user = staff["kankyo-tanto"]
    kankyo = Department.objects.get(municipality=city, code="kankyo")
    membership = StaffMembership.objects.get(user=user, department=kankyo)
    membership.valid_from = membership.valid_until = _today()
    membership.save()
    assert roles.has_role(user, kankyo, Role.CLERK)
    assert not roles.has_role(user, kankyo, Role.CLERK, on=_today() + timedelta(days=1))
    assert not roles.has_role(user, kankyo, Role.CLERK, on=_today() - timedelta(days=1))


@pytest.mark.parametrize("change", [_expire, _not_yet])
def test_a_role_out_of_its_period_grants_nothing(city, staff, change):
    user = staff["kankyo-tanto"]
    kankyo = Department.objects.get(municipality=city, code="kankyo")
    assert roles.has_role(user, kankyo, Role.CLERK) and roles.is_staff_of(user, city)
    change(user)
    assert not roles.has_role(user, kankyo, Role.CLERK)
    assert not roles.is_staff_of(user, city)
    assert not roles.departments_of(user, city).exists()
    assert not roles.administers_or_holds(user, city, [Role.CLERK])


def test_an_expired_clerk_is_refused_by_every_staff_page(client, city, staff):
    user = staff["kankyo-tanto"]
    client.force_login(user)
    assert client.get(reverse("casework:queue")).status_code == 200
    _expire(user)
    for name in ("casework:queue", "counter:start", "queueing:windows"):
        assert client.get(reverse(name)).status_code == 403, name


def test_an_expired_analyst_reads_no_figures(client, city, django_user_model):
    analyst = django_user_model.objects.get(username="bunseki")
    client.force_login(analyst)
    assert client.get(reverse("insights:overview")).status_code == 200
    _expire(analyst)
    assert client.get(reverse("insights:overview")).status_code == 403


def test_an_expired_clerks_api_token_is_refused(client, city, staff):
    user = staff["kankyo-tanto"]
    token = issue_api_token(city, staff_user=user)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/staff/cases", headers=headers).status_code == 200
    _expire(user)
    assert client.get("/api/staff/cases", headers=headers).status_code == 401


def test_an_expired_member_cannot_be_assigned_a_case(city, staff):
    from madoguchi.casework import work

    kankyo = Department.objects.get(municipality=city, code="kankyo")
    assert staff["kankyo-tanto"] in work.members(kankyo)
    _expire(staff["kankyo-tanto"])
    assert staff["kankyo-tanto"] not in work.members(kankyo)
    assert staff["kankyo-kacho"] in work.members(kankyo)


def test_a_temporary_exception_grants_its_role_for_its_period(city, django_user_model):
    user = django_user_model.objects.create_user("helper-clerk")
    kankyo = Department.objects.get(municipality=city, code="kankyo")
    StaffMembership.objects.create(user=user, department=kankyo, role=Role.CLERK,
                                   valid_from=_today(), valid_until=_today() + timedelta(days=6),
                                   note="繁忙期の応援（3月・4月）")
    assert roles.has_role(user, kankyo, Role.CLERK)
    assert not roles.has_role(user, kankyo, Role.CLERK, on=_today() + timedelta(days=7))
