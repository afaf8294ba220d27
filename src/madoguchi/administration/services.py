"""What a city administrator changes in their city: its departments, its staff and their roles,
its counter groups, windows and visit purposes.

Every function takes the city of the request and acts only on rows of that city; a row of
another city is not found (the views answer 404). Every change writes one AuditEvent with what
was there before and what is there after: codes, names of departments and counters, roles and
ids — never a person's name, user name, e-mail address or password.

Users are global in Django, cities are not: a staff account belongs to a city through its roles
there (StaffMembership) or its CityAdministrator row. A city's administrator changes roles in
their own city only, and changes an account itself (deactivating it) only when the account is
theirs alone — not one also working for another city, and not a system administrator's
(superuser) or an operator's (`is_staff`), or a city's administrator could take over an account
that reaches further than the city.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from madoguchi.applications.models import Submission
from madoguchi.catalog.loader import catalog_for
from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.core.models import (
    CityAdministrator,
    Department,
    Municipality,
    Role,
    StaffMembership,
    today_in_japan,
)
from madoguchi.core.roles import is_city_admin
from madoguchi.identity.models import ApiToken
from madoguchi.payments import office
from madoguchi.queueing.models import CounterGroup, VisitPurpose, Window

# An initial password: long, and without characters read wrongly aloud or on paper (0/O, 1/l/I).
PASSWORD_LENGTH = 16
PASSWORD_CHARACTERS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105 - an alphabet


class CityAdminError(Exception):
    """A change the rules refuse; `str()` is the plain sentence shown to the administrator."""


# --- departments ---------------------------------------------------------------------------


def _department_state(department: Department) -> dict:
    return {"code": department.code, "name": department.name, "counter": department.counter,
            "phone": department.phone, "email": department.email,
            "translations": department.translations or {}}


def departments(city: Municipality):
    """The city's departments with how many staff roles each has."""
    return (Department.objects.filter(municipality=city)
            .annotate(roles=Count("memberships")).order_by("code"))


def department_of(city: Municipality, department_id: int) -> Department | None:
    return Department.objects.filter(municipality=city, pk=department_id).first()


def procedures_naming(city: Municipality, code: str) -> list[str]:
    """The titles of the city's procedures (national, its files and its pages) that send
    their cases to the department with this code."""
    return sorted(p.title for p in catalog_for(city.slug, "ja").values() if p.department == code)


def why_code_is_fixed(city: Municipality, department: Department) -> str | None:
    """Why this department's code cannot change now (procedures and the accounts office find
    their department by its code), or None."""
    if department.code == office.department_code():
        return _("会計課として使われているため、コードは変更できません。")
    titles = procedures_naming(city, department.code)
    if titles:
        return ngettext(
            "手続「%(title)s」がこのコードで担当課を指定しているため、コードは変更できません。",
            "手続「%(title)s」ほか%(more)s件がこのコードで担当課を指定しているため、コードは変更できません。",
            len(titles),
        ) % {"title": titles[0], "more": len(titles) - 1}
    return None


def why_not_deletable(city: Municipality, department: Department) -> list[str]:
    """What keeps the department: its cases (kept with it for their retention period), its
    counter groups, the procedures that name it, its being the accounts office."""
    reasons = []
    if Submission.objects.filter(department=department).exists():
        reasons.append(_("この担当課の申請（案件）があるため削除できません。案件は保存期間のあいだ担当課と一緒に残ります。"))
    groups = list(CounterGroup.objects.filter(department=department).values_list("name", flat=True))
    if groups:
        reasons.append(_("窓口グループ「%(names)s」の担当課です。先に窓口グループの担当課を変えてください。")
                       % {"names": ", ".join(groups)})
    fixed = why_code_is_fixed(city, department)
    if fixed:
        titles = procedures_naming(city, department.code)
        if titles:
            reasons.append(ngettext(
                "手続「%(title)s」の担当課です。",
                "手続「%(title)s」ほか%(more)s件の担当課です。",
                len(titles)) % {"title": titles[0], "more": len(titles) - 1})
        else:
            reasons.append(_("会計課として使われています。"))
    return reasons


