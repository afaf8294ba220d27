"""Disposal of what is no longer needed: abandoned drafts, unreferenced files, spent codes.

Submissions, their versions and issued documents are records of the city and are kept; their
disposal follows the city's 文書管理規程 and is not automatic.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from madoguchi.applications import engine
from madoguchi.applications.models import Attachment, Draft
from madoguchi.applications.services import answers_of
from madoguchi.catalog.selectors import procedure_of_record
from madoguchi.identity.models import LoginCode


def _files_in_open_drafts() -> set[str]:
    ids: set[str] = set()
    for draft in Draft.objects.filter(submitted_at__isnull=True).select_related("municipality"):
        procedure = procedure_of_record(draft.municipality, draft.procedure_code)
        if procedure is not None:
            ids.update(engine.attachment_ids(procedure.form(draft.form_version), answers_of(draft)))
    return ids


@transaction.atomic
def dispose(now=None) -> dict[str, int]:
    """Delete what the retention rules allow; returns counts (no personal data)."""
    now = now or timezone.now()
    drafts = Draft.objects.filter(
        submitted_at__isnull=True,
        updated_at__lt=now - timedelta(days=settings.MADOGUCHI_DRAFT_RETENTION_DAYS),
    )
    counts = {"drafts": drafts.count()}
    drafts.delete()
    # A file uploaded in the last day may belong to a step being filled in right now.
    files = Attachment.objects.filter(
        submitted=False, created_at__lt=now - timedelta(days=1)
    ).exclude(public_id__in=_files_in_open_drafts())
    counts["attachments"] = files.count()
    files.delete()
    codes = LoginCode.objects.filter(expires_at__lt=now - timedelta(days=1))
    counts["login_codes"] = codes.count()
    codes.delete()
    return counts
