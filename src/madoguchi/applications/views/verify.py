"""Public check of an issued notice: anyone holding the PDF (the resident, or a third party the
resident gave it to) can confirm it is genuine, two ways at once:

- the record: the file is byte for byte the one issued (its SHA-256 equals the stored one);
- the seal: the PDF's PAdES signature is intact, nothing was changed after sealing, the
  certificate chains to a trusted root (MADOGUCHI_SEAL_TRUST_ROOTS: the LGPKI root) and the
  signer is this city's seal (`core.pdf.seal.validate`, the same check the tests run).

The file is read in memory and not kept; a file that is not a notice (too big, not a PDF,
encrypted, broken) gets a message next to the field, never an error page. Checks are counted
per client address (MADOGUCHI_VERIFY_CLIENT_RATE, as the e-mail code limits in identity/limits.py):
the page is open to anyone and parsing an uploaded PDF costs the server work.
"""

import hashlib

from django import forms
from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_ratelimit.core import get_usage

from madoguchi.applications.models import IssuedDocument
from madoguchi.core.pdf import seal


class VerifyForm(forms.Form):
    pdf = forms.FileField(label=gettext_lazy("通知書のPDF"), required=False)

    def clean_pdf(self):
        return seal.read_upload(self.cleaned_data.get("pdf"))


def verify(request, public_id):
    document = IssuedDocument.objects.filter(
        public_id=public_id, submission__municipality=request.municipality
    ).select_related("submission").first()
    if document is None:
        raise Http404
    posted = request.method == "POST"
    form = VerifyForm(request.POST, request.FILES) if posted else VerifyForm()
    matches = found = None
    usage = get_usage(request, group="madoguchi.verify", key="ip", increment=True,
                      rate=settings.MADOGUCHI_VERIFY_CLIENT_RATE) if posted else None
    if usage is not None and usage["should_limit"]:
        response = _page(request, document, VerifyForm(), status=429,
                         error=_("短い時間に多くの確認が行われました。しばらくたってから、もう一度お試しください。"))
        response["Retry-After"] = str(max(usage["time_left"], 1))
        return response
    if posted and form.is_valid():
        data = form.cleaned_data["pdf"]
        matches = hashlib.sha256(data).hexdigest() == document.sha256
        found = seal.validate(data, municipality=request.municipality)
        if found.outcome == seal.UNREADABLE:
            form.add_error("pdf", found.problem)
            found = None
        elif found.outcome == seal.NOT_SEALED and document.kind != IssuedDocument.Kind.NOTICE:
            found = None  # only notices are sealed: a receipt without a seal is as issued
    return _page(request, document, form, result=matches, found=found, status=400 if form.errors else 200)


def _page(request, document, form, *, status, error=None, result=None, found=None):
    """The page; `error` (else the form's) is shown next to the file field."""
    errors = form.errors.get("pdf") if form.is_bound else None
    return render(request, "applications/verify.html", {
        "document": document, "form": form, "error": error or (errors[0] if errors else None),
        "result": result, "seal": found,
    }, status=status)
