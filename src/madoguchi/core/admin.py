"""The platform operator's admin for cities, departments and staff roles (superusers only)."""

from django.contrib import admin

from madoguchi.core.models import AuditEvent, Department, Municipality, StaffMembership


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "code", "hostname")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "municipality", "counter", "phone")
    list_filter = ("municipality",)


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "department", "role")
    list_filter = ("department__municipality", "role")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ("at", "municipality", "actor_kind", "actor_ref", "action", "target_type", "target_id")
    list_filter = ("municipality", "action", "actor_kind")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
