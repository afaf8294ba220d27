"""The register check of a case (「住民記録と照合する」). Thin over casework/review.py.

A POST, not part of the case page's GET: each look-up writes an audit event, and the log should
hold the look-ups a clerk asked for, not one per page view. The result is its own page (as the
個人番号 reveal is), not stored and not cached: it carries the register's values.
"""

from django.http import Http404, HttpResponseForbidden
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.casework import review, selectors
from madoguchi.catalog.selectors import procedure_of_record
from madoguchi.core.models import Role
from madoguchi.core.roles import has_role, staff_required


@require_POST
@staff_required
def register_check(request, public_id):
    """The department's clerks and approvers only; another department's case is a 404."""
    case = selectors.case_for(request.user, request.municipality, public_id)
    if case is None:
        raise Http404
    if not any(has_role(request.user, case.department, r) for r in (Role.CLERK, Role.APPROVER)):
        return HttpResponseForbidden(_("住民記録と照合する権限がありません。"))
    procedure = procedure_of_record(request.municipality, case.procedure_code, language="ja")
    result = review.register_check(case, procedure, request.actor)
    response = render(request, "casework/register_check.html",
                      {"case": case, "procedure": procedure, "check": result})
    response["Cache-Control"] = "no-store"
    return response
