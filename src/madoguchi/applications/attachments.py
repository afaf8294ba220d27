"""Check an uploaded file by its content (not its name or declared type) before storing it.

- Size: the limit is enforced while the body streams in (`uploads.AttachmentLimitHandler`);
  `read_upload` reads at most the limit plus one byte, so no path holds more.
- PDF: parsed with pypdf; a file that does not parse, or that carries active content (script,
  launch and submit actions, an action run on opening other than going to a page, embedded files,
  rich media, XFA forms) is refused with a plain message. The bytes are stored as sent.
- Images: opened with Pillow, refused above `MADOGUCHI_IMAGE_MAX_PIXELS` before any decoding
  (decompression bombs), then re-encoded: only the pixels are kept, so data appended after the
  image (a PNG that is also an HTML page), text chunks, EXIF (GPS position, camera) and ICC
  profiles are dropped. The photo's EXIF orientation is applied first, so it still shows upright.
"""

import hashlib
import io

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from madoguchi.core.crypto import encrypt_bytes

_SIGNATURES = {
    "pdf": (b"%PDF-", "application/pdf"),
    "jpeg": (b"\xff\xd8\xff", "image/jpeg"),
    "png": (b"\x89PNG\r\n\x1a\n", "image/png"),
}
LABELS = {"pdf": "PDF", "jpeg": gettext_lazy("JPEG（写真）"), "png": "PNG"}

# PDF keys that only active content uses, and action types that do more than move in the file.
_ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/Launch", "/EmbeddedFile", "/EmbeddedFiles",
                          "/RichMedia", "/XFA", "/AA"})
_ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToE",
                             "/GoToR", "/RichMediaExecute", "/Rendition", "/Sound", "/Movie"})
_MAX_PDF_OBJECTS = 200_000
_ACTIVE_PDF = (gettext_lazy("このPDFには実行される内容（スクリプト・開いたときの自動動作・埋め込みファイルなど）が含まれているため"
               "添付できません。印刷してスキャンしたPDFか、写真を添付してください。"))
_BROKEN_PDF = gettext_lazy("PDFファイルが壊れているため読み込めません。")


class AttachmentRejected(Exception):
    """The file cannot be accepted; the message tells the resident why, in plain Japanese."""


def sniff(data: bytes) -> str | None:
    for kind, (magic, _mime) in _SIGNATURES.items():
        if data.startswith(magic):
            return kind
    return None


def _too_large() -> AttachmentRejected:
    limit = settings.MADOGUCHI_ATTACHMENT_MAX_BYTES
    return AttachmentRejected(
        _("ファイルが大きすぎます（上限 %(size)s）。小さくしてから添付してください。") % {"size": _size(limit)})


def read_upload(upload) -> bytes:
    """The uploaded file's bytes, never more than the limit plus one (then refused)."""
    limit = settings.MADOGUCHI_ATTACHMENT_MAX_BYTES
    if getattr(upload, "too_large", False) or (upload.size or 0) > limit:
        raise _too_large()
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _too_large()
    return data


def check(data: bytes, accept: list[str]) -> tuple[str, str]:
    """Return (kind, content type) or raise AttachmentRejected."""
    if not data:
        raise AttachmentRejected(_("ファイルが空です。もう一度選んでください。"))
    if len(data) > settings.MADOGUCHI_ATTACHMENT_MAX_BYTES:
        raise _too_large()
    kind = sniff(data)
    if kind is None or kind not in accept:
        # Translators: between the names of file formats (PDF・JPEG・PNG).
        allowed = pgettext("list of file formats", "・").join(str(LABELS[k]) for k in accept)
        raise AttachmentRejected(_("このファイルの形式は添付できません。%(formats)s のファイルを選んでください。")
                                 % {"formats": allowed})
    if kind == "pdf":
        _check_pdf(data)
    else:
        _open_image(data).close()
    return kind, _SIGNATURES[kind][1]


