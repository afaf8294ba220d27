"""Who is 会計課 (the city's accounts office), for the books pages and refunds.

A member (any role) of the city's department whose code is the setting
`MADOGUCHI_ACCOUNTS_DEPARTMENT` (default `kaikei`). Why a department and not a new role:
the money a city takes in is handled by its 会計管理者 and the office under them (地方自治法
第168条・第170条), who are by law apart from the departments that decide the cases — the
clerk who fixed a fee must not be the one who pays it back. Cities already model that office
as a department, so the existing least-privilege rule (staff see what their department does,
`core.roles`) covers it with no new kind of permission, and a city changes who may see the
books the way it changes any department's staff. The 決裁者 (approver) role within that
department approves refunds, as it approves decisions in a department: another person than
the one who asked.
"""

from django.conf import settings

from madoguchi.core.models import Department, Municipality, Role, StaffMembership

DEFAULT_CODE = "kaikei"


def department_code() -> str:
    return getattr(settings, "MADOGUCHI_ACCOUNTS_DEPARTMENT", "") or DEFAULT_CODE


def department(municipality: Municipality) -> Department | None:
    return Department.objects.filter(municipality=municipality, code=department_code()).first()


def _memberships(user, municipality: Municipality):
    if not user.is_authenticated:
        return StaffMembership.objects.none()
    return StaffMembership.objects.filter(user=user, department__municipality=municipality,
                                          department__code=department_code())


def is_member(user, municipality: Municipality) -> bool:
    """May see the books: the daily close, the CSV, the open items, any payment, its 領収書."""
    return _memberships(user, municipality).exists()


def is_approver(user, municipality: Municipality) -> bool:
    """May approve a refund another member asked for."""
    return _memberships(user, municipality).filter(role=Role.APPROVER).exists()
