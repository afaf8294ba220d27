"""Least privilege: which departments a staff user may see, and in which role."""

from madoguchi.core.models import Department, Municipality, Role, StaffMembership


def departments_of(user, municipality: Municipality, role: str | None = None):
    memberships = StaffMembership.objects.filter(user=user, department__municipality=municipality)
    if role:
        memberships = memberships.filter(role=role)
    return Department.objects.filter(pk__in=memberships.values("department_id"))


def has_role(user, department: Department, role: str) -> bool:
    return StaffMembership.objects.filter(user=user, department=department, role=role).exists()


def is_staff_of(user, municipality: Municipality) -> bool:
    return user.is_authenticated and StaffMembership.objects.filter(
        user=user, department__municipality=municipality
    ).exists()


__all__ = ["Role", "departments_of", "has_role", "is_staff_of"]