def save_department(city: Municipality, actor: Actor, form) -> Department:
    """Add the department (form of a new one) or save the changes of `form.instance`. Refuses
    a code change while procedures or the accounts office name the old code."""
    department = form.instance
    is_new = department.pk is None
    before = None if is_new else _department_state(Department.objects.get(pk=department.pk))
    if not is_new and before["code"] != form.cleaned_data["code"]:
        fixed = why_code_is_fixed(city, Department(municipality=city, code=before["code"]))
        if fixed:
            raise CityAdminError(fixed)
    department = form.save(commit=False)
    department.municipality = city
    department.translations = form.translations()
    try:
        with transaction.atomic():
            department.save()
    except IntegrityError as error:  # the same code saved a moment ago by someone else
        raise CityAdminError(_("このコードの担当課はすでにあります。")) from error
    after = _department_state(department)
    if before == after:
        return department
    audit.record(city, actor, "city.department_add" if is_new else "city.department_change",
                 "department", department.pk, before=before, after=after)
    return department


@transaction.atomic
def delete_department(city: Municipality, actor: Actor, department: Department) -> None:
    reasons = why_not_deletable(city, department)
    if reasons:
        raise CityAdminError(" ".join(reasons))
    before = _department_state(department)
    roles = department.memberships.count()
    pk = department.pk
    department.delete()  # its staff roles go with it
    audit.record(city, actor, "city.department_delete", "department", pk, before=before, after=None,
                 roles_removed=roles)


# --- staff and roles -----------------------------------------------------------------------


def staff_of(city: Municipality):
    """The city's staff: users with a role in one of its departments or administering it."""
    users = get_user_model().objects
    return users.filter(
        Q(memberships__department__municipality=city) | Q(administered_cities__municipality=city)
    ).distinct().order_by("username")


def staff_member(city: Municipality, user_id: int):
    """The user if they are staff of this city, else None (another city's user is not found)."""
    return staff_of(city).filter(pk=user_id).first()


def roles_of(city: Municipality, user):
    return (StaffMembership.objects.filter(user=user, department__municipality=city)
            .select_related("department").order_by("department__code", "role"))


def staff_rows(city: Municipality) -> list[dict]:
    """The staff list: each user with their roles in this city and whether they administer it."""
    admins = set(CityAdministrator.objects.filter(municipality=city).values_list("user_id", flat=True))
    memberships = StaffMembership.objects.filter(department__municipality=city).select_related(
        "department").order_by("department__code", "role")
    users = staff_of(city).prefetch_related(Prefetch("memberships", queryset=memberships,
                                                     to_attr="city_roles"))
    return [{"user": user, "roles": user.city_roles, "is_admin": user.pk in admins} for user in users]


def is_shared(city: Municipality, user) -> bool:
    """The account reaches beyond this city: the system administrator, the operator's admin,
    or staff or administrator of another city. Its account-wide settings are not this city's
    to change."""
    if user.is_superuser or user.is_staff:
        return True
    return (StaffMembership.objects.filter(user=user).exclude(department__municipality=city).exists()
            or CityAdministrator.objects.filter(user=user).exclude(municipality=city).exists())


def _ties(city: Municipality, user) -> int:
    return roles_of(city, user).count() + int(is_city_admin(user, city))


def new_password() -> str:
    return get_random_string(PASSWORD_LENGTH, PASSWORD_CHARACTERS)


@dataclass(frozen=True)
class NewStaff:
    user: object
    password: str | None  # made here: shown to the administrator once, stored nowhere in clear


def add_staff(city: Municipality, actor: Actor, form) -> NewStaff:
    """A new account with its first role in one of the city's departments. A user name taken
    by anyone, in any city, is refused (the form says so without saying whose)."""
    data = form.cleaned_data
    made = None if data.get("password") else new_password()
    users = get_user_model()
    try:
        with transaction.atomic():
            if users.objects.filter(username__iexact=data["username"]).exists():
                raise IntegrityError("taken")
            user = users.objects.create_user(
                data["username"], email=data.get("email", ""), password=data.get("password") or made,
                first_name=data.get("first_name", ""), last_name=data["last_name"])
            StaffMembership.objects.create(user=user, department=data["department"], role=data["role"])
            audit.record(city, actor, "city.staff_add", "staff_user", user.pk, before=None,
                         after={"roles": [[data["department"].code, data["role"]]], "active": True},
                         password="generated" if made else "set")
    except IntegrityError as error:
        raise CityAdminError(_("このユーザー名は使えません（すでに使われています）。")) from error
    return NewStaff(user, made)


