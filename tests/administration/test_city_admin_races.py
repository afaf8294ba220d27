"""Races of the city administrator's pages on PostgreSQL, with real threads and connections:
two administrators dismissing each other at once leave the city one; two new accounts with
the same name at once make one. (SQLite serialises whole writes: run with DATABASE_URL.)"""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from madoguchi.administration import services
from madoguchi.administration.demo import load_city_admin
from madoguchi.administration.forms import NewStaffForm
from madoguchi.core.actors import Actor
from madoguchi.core.models import CityAdministrator, Department, Role, StaffMembership

from support import at_once

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                     reason="a row-lock race: run with DATABASE_URL=postgres://…")
pytestmark = [pytest.mark.django_db(transaction=True), postgresql_only]


def test_two_administrators_dismissing_each_other_leave_one(city, audit_log_flushable):
    kankyo = Department.objects.get(municipality=city, code="kankyo")
    CityAdministrator.objects.filter(municipality=city).delete()  # the demo's own: two seats only
    first, second = load_city_admin(city, "first-admin"), load_city_admin(city, "second-admin")
    for user in (first, second):  # each keeps a role, so only the last-seat rule can refuse
        StaffMembership.objects.create(user=user, department=kankyo, role=Role.CLERK)
    outcomes = at_once(
        lambda: services.dismiss_admin(city, Actor.staff(first), second),
        lambda: services.dismiss_admin(city, Actor.staff(second), first),
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["CityAdminError", "NoneType"]
    assert CityAdministrator.objects.filter(municipality=city).count() == 1


def test_one_account_for_one_name_added_twice_at_once(city, audit_log_flushable):
    admin = load_city_admin(city, "city-admin")
    kankyo = Department.objects.get(municipality=city, code="kankyo")

    forms = [NewStaffForm({"username": "bosai-tanto", "last_name": "防災", "department": kankyo.pk,
                           "role": "clerk"}, municipality=city) for _ in range(3)]
    assert all(form.is_valid() for form in forms)  # each checked before any was saved
    outcomes = at_once(*(lambda form=form: services.add_staff(city, Actor.staff(admin), form)
                         for form in forms))
    assert sum(isinstance(o, services.NewStaff) for o in outcomes) == 1
    assert all(isinstance(o, (services.NewStaff, services.CityAdminError)) for o in outcomes), outcomes
    assert get_user_model().objects.filter(username__iexact="bosai-tanto").count() == 1
