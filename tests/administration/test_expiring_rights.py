"""The city administrator's page of staff rights that expire: what ends within N days (30 by
default), bulk renewal to the next fiscal year's end (one POST, one audit event per role), and
a temporary exception with its reason and a short period. Refusals are shown at the field."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from madoguchi.administration.demo import load_city_admin
from madoguchi.core import roles
from madoguchi.core.models import AuditEvent, Department, Role, StaffMembership, fiscal_year_end

pytestmark = pytest.mark.django_db

OTHER_HOST = "other.example.jp"


def url(name, *args):
    return reverse(f"administration:{name}", args=args)


@pytest.fixture
def admin_client(client, city):
    client.force_login(load_city_admin(city, "city-admin", "demo-pass-2026"))
    return client


def _ending_in(user, department_code: str, days: int, city) -> StaffMembership:
    membership = StaffMembership.objects.get(user=user, department__municipality=city,
                                             department__code=department_code)
    membership.valid_until = roles.today() + timedelta(days=days)
    membership.valid_from = min(membership.valid_from, membership.valid_until)
    membership.save()
    return membership


def _exception(data: dict) -> dict:
    """The exception form's fields carry its prefix (the member's page has other forms)."""
    return {f"exception-{key}": value for key, value in data.items()}


def _listed(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-membership="(\d+)"', html)}


def test_the_list_shows_what_ends_within_the_days_asked(admin_client, city, staff):
    soon = _ending_in(staff["kankyo-tanto"], "kankyo", 10, city)
    later = _ending_in(staff["kodomo-tanto"], "kodomo", 60, city)
    ended = _ending_in(staff["shimin-tanto"], "shimin", -3, city)
    page = admin_client.get(url("city_rights"))
    assert page.status_code == 200
    html = page.content.decode()
    assert soon.pk in _listed(html) and ended.pk in _listed(html)
    assert later.pk not in _listed(html)
    assert f'data-membership="{ended.pk}" data-state="expired"' in html
    assert f'data-membership="{soon.pk}" data-state="expiring"' in html
    assert later.pk in _listed(admin_client.get(url("city_rights"), {"days": "90"}).content.decode())


@pytest.mark.parametrize("days", ["abc", "-1", "0", "99999", "１０"])
def test_a_wrong_number_of_days_is_a_field_error_not_a_500(admin_client, city, days):
    response = admin_client.get(url("city_rights"), {"days": days})
    if days == "１０":
        assert response.status_code == 200
    else:
        assert response.status_code == 400
        assert 'id="id_days-error"' in response.content.decode()


def test_bulk_renewal_moves_each_chosen_role_to_the_next_fiscal_years_end(admin_client, city, staff):
    first = _ending_in(staff["kankyo-tanto"], "kankyo", 5, city)
    second = _ending_in(staff["kodomo-tanto"], "kodomo", -2, city)
    untouched = _ending_in(staff["shimin-tanto"], "shimin", 5, city)
    response = admin_client.post(url("city_rights_renew"), {"membership": [first.pk, second.pk]})
    assert response.status_code == 302
    for renewed, was in ((first, first.valid_until), (second, second.valid_until)):
        renewed.refresh_from_db()
        assert renewed.valid_until == max(fiscal_year_end(was + timedelta(days=1)),
                                          fiscal_year_end(roles.today()))
        assert renewed.valid_until > roles.today()
    untouched.refresh_from_db()
    assert untouched.valid_until == roles.today() + timedelta(days=5)
    events = {e.detail["membership"]: e for e in AuditEvent.objects.filter(action="city.role_renew")}
    assert set(events) == {first.pk, second.pk}
    assert events[first.pk].target_id == str(first.user_id)
    assert events[first.pk].detail["before"]["valid_until"] == (roles.today() + timedelta(days=5)).isoformat()
    assert events[first.pk].detail["after"]["valid_until"] == first.valid_until.isoformat()
    assert roles.has_role(staff["kodomo-tanto"], second.department, Role.CLERK)


def test_bulk_renewal_of_nothing_or_of_another_citys_role_changes_nothing(admin_client, city, other_city,
                                                                           staff, django_user_model):
    mine = _ending_in(staff["kankyo-tanto"], "kankyo", 5, city)
    stranger = django_user_model.objects.create_user("other-clerk")
    theirs = StaffMembership.objects.create(
        user=stranger, department=Department.objects.get(municipality=other_city, code="kankyo"),
        role=Role.CLERK, valid_until=roles.today() + timedelta(days=5))
    for data in ({}, {"membership": [mine.pk, theirs.pk]}, {"membership": ["x"]}):
        response = admin_client.post(url("city_rights_renew"), data)
        assert response.status_code == 400
        assert 'id="id_membership-error"' in response.content.decode()
    for row in (mine, theirs):
        was = row.valid_until
        row.refresh_from_db()
        assert row.valid_until == was
    assert not AuditEvent.objects.filter(action="city.role_renew").exists()


def test_a_temporary_exception_is_granted_with_its_reason_and_audited(admin_client, city, staff):
    member = staff["kodomo-tanto"]
    kankyo = Department.objects.get(municipality=city, code="kankyo")
    start, end = roles.today(), roles.today() + timedelta(days=13)
    response = admin_client.post(url("city_staff_role_exception", member.pk), _exception({
        "department": kankyo.pk, "role": "clerk", "valid_from": start.isoformat(),
        "valid_until": end.isoformat(), "note": "繁忙期の応援"}))
    assert response.status_code == 302
    granted = StaffMembership.objects.get(user=member, department=kankyo, role=Role.CLERK)
    assert (granted.valid_from, granted.valid_until, granted.note) == (start, end, "繁忙期の応援")
    assert roles.has_role(member, kankyo, Role.CLERK)
    event = AuditEvent.objects.get(action="city.role_exception")
    assert event.target_id == str(member.pk)
    assert event.detail["after"] == {"department": "kankyo", "role": "clerk", "valid_from": start.isoformat(),
                                     "valid_until": end.isoformat(), "note": "繁忙期の応援"}
    # the member's page shows the exception with its period
    page = admin_client.get(url("city_staff_member", member.pk)).content.decode()
    assert f'data-membership="{granted.pk}"' in page and 'data-exception="true"' in page


def test_an_exception_in_the_wareki_or_the_code_of_the_register(admin_client, city, staff):
    member = staff["kodomo-tanto"]
    kankyo = Department.objects.get(municipality=city, code="kankyo")
    start = roles.today()
    from madoguchi.core.japanese import to_wareki

    era = to_wareki(start)
    response = admin_client.post(url("city_staff_role_exception", member.pk), _exception({
        "department": kankyo.pk, "role": "approver", "valid_from": str(era),
        "valid_until": (start + timedelta(days=1)).isoformat(), "note": "決裁者の不在"}))
    assert response.status_code == 302
    assert StaffMembership.objects.get(user=member, department=kankyo, role=Role.APPROVER).valid_from == start


@pytest.mark.parametrize("data, field", [
    ({"note": ""}, "note"),
    ({"note": "   "}, "note"),
    ({"valid_until": "back"}, "valid_until"),  # end before start
    ({"valid_from": "not a date"}, "valid_from"),
    ({"valid_from": "4310501"}, "valid_from"),  # 平成31年5月1日 does not exist
    ({"valid_until": "long"}, "valid_until"),  # longer than an exception may run
    ({"valid_from": "past", "valid_until": "past"}, "valid_until"),  # over before it starts
    ({"role": "admin"}, "role"),
])
def test_a_wrong_exception_is_refused_at_its_field(admin_client, city, staff, data, field):
    member = staff["kodomo-tanto"]
    kankyo = Department.objects.get(municipality=city, code="kankyo")
    today = roles.today()
    days = {"back": today - timedelta(days=1), "long": today + timedelta(days=200),
            "past": today - timedelta(days=10)}
    form = {"department": kankyo.pk, "role": "clerk", "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=7)).isoformat(), "note": "応援"}
    form.update({k: days[v].isoformat() if v in days else v for k, v in data.items()})
    response = admin_client.post(url("city_staff_role_exception", member.pk), _exception(form))
    assert response.status_code == 400
    assert f'id="id_exception-{field}-error"' in response.content.decode()
    assert not StaffMembership.objects.filter(user=member, department=kankyo).exists()
    assert not AuditEvent.objects.filter(action="city.role_exception").exists()


def test_an_exception_for_a_role_held_longer_is_refused(admin_client, city, staff):
    member = staff["kankyo-tanto"]
    kankyo = Department.objects.get(municipality=city, code="kankyo")
    held = StaffMembership.objects.get(user=member, department=kankyo, role=Role.CLERK)
    response = admin_client.post(url("city_staff_role_exception", member.pk), _exception({
        "department": kankyo.pk, "role": "clerk", "valid_from": roles.today().isoformat(),
        "valid_until": (roles.today() + timedelta(days=3)).isoformat(), "note": "応援"}))
    assert response.status_code == 400 and 'id="id_exception-role-error"' in response.content.decode()
    was = held.valid_until
    held.refresh_from_db()
    assert held.valid_until == was and held.note == ""


def test_an_expired_role_is_given_back_for_the_exceptions_period(admin_client, city, staff):
    member = staff["kankyo-tanto"]
    held = _ending_in(member, "kankyo", -30, city)
    end = roles.today() + timedelta(days=20)
    response = admin_client.post(url("city_staff_role_exception", member.pk), _exception({
        "department": held.department_id, "role": "clerk", "valid_from": roles.today().isoformat(),
        "valid_until": end.isoformat(), "note": "引継ぎのため"}))
    assert response.status_code == 302
    held.refresh_from_db()
    assert (held.valid_from, held.valid_until, held.note) == (roles.today(), end, "引継ぎのため")
    event = AuditEvent.objects.get(action="city.role_exception")
    assert event.detail["before"]["valid_until"] == (roles.today() - timedelta(days=30)).isoformat()


def test_only_the_citys_administrator_sees_the_rights(client, city, staff):
    client.force_login(staff["kankyo-kacho"])
    assert client.get(url("city_rights")).status_code == 403
    assert client.post(url("city_rights_renew"), {"membership": []}).status_code == 403


def test_the_home_page_links_the_rights(admin_client):
    html = admin_client.get(url("city_home")).content.decode()
    assert f'href="{url("city_rights")}"' in html


def test_giving_an_ended_role_again_gives_it_for_this_fiscal_year(admin_client, city, staff):
    member = staff["kankyo-tanto"]
    held = _ending_in(member, "kankyo", -40, city)
    response = admin_client.post(url("city_staff_role_give", member.pk),
                                 {"department": held.department_id, "role": "clerk"})
    assert response.status_code == 302
    held.refresh_from_db()
    assert (held.valid_from, held.valid_until) == (roles.today(), fiscal_year_end(roles.today()))
    event = AuditEvent.objects.get(action="city.role_give")
    assert event.detail["before"]["valid_until"] == (roles.today() - timedelta(days=40)).isoformat()
