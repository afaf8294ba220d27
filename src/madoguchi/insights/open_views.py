"""Open data (/opendata/): the page listing the files, `datapackage.json`, and the files.

No login: nothing in them is personal (insights/opendata.py builds them from the public,
suppressed figures). The files and the package are the same bytes for everyone, so they are
cached publicly for an hour and answer a harvester's conditional GET (ETag, Last-Modified) with
304 until the city's figures are built again; `Access-Control-Allow-Origin: *` lets a web page
anywhere read them, as open data should allow.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from madoguchi.core import i18n
from madoguchi.insights import figures, opendata

MAX_AGE = 3600


def _published(request, published: opendata.File, filename: str = ""):
    modified = published.modified
    last_modified = int(modified.timestamp()) if modified else None
    response = get_conditional_response(request, etag=published.etag, last_modified=last_modified)
    if response is None:
        response = HttpResponse(published.content, content_type=published.mediatype)
    response["ETag"] = published.etag
    if last_modified:
        response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    if filename:
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _documented(text: dict[str, str]) -> dict[str, str]:
    """The data dictionary is written in Japanese and English only (the columns' documentation
    is part of the data, published as such): Japanese on Japanese pages, English elsewhere,
    with its language, so a screen reader reads it in that language."""
    lang = "ja" if i18n.is_japanese(get_language() or "ja") else "en"
    return {"text": text[lang], "lang": lang}


@require_safe
def index(request):
    """The page a resident or a portal's curator reads: what the files are, their columns,
    units, the licence and how small counts are hidden; the links are the stable URLs."""
    city = request.municipality
    first, last = figures.periods(city)
    about = opendata.dictionary()
    files = [{"resource": resource,
              "title": _documented(about["resources"][resource]["title"]),
              "description": _documented(about["resources"][resource]["description"]),
              "links": [{"fmt": fmt, "url": opendata.url(city, "resource", resource, fmt)}
                        for fmt in opendata.FORMATS]}
             for resource in opendata.RESOURCES]
    columns = [{"name": c.name, "kpi": c.kpi, "unit": c.unit, "only": "" if len(found) > 1 else found[0],
                "title": _documented(c.title), "description": _documented(c.description)}
               for c, found in opendata.every_column()]
    missing = [{"mark": mark, "text": _documented(text)} for mark, text in about["missing"].items()]
    return render(request, "opendata/index.html", {
        "files": files, "columns": columns, "package_url": opendata.url(city, "package"),
        "licence": opendata.LICENCE, "first": first, "last": last, "built": opendata.last_built(city), "missing": missing,
        "small_count": figures.SMALL_COUNT,
    })


@require_safe
def package(request):
    return _published(request, opendata.package_file(request.municipality))


@require_safe
def resource(request, name: str, fmt: str):
    if name not in opendata.RESOURCES or fmt not in opendata.FORMATS:
        raise Http404
    city = request.municipality
    return _published(request, opendata.file(city, name, fmt), filename=f"{city.code}_{name}.{fmt}")
