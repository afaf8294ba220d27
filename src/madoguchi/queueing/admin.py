"""Setting up counters in the operator's admin: groups with their windows and purposes, slots."""

from django.contrib import admin

from madoguchi.queueing.models import CounterGroup, ReservationSlot, VisitPurpose, Window


class WindowInline(admin.TabularInline):
    model = Window
    extra = 1


class VisitPurposeInline(admin.TabularInline):
    model = VisitPurpose
    extra = 1
    fields = ("code", "name", "translations", "expected_minutes", "reservable", "order")


@admin.register(CounterGroup)
class CounterGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "code", "municipality", "department", "order")
    list_filter = ("municipality",)
    inlines = [WindowInline, VisitPurposeInline]


@admin.register(ReservationSlot)
class ReservationSlotAdmin(admin.ModelAdmin):
    list_display = ("group", "starts_at", "ends_at", "windows")
    list_filter = ("group__municipality", "group")
    date_hierarchy = "starts_at"