# The roles a city administrator gives in a department (the forms offer exactly these).
# `Role.ADMIN` (管理者) on a department is not given here: a city's administrator is a
# CityAdministrator row, given on the staff page.
GIVEN_ROLES = (Role.CLERK, Role.APPROVER, Role.ANALYST, Role.SUPPORT_MEASURES)


def give_role(city: Municipality, actor: Actor, user, department: Department, role: str) -> bool:
    """False when the user already has it in force (nothing written). A role they had that has
    ended (or not begun) is given again from today to the fiscal year's end."""
    if department.municipality_id != city.pk or role not in GIVEN_ROLES:
        raise CityAdminError(_("この担当課・役割は選べません。"))
    with transaction.atomic():
        held, created = StaffMembership.objects.select_for_update().get_or_create(
            user=user, department=department, role=role)
        if created:
            audit.record(city, actor, "city.role_give", "staff_user", user.pk,
                         before=None, after={"department": department.code, "role": role})
        elif not held.in_force():
            before = {"department": department.code, "role": role, "valid_from": held.valid_from.isoformat(),
                      "valid_until": held.valid_until.isoformat()}
            held.valid_from, held.valid_until, held.note = today_in_japan(), None, ""
            held.save()
            audit.record(city, actor, "city.role_give", "staff_user", user.pk, before=before,
                         after={"department": department.code, "role": role,
                                "valid_from": held.valid_from.isoformat(),
                                "valid_until": held.valid_until.isoformat()})
            created = True
    return created


@transaction.atomic
def remove_role(city: Municipality, actor: Actor, user, membership_id: int) -> None:
    membership = roles_of(city, user).filter(pk=membership_id).first()
    if membership is None:
        raise CityAdminError(_("この役割は見つかりません。"))
    if _ties(city, user) <= 1:
        raise CityAdminError(_("この職員のこの市での最後の役割です。外す代わりに、利用を停止してください。"))
    detail = {"department": membership.department.code, "role": membership.role}
    membership.delete()
    audit.record(city, actor, "city.role_remove", "staff_user", user.pk, before=detail, after=None)


def _lock_city(city: Municipality) -> None:
    """Two administrators dismissing each other at once must not leave the city with none:
    the city's row is locked while its administrators are counted and changed."""
    Municipality.objects.select_for_update().filter(pk=city.pk).values_list("pk", flat=True).first()


@transaction.atomic
def appoint_admin(city: Municipality, actor: Actor, user) -> bool:
    _lock_city(city)
    created = CityAdministrator.objects.get_or_create(municipality=city, user=user)[1]
    if created:
        audit.record(city, actor, "city.admin_appoint", "staff_user", user.pk,
                     before={"city_admin": False}, after={"city_admin": True})
    return created


@transaction.atomic
def dismiss_admin(city: Municipality, actor: Actor, user) -> None:
    """Refused when it would leave the city without an active administrator (the last one
    cannot dismiss themselves), or leave the user with no role in the city."""
    _lock_city(city)
    seat = CityAdministrator.objects.filter(municipality=city, user=user).first()
    if seat is None:
        raise CityAdminError(_("この職員は管理者ではありません。"))
    others = CityAdministrator.objects.filter(municipality=city, user__is_active=True).exclude(user=user)
    if not others.exists():
        raise CityAdminError(_("この市の最後の管理者は外せません。先に別の管理者を任命してください。"))
    if not roles_of(city, user).exists():
        raise CityAdminError(_("この職員はこの市でほかの役割がありません。先に役割を与えるか、利用を停止してください。"))
    seat.delete()
    audit.record(city, actor, "city.admin_dismiss", "staff_user", user.pk,
                 before={"city_admin": True}, after={"city_admin": False})


@transaction.atomic
def set_active(city: Municipality, actor: Actor, user, active: bool) -> None:
    """Deactivate (no login, no API token) or reactivate an account that is this city's alone.
    An administrator does not deactivate themselves."""
    if actor.staff_user_id == user.pk:
        raise CityAdminError(_("自分のアカウントは停止できません。"))
    if is_shared(city, user):
        raise CityAdminError(_("このアカウントはこの市だけのものではないため、ここでは変更できません。システム管理者に依頼してください。"))
    if user.is_active == active:
        return
    user.is_active = active
    user.save(update_fields=["is_active"])
    revoked = 0
    if not active:
        revoked = ApiToken.objects.filter(staff_user=user).delete()[0]
    audit.record(city, actor, "city.staff_reactivate" if active else "city.staff_deactivate",
                 "staff_user", user.pk, before={"active": not active}, after={"active": active},
                 api_tokens_revoked=revoked)


