"""The forms of the city administrator's pages (/staff/city/): Django's forms, so that a field's
rules are the model's (lengths, slugs, e-mail addresses, uniqueness within the city) as in the
operator's admin, and each refusal is shown next to its field in plain words.

Staff-facing: messages in Japanese with English translations (the staff languages).
"""

import unicodedata

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core.validators import MinValueValidator
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from madoguchi.administration.rights import EXCEPTION_MAX_DAYS, renewable
from madoguchi.administration.services import GIVEN_ROLES
from madoguchi.core import i18n
from madoguchi.core.japanese import parse_date
from madoguchi.core.japanese.errors import JapaneseInputError
from madoguchi.core.japanese.phone import format_phone
from madoguchi.core.models import Department, Municipality, Role, StaffMembership
from madoguchi.core.roles import today
from madoguchi.queueing.models import CounterGroup, VisitPurpose, Window

# The roles a city administrator gives in a department. `Role.ADMIN` (管理者) on a department
# reads the city's figures like `Role.ANALYST` (core.roles.reads_insights) and administers
# nothing: a city's administrator is a CityAdministrator row, given on the staff page.
DEPARTMENT_ROLES = [(role.value, role.label) for role in GIVEN_ROLES]


def resident_languages() -> list[tuple[str, str]]:
    """The languages besides Japanese that residents read a department's or a counter's name
    in: (code, its own name)."""
    names = i18n.names()
    return [(code, names[code]) for code in i18n.codes() if code != i18n.DEFAULT]


def field_key(prefix: str, language: str) -> str:
    return f"{prefix}_{language.replace('-', '_')}"


class _DescribedErrors:
    """Links each field's error to its input (`aria-describedby`), so a screen reader reads
    the refusal with the field; the template shows it next to the field. Every refusal, from
    a field's cleaning or added by the view after a service refused, passes through
    `add_error`."""

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                bound = self[name]
                described = [f"{bound.auto_id}-error"]
                if self.fields[name].help_text:
                    described.append(f"{bound.auto_id}_helptext")
                self.fields[name].widget.attrs["aria-describedby"] = " ".join(described)


class AdminForm(_DescribedErrors, forms.Form):
    pass


class AdminModelForm(_DescribedErrors, forms.ModelForm):
    pass


def _phone(value: str) -> str:
    """A department's phone as residents read it (099-224-1111), or a plain refusal."""
    if not value:
        return ""
    try:
        return format_phone(value)
    except JapaneseInputError as error:
        raise forms.ValidationError(str(error)) from error


class DepartmentForm(AdminModelForm):
    """A department: its code (the procedures' files name it), name, counter, phone, e-mail,
    and its name and counter in each resident language (`Department.translations`)."""

    class Meta:
        model = Department
        fields = ["code", "name", "counter", "phone", "email"]
        labels = {"code": _("コード"), "name": _("名称"), "counter": _("窓口"), "phone": _("電話番号"),
                  "email": _("メールアドレス")}
        help_texts = {"code": _("半角英数字・ハイフン・下線。手続のファイルが担当課をこのコードで指定します。")}

    def __init__(self, *args, municipality: Municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.languages = resident_languages()
        limit = Department._meta.get_field("name").max_length
        stored = self.instance.translations or {}
        for code, language in self.languages:
            for part, label in (("name", _("名称")), ("counter", _("窓口"))):
                key = field_key(part, code)
                self.fields[key] = forms.CharField(
                    label=f"{label} ({language})", required=False, max_length=limit)
                self.initial.setdefault(key, (stored.get(code) or {}).get(part, ""))
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})

    def translation_fields(self):
        """(language name, [its name field, its counter field]) for the template."""
        return [(language, [self[field_key("name", code)], self[field_key("counter", code)]])
                for code, language in self.languages]

    def main_fields(self):
        return [self[name] for name in self.Meta.fields]

    def clean_code(self):
        code = self.cleaned_data["code"]
        taken = Department.objects.filter(municipality=self.municipality, code=code)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("このコードの担当課はすでにあります。"))
        return code

    def clean_phone(self):
        return _phone(self.cleaned_data["phone"])

    def translations(self) -> dict:
        """{language: {"name": …, "counter": …}} with only what was typed."""
        found = {}
        for code, _language in self.languages:
            entry = {part: self.cleaned_data[field_key(part, code)].strip() for part in ("name", "counter")
                     if self.cleaned_data.get(field_key(part, code), "").strip()}
            if entry:
                found[code] = entry
        return found


