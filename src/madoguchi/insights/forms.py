"""The forms of the figures' pages: the staff page's filters, the targets of the DX plan, and
the public dashboard's choice of fiscal year. Django's forms, so each refusal is shown next to
its field (and named to a screen reader by `aria-describedby`), and a bad query string is a
message, never a 500.

Staff-facing labels are in Japanese with English translations; the public form's in all six
languages."""

from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from madoguchi.catalog.selectors import procedures_for
from madoguchi.core import cities
from madoguchi.insights import figures
from madoguchi.insights.measures import Kpi

# The longest period one page reads: the page adds up its days, so a period is bounded.
LONGEST_PERIOD_DAYS = 366 * 5 + 1

THIS_MONTH, LAST_MONTH, THIS_YEAR, CUSTOM = "this_month", "last_month", "this_year", "custom"


def preset_span(preset: str, today: date) -> tuple[date, date]:
    """This month and this fiscal year run to today; last month is whole."""
    if preset == THIS_MONTH:
        return today.replace(day=1), today
    if preset == LAST_MONTH:
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    return figures.fiscal_year_span(figures.fiscal_year(today))[0], today


# The days a period may name: a figure's day is after the first fiscal year Madoguchi can hold,
# and a date near 9999-12-31 would overflow a month's end.
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def _within_years(day: date) -> None:
    if not EARLIEST <= day <= LATEST:
        raise forms.ValidationError(_("2000年から2100年までの日付を入力してください。"))


class _DescribedErrors:
    """Links each field's refusal to its input (`aria-describedby`); the template shows it
    next to the field."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = f"{self[name].auto_id}-error"


class FilterForm(_DescribedErrors, forms.Form):
    """What the staff page reads: a period (a preset or two dates), a department, a procedure."""

    preset = forms.ChoiceField(label=_("期間"), required=False, choices=[
        (THIS_MONTH, _("今月")), (LAST_MONTH, _("先月")), (THIS_YEAR, _("今年度")), (CUSTOM, _("日付を指定"))])
    first = forms.DateField(label=_("開始日"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            validators=[_within_years])
    last = forms.DateField(label=_("終了日"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                           validators=[_within_years])
    department = forms.ChoiceField(label=_("担当課"), required=False)
    procedure = forms.ChoiceField(label=_("手続"), required=False)

    def __init__(self, data, *, city, today: date):
        super().__init__(data)
        self.city, self.today = city, today
        self.fields["department"].choices = [("", _("すべての課"))] + [
            (code, d.name) for code, d in sorted(cities.departments_of(city).items())]
        self.fields["procedure"].choices = [("", _("すべての手続"))] + [
            (p.code, p.title) for p in procedures_for(city, "ja")]

    def clean(self):
        data = super().clean()
        preset = data.get("preset") or ""
        if not preset:
            preset = CUSTOM if (data.get("first") or data.get("last")) else THIS_YEAR
        data["preset"] = preset
        if preset != CUSTOM:
            data["first"], data["last"] = preset_span(preset, self.today)
            # The date fields show the preset's period, so the form submits it as it reads.
            self.data = self.data.copy()
            self.data.update({"first": data["first"].isoformat(), "last": data["last"].isoformat()})
            return data
        first, last = data.get("first"), data.get("last")
        if "first" not in self.errors and first is None:
            self.add_error("first", _("開始日を入力してください。"))
        if "last" not in self.errors and last is None:
            self.add_error("last", _("終了日を入力してください。"))
        if first and last:
            if last < first:
                self.add_error("last", _("終了日は開始日と同じか、それより後の日にしてください。"))
            elif (last - first).days >= LONGEST_PERIOD_DAYS:
                self.add_error("last", _("期間は5年以内にしてください。"))
        return data

    def department_object(self):
        code = self.cleaned_data.get("department")
        return cities.department(self.city, code) if code else None


def kpi_unit(kpi: str) -> str:
    """The unit a KPI's value is in (figures.py says), for checking a target: a share is at
    most 100%, a count is whole."""
    return figures.UNITS[Kpi(kpi)]


NUMBER = forms.TextInput(attrs={"inputmode": "numeric", "class": "short", "autocomplete": "off"})
DECIMAL = forms.TextInput(attrs={"inputmode": "decimal", "class": "short", "autocomplete": "off"})


class TargetForm(_DescribedErrors, forms.Form):
    """One target of the DX plan: a KPI's value by the end of a fiscal year."""

    kpi = forms.ChoiceField(label=_("指標"), choices=Kpi.choices)
    # Text inputs with a numeric keyboard (the design system's advice over type=number, whose
    # spinner changes a value by a scroll and whose refusals the browser words, not we).
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100, widget=NUMBER,
                              help_text=_("目標とする年度（例：2027）。年度は4月1日に始まります。"))
    value = forms.DecimalField(label=_("目標値"), min_value=Decimal(0), max_digits=12, decimal_places=2,
                               widget=DECIMAL)
    baseline = forms.DecimalField(label=_("基準値（任意）"), required=False, min_value=Decimal(0),
                                  max_digits=12, decimal_places=2, widget=DECIMAL)
    source = forms.CharField(label=_("出典（任意）"), required=False, max_length=200,
                             help_text=_("計画の名称や該当ページなど"))

    def clean(self):
        data = super().clean()
        kpi = data.get("kpi")
        unit = kpi_unit(kpi) if kpi else None
        for name in ("value", "baseline"):
            number = data.get(name)
            if number is None:
                continue
            if unit == "percent" and number > 100:
                self.add_error(name, _("割合の指標は100以下で入力してください。"))
            elif unit == "count" and number != number.to_integral_value():
                self.add_error(name, _("件数の指標は整数で入力してください。"))
        return data


class RemoveTargetForm(forms.Form):
    kpi = forms.ChoiceField(choices=Kpi.choices)
    year = forms.IntegerField(min_value=2000, max_value=2100)


class YearForm(_DescribedErrors, forms.Form):
    """The public dashboard's fiscal year (年度), among the years that have figures."""

    year = forms.TypedChoiceField(label=_("年度"), coerce=int, required=False)

    def __init__(self, data, *, years: list[int]):
        super().__init__(data)
        self.fields["year"].choices = [(y, _("%(year)s年度") % {"year": y}) for y in years]
