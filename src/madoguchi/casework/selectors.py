"""The department work queue, limited to the departments the staff member belongs to."""

from datetime import date

from madoguchi.applications.models import Submission
from madoguchi.core.roles import departments_of


def queue(user, municipality, status: str = "", procedure: str = "", since: date | None = None,
          until: date | None = None):
    cases = Submission.objects.filter(
        municipality=municipality, department__in=departments_of(user, municipality)
    ).select_related("department")
    if status:
        cases = cases.filter(status=status)
    if procedure:
        cases = cases.filter(procedure_code=procedure)
    if since:
        cases = cases.filter(submitted_at__date__gte=since)
    if until:
        cases = cases.filter(submitted_at__date__lte=until)
    return cases.order_by("submitted_at")


def case_for(user, municipality, public_id) -> Submission | None:
    """A case the user may see, or None (the same answer whether it exists or not)."""
    return Submission.objects.filter(
        municipality=municipality, public_id=public_id,
        department__in=departments_of(user, municipality),
    ).select_related("department", "account").first()
