"""受付番号 (readable, check character, unique per city) and attachments checked by content."""

import io
import re
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from madoguchi.applications import attachments, receipts
from madoguchi.applications.models import Attachment, Submission
from madoguchi.applications.receipts import ALPHABET, new_receipt_number, normalize_receipt_number
from madoguchi.applications.services import answers_of
from madoguchi.core.models import Department
from madoguchi.identity.models import ResidentAccount

from support import pdf_bytes, png_bytes

PATTERN = re.compile(r"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$")
ACCEPT = ["pdf", "jpeg", "png"]

bodies = st.text(alphabet=ALPHABET, min_size=7, max_size=7)


def _generated(body: str) -> str:
    """new_receipt_number() with its random draws replaced by `body`."""
    with mock.patch.object(receipts.secrets, "choice", side_effect=list(body)):
        return new_receipt_number()


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# --- receipt numbers ------------------------------------------------------------------------


def test_the_alphabet_has_no_look_alikes():
    assert not set("0O1IL") & set(ALPHABET)
    assert len(set(ALPHABET)) == 31


@given(bodies)
def test_generated_numbers_are_readable_and_normalize(body):
    number = _generated(body)
    assert PATTERN.match(number)
    assert not set("0O1IL") & set(number)
    assert number.replace("-", "")[:7] == body
    assert normalize_receipt_number(number) == number
    assert normalize_receipt_number(number.lower()) == number
    assert normalize_receipt_number(number.replace("-", "")) == number
    assert normalize_receipt_number(_full_width(number)) == number
    assert normalize_receipt_number(_full_width(number.lower().replace("-", " "))) == number
    assert normalize_receipt_number(f" {number[:4]} {number[5:]} ") == number


@given(bodies, st.integers(min_value=0, max_value=7), st.sampled_from(ALPHABET))
def test_any_single_substitution_is_caught(body, position, replacement):
    raw = _generated(body).replace("-", "")
    if raw[position] == replacement:
        replacement = ALPHABET[(ALPHABET.index(replacement) + 1) % len(ALPHABET)]
    wrong = raw[:position] + replacement + raw[position + 1:]
    assert normalize_receipt_number(wrong) is None
    assert normalize_receipt_number(f"{wrong[:4]}-{wrong[4:]}") is None


@given(bodies, st.integers(min_value=0, max_value=7), st.sampled_from("0O1IL"))
def test_look_alike_characters_are_refused(body, position, look_alike):
    raw = _generated(body).replace("-", "")
    assert normalize_receipt_number(raw[:position] + look_alike + raw[position + 1:]) is None


def test_real_draws_are_valid():
    numbers = {new_receipt_number() for _ in range(500)}
    assert len(numbers) > 490
    for number in numbers:
        assert PATTERN.match(number) and normalize_receipt_number(number) == number


@pytest.mark.parametrize("text", ["", "ABCD-EFG", "ABCD-EFGHJ", "ABCD_EFGH", "漢字漢字-漢字漢字"])
def test_malformed_numbers_are_refused(text):
    assert normalize_receipt_number(text) is None


def _submission(city, receipt_number, email="hanako@example.jp"):
    account, _ = ResidentAccount.objects.get_or_create(municipality=city, email=email)
    return Submission.objects.create(
        municipality=city, receipt_number=receipt_number, procedure_code="dog-registration-change",
        form_version=2, department=Department.objects.get(municipality=city, code="kankyo"),
        account=account, actor_kind="resident", actor_ref=account.ref)


@pytest.mark.django_db
def test_a_receipt_number_is_unique_within_a_city_only(city, other_city):
    number = new_receipt_number()
    _submission(city, number)
    with pytest.raises(IntegrityError), transaction.atomic():
        _submission(city, number, email="jiro@example.jp")
    _submission(other_city, number)
    assert Submission.objects.filter(receipt_number=number).count() == 2


# --- attachments ----------------------------------------------------------------------------


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, format="JPEG")
    return buffer.getvalue()


def big_png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "kind", "content_type"), [
    (png_bytes(), "png", "image/png"),
    (jpeg_bytes(), "jpeg", "image/jpeg"),
    (pdf_bytes(), "pdf", "application/pdf"),
])
def test_real_files_are_accepted(data, kind, content_type):
    assert attachments.check(data, ACCEPT) == (kind, content_type)


