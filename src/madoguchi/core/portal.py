"""The prefecture portal: on a shared host (MADOGUCHI_PORTAL_HOSTS), choose your city, then go
to the city's own site.

A prefecture that runs Madoguchi for its municipalities publishes one address (its 電子申請
site) and each city keeps its own host, look and catalogue. The portal serves no city: the
middleware gives it its own URLconf (core/portal_urls.py), so nothing of a city — its catalogue,
My Page, staff pages, the API — answers on the portal's host. It reads only core.
"""

from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from madoguchi.core import city_directory


@require_safe
def home(request):
    """The list of cities and a search by name, reading or postal code (a GET form: it works
    without JavaScript, and a result page can be bookmarked or shared)."""
    among = city_directory.listed()
    query = request.GET.get("q", "")[: city_directory.MAX_QUERY]
    found = city_directory.search(query, among) if query.strip() else None
    prefs = getattr(request, "preferences", None)
    language = get_language() if prefs is not None and prefs.chosen else None
    links = {city.pk: city_directory.site_url(city, language) for city in among}
    prefectures = {city.prefecture for city in among if city.prefecture}
    return render(request, "core/portal/home.html", {
        "query": query,
        "found": found,
        "found_cities": [(city, links[city.pk]) for city in found.cities] if found else [],
        "cities": [(city, links[city.pk]) for city in among],
        # One prefecture's portal names it in its heading; a portal across prefectures names
        # each city's prefecture instead.
        "prefecture": next(iter(prefectures)) if len(prefectures) == 1 else "",
        "several_prefectures": len(prefectures) > 1,
    })


def not_found(request, exception=None):
    """Any other address on the portal's host: a 404 that says what this site is and links to
    the list of cities. Not a redirect: an address meant for a city's site (a procedure, My Page,
    the API) has no answer here, and a page that quietly showed the portal instead would look
    like that page; a crawler or API client gets a truthful status."""
    return render(request, "core/portal/not_found.html", status=404)
