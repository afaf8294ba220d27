"""Least privilege: which departments a staff user may see, and in which role."""

from datetime import date
from functools import wraps

from django.db.models import Q
from django.http import HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from madoguchi.core.actors import Actor, client_ip
from madoguchi.core.models import (
    CityAdministrator,
    Department,
    Municipality,
    Role,
    StaffMembership,
    today_in_japan,
)

# Today in Japan: the day a role's period is read against (a role ends at midnight there).
today = today_in_japan


def in_force(prefix: str = "", on: date | None = None) -> Q:
    """The condition "the role is in force on `on` (today)", for StaffMembership itself or,
    with `prefix` ("memberships__"), through a relation; put it in the same `filter()` as the
    other conditions on the role, so both apply to one row."""
    day = on or today()
    return Q(**{f"{prefix}valid_from__lte": day, f"{prefix}valid_until__gte": day})


def memberships(on: date | None = None):
    """The roles in force (today, or on `on`). The one place roles are read: every check of a
    staff member's rights starts here, so an expired or not yet valid role grants nothing on a
    page, at the counter, in the queue, in the figures or through an API token."""
    return StaffMembership.objects.filter(in_force(on=on))


def departments_of(user, municipality: Municipality, role: str | None = None):
    held = memberships().filter(user=user, department__municipality=municipality)
    if role:
        held = held.filter(role=role)
    return Department.objects.filter(pk__in=held.values("department_id"))


def has_role(user, department: Department, role: str, on: date | None = None) -> bool:
    return memberships(on).filter(user=user, department=department, role=role).exists()


def is_member_of(user, department: Department, roles=None) -> bool:
    """Holds a role in force in `department` (one of `roles` when given)."""
    held = memberships().filter(user=user, department=department)
    if roles is not None:
        held = held.filter(role__in=roles)
    return held.exists()


def is_staff_of(user, municipality: Municipality) -> bool:
    return user.is_authenticated and memberships().filter(
        user=user, department__municipality=municipality
    ).exists()


__all__ = ["Role", "administers_or_holds", "city_admin_required", "departments_of", "has_role",
           "in_force", "insights_required", "is_city_admin", "is_member_of", "is_staff_of",
           "memberships", "reads_insights", "staff_page", "staff_required", "today"]


def is_city_admin(user, municipality: Municipality) -> bool:
    """A `CityAdministrator` row for this user and this city. Nothing else counts: a Django
    superuser is the system administrator (above the cities, not inside one) and the
    department role `Role.ADMIN` grants no administration of the city."""
    return user.is_authenticated and CityAdministrator.objects.filter(
        user=user, municipality=municipality).exists()


def staff_page(allowed, refusal):
    """A decorator for staff pages: log in first (the staff login page), then pass `allowed(user,
    city)` for the city this host serves, else 403 with `refusal`; the view gets
    `request.actor` for the audit log."""
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect(f"{reverse('casework:login')}?next={request.path}")
            if not allowed(request.user, request.municipality):
                return HttpResponseForbidden(refusal())
            request.actor = Actor.staff(request.user, client_ip(request))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# A staff page: be staff of this city. Department and role checks stay in the view.
staff_required = staff_page(is_staff_of, lambda: _("この自治体の職員として登録されていません。"))


# A city administrator's page (/staff/city/): an administrator of the city this host serves; an
# administrator of another city, a clerk or a superuser without the row gets 403.
city_admin_required = staff_page(is_city_admin, lambda: _("この自治体の管理者として登録されていません。"))


# The roles that read the city's figures (insights). `Role.ADMIN` in a department is the
# department's 管理者 and `Role.ANALYST` the city's 分析担当; either reads the whole city's
# figures (they hold counts only), as does the city's administrator.
INSIGHTS_ROLES = (Role.ADMIN, Role.ANALYST)


def administers_or_holds(user, municipality: Municipality, roles) -> bool:
    """The city's administrator, or one of `roles` in any department of the city."""
    return user.is_authenticated and (
        memberships().filter(user=user, department__municipality=municipality,
                             role__in=roles).exists()
        or is_city_admin(user, municipality))


def reads_insights(user, municipality: Municipality) -> bool:
    return administers_or_holds(user, municipality, INSIGHTS_ROLES)


insights_required = staff_page(reads_insights, lambda: _("この自治体の統計を見る権限がありません。"))
