"""Uploads: the size limit holds while the body streams in, and files are checked for what they
carry (PDF active content, image polyglots and decompression bombs); images are re-encoded."""

import io
import struct
import tracemalloc
import zlib

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject

from madoguchi.applications import attachments
from madoguchi.applications.models import Attachment
from madoguchi.applications.services import answers_of
from madoguchi.core.crypto import decrypt_bytes

from support import pdf_bytes, png_bytes

ACCEPT = ["pdf", "jpeg", "png"]
MB = 1024 * 1024


# --- streaming limit ----------------------------------------------------------------------------

def _multipart_file(tmp_path, fields: dict[str, str], files: dict[str, int]):
    """A multipart body on disk (so building it costs the test no memory): text fields, and
    files of the given sizes (a PNG signature then zeros)."""
    boundary = "madoguchi-test-boundary"
    path = tmp_path / "body"
    with open(path, "wb") as out:
        for name, value in fields.items():
            out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                      f"{value}\r\n".encode())
        for name, size in files.items():
            out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                      f'filename="{name}.png"\r\nContent-Type: image/png\r\n\r\n'.encode())
            out.write(b"\x89PNG\r\n\x1a\n")
            block = b"\0" * MB
            left = size - 8
            while left > 0:
                out.write(block[:left])
                left -= MB
            out.write(b"\r\n")
        out.write(f"--{boundary}--\r\n".encode())
    return path, f"multipart/form-data; boundary={boundary}"


def _post_streamed(client, url, path, content_type):
    """POST the body from its file, as a server streams it from the socket."""
    with open(path, "rb") as body:
        return client.request(REQUEST_METHOD="POST", PATH_INFO=url, CONTENT_TYPE=content_type,
                              CONTENT_LENGTH=str(path.stat().st_size), **{"wsgi.input": body})


@pytest.mark.django_db
def test_a_30mb_upload_is_refused_at_the_field_without_being_read_into_memory(
        resident_client, at_attachment_step, tmp_path):
    draft, url = at_attachment_step
    size = 30 * MB
    path, content_type = _multipart_file(tmp_path, {"_action": "next", "consent": "on"},
                                         {"account_proof": size})
    before = Attachment.objects.count()

    tracemalloc.start()
    try:
        response = _post_streamed(resident_client, url, path, content_type)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    print(f"30 MB upload: traced peak {peak / MB:.1f} MB")  # the figure docs/operations.md cites
    assert peak < size / 4, f"the request held {peak / MB:.1f} MB of a {size / MB:.0f} MB file"
    assert response.status_code == 400
    page = response.content.decode()
    assert '<p class="error" id="account_proof-error">請求者名義の口座が確認できるもの：ファイルが大きすぎます' in page
    assert Attachment.objects.count() == before
    draft.refresh_from_db()
    answers = answers_of(draft)
    assert "account_proof" not in answers
    assert answers.get("consent") is True  # what else was typed is kept


@pytest.mark.django_db
def test_a_body_over_the_request_cap_refuses_its_files_and_keeps_the_text(
        resident_client, at_attachment_step, tmp_path, settings):
    draft, url = at_attachment_step
    settings.MADOGUCHI_ATTACHMENT_MAX_BYTES = 2 * MB
    settings.MADOGUCHI_UPLOAD_MAX_REQUEST_BYTES = 3 * MB  # each file fits, both do not
    path, content_type = _multipart_file(
        tmp_path, {"_action": "next", "consent": "on"},
        {"account_proof": 2 * MB - 100, "older_children_confirmation": 2 * MB - 100})
    response = _post_streamed(resident_client, url, path, content_type)
    assert response.status_code == 400
    assert 'id="account_proof-error">請求者名義の口座が確認できるもの：ファイルが大きすぎます' in response.content.decode()
    draft.refresh_from_db()
    assert answers_of(draft).get("consent") is True
    assert not Attachment.objects.filter(account=draft.account).exists()


