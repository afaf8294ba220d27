"""The public catalogue: find a procedure, read what it needs, start it."""

from django.http import Http404
from django.shortcuts import render

from madoguchi.catalog.selectors import department_for, get_procedure, procedures_for, search


def catalogue(request):
    """With a query: one list, best match first. Without: every procedure by category."""
    query = request.GET.get("q", "").strip()[:100]
    procedures = search(procedures_for(request.municipality), query)
    categories: dict[str, list] = {}
    if query:
        categories = {"": procedures} if procedures else {}
    else:
        for procedure in procedures:
            categories.setdefault(procedure.category, []).append(procedure)
    return render(request, "applications/catalogue.html",
                  {"categories": categories, "query": query, "count": len(procedures)})


def procedure_detail(request, code):
    procedure = get_procedure(request.municipality, code)
    if procedure is None:
        raise Http404
    department = department_for(request.municipality, procedure) if procedure.department else None
    return render(request, "applications/procedure.html", {
        "procedure": procedure, "department": department,
        "window": procedure.window or (department.counter if department else ""),
    })
