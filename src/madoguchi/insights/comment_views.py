"""Residents' survey comments for staff (/staff/insights/comments/), personal data masked.

Who reads what: a reader of the city's figures (core.roles.reads_insights: 管理者, 分析担当 or the
city's administrator) reads every comment of the city; any other member of staff reads the
comments about the departments they belong to. The comment is masked (feedback.masking) every
time it is shown; the page never offers the comment as typed. Filters: the period (from/to),
department, procedure, touchpoint and rating; a filter that is not a valid value is shown as an
error next to it and the page falls back to the default for it.
"""

from datetime import timedelta

from django import forms
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from madoguchi.catalog.selectors import procedure_of_record, procedures_for
from madoguchi.core.models import Department
from madoguchi.core.roles import departments_of, is_staff_of, reads_insights, staff_page
from madoguchi.feedback import selectors
from madoguchi.feedback.models import Rating, Touchpoint

DEFAULT_DAYS = 30
MAX_DAYS = 366


class CommentFilters(forms.Form):
    first = forms.DateField(label=_("期間（から）"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("期間（まで）"), required=False,
                           widget=forms.DateInput(attrs={"type": "date"}))
    department = forms.ModelChoiceField(label=_("担当課"), queryset=Department.objects.none(), required=False,
                                        empty_label=_("すべて"))
    procedure = forms.ChoiceField(label=_("手続"), required=False)
    touchpoint = forms.ChoiceField(label=_("回答の場面"), required=False,
                                   choices=[("", _("すべて")), *Touchpoint.choices])
    rating = forms.TypedChoiceField(label=_("満足度"), required=False, coerce=int, empty_value=None,
                                    choices=[("", _("すべて")), *Rating.choices])
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000, widget=forms.HiddenInput)

    def __init__(self, data, city, departments):
        super().__init__(data)
        self.fields["department"].queryset = departments
        codes = {p.code: p.title for p in procedures_for(city, "ja")}
        self.fields["procedure"].choices = [("", _("すべて")), *sorted(codes.items(), key=lambda kv: kv[1])]

    def full_clean(self):
        super().full_clean()
        for name in self.errors:  # the error above the field is read with it
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"{self[name].id_for_label}-error"})

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        last = data.get("last") or today
        first = data.get("first") or last - timedelta(days=DEFAULT_DAYS - 1)
        if "first" in self.errors or "last" in self.errors:
            return data
        if first > last:
            self.add_error("first", _("開始日は終了日より前の日にしてください"))
        elif (last - first).days >= MAX_DAYS:
            self.add_error("first", _("期間は1年以内にしてください"))
        data["first"], data["last"] = first, last
        return data


def _value(form, name, default=None):
    """A filter's cleaned value, or the default when it was not valid (its error is shown)."""
    return default if name in form.errors else form.cleaned_data.get(name, default)


def _period(form):
    if "first" in form.errors or "last" in form.errors:
        today = timezone.localdate()
        return today - timedelta(days=DEFAULT_DAYS - 1), today
    return form.cleaned_data["first"], form.cleaned_data["last"]


def _reads_comments(user, city) -> bool:
    return is_staff_of(user, city) or reads_insights(user, city)


comments_required = staff_page(_reads_comments, lambda: gettext("この自治体の職員として登録されていません。"))


@comments_required
def comments(request):
    city = request.municipality
    everyone = reads_insights(request.user, city)
    visible = (Department.objects.filter(municipality=city) if everyone
               else departments_of(request.user, city)).order_by("code")
    data = request.GET.copy()
    if not data.get("first") and not data.get("last"):  # the default period, shown in the fields
        today = timezone.localdate()
        data["first"], data["last"] = (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(), today.isoformat()
    form = CommentFilters(data, city, visible)
    form.is_valid()
    first, last = _period(form)
    department = _value(form, "department")
    rows = selectors.answers(
        city, first, last,
        departments=[department] if department else (None if everyone else visible),
        procedure=_value(form, "procedure", ""), touchpoint=_value(form, "touchpoint", ""),
        rating=_value(form, "rating"))
    page = selectors.comment_page(rows, _value(form, "page") or 1)
    titles = {}
    for code in {c.procedure_code for c in page.comments if c.procedure_code}:
        found = procedure_of_record(city, code, "ja")
        titles[code] = found.title if found else code
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "insights/comments.html", {
        "form": form, "first": first, "last": last, "everyone": everyone, "page": page,
        "items": [{"c": c, "title": titles.get(c.procedure_code, ""),
                   "rating_label": Rating(c.rating).label, "touchpoint_label": Touchpoint(c.touchpoint).label}
                  for c in page.comments],
        "query": query.urlencode(),
    }, status=400 if form.errors else 200)