@pytest.mark.django_db
def test_a_file_at_the_limit_still_passes_the_handler(resident_client, at_attachment_step, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    draft, url = at_attachment_step
    data = pdf_bytes()
    settings.MADOGUCHI_ATTACHMENT_MAX_BYTES = len(data)
    upload = SimpleUploadedFile("tsuchou.pdf", data, "application/pdf")
    response = resident_client.post(url, {"_action": "next", "account_proof": upload, "consent": "on"})
    assert response.status_code == 302


# --- PDFs ---------------------------------------------------------------------------------------

def _pdf(change=None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    if change:
        change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _action(kind: str, **entries) -> DictionaryObject:
    action = DictionaryObject({NameObject("/Type"): NameObject("/Action"), NameObject("/S"): NameObject(kind)})
    for key, value in entries.items():
        action[NameObject(f"/{key}")] = value
    return action


def _open_action(action):
    return lambda w: w._root_object.__setitem__(NameObject("/OpenAction"), action)


def _link_with_js(writer):
    annotation = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
        NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
        NameObject("/A"): _action("/JavaScript", JS=TextStringObject("app.alert(1)")),
    })
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


def _javascript_name_tree(writer):
    script = writer._add_object(_action("/JavaScript", JS=TextStringObject("app.alert('x')")))
    tree = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("x"), script])})
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): tree})


ACTIVE_PDFS = {
    "/JS in a link": _link_with_js,
    "/JavaScript name tree": _javascript_name_tree,
    "/OpenAction JavaScript": _open_action(_action("/JavaScript", JS=TextStringObject("app.alert(1)"))),
    "/OpenAction Launch": _open_action(_action("/Launch", F=TextStringObject("calc.exe"))),
    "/OpenAction URI": _open_action(_action("/URI", URI=TextStringObject("http://evil.example/"))),
    "/EmbeddedFile": lambda w: w.add_attachment("invoice.exe", b"MZ\x90\x00 not a document"),
}


@pytest.mark.parametrize("change", ACTIVE_PDFS.values(), ids=ACTIVE_PDFS.keys())
def test_a_pdf_with_active_content_is_refused(change):
    data = _pdf(change)
    with pytest.raises(attachments.AttachmentRejected, match="実行される内容"):
        attachments.check(data, ACCEPT)


def test_a_plain_pdf_and_one_that_opens_at_its_first_page_are_accepted():
    assert attachments.check(_pdf(), ACCEPT)[0] == "pdf"
    goto = lambda w: w._root_object.__setitem__(  # noqa: E731 - as LibreOffice writes it
        NameObject("/OpenAction"), ArrayObject([w.pages[0].indirect_reference, NameObject("/Fit")]))
    assert attachments.check(_pdf(goto), ACCEPT)[0] == "pdf"


def test_a_pdf_that_does_not_parse_is_refused():
    with pytest.raises(attachments.AttachmentRejected, match="PDFファイルが壊れている"):
        attachments.check(b"%PDF-1.7\n" + b"garbage " * 100 + b"\n%%EOF\n", ACCEPT)


# --- images -------------------------------------------------------------------------------------

def _png_with_metadata() -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert('comment')</script>")
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (16, 16), "blue")
    exif = image.getexif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (35.0, 41.0, 22.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


@pytest.mark.django_db
def test_a_png_with_html_appended_is_stored_re_encoded(resident):
    polyglot = _png_with_metadata() + b"<html><script>alert(document.cookie)</script></html>"
    stored = attachments.store(resident, "scan.png", polyglot, ACCEPT)
    data = decrypt_bytes(stored.data)
    assert b"<script" not in data and b"<html" not in data and b"Comment" not in data
    assert data != polyglot and stored.size == len(data)
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("PNG", (16, 16))
        assert image.getpixel((3, 3)) == (255, 255, 255)


@pytest.mark.django_db
def test_a_photo_keeps_its_picture_and_loses_its_metadata(resident):
    original = _jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif()  # the test photo does carry EXIF
    stored = attachments.store(resident, "photo.jpg", original, ACCEPT)
    data = decrypt_bytes(stored.data)
    assert b"PhoneMaker" not in data and b"Exif" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG" and image.size == (16, 16)
        assert not image.getexif()


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    with pytest.raises(attachments.AttachmentRejected, match="画像が大きすぎます"):
        attachments.check(_png_header_only(30000, 30000), ACCEPT)


def test_the_shared_test_files_are_real_files():
    """The helpers other tests upload must pass the stricter checks too."""
    assert attachments.check(png_bytes(), ACCEPT)[0] == "png"
    assert len(PdfReader(io.BytesIO(pdf_bytes())).pages) == 1
