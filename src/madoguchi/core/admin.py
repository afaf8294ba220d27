"""The platform operator's admin for cities, departments and staff roles (superusers only)."""

from math import ceil

from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponseRedirect
from django.utils.functional import cached_property

from madoguchi.core import counting, onboarding
from madoguchi.core.actors import Actor, client_ip
from madoguchi.core.cityconfig import CityForm
from madoguchi.core.models import AuditEvent, Department, Municipality, StaffMembership


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    """The same form, validators and saving as `madoguchi city` and the /system/ pages
    (core/cityconfig.py, core/onboarding.py): a new city gets its hosts and first data key, and
    every change an audit event. A city is never deleted here: it leaves (core/leaving.py)."""

    form = CityForm
    list_display = ("name", "slug", "code", "prefecture", "hostname", "closed_at")
    search_fields = ("name", "name_kana", "code", "slug", "hostname")
    readonly_fields = ("created_at", "closed_at")

    def save_model(self, request, obj, form, change):
        actor = Actor.staff(request.user, client_ip(request))
        if change:
            onboarding.update_city(form, actor)
        else:
            onboarding.create_city(form, actor)

    def changeform_view(self, request, *args, **kwargs):
        """A step the server cannot do (the key wrapper is not configured) rolls everything
        back and comes back to the form with the reason, rather than an error page."""
        try:
            return super().changeform_view(request, *args, **kwargs)
        except onboarding.OnboardingError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "municipality", "counter", "phone")
    list_filter = ("municipality",)


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "department", "role", "valid_from", "valid_until", "note")
    list_filter = ("department__municipality", "role", "valid_until")


class EstimatedCountPaginator(Paginator):
    """Pages of a list with tens of millions of rows: counted exactly up to
    core.counting.EXACT_UP_TO and estimated past it (the admin's own paginator COUNTs the
    whole table on every page), and no page links past that threshold, whose OFFSET would read
    every row before them: past it, narrow the list with its filters."""

    @cached_property
    def count(self):
        return counting.count(self.object_list).value

    @cached_property
    def num_pages(self):
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        reachable = max(1, min(self.count, counting.EXACT_UP_TO) - self.orphans)
        return ceil(reachable / self.per_page)


class ActionFilter(admin.SimpleListFilter):
    """The actions in the log, read by skipping from one action to the next through the
    (action, id) index: Django's own filter runs SELECT DISTINCT over the whole table on every
    page. Written as SQL by hand because the ORM has no recursive query; the same statement
    runs on PostgreSQL and SQLite."""

    title = "action"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH RECURSIVE actions(action) AS ("  # noqa: S608 (the table name is ours)
                f" SELECT * FROM (SELECT action FROM {table} ORDER BY action LIMIT 1) AS lowest"
                f" UNION ALL"
                f" SELECT (SELECT e.action FROM {table} e WHERE e.action > actions.action"
                f"         ORDER BY e.action LIMIT 1)"
                f" FROM actions WHERE actions.action IS NOT NULL)"
                f" SELECT action FROM actions WHERE action IS NOT NULL")
            return [(action, action) for (action,) in cursor.fetchall()]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records only the application writes (the audit log, payments as providers reported
    them): shown, never added, changed or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the audit log is append-only. Newest first; every filter, alone or one of
    action and kind of actor within a city, is one index read in that order
    (core.AuditEvent.Meta.indexes); columns do not sort (each would sort the whole table);
    no total count and no facet counts."""

    list_display = ("at", "municipality", "actor_kind", "actor_ref", "action", "target_type", "target_id")
    list_filter = ("municipality", ActionFilter, "actor_kind")
    list_select_related = ("municipality",)
    ordering = ("-id",)
    sortable_by = ()
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
