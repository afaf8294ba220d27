"""Check an uploaded file by its content (not its name or declared type) before storing it."""

import hashlib
import io

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from madoguchi.core.crypto import encrypt_bytes

_SIGNATURES = {
    "pdf": (b"%PDF-", "application/pdf"),
    "jpeg": (b"\xff\xd8\xff", "image/jpeg"),
    "png": (b"\x89PNG\r\n\x1a\n", "image/png"),
}
LABELS = {"pdf": "PDF", "jpeg": "JPEG（写真）", "png": "PNG"}


class AttachmentRejected(Exception):
    """The file cannot be accepted; the message tells the resident why, in plain Japanese."""


def sniff(data: bytes) -> str | None:
    for kind, (magic, _mime) in _SIGNATURES.items():
        if data.startswith(magic):
            return kind
    return None


def check(data: bytes, accept: list[str]) -> tuple[str, str]:
    """Return (kind, content type) or raise AttachmentRejected."""
    limit = settings.MADOGUCHI_ATTACHMENT_MAX_BYTES
    if not data:
        raise AttachmentRejected("ファイルが空です。もう一度選んでください。")
    if len(data) > limit:
        raise AttachmentRejected(
            f"ファイルが大きすぎます（上限 {_size(limit)}）。小さくしてから添付してください。"
        )
    kind = sniff(data)
    if kind is None or kind not in accept:
        allowed = "・".join(LABELS[k] for k in accept)
        raise AttachmentRejected(f"このファイルの形式は添付できません。{allowed} のファイルを選んでください。")
    if kind in {"jpeg", "png"}:
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise AttachmentRejected("画像ファイルが壊れているため読み込めません。") from exc
    elif b"%%EOF" not in data[-2048:]:
        raise AttachmentRejected("PDFファイルが壊れているため読み込めません。")
    return kind, _SIGNATURES[kind][1]


def store(account, filename: str, data: bytes, accept: list[str]):
    from madoguchi.applications.models import Attachment

    _kind, content_type = check(data, accept)
    return Attachment.objects.create(
        municipality=account.municipality,
        account=account,
        filename=_safe_name(filename),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=encrypt_bytes(data),
    )


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)}MB" if limit >= 1024 * 1024 else f"{max(limit // 1024, 1)}KB"


def _safe_name(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip() or "file"
    return "".join(c for c in name if c.isprintable())[:200]
