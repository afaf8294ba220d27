"""The department work queue, limited to the departments the staff member belongs to."""

from datetime import date

from madoguchi.applications.models import Submission
from madoguchi.core.roles import departments_of


def queue(user, municipality, status: str = "", procedure: str = "", since: date | None = None,
          until: date | None = None, channel: str = ""):
    cases = Submission.objects.filter(
        municipality=municipality, department__in=departments_of(user, municipality)
    ).select_related("department")
    if status:
        cases = cases.filter(status=status)
    if procedure:
        cases = cases.filter(procedure_code=procedure)
    if channel:
        cases = cases.filter(channel=channel)
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
    ).select_related("department", "account", "resident").first()


def same_visit(case: Submission, user) -> list[dict]:
    """The other cases one counter visit filed, in every department, so a clerk sees the whole
    visit; only those of the clerk's own departments can be opened."""
    if case.visit_ref is None:
        return []
    own = set(departments_of(user, case.municipality).values_list("pk", flat=True))
    others = Submission.objects.filter(municipality=case.municipality, visit_ref=case.visit_ref) \
        .exclude(pk=case.pk).select_related("department").order_by("department__name", "pk")
    return [{"s": s, "open": s.department_id in own} for s in others]
