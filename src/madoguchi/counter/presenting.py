"""What the clerk's page and the visitor's tablet both show or read: a form's rows as the
online 確認画面 shows them, the filed cases' receipt numbers, and the signature from the POST.

Its own module so that the two sets of views share it without one importing the other (the
tablet's views must not depend on the clerk's: an import-linter contract says so).
"""

import base64

from madoguchi.applications import engine
from madoguchi.catalog.selectors import procedure_of_record
from madoguchi.counter import bundle, services
from madoguchi.counter.models import VisitStatus

DATA_URL = "data:image/png;base64,"


def summary_rows(entry: bundle.Entry):
    """Headings and (label, shown value) rows of one form, as the online 確認画面 shows them."""
    form = entry.procedure.form(entry.form.form_version)
    rows = []
    for section in engine.summary(form, bundle.for_display(form, entry.answers)):
        rows.append({"heading": section["title"]})
        for label, value in section["rows"]:
            rows.append({"label": label, "value": value})
    return rows


def receipts(visit) -> list[dict]:
    """The filed cases with their procedure's title: the visitor's receipt numbers."""
    if visit.status != VisitStatus.FILED:
        return []
    return [{"s": case, "title": procedure_of_record(visit.municipality, case.procedure_code).title}
            for case in services.filed_cases(visit)]


def signature_png(request) -> bytes:
    """The canvas's PNG as a data URL (signature.js) or as an uploaded file."""
    data_url = request.POST.get("signature", "")
    if data_url.startswith(DATA_URL):
        try:
            return base64.b64decode(data_url[len(DATA_URL):], validate=True)
        except ValueError:
            return b""
    upload = request.FILES.get("signature")
    return upload.read(services.MAX_SIGNATURE_BYTES + 1) if upload else b""
