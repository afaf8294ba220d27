"""Turning payment providers on per city (platform operators, superusers only).

Secrets are write-only here (core/secrets.py): the form takes a JSON object of the secrets to
change and the page shows only which secret names are set, never the values. Each setting shows its `check_config()` problems. Charges, attempts and refunds are
listed read-only for support; 会計課 works in its own pages (payments:books)."""

from django import forms
from django.contrib import admin

from madoguchi.core.admin import ReadOnlyAdmin
from madoguchi.core.secrets import SecretsForm
from madoguchi.payments.models import Attempt, Charge, ProviderEvent, ProviderSetting, Refund
from madoguchi.payments.providers import UnknownProvider, provider_for, registry


class ProviderSettingForm(SecretsForm):
    class Meta:
        model = ProviderSetting
        fields = ("municipality", "provider", "enabled", "methods", "issues_receipt", "config")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"] = forms.ChoiceField(choices=[(code, code) for code in sorted(registry)])


@admin.register(ProviderSetting)
class ProviderSettingAdmin(admin.ModelAdmin):
    form = ProviderSettingForm
    list_display = ("municipality", "provider", "enabled", "methods", "problems")
    list_filter = ("provider", "enabled")
    readonly_fields = ("secret_names", "problems")

    @admin.display(description="secrets set")
    def secret_names(self, obj):
        return ", ".join(sorted(obj.secret_values)) or "—"

    @admin.display(description="check_config")
    def problems(self, obj):
        try:
            found = provider_for(obj).check_config()
        except UnknownProvider:
            return "unknown provider"
        return " / ".join(found) or "OK"


@admin.register(Charge)
class ChargeAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "municipality", "kind", "amount_yen", "status", "paid_at")
    list_filter = ("status", "kind")


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "provider", "method", "state", "amount_yen", "created_at", "flag_reason")
    list_filter = ("provider", "state")
    exclude = ("redirect_url",)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "amount_yen", "state", "automatic", "requested_at", "done_at")
    list_filter = ("state", "automatic")


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = ("provider", "event_id", "kind", "state", "received_at", "processed_at")
    list_filter = ("provider", "kind")
