"""The city administrator's pages (/staff/city/), walked systematically: every route, called by
every kind of caller, on both cities' hosts, with the ids of both cities' rows.

Only an administrator of the city the host serves gets in (anonymous and residents go to the
staff login, everyone else gets 403: clerks, approvers, a superuser without the row, the other
city's administrator); inside, an id of the other city's row is not found (404), and nothing of
the other city changes, whatever is posted. ROUTES must name every route of city_urls: adding
one without walking it fails test_every_city_admin_route_is_in_the_walk.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from madoguchi.administration import city_urls
from madoguchi.administration.demo import load_city_admin
from madoguchi.core.models import CityAdministrator, Department, Role, StaffMembership
from madoguchi.core.roles import today
from madoguchi.queueing.models import CounterGroup, VisitPurpose, Window

from conftest import login_resident

pytestmark = pytest.mark.django_db

HOSTS = {"demo": "testserver", "other": "other.example.jp"}


@dataclass
class Rows:
    """One city's rows that the pages change, by id."""

    city: object
    department: Department  # the walk's department: its groups and roles
    unused: Department  # no case, no group, no procedure: may be deleted
    member: object  # a clerk of this city only, with two roles
    spare_role: StaffMembership  # the second of them: may be removed
    group: CounterGroup
    window: Window  # closed: may be removed
    purpose: VisitPurpose


def _rows(city, key: str) -> Rows:
    department = Department.objects.create(municipality=city, code="walk", name="巡回課")
    users = get_user_model().objects
    member = users.create_user(f"walk-{key}", password="x-pass-2026")
    StaffMembership.objects.create(user=member, department=department, role=Role.CLERK)
    spare = StaffMembership.objects.create(user=member, department=department, role=Role.APPROVER)
    group = CounterGroup.objects.create(municipality=city, department=department, code="walk",
                                        prefix="W", name="巡回")
    window = Window.objects.create(group=group, number=90)
    purpose = VisitPurpose.objects.create(group=group, code="walk", name="巡回", expected_minutes=5)
    unused = Department.objects.create(municipality=city, code="walk-unused", name="廃止予定課")
    return Rows(city, department, unused, member, spare, group, window, purpose)


def _kankyo(rows: Rows) -> int:
    return Department.objects.get(municipality=rows.city, code="kankyo").pk


def _url(name, *args):
    return reverse(f"administration:{name}", args=args)


# URL name → the requests to make with one city's rows: (method, url, data). In this order: a
# request that removes a row comes after those that read it.
ROUTES = {
    "city_home": lambda r: [("get", _url("city_home"), None)],
    "city_departments": lambda r: [("get", _url("city_departments"), None)],
    "city_department_add": lambda r: [
        ("get", _url("city_department_add"), None),
        ("post", _url("city_department_add"), {"code": "walk-new", "name": "新設課"})],
    "city_department": lambda r: [
        ("get", _url("city_department", r.department.pk), None),
        ("post", _url("city_department", r.department.pk), {"code": "walk", "name": "巡回課（改）"})],
    "city_staff": lambda r: [("get", _url("city_staff"), None)],
    "city_staff_add": lambda r: [
        ("get", _url("city_staff_add"), None),
        ("post", _url("city_staff_add"), {"username": f"walk-new-{r.city.slug}", "last_name": "巡回",
                                          "department": r.department.pk, "role": "clerk"})],
    "city_staff_member": lambda r: [("get", _url("city_staff_member", r.member.pk), None)],
    "city_rights": lambda r: [("get", _url("city_rights"), None)],
    "city_rights_renew": lambda r: [("post", _url("city_rights_renew"), {"membership": [r.spare_role.pk]})],
    "city_staff_role_exception": lambda r: [("post", _url("city_staff_role_exception", r.member.pk), {
        "exception-department": _kankyo(r), "exception-role": "approver", "exception-note": "巡回",
        "exception-valid_from": today().isoformat(),
        "exception-valid_until": (today() + timedelta(days=7)).isoformat()})],
    "city_staff_role_give": lambda r: [("post", _url("city_staff_role_give", r.member.pk),
                                        {"department": _kankyo(r), "role": "clerk"})],
    "city_staff_admin": lambda r: [("post", _url("city_staff_admin", r.member.pk), {"seat": "appoint"})],
    "city_staff_role_remove": lambda r: [
        ("post", _url("city_staff_role_remove", r.member.pk, r.spare_role.pk), None)],
    "city_staff_password": lambda r: [("post", _url("city_staff_password", r.member.pk), {"password": ""})],
    "city_staff_active": lambda r: [("post", _url("city_staff_active", r.member.pk), {"active": "0"})],
    "city_counters": lambda r: [("get", _url("city_counters"), None)],
    "city_counter_add": lambda r: [
        ("get", _url("city_counter_add"), None),
        ("post", _url("city_counter_add"), {"code": "walk-new", "name": "新設", "prefix": "N",
                                            "department": r.department.pk, "order": 9})],
    "city_counter": lambda r: [
        ("get", _url("city_counter", r.group.pk), None),
        ("post", _url("city_counter", r.group.pk), {"code": "walk", "name": "巡回（改）", "prefix": "W",
                                                    "department": r.department.pk, "order": 8})],
    "city_purpose": lambda r: [
        ("get", _url("city_purpose", r.group.pk, r.purpose.pk), None),
        ("post", _url("city_purpose", r.group.pk, r.purpose.pk),
         {"name": "巡回（改）", "expected_minutes": 6, "order": 1})],
    "city_window_add": lambda r: [("post", _url("city_window_add", r.group.pk), {"number": 91})],
    "city_window_remove": lambda r: [("post", _url("city_window_remove", r.group.pk, r.window.pk), None)],
    "city_department_delete": lambda r: [("post", _url("city_department_delete", r.unused.pk), None)],
}
# Routes without an id: walked once per host, with that host's city's rows for the form data.
WITHOUT_IDS = {"city_home", "city_departments", "city_department_add", "city_staff", "city_staff_add",
               "city_counters", "city_counter_add", "city_rights", "city_rights_renew"}

