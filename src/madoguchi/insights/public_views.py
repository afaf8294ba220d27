"""The public dashboard (/insights/): the city's headline KPIs and their monthly trend for a
fiscal year, for anyone, without logging in. Every figure passes through `figures.public()`,
so a figure resting on fewer than ten cases reads 「10件未満」 and nobody can be picked out."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from madoguchi.insights import figures, presenting
from madoguchi.insights.forms import YearForm


@require_http_methods(["GET", "HEAD"])
def dashboard(request):
    city = request.municipality
    if city is None:
        raise Http404
    first, built = figures.periods(city)
    years = presenting.fiscal_years(first, built)
    form = YearForm(request.GET, years=years)
    context = {"form": form, "years": years}
    if years:
        year = form.cleaned_data.get("year") if form.is_valid() else None
        context.update(presenting.dashboard(city, year or years[0], built))
    return render(request, "insights/dashboard.html", context)