class NewStaffForm(AdminForm):
    """A new staff account of this city with its first role. The password is made here and
    shown once, or typed by the administrator and checked by Django's password validators."""

    username = forms.CharField(label=_("ユーザー名"), max_length=150,
                               help_text=_("半角英数字と @ . + - _ のみ。ログインに使います。"))
    last_name = forms.CharField(label=_("姓"), max_length=150)
    first_name = forms.CharField(label=_("名"), max_length=150, required=False)
    email = forms.EmailField(label=_("メールアドレス"), required=False)
    department = forms.ModelChoiceField(label=_("担当課"), queryset=Department.objects.none(),
                                        empty_label=None)
    role = forms.ChoiceField(label=_("役割"), choices=DEPARTMENT_ROLES, initial=Role.CLERK)
    password = forms.CharField(
        label=_("初期パスワード（任意）"), required=False, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("空欄なら自動で作り、この後の画面に一度だけ表示します。"))

    def __init__(self, *args, municipality: Municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(
            municipality=municipality).order_by("code")
        self.fields["username"].validators += get_user_model()._meta.get_field("username").validators
        self.fields["username"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        self.fields["email"].widget.attrs["autocomplete"] = "off"

    def clean_username(self):
        username = unicodedata.normalize("NFKC", self.cleaned_data["username"]).strip()
        # Users are global: a name taken anywhere is refused with no word on whose it is.
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("このユーザー名は使えません（すでに使われています）。"))
        return username

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password and "username" in cleaned:
            user = get_user_model()(username=cleaned["username"], email=cleaned.get("email", ""),
                                    first_name=cleaned.get("first_name", ""),
                                    last_name=cleaned.get("last_name", ""))
            try:
                password_validation.validate_password(password, user)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class PasswordForm(AdminForm):
    """A new password for a staff member who lost theirs: made here and shown once, or typed by
    the administrator and checked by Django's password validators against that user."""

    password = forms.CharField(
        label=_("新しいパスワード（任意）"), required=False, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("空欄なら自動で作り、この後の画面に一度だけ表示します。"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if password:
            password_validation.validate_password(password, self.user)
        return password


class RoleForm(AdminForm):
    """Give or take a role in one of this city's departments."""

    department = forms.ModelChoiceField(label=_("担当課"), queryset=Department.objects.none(),
                                        empty_label=None)
    role = forms.ChoiceField(label=_("役割"), choices=DEPARTMENT_ROLES)

    def __init__(self, *args, municipality: Municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(
            municipality=municipality).order_by("code")


def _translations_fields(form, instance_translations: dict, limit: int) -> None:
    """Add one name field per resident language to a counter group's or a purpose's form
    (`translations` is {language: name} on these models)."""
    form.languages = resident_languages()
    for code, language in form.languages:
        key = field_key("name", code)
        form.fields[key] = forms.CharField(label=f"{_('名称')} ({language})", required=False,
                                           max_length=limit)
        form.initial.setdefault(key, (instance_translations or {}).get(code, ""))


def _named_translations(form) -> dict:
    return {code: form.cleaned_data[field_key("name", code)].strip() for code, _language in form.languages
            if form.cleaned_data.get(field_key("name", code), "").strip()}


class CounterGroupForm(AdminModelForm):
    """A counter group (a line of visitors): code, name and its translations, ticket prefix,
    the department whose staff work its windows, where it is, and its place in the kiosk."""

    class Meta:
        model = CounterGroup
        fields = ["code", "name", "prefix", "department", "location", "order"]
        labels = {"code": _("コード"), "name": _("名称"), "prefix": _("番号札の記号"),
                  "department": _("担当課"), "location": _("場所"), "order": _("表示順")}
        help_texts = {"prefix": _("番号の前に付く半角英数字1〜2文字（例: A → A-012）。"),
                      "department": _("この担当課の職員が窓口で呼び出します。")}

    def __init__(self, *args, municipality: Municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.fields["department"].queryset = Department.objects.filter(
            municipality=municipality).order_by("code")
        self.fields["department"].empty_label = None
        _translations_fields(self, self.instance.translations,
                             CounterGroup._meta.get_field("name").max_length)

    def main_fields(self):
        return [self[name] for name in self.Meta.fields]

    def translation_fields(self):
        return [self[field_key("name", code)] for code, _language in self.languages]

    def clean_code(self):
        code = self.cleaned_data["code"]
        if self._taken(code=code):
            raise forms.ValidationError(_("このコードの窓口グループはすでにあります。"))
        return code

    def clean_prefix(self):
        prefix = unicodedata.normalize("NFKC", self.cleaned_data["prefix"]).strip().upper()
        if not (1 <= len(prefix) <= 2 and prefix.isascii() and prefix.isalnum()):
            raise forms.ValidationError(_("半角英数字1〜2文字で入力してください。"))
        if self._taken(prefix=prefix):
            raise forms.ValidationError(_("この記号は別の窓口グループが使っています。"))
        return prefix

    def _taken(self, **lookup) -> bool:
        found = CounterGroup.objects.filter(municipality=self.municipality, **lookup)
        if self.instance.pk:
            found = found.exclude(pk=self.instance.pk)
        return found.exists()

    def translations(self) -> dict:
        return _named_translations(self)


class WindowForm(AdminForm):
    """A new window in a group: the number on the sign above it."""

    number = forms.IntegerField(label=_("窓口番号"), min_value=1, max_value=999)

    def __init__(self, *args, group: CounterGroup, **kwargs):
        super().__init__(*args, **kwargs)
        self.group = group

    def clean_number(self):
        number = self.cleaned_data["number"]
        if Window.objects.filter(group__municipality=self.group.municipality, number=number).exists():
            raise forms.ValidationError(_("この番号の窓口はすでにあります。"))
        return number


class PurposeForm(AdminModelForm):
    """What visitors of a group come for, as the kiosk shows it: name and translations,
    the expected minutes (the estimate's prior), whether it can be reserved."""

    class Meta:
        model = VisitPurpose
        fields = ["name", "expected_minutes", "reservable", "order"]
        labels = {"name": _("名称"), "expected_minutes": _("標準の所要時間（分）"),
                  "reservable": _("予約できる"), "order": _("表示順")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _translations_fields(self, self.instance.translations,
                             VisitPurpose._meta.get_field("name").max_length)
        self.fields["expected_minutes"].validators.append(MinValueValidator(1))
        self.fields["expected_minutes"].widget.attrs["min"] = 1

    def main_fields(self):
        return [self[name] for name in self.Meta.fields]

    def translation_fields(self):
        return [self[field_key("name", code)] for code, _language in self.languages]

    def translations(self) -> dict:
        return _named_translations(self)


# --- rights that expire (administration/rights.py) ---------------------------------------------


def _day(value: str):
    """A date as staff type it: 和暦, 西暦 or the 7-digit 元号 code (core.japanese.parse_date,
    the one rule for every date field)."""
    try:
        return parse_date(value)
    except JapaneseInputError as error:
        raise forms.ValidationError(str(error)) from error


class RightsFilterForm(AdminForm):
    """How far ahead (and back) the list of expiring rights looks."""

    days = forms.IntegerField(label=_("日数"), required=False, min_value=1, max_value=366,
                              help_text=_("この日数以内に終わる役割と、この日数以内に終わった役割を表示します。"))


class RenewForm(AdminForm):
    """The roles chosen on the list, renewed in one POST."""

    membership = forms.ModelMultipleChoiceField(
        label=_("更新する役割"), queryset=StaffMembership.objects.none(),
        error_messages={"required": _("更新する役割を選んでください。"),
                        "invalid_choice": _("選べない役割が含まれています。"),
                        "invalid_pk_value": _("選べない役割が含まれています。")})

    def __init__(self, *args, municipality: Municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = renewable(municipality)


class ExceptionForm(AdminForm):
    """A temporary role (例外) with its reason and a short period."""

    department = forms.ModelChoiceField(label=_("担当課"), queryset=Department.objects.none(),
                                        empty_label=None)
    role = forms.ChoiceField(label=_("役割"), choices=DEPARTMENT_ROLES)
    valid_from = forms.CharField(label=_("開始日"), max_length=30,
                                 help_text=_("令和8年4月1日、2026-04-01、5080401 のように入力します。"))
    valid_until = forms.CharField(label=_("終了日"), max_length=30,
                                  help_text=lazy(lambda: _("この日まで有効です（最長%(days)s日）。")
                                                 % {"days": EXCEPTION_MAX_DAYS}, str)())
    note = forms.CharField(label=_("理由"), max_length=200,
                           help_text=_("例: 繁忙期の応援、決裁者の不在。氏名は書かないでください。"))

    def __init__(self, *args, municipality: Municipality, **kwargs):
        kwargs.setdefault("prefix", "exception")
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(
            municipality=municipality).order_by("code")

    def clean_valid_from(self):
        return _day(self.cleaned_data["valid_from"])

    def clean_valid_until(self):
        return _day(self.cleaned_data["valid_until"])

    def clean_note(self):
        note = " ".join(self.cleaned_data["note"].split())
        if not note:
            raise forms.ValidationError(_("理由を入力してください。"))
        return note

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_until")
        if start is None or end is None:
            return data
        if end < start:
            self.add_error("valid_until", _("終了日は開始日以降の日付にしてください。"))
        elif end < today():
            self.add_error("valid_until", _("終了日が過ぎています。今日以降の日付にしてください。"))
        elif (end - start).days + 1 > EXCEPTION_MAX_DAYS:
            self.add_error("valid_until", _("例外の期間は%(days)s日以内にしてください。長く続く役割は通常の役割として与えてください。")
                           % {"days": EXCEPTION_MAX_DAYS})
        return data