@pytest.mark.django_db
def test_store_keeps_an_encrypted_copy(resident):
    stored = attachments.store(resident, "C:\\Users\\hanako\\通帳.png", png_bytes(), ACCEPT)
    assert stored.filename == "通帳.png"
    assert stored.content_type == "image/png" and stored.size == len(png_bytes())
    assert not bytes(stored.data).startswith(b"\x89PNG")


@pytest.mark.parametrize(("data", "message"), [
    (b"just some text, named scan.pdf\n", "このファイルの形式は添付できません"),
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100, "このファイルの形式は添付できません"),
    (big_png_bytes()[: len(big_png_bytes()) // 2], "画像ファイルが壊れている"),
    (b"%PDF-1.4\n1 0 obj<<>>endobj\n", "PDFファイルが壊れている"),
    (b"", "ファイルが空です"),
])
def test_bad_files_are_refused_in_japanese(data, message):
    with pytest.raises(attachments.AttachmentRejected, match=message):
        attachments.check(data, ACCEPT)


def test_a_kind_the_field_does_not_accept_is_refused():
    with pytest.raises(attachments.AttachmentRejected, match="PDF のファイルを選んでください"):
        attachments.check(png_bytes(), ["pdf"])


@pytest.mark.django_db
def test_store_refuses_a_fake_pdf_and_keeps_nothing(resident):
    with pytest.raises(attachments.AttachmentRejected, match="形式は添付できません"):
        attachments.store(resident, "申立書.pdf", b"MZ\x90\x00 this is an exe", ACCEPT)
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_too_large_is_refused(resident, settings):
    settings.MADOGUCHI_ATTACHMENT_MAX_BYTES = len(png_bytes()) - 1
    with pytest.raises(attachments.AttachmentRejected, match="ファイルが大きすぎます"):
        attachments.store(resident, "scan.png", png_bytes(), ACCEPT)
    assert not Attachment.objects.exists()
    settings.MADOGUCHI_ATTACHMENT_MAX_BYTES = len(png_bytes())
    assert attachments.check(png_bytes(), ACCEPT)[0] == "png"  # the limit itself is allowed


# --- through the step form ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("upload", "message"), [
    (SimpleUploadedFile("tsuchou.pdf", b"MZ\x90\x00 not a pdf at all", "application/pdf"),
     "このファイルの形式は添付できません。PDF・JPEG（写真）・PNG のファイルを選んでください。"),
    (SimpleUploadedFile("tsuchou.png", big_png_bytes()[:70], "image/png"),
     "画像ファイルが壊れているため読み込めません。"),
])
def test_the_step_shows_the_refusal_at_the_field(resident_client, at_attachment_step, upload, message):
    draft, url = at_attachment_step
    before = Attachment.objects.count()
    response = resident_client.post(url, {"_action": "next", "account_proof": upload, "consent": "on"})
    assert response.status_code == 400
    page = response.content.decode()
    assert f'<p class="error" id="account_proof-error">請求者名義の口座が確認できるもの：{message}</p>' in page
    assert re.search(r'<input type="file" id="account_proof"[^>]*aria-invalid="true"', page)
    assert Attachment.objects.count() == before
    draft.refresh_from_db()
    assert "account_proof" not in answers_of(draft)


@pytest.mark.django_db
def test_the_step_refuses_a_file_over_the_limit(resident_client, at_attachment_step, settings):
    draft, url = at_attachment_step
    settings.MADOGUCHI_ATTACHMENT_MAX_BYTES = 50
    before = Attachment.objects.count()
    upload = SimpleUploadedFile("tsuchou.png", png_bytes(), "image/png")
    response = resident_client.post(url, {"_action": "next", "account_proof": upload, "consent": "on"})
    assert response.status_code == 400
    assert "ファイルが大きすぎます" in response.content.decode()
    assert Attachment.objects.count() == before


@pytest.mark.django_db
def test_the_step_accepts_a_real_file(resident_client, at_attachment_step):
    draft, url = at_attachment_step
    before = Attachment.objects.count()
    upload = SimpleUploadedFile("tsuchou.pdf", pdf_bytes(), "application/pdf")
    response = resident_client.post(url, {"_action": "next", "account_proof": upload, "consent": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Attachment.objects.count() == before + 1
    draft.refresh_from_db()
    stored = answers_of(draft)["account_proof"]
    assert stored["filename"] == "tsuchou.pdf" and stored["size"] == len(pdf_bytes())
