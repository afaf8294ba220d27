"""The public catalogue: find a procedure, read what it needs, start it."""

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import get_language

from madoguchi.catalog.selectors import department_for, get_procedure, procedures_for, search
from madoguchi.navigator.selectors import life_events

# The home page's categories, the everyday ones first (証明書, 引越し, 子育て); おくやみ is there,
# but not what a phone shows first. A category not named here follows, in the catalogue's order.
# ja-only: the catalogue's own category keys, matched against procedure.category as written there.
CATEGORY_ORDER = ("証明書", "引越し", "子育て", "届出", "戸籍", "国保・年金", "介護", "仕事",  # ja-only: keys
                  "自動車", "学校", "福祉", "くらし", "被災者支援", "おくやみ")  # ja-only: keys


def _by_category(procedures) -> dict[str, list]:
    categories: dict[str, list] = {}
    for procedure in procedures:
        categories.setdefault(procedure.category, []).append(procedure)
    rank = {name: n for n, name in enumerate(CATEGORY_ORDER)}
    return dict(sorted(categories.items(), key=lambda kv: rank.get(kv[0], len(rank))))


def _life_events() -> list[tuple[str, str]]:
    """The life events into 手続ナビ with their titles in the page's language (a Fallback, in
    Japanese, where the navigator has no translation)."""
    return life_events(get_language() or "ja")


def catalogue(request):
    """The home page, short on a phone: the search first (GET ?q=, no script needed), then the
    life events into 手続ナビ, then the categories, each opened on demand, and the full list
    one tap away (?all=1). With a query: one list, best match first."""
    query = request.GET.get("q", "").strip()[:100]
    offered = procedures_for(request.municipality)
    show_all = request.GET.get("all") == "1" and not query
    results = search(offered, query) if query else []
    categories = _by_category(offered)
    # The procedures shown in full (cards): the matches, or every procedure under its category.
    lists = [("", results)] if results else list(categories.items()) if show_all else []
    return render(request, "applications/catalogue.html", {
        "query": query, "results": results, "count": len(results), "show_all": show_all,
        "lists": lists, "categories": categories, "total": len(offered),
        "events": _life_events(),
    })


def procedure_detail(request, code):
    procedure = get_procedure(request.municipality, code)
    if procedure is None:
        raise Http404
    department = department_for(request.municipality, procedure) if procedure.department else None
    return render(request, "applications/procedure.html", {
        "procedure": procedure, "department": department,
        "window": procedure.window or (department.shown_counter if department else ""),
    })
