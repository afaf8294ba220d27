"""Turning notification channels on per city (platform operators, superusers only), beside
`madoguchi channel` (the same checks: notify/configure.py).

Secrets are write-only here, as for payment providers (core/secrets.py): the form takes a JSON
object of the secrets to change and the page shows only which secret names are set, never a
value. Each setting shows its check_config() problems."""

from django import forms
from django.contrib import admin

from madoguchi.core.secrets import SecretsForm
from madoguchi.notify import configure
from madoguchi.notify.models import ChannelSetting


class ChannelSettingForm(SecretsForm):
    class Meta:
        model = ChannelSetting
        fields = ("municipality", "channel", "enabled", "config")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"] = forms.ChoiceField(choices=[(code, code) for code in configure.settable()])


@admin.register(ChannelSetting)
class ChannelSettingAdmin(admin.ModelAdmin):
    form = ChannelSettingForm
    list_display = ("municipality", "channel", "enabled", "problems")
    list_filter = ("channel", "enabled")
    readonly_fields = ("secret_names", "problems")

    @admin.display(description="secrets set")
    def secret_names(self, obj):
        return ", ".join(sorted(obj.secret_values)) or "—"

    @admin.display(description="check_config")
    def problems(self, obj):
        return " / ".join(configure.problems_of(obj)) or "OK"