def clean(data: bytes, accept: list[str]) -> tuple[str, str, bytes]:
    """check(), then the bytes to keep: an image re-encoded, a PDF as it came."""
    kind, content_type = check(data, accept)
    return kind, content_type, (_reencode(data, kind) if kind in {"jpeg", "png"} else data)


def store(account, filename: str, data: bytes, accept: list[str]):
    from madoguchi.applications.models import Attachment

    _kind, content_type, data = clean(data, accept)
    return Attachment.objects.create(
        municipality=account.municipality,
        account=account,
        filename=_safe_name(filename),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=encrypt_bytes(data, account.municipality_id),
    )


def _check_pdf(data: bytes) -> None:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise AttachmentRejected(_("パスワード付きのPDFは添付できません。パスワードを外してから添付してください。"))
        if _has_active_content(reader.trailer):
            raise AttachmentRejected(_ACTIVE_PDF)
        if len(reader.pages) < 1:
            raise AttachmentRejected(_BROKEN_PDF)
    except AttachmentRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError,
            OSError, NotImplementedError) as exc:
        raise AttachmentRejected(_BROKEN_PDF) from exc


def _has_active_content(root) -> bool:
    """Walk every object reachable from the trailer (each indirect object once)."""
    seen: set[tuple[int, int]] = set()
    stack = [root]
    visited = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        visited += 1
        if visited > _MAX_PDF_OBJECTS:
            raise AttachmentRejected(_BROKEN_PDF)
        if isinstance(item, DictionaryObject):
            if _ACTIVE_KEYS & set(item.keys()) or item.get("/S") in _ACTIVE_ACTIONS:
                return True
            opening = item.get("/OpenAction")
            if opening is not None:
                opening = opening.get_object()
                if isinstance(opening, DictionaryObject) and opening.get("/S") != NameObject("/GoTo"):
                    return True
            stack.extend(value for key, value in item.items() if key != "/Parent")
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return False


def _open_image(data: bytes) -> Image.Image:
    """The image opened and verified, its size checked before any pixel is decoded."""
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise AttachmentRejected(_too_many_pixels()) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise AttachmentRejected(_("画像ファイルが壊れているため読み込めません。")) from exc
    if image.width * image.height > settings.MADOGUCHI_IMAGE_MAX_PIXELS:
        image.close()
        raise AttachmentRejected(_too_many_pixels())
    try:
        image.verify()
    except (OSError, SyntaxError, ValueError) as exc:
        raise AttachmentRejected(_("画像ファイルが壊れているため読み込めません。")) from exc
    return image


def _too_many_pixels() -> str:
    return _("画像が大きすぎます（画素数が多すぎます）。写真の大きさを小さくしてから添付してください。")


def _reencode(data: bytes, kind: str) -> bytes:
    """Only the pixels, in the same format: no trailing data, text chunks, EXIF or profiles."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)
            # Pillow carries some of `info` (ICC profile, text) into the saved file: keep only
            # what the pixels need.
            image.info = {k: v for k, v in image.info.items() if k == "transparency"}
            out = io.BytesIO()
            if kind == "jpeg":
                image.convert("L" if image.mode in {"1", "L"} else "RGB").save(
                    out, format="JPEG", quality=90, optimize=True)
            else:
                if image.mode not in {"1", "L", "LA", "P", "RGB", "RGBA"}:
                    image = image.convert("RGBA")
                image.save(out, format="PNG", optimize=True)
    except Image.DecompressionBombError as exc:
        raise AttachmentRejected(_too_many_pixels()) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise AttachmentRejected(_("画像ファイルが壊れているため読み込めません。")) from exc
    return out.getvalue()


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)}MB" if limit >= 1024 * 1024 else f"{max(limit // 1024, 1)}KB"


def _safe_name(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip() or "file"
    return "".join(c for c in name if c.isprintable())[:200]