IDENTITIES = ["anonymous", "resident", "clerk", "approver", "superuser", "demo-admin", "other-admin"]


def test_every_city_admin_route_is_in_the_walk():
    assert {p.name for p in city_urls.urlpatterns} == set(ROUTES)
    assert set(ROUTES) >= WITHOUT_IDS
    for pattern in city_urls.urlpatterns:  # the others take an id
        assert (pattern.name in WITHOUT_IDS) == ("<" not in str(pattern.pattern)), pattern.name


@pytest.fixture
def world(settings, city, other_city, staff, resident, django_user_model):
    settings.ALLOWED_HOSTS = [*HOSTS.values()]
    # the department's rows depend on a department: walk's own, so that deleting it is allowed
    rows = {"demo": _rows(city, "demo"), "other": _rows(other_city, "other")}
    root = django_user_model.objects.create_superuser("root", password="x-pass-2026")
    who = {
        "anonymous": (None, None),
        "resident": (None, resident),
        "clerk": (staff["kankyo-tanto"], None),
        "approver": (staff["kankyo-kacho"], None),
        "superuser": (root, None),  # the system administrator: no CityAdministrator row
        "demo-admin": (load_city_admin(city, "demo-admin"), None),
        "other-admin": (load_city_admin(other_city, "other-admin"), None),
    }
    assert set(who) == set(IDENTITIES)
    return rows, who


def _state(city) -> tuple:
    """Everything of one city that these pages can change."""
    users = get_user_model().objects.filter(memberships__department__municipality=city).distinct()
    return (
        sorted(Department.objects.filter(municipality=city).values_list("code", "name", "translations")),
        sorted(StaffMembership.objects.filter(department__municipality=city)
               .values_list("user_id", "department__code", "role", "valid_from", "valid_until", "note")),
        sorted(CityAdministrator.objects.filter(municipality=city).values_list("user_id", flat=True)),
        sorted(users.values_list("username", "is_active", "email", "password")),
        sorted(CounterGroup.objects.filter(municipality=city)
               .values_list("code", "name", "prefix", "department__code", "order", "translations")),
        sorted(Window.objects.filter(group__municipality=city).values_list("group__code", "number")),
        sorted(VisitPurpose.objects.filter(group__municipality=city)
               .values_list("group__code", "code", "name", "expected_minutes")),
    )


def _expected(name: str, host: str, rows_city: str) -> str:
    """What `name` gets on `host` for a row of `rows_city`: login, forbidden, missing or ok."""
    if name in ("anonymous", "resident"):
        return "login"
    if name != f"{host}-admin":
        return "forbidden"
    return "ok" if rows_city == host else "missing"


@pytest.mark.parametrize("name", IDENTITIES)
def test_city_admin_pages_walk(client, world, name):
    rows, who = world
    user, resident = who[name]
    client.logout()
    if user is not None:
        client.force_login(user)
    elif resident is not None:
        login_resident(client, resident)
    cities = {key: r.city for key, r in rows.items()}
    for host, hostname in HOSTS.items():
        for route, build in ROUTES.items():
            for rows_city in ([host] if route in WITHOUT_IDS else list(HOSTS)):
                for method, url, data in build(rows[rows_city]):
                    where = f"{name} {method} {url} @{host} (rows of {rows_city})"
                    before = {key: _state(c) for key, c in cities.items()}
                    response = getattr(client, method)(url, data or {}, HTTP_HOST=hostname)
                    after = {key: _state(c) for key, c in cities.items()}
                    expected = _expected(name, host, rows_city)
                    if expected == "login":
                        assert response.status_code == 302, where
                        assert response["Location"].startswith(reverse("casework:login")), where
                    elif expected == "forbidden":
                        assert response.status_code == 403, where
                    elif expected == "missing":
                        assert response.status_code == 404, where
                    elif method == "get" or route in ("city_staff_add", "city_staff_password"):
                        assert response.status_code == 200, where
                    else:
                        assert response.status_code == 302, (where, response.content.decode()[:3000])
                    other = "other" if host == "demo" else "demo"
                    assert after[other] == before[other], where  # never the other city
                    if expected != "ok":
                        assert after == before, where
                    elif method == "post":
                        assert after[host] != before[host], f"{where}: nothing changed"
                    page = response.content.decode()
                    for key, r in rows.items():
                        if key != host:  # nothing of the other city is shown
                            assert r.member.username not in page, where