def reset_password(city: Municipality, actor: Actor, user, password: str = "") -> str | None:
    """A new password for an account that is this city's alone (not one's own: that is changed
    by its owner). Returns the one made here (None when the administrator typed it); the
    account's sessions end (Django ties them to the password) and a login lock on its name is
    lifted, so a clerk locked out after failures can log in again at once."""
    if actor.staff_user_id == user.pk:
        raise CityAdminError(_("自分のパスワードはここでは変更できません。"))
    if is_shared(city, user):
        raise CityAdminError(_("このアカウントはこの市だけのものではないため、ここでは変更できません。システム管理者に依頼してください。"))
    made = None if password else new_password()
    with transaction.atomic():
        user.set_password(password or made)
        user.save(update_fields=["password"])
        audit.record(city, actor, "city.staff_password_reset", "staff_user", user.pk,
                     password="generated" if made else "set")
    from axes.utils import reset  # imported here: axes reads its settings on import

    reset(username=user.username)
    return made


# --- counter groups, windows, visit purposes --------------------------------------------------


def _group_state(group: CounterGroup) -> dict:
    return {"code": group.code, "name": group.name, "translations": group.translations or {},
            "prefix": group.prefix, "department": group.department.code,
            "location": group.location, "order": group.order}


def counter_groups(city: Municipality):
    return (CounterGroup.objects.filter(municipality=city).select_related("department")
            .prefetch_related("windows").order_by("order", "id"))


def counter_group_of(city: Municipality, group_id: int) -> CounterGroup | None:
    return CounterGroup.objects.filter(municipality=city, pk=group_id).select_related("department").first()


def save_counter_group(city: Municipality, actor: Actor, form) -> CounterGroup:
    group = form.instance
    is_new = group.pk is None
    before = None if is_new else _group_state(CounterGroup.objects.select_related("department").get(pk=group.pk))
    group = form.save(commit=False)
    group.municipality = city
    group.translations = form.translations()
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError as error:
        raise CityAdminError(_("このコードか記号は別の窓口グループが使っています。")) from error
    after = _group_state(group)
    if before != after:
        audit.record(city, actor, "city.counter_group_add" if is_new else "city.counter_group_change",
                     "counter_group", group.pk, before=before, after=after)
    return group


def add_window(city: Municipality, actor: Actor, group: CounterGroup, number: int) -> Window:
    try:
        with transaction.atomic():
            window = Window.objects.create(group=group, number=number, is_open=False)
            audit.record(city, actor, "city.window_add", "window", window.pk, before=None,
                         after={"group": group.code, "number": number})
    except IntegrityError as error:
        raise CityAdminError(_("この番号の窓口はすでにあります。")) from error
    return window


@transaction.atomic
def remove_window(city: Municipality, actor: Actor, group: CounterGroup, window_id: int) -> None:
    """A closed window only: an open one may have a visitor at it (close it on the calling page
    first). Its past tickets keep their record without the window."""
    window = Window.objects.filter(group=group, group__municipality=city, pk=window_id).first()
    if window is None:
        raise CityAdminError(_("この窓口は見つかりません。"))
    if window.is_open:
        raise CityAdminError(_("開いている窓口は削除できません。先に窓口を閉じてください。"))
    detail = {"group": group.code, "number": window.number}
    window.delete()
    audit.record(city, actor, "city.window_remove", "window", window_id, before=detail, after=None)


def purpose_of(group: CounterGroup, purpose_id: int) -> VisitPurpose | None:
    return VisitPurpose.objects.filter(group=group, pk=purpose_id).first()


def _purpose_state(purpose: VisitPurpose) -> dict:
    return {"code": purpose.code, "name": purpose.name, "translations": purpose.translations or {},
            "expected_minutes": purpose.expected_minutes, "reservable": purpose.reservable,
            "order": purpose.order}


def save_purpose(city: Municipality, actor: Actor, form) -> VisitPurpose:
    before = _purpose_state(VisitPurpose.objects.get(pk=form.instance.pk))
    purpose = form.save(commit=False)
    purpose.translations = form.translations()
    purpose.save()
    after = _purpose_state(purpose)
    if before != after:
        audit.record(city, actor, "city.purpose_change", "visit_purpose", purpose.pk,
                     before=before, after=after, group=purpose.group.code)
    return purpose
