"""The city administrator's pages (/staff/city/): departments, staff and roles, counter groups,
windows and purposes. Each change writes one audit event with before and after and nothing
personal; each refusal is shown next to its field; the other city is never touched."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from madoguchi.administration import services
from madoguchi.administration.demo import load_city_admin
from madoguchi.core.actors import Actor
from madoguchi.core.models import AuditEvent, CityAdministrator, Department, Role, StaffMembership
from madoguchi.identity.emailcode import issue_api_token
from madoguchi.identity.models import ApiToken
from madoguchi.queueing.models import CounterGroup, VisitPurpose, Window

from conftest import login_resident
from support import submit_via_web

pytestmark = pytest.mark.django_db

OTHER_HOST = "other.example.jp"
PASSWORD = "demo-pass-2026"  # noqa: S105 - test data


@pytest.fixture
def city_admin(city):
    return load_city_admin(city, "city-admin", PASSWORD)


@pytest.fixture
def admin_client(client, city_admin):
    client.force_login(city_admin)
    return client


@pytest.fixture
def other_admin(other_city):
    return load_city_admin(other_city, "other-admin", PASSWORD)


def url(name, *args):
    return reverse(f"administration:{name}", args=args)


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def field_error(html: str, field: str) -> str:
    """The refusal shown next to the field `field` (its id is `id_<field>-error`), and the
    input says it is described by it."""
    found = re.search(rf'<p class="error" id="id_{field}-error">(.*?)</p>', html, re.S)
    assert found, f"no error next to {field}"
    assert re.search(rf'<[^>]*id="id_{field}"[^>]*aria-describedby="[^"]*id_{field}-error', html) or \
        re.search(rf'<[^>]*aria-describedby="[^"]*id_{field}-error[^>]*id="id_{field}"', html), \
        f"{field}'s input is not described by its error"
    return found.group(1)


DEPARTMENT = {"code": "bosai", "name": "防災課", "counter": "本庁舎4階", "phone": "099-000-2101",
              "email": "bosai@city.example.jp", "name_en": "Disaster Prevention Division",
              "counter_en": "Main building, 4th floor", "name_ja_easy": "ぼうさいか"}


# --- who may enter --------------------------------------------------------------------------


def test_only_this_citys_administrator_enters(client, city, staff, city_admin, other_admin, settings):
    settings.ALLOWED_HOSTS = ["testserver", OTHER_HOST]
    home = url("city_home")
    anonymous = client.get(home)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("casework:login"))
    for user in (staff["kankyo-tanto"], staff["kankyo-kacho"], staff["admin"], other_admin):
        client.force_login(user)
        assert client.get(home).status_code == 403, user.username
    assert staff["admin"].is_superuser  # the system administrator is not a city administrator
    client.force_login(city_admin)
    page = client.get(home)
    assert page.status_code == 200
    assert reverse("administration:city_departments") in page.content.decode()
    assert client.get(home, HTTP_HOST=OTHER_HOST).status_code == 403


def test_the_home_page_links_to_procedures_and_shows_no_residents(admin_client):
    page = admin_client.get(url("city_home")).content.decode()
    assert "/staff/city/procedures/" in page
    for forbidden in ("casework:queue", "register:search"):
        assert f'href="{reverse(forbidden)}"' not in page


# --- departments ----------------------------------------------------------------------------


def test_add_a_department_with_its_translations(admin_client, city, other_city, city_admin):
    response = admin_client.post(url("city_department_add"), DEPARTMENT)
    assert response.status_code == 302, response.content.decode()[:2000]
    department = Department.objects.get(municipality=city, code="bosai")
    assert department.name == "防災課" and department.phone == "099-000-2101"
    assert department.translations == {
        "en": {"name": "Disaster Prevention Division", "counter": "Main building, 4th floor"},
        "ja-easy": {"name": "ぼうさいか"}}
    assert not Department.objects.filter(municipality=other_city, code="bosai").exists()
    [event] = events("city.department_add")
    assert event.municipality == city and event.actor_ref == f"staff:{city_admin.pk}"
    assert event.target_id == str(department.pk)
    assert event.detail["before"] is None and event.detail["after"]["code"] == "bosai"
    listing = admin_client.get(url("city_departments")).content.decode()
    assert "防災課" in listing


@pytest.mark.parametrize(("changes", "field"), [
    ({"code": "kankyo"}, "code"),  # taken in this city
    ({"code": "防災"}, "code"),  # not a slug
    ({"code": ""}, "code"),
    ({"name": ""}, "name"),
    ({"phone": "12345"}, "phone"),
    ({"email": "not-an-address"}, "email"),
    ({"name_en": "x" * 101}, "name_en"),
])
def test_a_bad_department_is_refused_next_to_the_field(admin_client, city, changes, field):
    before = Department.objects.filter(municipality=city).count()
    response = admin_client.post(url("city_department_add"), {**DEPARTMENT, **changes})
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, field)
    assert 'id="error-summary"' in html
    assert Department.objects.filter(municipality=city).count() == before
    assert not events("city.department_add")


def test_a_code_of_another_city_is_free_here(admin_client, city, other_city):
    Department.objects.create(municipality=other_city, code="bosai", name="防災課")
    assert admin_client.post(url("city_department_add"), DEPARTMENT).status_code == 302
    assert Department.objects.filter(code="bosai").count() == 2


def test_edit_a_department_records_before_and_after(admin_client, city):
    department = Department.objects.get(municipality=city, code="kankyo")
    page = admin_client.get(url("city_department", department.pk)).content.decode()
    assert "Environmental" in page  # the stored translation is in its field
    data = {"code": "kankyo", "name": "環境課", "counter": department.counter, "phone": department.phone,
            "email": ""}
    response = admin_client.post(url("city_department", department.pk), data)
    assert response.status_code == 302
    department.refresh_from_db()
    assert department.name == "環境課" and department.translations == {}  # cleared fields: Japanese
    [event] = events("city.department_change")
    assert event.detail["before"]["name"] == "環境衛生課" and event.detail["after"]["name"] == "環境課"


def test_saving_unchanged_writes_no_event(admin_client, city):
    department = Department.objects.create(municipality=city, code="bosai", name="防災課")
    response = admin_client.post(url("city_department", department.pk),
                                 {"code": "bosai", "name": "防災課"})
    assert response.status_code == 302
    assert not events("city.department_change")


def test_the_code_procedures_name_cannot_change(admin_client, city):
    department = Department.objects.get(municipality=city, code="kankyo")
    page = admin_client.get(url("city_department", department.pk)).content.decode()
    assert 'id="code-fixed"' in page
    response = admin_client.post(url("city_department", department.pk),
                                 {"code": "kankyo2", "name": department.name})
    assert response.status_code == 400
    assert "手続" in field_error(response.content.decode(), "code")
    department.refresh_from_db()
    assert department.code == "kankyo"


def test_a_department_with_cases_is_not_deleted_and_says_why(admin_client, city):
    resident_client = Client()
    from madoguchi.identity.models import ResidentAccount

    login_resident(resident_client, ResidentAccount.objects.create(municipality=city, email="a@example.jp"))
    submission = submit_via_web(resident_client, "dog-registration-change")
    department = submission.department
    page = admin_client.get(url("city_department", department.pk)).content.decode()
    assert 'id="not-deletable"' in page and "申請" in page
    response = admin_client.post(url("city_department_delete", department.pk), follow=True)
    assert Department.objects.filter(pk=department.pk).exists()
    assert "申請" in response.content.decode()
    assert not events("city.department_delete")


def test_an_unused_department_is_deleted_with_its_roles(admin_client, city, staff):
    department = Department.objects.create(municipality=city, code="bosai", name="防災課")
    StaffMembership.objects.create(user=staff["kankyo-tanto"], department=department, role=Role.CLERK)
    response = admin_client.post(url("city_department_delete", department.pk))
    assert response.status_code == 302
    assert not Department.objects.filter(pk=department.pk).exists()
    [event] = events("city.department_delete")
    assert event.detail["before"]["code"] == "bosai" and event.detail["roles_removed"] == 1


def test_the_accounts_office_keeps_its_code_and_a_groups_department_stays(admin_client, city, group):
    kaikei = Department.objects.get(municipality=city, code="kaikei")
    response = admin_client.post(url("city_department", kaikei.pk), {"code": "suito", "name": kaikei.name})
    assert response.status_code == 400 and "会計課" in field_error(response.content.decode(), "code")
    bosai = Department.objects.create(municipality=city, code="bosai", name="防災課")
    group.department = bosai
    group.save()
    page = admin_client.get(url("city_department", bosai.pk)).content.decode()
    assert 'id="not-deletable"' in page and "住民異動" in page
    admin_client.post(url("city_department_delete", bosai.pk))
    assert Department.objects.filter(pk=bosai.pk).exists()
    kaikei.refresh_from_db()
    assert kaikei.code == "kaikei"


def test_another_citys_department_is_not_found(admin_client, other_city):
    theirs = Department.objects.get(municipality=other_city, code="kankyo")
    assert admin_client.get(url("city_department", theirs.pk)).status_code == 404
    assert admin_client.post(url("city_department", theirs.pk), {"code": "x", "name": "乗っ取り"}).status_code == 404
    assert admin_client.post(url("city_department_delete", theirs.pk)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "住民環境課" and theirs.code == "kankyo"
    assert not AuditEvent.objects.filter(action__startswith="city.").exists()


# --- staff and roles ------------------------------------------------------------------------

NEW_CLERK = {"username": "bosai-tanto", "last_name": "防災", "first_name": "一郎",
             "email": "ichiro@city.example.jp", "role": "clerk"}


def _logs_in(client, username, password) -> bool:
    """Through the staff login page (the lock on failures needs the request)."""
    response = client.post(reverse("casework:login"), {"username": username, "password": password})
    return response.status_code == 302


def _new_clerk(city, **changes):
    kankyo = Department.objects.get(municipality=city, code="kankyo")
    return {**NEW_CLERK, "department": kankyo.pk, **changes}


def test_add_a_clerk_with_a_password_shown_once(admin_client, city):
    response = admin_client.post(url("city_staff_add"), _new_clerk(city))
    assert response.status_code == 200
    html = response.content.decode()
    password = re.search(r'<code id="new-password">([^<]+)</code>', html).group(1)
    assert len(password) == services.PASSWORD_LENGTH
    user = get_user_model().objects.get(username="bosai-tanto")
    assert user.check_password(password) and user.email == "ichiro@city.example.jp"
    assert list(services.roles_of(city, user).values_list("department__code", "role")) == [("kankyo", "clerk")]
    [event] = events("city.staff_add")
    assert event.detail == {"before": None, "after": {"roles": [["kankyo", "clerk"]], "active": True},
                            "password": "generated"}
    assert "bosai-tanto" not in str(event.detail) and password not in str(AuditEvent.objects.values_list())
    # the new clerk logs in and works the queue of their department
    clerk = Client()
    assert _logs_in(clerk, "bosai-tanto", password)
    assert clerk.get(reverse("casework:queue")).status_code == 200
    # the password is not shown again
    assert password not in admin_client.get(url("city_staff_member", user.pk)).content.decode()


def test_add_a_clerk_with_the_administrators_password(admin_client, city):
    response = admin_client.post(url("city_staff_add"), _new_clerk(city, password="kawa-no-nagare-2026"))
    assert response.status_code == 200 and 'id="new-password"' not in response.content.decode()
    assert get_user_model().objects.get(username="bosai-tanto").check_password("kawa-no-nagare-2026")
    assert events("city.staff_add")[0].detail["password"] == "set"


@pytest.mark.parametrize(("changes", "field"), [
    ({"password": "short"}, "password"),  # Django's validators
    ({"password": "password123"}, "password"),
    ({"username": "bad name!"}, "username"),
    ({"username": ""}, "username"),
    ({"last_name": ""}, "last_name"),
    ({"email": "nope"}, "email"),
    ({"role": "admin"}, "role"),  # the department role 管理者 is not given here
])
def test_a_bad_new_clerk_is_refused_next_to_the_field(admin_client, city, changes, field):
    count = get_user_model().objects.count()
    response = admin_client.post(url("city_staff_add"), _new_clerk(city, **changes))
    assert response.status_code == 400
    assert field_error(response.content.decode(), field)
    assert get_user_model().objects.count() == count


def test_another_citys_department_cannot_be_chosen(admin_client, city, other_city):
    theirs = Department.objects.get(municipality=other_city, code="kankyo")
    response = admin_client.post(url("city_staff_add"), _new_clerk(city, department=theirs.pk))
    assert response.status_code == 400 and field_error(response.content.decode(), "department")
    assert not get_user_model().objects.filter(username="bosai-tanto").exists()


@pytest.mark.parametrize("username", ["other-admin", "OTHER-ADMIN", "kankyo-tanto"])
def test_a_taken_username_is_refused_without_saying_whose(admin_client, city, other_admin, username):
    other_admin.email, other_admin.last_name = "secret@other.example.jp", "町田"
    other_admin.save()
    response = admin_client.post(url("city_staff_add"), _new_clerk(city, username=username,
                                                                    email="me@city.example.jp"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "使われています" in field_error(html, "username")
    assert "secret@other.example.jp" not in html and "町田" not in html
    other_admin.refresh_from_db()
    assert other_admin.email == "secret@other.example.jp"
    assert not StaffMembership.objects.filter(user=other_admin).exists()


def test_the_staff_list_is_this_citys(admin_client, city, staff, other_admin, city_admin):
    page = admin_client.get(url("city_staff")).content.decode()
    assert 'data-username="kankyo-tanto"' in page and 'data-username="city-admin"' in page
    assert 'data-username="other-admin"' not in page
    assert 'data-role="kankyo:clerk"' in page and 'data-city-admin="true"' in page


def test_give_and_remove_a_role(admin_client, city, staff):
    clerk = staff["kankyo-tanto"]
    kodomo = Department.objects.get(municipality=city, code="kodomo")
    response = admin_client.post(url("city_staff_role_give", clerk.pk),
                                 {"department": kodomo.pk, "role": "approver"})
    assert response.status_code == 302
    membership = StaffMembership.objects.get(user=clerk, department=kodomo, role=Role.APPROVER)
    [given] = events("city.role_give")
    assert given.detail["after"] == {"department": "kodomo", "role": "approver"}
    # giving it again changes nothing and writes nothing
    admin_client.post(url("city_staff_role_give", clerk.pk), {"department": kodomo.pk, "role": "approver"})
    assert len(events("city.role_give")) == 1
    assert admin_client.post(url("city_staff_role_remove", clerk.pk, membership.pk)).status_code == 302
    assert not StaffMembership.objects.filter(pk=membership.pk).exists()
    [removed] = events("city.role_remove")
    assert removed.detail["before"] == {"department": "kodomo", "role": "approver"}


def test_the_support_measures_role_is_given_here_and_opens_the_support_pages(admin_client, city, staff):
    clerk = staff["shimin-tanto"]
    client = Client()
    client.force_login(clerk)
    assert client.get(reverse("register:support")).status_code == 403
    shimin = Department.objects.get(municipality=city, code="shimin")
    response = admin_client.post(url("city_staff_role_give", clerk.pk),
                                 {"department": shimin.pk, "role": "support_measures"})
    assert response.status_code == 302
    assert client.get(reverse("register:support")).status_code == 200


def test_every_role_the_form_offers_can_be_given(admin_client, city, staff):
    """The 分析担当 was offered and then refused: the form and the service read one list."""
    clerk = staff["kankyo-tanto"]
    kankyo = Department.objects.get(municipality=city, code="kankyo")
    page = admin_client.get(url("city_staff_member", clerk.pk)).content.decode()
    offered = re.findall(r'<option value="([a-z_]+)"', page)
    assert {"clerk", "approver", "analyst", "support_measures"} <= set(offered)
    for role in ("analyst", "support_measures"):
        response = admin_client.post(url("city_staff_role_give", clerk.pk), {"department": kankyo.pk, "role": role})
        assert response.status_code == 302, role
        assert StaffMembership.objects.filter(user=clerk, department=kankyo, role=role).exists()


def test_the_last_role_is_not_removed(admin_client, city, staff):
    clerk = staff["kankyo-tanto"]
    [only] = services.roles_of(city, clerk)
    response = admin_client.post(url("city_staff_role_remove", clerk.pk, only.pk), follow=True)
    assert StaffMembership.objects.filter(pk=only.pk).exists()
    assert "最後の役割" in response.content.decode()


def test_a_role_of_another_city_is_not_removed_through_this_one(admin_client, city, staff, other_city):
    clerk = staff["kankyo-tanto"]
    theirs = StaffMembership.objects.create(
        user=clerk, department=Department.objects.get(municipality=other_city, code="kankyo"),
        role=Role.CLERK)
    admin_client.post(url("city_staff_role_remove", clerk.pk, theirs.pk))
    assert StaffMembership.objects.filter(pk=theirs.pk).exists()


def test_appoint_and_dismiss_an_administrator(admin_client, city, staff, city_admin):
    clerk = staff["kankyo-tanto"]
    assert admin_client.post(url("city_staff_admin", clerk.pk), {"seat": "appoint"}).status_code == 302
    assert CityAdministrator.objects.filter(user=clerk, municipality=city).exists()
    clerk_client = Client()
    clerk_client.force_login(clerk)
    assert clerk_client.get(url("city_home")).status_code == 200
    assert admin_client.post(url("city_staff_admin", clerk.pk), {"seat": "dismiss"}).status_code == 302
    assert not CityAdministrator.objects.filter(user=clerk, municipality=city).exists()
    assert [e.detail["after"] for e in events("city.admin_appoint") + events("city.admin_dismiss")] == [
        {"city_admin": True}, {"city_admin": False}]


def test_the_last_administrator_cannot_leave_the_seat(admin_client, city, city_admin, staff):
    response = admin_client.post(url("city_staff_admin", city_admin.pk), {"seat": "dismiss"}, follow=True)
    assert "最後の管理者" in response.content.decode()
    assert CityAdministrator.objects.filter(user=city_admin, municipality=city).exists()
    # an inactive second administrator does not count
    second = load_city_admin(city, "second-admin")
    second.is_active = False
    second.save()
    StaffMembership.objects.create(user=city_admin, department=Department.objects.get(
        municipality=city, code="kankyo"), role=Role.CLERK)
    admin_client.post(url("city_staff_admin", city_admin.pk), {"seat": "dismiss"})
    assert CityAdministrator.objects.filter(user=city_admin, municipality=city).exists()
    assert not events("city.admin_dismiss")


def test_an_administrator_of_another_city_is_not_found_here(admin_client, other_admin):
    assert admin_client.get(url("city_staff_member", other_admin.pk)).status_code == 404
    for name, data in (("city_staff_admin", {"seat": "appoint"}), ("city_staff_active", {"active": "0"}),
                       ("city_staff_role_give", {"role": "clerk"})):
        assert admin_client.post(url(name, other_admin.pk), data).status_code == 404
    other_admin.refresh_from_db()
    assert other_admin.is_active
    assert CityAdministrator.objects.filter(user=other_admin).count() == 1


def test_deactivate_a_clerk_ends_their_login_and_tokens(admin_client, city, staff):
    clerk = staff["kankyo-tanto"]
    issue_api_token(city, staff_user=clerk)
    clerk_client = Client()
    clerk_client.force_login(clerk)
    assert admin_client.post(url("city_staff_active", clerk.pk), {"active": "0"}).status_code == 302
    clerk.refresh_from_db()
    assert not clerk.is_active
    assert not ApiToken.objects.filter(staff_user=clerk).exists()
    assert clerk_client.get(reverse("casework:queue")).status_code == 302  # logged out
    assert not _logs_in(Client(), "kankyo-tanto", PASSWORD)
    [event] = events("city.staff_deactivate")
    assert event.detail == {"before": {"active": True}, "after": {"active": False}, "api_tokens_revoked": 1}
    admin_client.post(url("city_staff_active", clerk.pk), {"active": "1"})
    clerk.refresh_from_db()
    assert clerk.is_active and events("city.staff_reactivate")


def test_shared_accounts_and_oneself_are_not_deactivated(admin_client, city, staff, city_admin, other_city):
    superuser = staff["admin"]  # also has department roles here: a system administrator
    shared = staff["kankyo-kacho"]
    StaffMembership.objects.create(user=shared, role=Role.CLERK,
                                   department=Department.objects.get(municipality=other_city, code="kankyo"))
    for user in (superuser, shared, city_admin):
        response = admin_client.post(url("city_staff_active", user.pk), {"active": "0"}, follow=True)
        assert response.status_code == 200
        user.refresh_from_db()
        assert user.is_active, user.username
    assert 'id="shared-account"' in admin_client.get(url("city_staff_member", shared.pk)).content.decode()
    assert not events("city.staff_deactivate")


def test_reset_a_password_lifts_the_login_lock(admin_client, city, staff, settings):
    clerk = staff["kankyo-tanto"]
    clerk_client = Client()
    clerk_client.force_login(clerk)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _logs_in(Client(), "kankyo-tanto", "wrong-password")
    assert not _logs_in(Client(), "kankyo-tanto", PASSWORD)  # locked
    response = admin_client.post(url("city_staff_password", clerk.pk), {"password": ""})
    assert response.status_code == 200
    password = re.search(r'<code id="new-password">([^<]+)</code>', response.content.decode()).group(1)
    assert _logs_in(Client(), "kankyo-tanto", password)
    assert clerk_client.get(reverse("casework:queue")).status_code == 302  # the old session ended
    [event] = events("city.staff_password_reset")
    assert event.detail == {"password": "generated"} and event.target_id == str(clerk.pk)


def test_a_typed_password_is_checked_and_shared_accounts_are_refused(admin_client, city, staff, city_admin):
    clerk = staff["kankyo-tanto"]
    weak = admin_client.post(url("city_staff_password", clerk.pk), {"password": "password"})
    assert weak.status_code == 400 and field_error(weak.content.decode(), "password")
    ok = admin_client.post(url("city_staff_password", clerk.pk), {"password": "kawa-no-nagare-2026"})
    assert ok.status_code == 200 and 'id="new-password"' not in ok.content.decode()
    clerk.refresh_from_db()
    assert clerk.check_password("kawa-no-nagare-2026")
    for user in (staff["admin"], city_admin):  # the system administrator's; one's own
        before = user.password
        admin_client.post(url("city_staff_password", user.pk), {"password": ""})
        user.refresh_from_db()
        assert user.password == before, user.username
    assert len(events("city.staff_password_reset")) == 1


def test_a_malformed_post_changes_nothing(admin_client, city, staff):
    clerk = staff["kankyo-tanto"]
    for name, data in (("city_staff_admin", {"seat": "owner"}), ("city_staff_active", {"active": "maybe"}),
                       ("city_staff_role_give", {"department": "x", "role": "boss"})):
        response = admin_client.post(url(name, clerk.pk), data)
        assert response.status_code in (302, 400), name
    assert not AuditEvent.objects.filter(action__startswith="city.").exists()


# --- counter groups, windows, purposes ------------------------------------------------------


@pytest.fixture
def group(city):
    shimin = Department.objects.get(municipality=city, code="shimin")
    group = CounterGroup.objects.create(municipality=city, department=shimin, code="jumin", prefix="A",
                                        name="住民異動", translations={"en": "Moving"})
    Window.objects.create(group=group, number=1)
    VisitPurpose.objects.create(group=group, code="tennyu", name="転入届", expected_minutes=15)
    return group


@pytest.fixture
def other_group(other_city):
    kankyo = Department.objects.get(municipality=other_city, code="kankyo")
    group = CounterGroup.objects.create(municipality=other_city, department=kankyo, code="jumin",
                                        prefix="A", name="住民")
    Window.objects.create(group=group, number=1)
    return group


def test_add_and_edit_a_counter_group(admin_client, city, group, other_group):
    kankyo = Department.objects.get(municipality=city, code="kankyo")
    response = admin_client.post(url("city_counter_add"), {
        "code": "gomi", "name": "ごみ", "prefix": "ｇ", "department": kankyo.pk, "location": "3階",
        "order": 5, "name_en": "Waste", "name_vi": "Rác"})
    assert response.status_code == 302
    added = CounterGroup.objects.get(municipality=city, code="gomi")
    assert added.prefix == "G" and added.translations == {"en": "Waste", "vi": "Rác"}
    assert events("city.counter_group_add")[0].detail["after"]["department"] == "kankyo"
    response = admin_client.post(url("city_counter", group.pk), {
        "code": "jumin", "name": "住民異動・転入", "prefix": "A", "department": group.department.pk,
        "order": 0, "name_en": "Moving in"})
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.name == "住民異動・転入" and group.translations == {"en": "Moving in"}
    [change] = events("city.counter_group_change")
    assert change.detail["before"]["translations"] == {"en": "Moving"}
    other_group.refresh_from_db()
    assert other_group.name == "住民"


@pytest.mark.parametrize(("changes", "field"), [
    ({"prefix": "A"}, "prefix"),  # the other group's here
    ({"prefix": "ABC"}, "prefix"),
    ({"prefix": "あ"}, "prefix"),
    ({"code": "jumin"}, "code"),
    ({"name": ""}, "name"),
    ({"department": "999999"}, "department"),
])
def test_a_bad_counter_group_is_refused_next_to_the_field(admin_client, city, group, changes, field):
    kankyo = Department.objects.get(municipality=city, code="kankyo")
    data = {"code": "gomi", "name": "ごみ", "prefix": "G", "department": kankyo.pk, "order": 1, **changes}
    response = admin_client.post(url("city_counter_add"), data)
    assert response.status_code == 400
    assert field_error(response.content.decode(), field)
    assert CounterGroup.objects.filter(municipality=city).count() == 1


def test_windows_are_added_and_removed_when_closed(admin_client, city, group):
    response = admin_client.post(url("city_window_add", group.pk), {"number": "2"})
    assert response.status_code == 302
    window = Window.objects.get(group=group, number=2)
    duplicate = admin_client.post(url("city_window_add", group.pk), {"number": "1"})
    assert duplicate.status_code == 400 and field_error(duplicate.content.decode(), "number")
    window.is_open = True
    window.save()
    admin_client.post(url("city_window_remove", group.pk, window.pk))
    assert Window.objects.filter(pk=window.pk).exists()  # open: not removed
    window.is_open = False
    window.save()
    assert admin_client.post(url("city_window_remove", group.pk, window.pk)).status_code == 302
    assert not Window.objects.filter(pk=window.pk).exists()
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="city.window")] == [
        "city.window_add", "city.window_remove"]


def test_edit_a_visit_purpose(admin_client, group):
    purpose = group.purposes.get()
    response = admin_client.post(url("city_purpose", group.pk, purpose.pk), {
        "name": "転入届（国外から含む）", "expected_minutes": "20", "reservable": "on", "order": "0",
        "name_en": "Moving in"})
    assert response.status_code == 302
    purpose.refresh_from_db()
    assert purpose.expected_minutes == 20 and purpose.translations == {"en": "Moving in"}
    bad = admin_client.post(url("city_purpose", group.pk, purpose.pk),
                            {"name": "転入届", "expected_minutes": "0", "order": "0"})
    assert bad.status_code == 400 and field_error(bad.content.decode(), "expected_minutes")
    assert len(events("city.purpose_change")) == 1


def test_another_citys_counters_are_not_found(admin_client, group, other_group):
    window = other_group.windows.get()
    assert admin_client.get(url("city_counter", other_group.pk)).status_code == 404
    assert admin_client.post(url("city_window_add", other_group.pk), {"number": 9}).status_code == 404
    assert admin_client.post(url("city_window_remove", other_group.pk, window.pk)).status_code == 404
    # a window of the other city through this city's group
    admin_client.post(url("city_window_remove", group.pk, window.pk))
    assert Window.objects.filter(pk=window.pk).exists()
    assert other_group.windows.count() == 1
    listing = admin_client.get(url("city_counters")).content.decode()
    assert "住民異動" in listing and "住民<" not in listing


def test_services_refuse_another_citys_department_for_a_role(city, other_city, staff, city_admin):
    theirs = Department.objects.get(municipality=other_city, code="kankyo")
    with pytest.raises(services.CityAdminError):
        services.give_role(city, Actor.staff(city_admin), staff["kankyo-tanto"], theirs, Role.CLERK)
    assert not StaffMembership.objects.filter(department=theirs).exists()


def test_what_a_client_can_send_is_never_a_500(admin_client, group):
    """Ids past any integer column, a NUL in a text, a choice that is no choice: 404 or the
    form again, on SQLite and PostgreSQL alike."""
    big = 10**20
    for name, args in [("city_department", [big]), ("city_staff_member", [big]), ("city_counter", [big]),
                       ("city_purpose", [group.pk, big]), ("city_purpose", [big, big])]:
        assert admin_client.get(url(name, *args)).status_code == 404, name
    for name, args in [("city_department_delete", [big]), ("city_staff_active", [big]),
                       ("city_window_remove", [group.pk, big]), ("city_window_add", [big])]:
        assert admin_client.post(url(name, *args), {"active": "0", "number": "3"}).status_code in (302, 404), name
    assert admin_client.post(url("city_staff_add"), {**NEW_CLERK, "department": big}).status_code == 400
    assert admin_client.post(url("city_department_add"), {**DEPARTMENT, "name_en": "x\x00y"}).status_code == 400
    assert admin_client.post(url("city_window_add", group.pk), {"number": str(big)}).status_code == 400
    assert admin_client.post(url("city_counter", group.pk), {"code": "jumin", "name": "n", "prefix": "A",
                                                             "department": "x", "order": "-1"}).status_code == 400
