"""A provider's secrets kept as one encrypted JSON object (payment providers' `ProviderSetting`,
notification channels' `ChannelSetting`): read through `secret_values`, written through
`set_secrets`, and changed in the admin by a form that never shows a stored value."""

import json

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def merged(current: dict, changes: dict) -> dict:
    """`current` with `changes` applied, where an empty value ("") removes its key: how both a
    setting's public config and its secrets are changed name by name."""
    result = dict(current)
    for key, value in changes.items():
        if value == "":
            result.pop(key, None)
        else:
            result[key] = value
    return result


class SecretsMixin:
    """For a model with an encrypted text column `secrets` holding a JSON object."""

    @property
    def secret_values(self) -> dict:
        try:
            value = json.loads(self.secrets or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def set_secrets(self, values: dict) -> None:
        self.secrets = json.dumps(values, ensure_ascii=False, sort_keys=True)


class SecretsForm(forms.ModelForm):
    """A ModelForm whose secrets are write-only: `new_secrets` takes a JSON object of the
    secrets to change ("name": "" removes one), empty keeps the stored ones, and no stored
    value is ever put back into the page."""

    new_secrets = forms.CharField(
        label=gettext_lazy("secrets to change (JSON)"), required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text=gettext_lazy('{"name": "value", …}; "name": "" removes a secret. Empty keeps the stored '
                               "ones, which are never shown."))

    def clean_new_secrets(self):
        text = self.cleaned_data["new_secrets"].strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("JSON のオブジェクトで入力してください。")) from None
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise forms.ValidationError(_('{"名前": "値"} の形で入力してください。'))
        return value

    def save(self, commit=True):
        setting = super().save(commit=False)
        changes = self.cleaned_data.get("new_secrets")
        if changes:
            setting.set_secrets(merged(setting.secret_values, changes))
        if commit:
            setting.save()
        return setting
