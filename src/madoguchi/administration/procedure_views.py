"""The procedure overrides and fees pages (/staff/city/procedures/): a city administrator sees
the city's procedures (national and its own) and which of them the city changed, and changes
the window, the fee note, the fee lines, the exemptions and the 歳入科目 code of one, or withdraws and
reinstates it. Thin: parse (procedure_forms), call catalog.overrides, render.

Every page is `city_admin_required` (a CityAdministrator row for the city of this host). A
procedure is looked up in this city's catalogue only, by code; what the files and the pages
refuse is refused in the same words (loader.check_override), shown next to the input (400).
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.administration import procedure_forms as forms
from madoguchi.catalog import overrides
from madoguchi.catalog.fees import quote
from madoguchi.catalog.loader import OverrideError
from madoguchi.core.roles import city_admin_required

TEMPLATES = "administration/procedures/"


def _entry(request, code: str) -> overrides.Entry:
    found = overrides.entry(request.municipality, code)
    if found is None:
        raise Http404
    return found


@city_admin_required
def procedures(request):
    entries = overrides.entries(request.municipality)
    return render(request, TEMPLATES + "list.html", {
        "entries": entries, "changed": sum(1 for e in entries if e.changed_by_page or e.withdrawn)})


@city_admin_required
def procedure(request, code: str):
    entry = _entry(request, code)
    shown = entry.procedure
    status = 200
    if request.method == "POST":
        found, action = forms.posted(request.POST, shown)
        if action == "add_line":
            forms.add_line(found)
        elif action.startswith("remove_line:"):
            forms.remove_line(found, action)
        elif action.startswith("remove_exemption:"):
            forms.remove_exemption(found, action)
        else:
            try:
                overrides.change(request.municipality, code, forms.values(found, shown),
                                 request.actor, request.user)
            except OverrideError as exc:
                forms.place(found, exc.problems)
                status = 400
            else:
                messages.success(request, _("変更を保存しました。"))
                return redirect("administration:procedure", code=code)
    else:
        found = forms.initial(shown)
    return render(request, TEMPLATES + "edit.html", {
        "entry": entry, "procedure": shown, "form": found,
        "per_choices": forms.number_fields(shown), "keep": forms.KEEP,
        "example": quote(shown, forms.example_answers(shown)),
    }, status=status)


def _action(request, code: str, act, done: str):
    _entry(request, code)
    try:
        act(request.municipality, code, request.actor, request.user)
    except OverrideError as exc:
        messages.error(request, "; ".join(p.message for p in exc.problems))
    else:
        messages.success(request, done)
    return redirect(reverse("administration:procedure", args=[code]))


@require_POST
@city_admin_required
def withdraw(request, code: str):
    return _action(request, code, overrides.withdraw, _("この手続の受付をやめました。"))


@require_POST
@city_admin_required
def reinstate(request, code: str):
    return _action(request, code, overrides.reinstate, _("この手続の受付を再開しました。"))


@require_POST
@city_admin_required
def reset(request, code: str):
    return _action(request, code, overrides.reset, _("この画面での変更を取り消し、ファイルの内容に戻しました。"))
