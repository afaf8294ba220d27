"""Staff pages of the city's figures (/staff/insights/): the KPIs against the DX plan's targets,
with charts, and the targets themselves.

Who: `core.roles.insights_required` (a department's 管理者 or 分析担当, or the city's
administrator) reads both pages; a target is changed by the city's administrator or a 管理者
(`may_set_targets`), an analyst only reads them. The figures hold counts only, so every reader
sees the whole city."""

from django.contrib import messages
from django.http import HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from madoguchi.core.roles import insights_required
from madoguchi.insights import figures, presenting
from madoguchi.insights import targets as target_book
from madoguchi.insights.forms import (
    LAST_MONTH,
    THIS_MONTH,
    THIS_YEAR,
    FilterForm,
    RemoveTargetForm,
    TargetForm,
)


@insights_required
@require_http_methods(["GET", "HEAD"])
def overview(request):
    city = request.municipality
    form = FilterForm(request.GET, city=city, today=timezone.localdate())  # empty: this fiscal year
    context = {"form": form, "presets": [(THIS_MONTH, _("今月")), (LAST_MONTH, _("先月")), (THIS_YEAR, _("今年度"))],
               "built": figures.periods(city)[1]}
    if form.is_valid():
        data = form.cleaned_data
        scope = figures.Scope(city=city, first=data["first"], last=data["last"],
                              department=form.department_object(), procedure=data.get("procedure") or "")
        context.update(presenting.overview(scope), scope=scope, filtered=bool(scope.department or scope.procedure))
    return render(request, "insights/overview.html", context)


@insights_required
@require_http_methods(["GET", "HEAD", "POST"])
def targets(request):
    city = request.municipality
    may_set = target_book.may_set_targets(request.user, city)
    form = TargetForm(initial={"year": figures.fiscal_year(timezone.localdate())})
    if request.method == "POST":
        if not may_set:
            return HttpResponseForbidden(_("目標を変更する権限がありません。"))
        if request.POST.get("action") == "remove":
            removal = RemoveTargetForm(request.POST)
            if removal.is_valid():
                target_book.remove_target(city, request.actor, **removal.cleaned_data)
                messages.success(request, _("目標を削除しました。"))
            return redirect("insights:targets")
        form = TargetForm(request.POST)
        if form.is_valid():
            target_book.set_target(city, request.actor, **form.cleaned_data)
            messages.success(request, _("目標を保存しました。"))
            return redirect("insights:targets")
    return render(request, "insights/targets.html", {
        "form": form, "may_set": may_set, "rows": target_book.targets_of(city)},
        status=400 if form.errors else 200)
