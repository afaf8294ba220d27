"""The forms of the system administrator's pages (/system/). A city's settings are
`core.cityconfig.CityForm` (the same validators as `madoguchi city` and the Django admin);
here only what the pages add: appointing an administrator and a payment provider's settings.

Secrets are write-only: the provider form takes new secrets and never shows stored ones.
"""

import json

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from madoguchi.administration.forms import _DescribedErrors
from madoguchi.core import branding
from madoguchi.core.cityconfig import CityForm
from madoguchi.payments.providers import provider_class


class SystemCityForm(_DescribedErrors, CityForm):
    """CityForm whose refusals are linked to their inputs, as on the city administrator's pages."""


class NewCityForm(SystemCityForm):
    """A city and, optionally, its first administrator (an existing staff login)."""

    admin_username = forms.CharField(label=gettext_lazy("最初の自治体管理者（ユーザー名）"), required=False,
                                     max_length=150,
                                     help_text=gettext_lazy("空欄なら後で任命できます。"))


class LogoForm(_DescribedErrors, forms.Form):
    """A new logo (checked and re-encoded as PNG by branding) or its removal."""

    logo = branding.LogoField(label=gettext_lazy("ロゴの画像（PNG、JPEG、WebP）"), required=False)
    remove = forms.BooleanField(label=gettext_lazy("ロゴを外す"), required=False)

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("logo") and not data.get("remove"):
            raise forms.ValidationError(_("画像を選ぶか「ロゴを外す」を選んでください。"))
        return data


class AppointForm(_DescribedErrors, forms.Form):
    username = forms.CharField(label=gettext_lazy("ユーザー名"), max_length=150)


def _json_object(text: str, what: str) -> dict:
    try:
        value = json.loads(text) if text.strip() else {}
    except ValueError:
        raise forms.ValidationError(_("JSON のオブジェクトで入力してください。")) from None
    if not isinstance(value, dict):
        raise forms.ValidationError(_("JSON のオブジェクトで入力してください。"))
    return value


class ProviderForm(_DescribedErrors, forms.Form):
    """One payment provider of one city: on or off, its methods, public settings (JSON) and
    new secrets (JSON of strings; blank keeps the stored ones; the stored ones are never
    shown, only their names)."""

    enabled = forms.BooleanField(label=gettext_lazy("使う"), required=False)
    methods = forms.MultipleChoiceField(label=gettext_lazy("支払方法"), required=False,
                                        widget=forms.CheckboxSelectMultiple)
    issues_receipt = forms.MultipleChoiceField(label=gettext_lazy("領収書を出す支払方法"), required=False,
                                               widget=forms.CheckboxSelectMultiple)
    config = forms.CharField(label=gettext_lazy("公開の設定（JSON）"), required=False,
                             widget=forms.Textarea(attrs={"rows": 4}))
    new_secrets = forms.CharField(
        label=gettext_lazy("新しいシークレット（JSON）"), required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text=gettext_lazy('例: {"secret_key": "sk_live_…"}。空欄なら保存済みのまま。保存済みの値は表示しません。'))

    def __init__(self, provider: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(m, m) for m in provider_class(provider).methods]
        self.fields["methods"].choices = choices
        self.fields["issues_receipt"].choices = choices

    def clean_config(self):
        return _json_object(self.cleaned_data.get("config") or "", "config")

    def clean_new_secrets(self):
        text = (self.cleaned_data.get("new_secrets") or "").strip()
        if not text:
            return None
        value = _json_object(text, "secrets")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise forms.ValidationError(_('{"名前": "値"} の形で入力してください。'))
        return value

    @classmethod
    def initial_of(cls, setting) -> dict:
        if setting is None:
            return {"config": "{}"}
        return {"enabled": setting.enabled, "methods": setting.methods or [],
                "issues_receipt": setting.issues_receipt or [],
                "config": json.dumps(setting.config or {}, ensure_ascii=False, indent=1)}
