"""Public check of an issued notice: anyone holding the PDF can confirm it is genuine."""

import hashlib

from django.http import Http404
from django.shortcuts import render

from madoguchi.applications.models import IssuedDocument


def verify(request, public_id):
    document = IssuedDocument.objects.filter(
        public_id=public_id, submission__municipality=request.municipality
    ).select_related("submission").first()
    if document is None:
        raise Http404
    result = None
    if request.method == "POST" and request.FILES.get("pdf"):
        result = hashlib.sha256(request.FILES["pdf"].read()).hexdigest() == document.sha256
    return render(request, "applications/verify.html", {"document": document, "result": result})
