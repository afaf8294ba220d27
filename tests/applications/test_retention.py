"""Retention: abandoned drafts and stray files go; submitted records and fresh work stay."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from madoguchi.applications import engine
from madoguchi.applications.models import Attachment, Draft, Submission
from madoguchi.applications.retention import dispose
from madoguchi.applications.services import answers_of
from madoguchi.catalog.loader import catalog
from madoguchi.identity.models import LoginCode
from madoguchi.notify.models import OutboxMessage, OutboxStatus
from madoguchi.notify.services import deliver_pending

from support import png_bytes, submit_via_web

pytestmark = pytest.mark.django_db


def _age(queryset, days):
    """Move rows back in time (auto_now fields cannot be set through save)."""
    past = timezone.now() - timedelta(days=days)
    fields = {f: past for f in ("updated_at", "created_at") if hasattr(queryset.model, f)}
    queryset.update(**fields)


def test_abandoned_drafts_and_their_files_are_disposed(resident_client, settings):
    settings.MADOGUCHI_DRAFT_RETENTION_DAYS = 30
    resident_client.post(reverse("applications:start", args=["dog-registration-change"]))
    old = Draft.objects.get()
    resident_client.post(reverse("applications:start", args=["dog-registration-change"]))
    fresh = Draft.objects.exclude(pk=old.pk).get()
    _age(Draft.objects.filter(pk=old.pk), 31)
    counts = dispose()
    assert counts["drafts"] == 1
    assert list(Draft.objects.all()) == [fresh]


def test_submitted_files_are_kept_and_stray_ones_go(resident_client):
    submission = submit_via_web(resident_client, "child-allowance-claim")
    kept = set(Attachment.objects.filter(submitted=True).values_list("pk", flat=True))
    assert kept, "a submitted file is marked as a record"
    stray = Attachment.objects.create(municipality=submission.municipality,
                                      account=submission.account, filename="x.png",
                                      content_type="image/png", size=1, sha256="0", data=b"")
    _age(Attachment.objects.all(), 2)
    counts = dispose()
    assert counts["attachments"] == 1
    assert not Attachment.objects.filter(pk=stray.pk).exists()
    assert set(Attachment.objects.values_list("pk", flat=True)) == kept


def test_a_file_in_an_open_draft_is_kept(resident_client):
    resident_client.post(reverse("applications:start", args=["child-allowance-claim"]))
    draft = Draft.objects.get()
    form = catalog()["child-allowance-claim"].current_form
    index, field_id = next((i, f.id) for i, s in enumerate(form.steps) for f in s.fields
                           if f.type == "file" and f.show_if is None)
    url = reverse("applications:step", args=[draft.public_id, index])
    resident_client.post(url, {"_action": "save", field_id: SimpleUploadedFile("a.png", png_bytes())})
    assert Attachment.objects.count() == 1
    _age(Attachment.objects.all(), 2)
    assert dispose()["attachments"] == 0
    assert Attachment.objects.count() == 1


def test_spent_login_codes_are_disposed_and_the_command_prints_counts_only(client, city, capsys):
    client.post(reverse("identity:login"), {"email": "taro@example.jp"})
    LoginCode.objects.update(expires_at=timezone.now() - timedelta(days=2))
    call_command("dispose")
    out = capsys.readouterr().out
    assert "login_codes: 1" in out and "taro" not in out
    assert not LoginCode.objects.exists()


def test_a_sent_message_keeps_no_text(client, city):
    client.post(reverse("identity:login"), {"email": "taro@example.jp"})
    assert "確認コード" in OutboxMessage.objects.get().body
    deliver_pending()
    message = OutboxMessage.objects.get()
    assert message.status == OutboxStatus.SENT and message.body is None


def test_staff_can_download_a_file_attached_inside_a_group(resident_client, staff, client):
    submission = submit_via_web(resident_client, "child-allowance-claim",
                                {"children-0-living": "separate"})
    assert Submission.objects.count() == 1
    version = submission.current_version
    ids = engine.attachment_ids(catalog()["child-allowance-claim"].form(version.form_version),
                                answers_of(version))
    in_group = answers_of(version)["children"][0]["separate_declaration"]["id"]
    assert in_group in ids
    client.force_login(staff["kodomo-tanto"])
    response = client.get(reverse("casework:attachment", args=[submission.public_id, in_group]))
    assert response.status_code == 200
    # Images are stored re-encoded (pixels only): the same picture, not the same bytes.
    with Image.open(io.BytesIO(response.content)) as got, Image.open(io.BytesIO(png_bytes())) as sent:
        assert (got.format, got.size, got.tobytes()) == ("PNG", sent.size, sent.tobytes())
