"""The city's official seal on its notices (電子公印): a PAdES signature with the municipality's
seal certificate (in Japan the LGPKI 職責証明書), through pyHanko; and the check of a sealed PDF.

**The level is PAdES baseline B-B**, or **B-T** when the city names an RFC 3161 time-stamping
authority (`timestamp_url`). B-B is the default because a TSA is an outside service each city
contracts for itself; without one the signing time is the one the server writes (the
signature dictionary's /M, as PAdES baseline wants it: the CMS carries content-type, digest and
signing-certificate-v2 only), which no third party vouches for. With a
TSA the time is proven, and the notice stays checkable after the seal certificate expires (B-B
validation is at today's date: once the 職責証明書 has expired, a B-B notice reads as untrusted).

**Per city** (`Municipality.seal_config`, JSON, checked by `core.cityconfig.validate_seal_config`):
where the key is, never the key nor a PIN (those are named by a file on the server):

- `{"kind": "file", "pkcs12": "/path/seal.p12", "passphrase_file": "/path"}`, or
  `{"kind": "file", "key": "/path/key.pem", "certificate": "/path/cert.pem", "chain": ["/path/ca.pem"],
  "passphrase_file": "/path"}` (passphrase optional for an unencrypted key);
- `{"kind": "pkcs11", "module": "/usr/lib/softhsm/libsofthsm2.so", "token_label": "…",
  "key_label": "…", "pin_file": "/path"}` (+ optional `cert_label` (default key_label),
  `certificate` (PEM, when the token holds none) and `chain`);
- `{"kind": "unsigned", "reason": "…"}`: notices are issued without the seal, on purpose;
- any of them may add `"timestamp_url": "https://tsa.example/"` (B-T).

**When a city has no seal** (`seal_config` empty): with MADOGUCHI_SEAL_REQUIRED (on unless DEBUG)
no notice is issued: `seal_notice` raises `SealError`, the approval is refused with a message
saying why, and the city's /system/ page shows the problem. A city going live therefore cannot
send unsigned notices silently: it either loads its seal or writes `{"kind": "unsigned"}`, which
the /system/ page keeps showing as a warning. Without the setting (development, tests) the
notice is issued unsigned and a warning is logged; the demo cities get the test seal from
`madoguchi seal_test_ca` (core/seal_ca.py, the LGPKI stand-in).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

FIELD_NAME = "MadoguchiSeal"
KINDS = ("file", "pkcs11", "unsigned")
COMMON_KEYS = ("kind", "timestamp_url", "chain")
KEYS = {
    "file": (*COMMON_KEYS, "pkcs12", "key", "certificate", "passphrase_file"),
    "pkcs11": (*COMMON_KEYS, "module", "token_label", "key_label", "cert_label", "certificate", "pin_file"),
    "unsigned": ("kind", "reason"),
}
PATH_KEYS = ("pkcs12", "key", "certificate", "passphrase_file", "module", "pin_file")
MAX_UPLOAD = 10 * 1024 * 1024  # a notice is ~100 kB; a bigger file is not one of ours
EXPIRY_WARNING = timedelta(days=60)
# The visible box: top right of page 1, inside the top margin (20 mm) above the letterhead.
_A4_WIDTH, _A4_HEIGHT = 595.2756, 841.8898
_MM = 72 / 25.4
STAMP_BOX = (_A4_WIDTH - 20 * _MM - 150, _A4_HEIGHT - 6 * _MM - 40, _A4_WIDTH - 20 * _MM, _A4_HEIGHT - 6 * _MM)


class SealError(Exception):
    """The notice cannot be sealed; `message` is for the approver and the system page."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def required() -> bool:
    """Whether a city without a seal is refused notices (production) or issues them unsigned."""
    return bool(settings.MADOGUCHI_SEAL_REQUIRED)


def trust_roots() -> list[str]:
    """PEM files of the roots a seal must chain to (the LGPKI root; in development the test one)."""
    return [str(p) for p in settings.MADOGUCHI_SEAL_TRUST_ROOTS]


def _crls() -> list[bytes]:
    """The CRLs (DER or PEM files, MADOGUCHI_SEAL_CRLS) the operator downloads from LGPKI's
    repository: a seal certificate listed in one is revoked. No CRL is fetched over the network
    (a page must not wait on it); without files, revocation is not checked."""
    from cryptography import x509 as pyca

    found = []
    for path in settings.MADOGUCHI_SEAL_CRLS:
        try:
            data = Path(path).read_bytes()
            found.append(pyca.load_pem_x509_crl(data).public_bytes(Encoding.DER) if data.startswith(b"-----")
                         else data)
        except (OSError, ValueError):
            log.error("seal CRL not readable: %s", path)
    return found


def _context(roots: list, other_certs=()):
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(trust_roots=roots, other_certs=list(other_certs), crls=_crls(),
                             allow_fetching=False, revocation_mode="soft-fail")


def _off_loop(function):
    """pyHanko's synchronous API starts an event loop of its own (asyncio.run), which cannot
    start in a thread already running one (an ASGI server's, the browser tests' Playwright):
    there the call runs in a worker thread. No database access happens inside."""

    @functools.wraps(function)
    def call(*args, **kwargs):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return function(*args, **kwargs)
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(function, *args, **kwargs).result()

    return call


# --- loading the signer -------------------------------------------------------------------------

def _read_secret(path: str | None) -> bytes | None:
    if not path:
        return None
    try:
        return Path(path).read_bytes().strip()
    except OSError as exc:
        raise SealError(_("電子公印のパスフレーズ／PIN のファイルを読めません: %(path)s（%(error)s）")
                        % {"path": path, "error": exc.strerror or exc}) from None


def _chain(config: dict) -> list:
    from pyhanko.keys import load_certs_from_pemder

    paths = config.get("chain") or []
    paths = [paths] if isinstance(paths, str) else list(paths)
    try:
        return list(load_certs_from_pemder(paths)) if paths else []
    except (OSError, ValueError) as exc:
        raise SealError(_("電子公印の証明書チェーンを読めません: %(error)s") % {"error": exc}) from None


def _certificate(path: str):
    from pyhanko.keys import load_cert_from_pemder

    try:
        return load_cert_from_pemder(path)
    except (OSError, ValueError) as exc:
        raise SealError(_("電子公印の証明書を読めません: %(path)s（%(error)s）") % {"path": path, "error": exc}) from None


def _file_signer(config: dict):
    from pyhanko.keys import load_private_key_from_pemder
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    passphrase = _read_secret(config.get("passphrase_file"))
    if config.get("pkcs12"):
        try:
            data = Path(config["pkcs12"]).read_bytes()
        except OSError as exc:
            raise SealError(_("電子公印の鍵ファイルを読めません: %(path)s（%(error)s）")
                            % {"path": config["pkcs12"], "error": exc.strerror or exc}) from None
        try:
            return signers.SimpleSigner.load_pkcs12_data(data, other_certs=_chain(config), passphrase=passphrase)
        except ValueError:
            raise SealError(_("電子公印の PKCS#12 ファイルを開けません（パスフレーズが違うか、ファイルが壊れています）。")) from None
    try:
        key = load_private_key_from_pemder(config["key"], passphrase=passphrase)
    except (OSError, ValueError, TypeError):
        raise SealError(_("電子公印の秘密鍵を読めません（パスフレーズが違うか、ファイルが壊れています）: %(path)s")
                        % {"path": config["key"]}) from None
    store = SimpleCertificateStore()
    store.register_multiple(_chain(config))
    return signers.SimpleSigner(signing_key=key, signing_cert=_certificate(config["certificate"]),
                                cert_registry=store)


@contextmanager
def _pkcs11_signer(config: dict) -> Iterator:
    """A pyHanko PKCS11Signer on an open session (closed on exit); the key never leaves the HSM."""
    import pkcs11
    from pyhanko.config.pkcs11 import PKCS11SignatureConfig, TokenCriteria
    from pyhanko.sign.general import SigningError
    from pyhanko.sign.pkcs11 import PKCS11SigningContext

    pin = _read_secret(config.get("pin_file"))
    if not Path(config["module"]).exists():
        raise SealError(_("PKCS#11 モジュールが見つかりません: %(path)s") % {"path": config["module"]})
    p11 = PKCS11SignatureConfig(
        module_path=config["module"], token_criteria=TokenCriteria(label=config["token_label"]),
        key_label=config["key_label"], cert_label=config.get("cert_label") or config["key_label"],
        signing_certificate=_certificate(config["certificate"]) if config.get("certificate") else None,
        other_certs=_chain(config), user_pin=pin.decode() if pin else None,
    )
    try:
        with PKCS11SigningContext(p11) as signer:
            signer.signing_cert  # noqa: B018 - loads the key and certificate now: errors surface here
            yield signer
    except (SigningError, pkcs11.PKCS11Error) as exc:
        raise SealError(_("HSM（PKCS#11）の電子公印を使えません: %(error)s") % {"error": exc}) from None


@contextmanager
def signer_for(config: dict) -> Iterator:
    """The pyHanko signer the city's seal_config names (a file or a PKCS#11 token)."""
    kind = config.get("kind")
    if kind == "file":
        yield _file_signer(config)
    elif kind == "pkcs11":
        with _pkcs11_signer(config) as signer:
            yield signer
    else:
        raise SealError(_("電子公印が設定されていません。"))


def _timestamper(config: dict):
    if not config.get("timestamp_url"):
        return None
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(config["timestamp_url"], timeout=10)


# --- sealing ----------------------------------------------------------------------------------

@_off_loop
def seal_notice(municipality, pdf: bytes) -> bytes:
    """The notice PDF signed with the city's seal certificate (PAdES B-B, or B-T with a TSA).

    A city with `{"kind": "unsigned"}` gets the PDF unchanged (and a warning on /system/); a
    city with no seal_config is refused (`SealError`) when MADOGUCHI_SEAL_REQUIRED, else gets it
    unchanged with a logged warning. A seal that is set but does not load is always refused:
    a notice is never sent unsigned because a file went missing."""
    config = municipality.seal_config or {}
    kind = config.get("kind")
    if kind == "unsigned":
        log.warning("notice of city %s issued without the seal (seal_config kind=unsigned)", municipality.pk)
        return pdf
    if not kind:
        if required():
            raise SealError(_("この自治体の電子公印が設定されていないため、決定通知書を発行できません。"
                              "システム管理者に設定を依頼してください。"))
        log.warning("notice of city %s issued without the seal (no seal_config)", municipality.pk)
        return pdf
    with signer_for(config) as signer:
        return _sign(pdf, signer, municipality.name, _timestamper(config))


def _sign(pdf: bytes, signer, city_name: str, timestamper) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.general import SigningError

    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        # A certification signature: any later change to the notice shows as a change.
        certify=True, docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        reason="決定通知書への電子公印",  # ja-only: /Reason of the notice's signature (a Japanese document)
        location=city_name,
    )
    pdf_signer = signers.PdfSigner(
        meta, signer, timestamper=timestamper, stamp_style=_stamp_style(city_name),
        new_field_spec=fields.SigFieldSpec(FIELD_NAME, on_page=0, box=STAMP_BOX),
    )
    try:
        out = pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False))
    except SigningError as exc:
        raise SealError(_("電子公印を押せませんでした: %(error)s") % {"error": exc}) from None
    except OSError as exc:  # the TSA did not answer
        raise SealError(_("タイムスタンプ局に接続できませんでした: %(error)s") % {"error": exc}) from None
    return out.getvalue()


def _stamp_style(city_name: str):
    """The visible box 「電子公印 <city>」, drawn by ReportLab with the notice's embedded
    Japanese font (pyHanko's own text stamps need HarfBuzz for a CJK font), imported as a page."""
    from pyhanko.pdf_utils import content
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.stamp import StaticStampStyle

    page = stamp_page(city_name)

    class _Page(content.ImportedPdfPage):
        def render(self) -> bytes:
            import binascii
            import uuid

            xobj = self._ensure_writer.import_page_as_xobject(PdfFileReader(io.BytesIO(page)), page_ix=0)
            name = b"/Import" + binascii.hexlify(uuid.uuid4().bytes)
            self.resources.xobject[name.decode("ascii")] = xobj
            x1, y1, x2, y2 = xobj.get_object()["/BBox"]
            self.box = content.BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
            return name + b" Do"

    return StaticStampStyle(background=_Page(""), border_width=0)


@functools.lru_cache(maxsize=64)
def stamp_page(city_name: str) -> bytes:
    """A one-page PDF the size of the box: a red frame, 「電子公印」 and the city's name."""
    from reportlab.lib.colors import Color
    from reportlab.pdfgen.canvas import Canvas

    from .fonts import register_japanese_font

    font = register_japanese_font()
    width, height = STAMP_BOX[2] - STAMP_BOX[0], STAMP_BOX[3] - STAMP_BOX[1]
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=(width, height))
    red = Color(0.75, 0.1, 0.1)
    canvas.setStrokeColor(red)
    canvas.setFillColor(red)
    canvas.setLineWidth(1.2)
    canvas.rect(1, 1, width - 2, height - 2)
    canvas.setFont(font, 9)
    canvas.drawCentredString(width / 2, height - 15, "電子公印")  # ja-only: the seal's mark on a Japanese notice
    canvas.setFont(font, 11)
    canvas.drawCentredString(width / 2, 9, city_name[:14])
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


# --- the city's seal as the system page shows it --------------------------------------------

@dataclass(frozen=True)
class SealState:
    state: str  # "off" (none), "unsigned", "file", "pkcs11"
    problems: list[str]
    subject: str = ""
    not_after: datetime | None = None


@_off_loop
def check(municipality) -> SealState:
    """Load the city's signer without signing: the key and certificate load, the certificate
    is a seal's (nonRepudiation), in force, and chains to MADOGUCHI_SEAL_TRUST_ROOTS."""
    config = municipality.seal_config or {}
    kind = config.get("kind") or "off"
    if kind == "off":
        # In development (MADOGUCHI_SEAL_REQUIRED off) a city without a seal is usual, not a problem.
        return SealState("off", [_("電子公印が設定されていないため、決定通知書を発行できません。")] if required() else [])
    if kind == "unsigned":
        return SealState("unsigned", [_("決定通知書を電子公印なしで発行する設定です。")])
    from django.utils import timezone

    problems: list[str] = []
    try:
        with signer_for(config) as signer:
            cert = signer.signing_cert
    except SealError as exc:
        return SealState(kind, [exc.message])
    not_after = cert.not_valid_after
    now = timezone.now()
    if not_after <= now:
        problems.append(_("電子公印の証明書の有効期限が切れています（%(date)s）。") % {"date": not_after.date()})
    elif not_after - now < EXPIRY_WARNING:
        problems.append(_("電子公印の証明書の有効期限が近づいています（%(date)s）。更新してください。")
                        % {"date": not_after.date()})
    if "non_repudiation" not in (cert.key_usage_value.native if cert.key_usage_value else []):
        problems.append(_("証明書の鍵用途に nonRepudiation がありません。電子公印の証明書（職責証明書）ではないようです。"))
    problems += _chain_problems(cert, signer)
    _seal_certificate_cached.cache_clear()  # a changed file is seen by /verify/ too
    return SealState(kind, problems, subject=cert.subject.human_friendly, not_after=not_after)


def _chain_problems(cert, signer) -> list[str]:
    from pyhanko_certvalidator import CertificateValidator
    from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, RevokedError

    roots = _load_roots()
    if not roots:
        return [_("信頼する認証局（MADOGUCHI_SEAL_TRUST_ROOTS）が設定されていません。確認ページで真正性を示せません。")]
    context = _context(roots, signer.cert_registry)
    try:
        asyncio.run(CertificateValidator(cert, validation_context=context).async_validate_usage({"non_repudiation"}))
    except RevokedError:
        return [_("電子公印の証明書は失効しています（認証局の失効リストにあります）。新しい証明書に替えてください。")]
    except (PathBuildingError, PathValidationError) as exc:
        return [_("電子公印の証明書が信頼する認証局につながりません: %(error)s") % {"error": exc}]
    except Exception as exc:  # noqa: BLE001 - any other refusal is shown to the administrator
        return [_("電子公印の証明書を検証できません: %(error)s") % {"error": exc}]
    return []


def _load_roots(paths: list[str] | None = None) -> list:
    from pyhanko.keys import load_cert_from_pemder

    roots = []
    for path in trust_roots() if paths is None else paths:
        try:
            roots.append(load_cert_from_pemder(path))
        except (OSError, ValueError):
            log.error("seal trust root not readable: %s", path)
    return roots


@functools.lru_cache(maxsize=256)
def _seal_certificate_cached(config_json: str):
    config = json.loads(config_json)
    if config.get("kind") in ("file", "pkcs11") and config.get("certificate") and not config.get("key"):
        return _certificate(config["certificate"])  # the token is not opened just to know the seal
    with signer_for(config) as signer:
        return signer.signing_cert


def _seal_certificate(municipality):
    """The city's seal certificate (cached per process and config), or None when it has none."""
    config = municipality.seal_config or {}
    if config.get("kind") not in ("file", "pkcs11"):
        return None
    try:
        return _seal_certificate_cached(json.dumps(config, sort_keys=True))
    except SealError:
        log.error("the seal of city %s does not load", municipality.pk)
        return None


# --- checking a sealed PDF (/verify/ and the tests) -------------------------------------------

SEALED, ALTERED, UNTRUSTED, REVOKED, NOT_SEALED, UNREADABLE = (
    "sealed", "altered", "untrusted", "revoked", "not_sealed", "unreadable")


@dataclass(frozen=True)
class SealCheck:
    """What a PDF's seal says, in terms a resident or a third party can be told.

    `outcome`: SEALED (intact, unchanged since, and the certificate chains to a trusted root),
    ALTERED (the signed bytes changed, or the file was changed after sealing), UNTRUSTED (intact
    but the certificate does not chain to a trusted root), REVOKED (intact, but the certificate
    is on a CRL of MADOGUCHI_SEAL_CRLS), NOT_SEALED, or UNREADABLE (`problem` says why). `city_seal`: whether the signer is the city's own seal (None when not asked)."""

    outcome: str
    signer: str = ""  # the certificate's common name (the office: デモ市長)
    signer_unit: str = ""  # its organizational unit (the city)
    issuer: str = ""
    signed_at: datetime | None = None
    timestamped: bool = False
    city_seal: bool | None = None
    fingerprint: str = ""  # SHA-256 of the signer's certificate
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == SEALED and self.city_seal is not False


def read_upload(upload) -> bytes:
    """The uploaded file's bytes when it may be a PDF of ours; a ValidationError saying what is
    wrong otherwise (nothing chosen, too big, not a PDF). The one check of an uploaded notice."""
    if upload is None:
        raise ValidationError(_("通知書のPDFを選んでください。"), code="required")
    if upload.size > MAX_UPLOAD:
        raise ValidationError(_("ファイルが大きすぎます（%(mb)s MB まで）。発行された通知書のPDFを選んでください。")
                              % {"mb": MAX_UPLOAD // (1024 * 1024)}, code="too_big")
    data = upload.read(MAX_UPLOAD + 1)
    if not data:
        raise ValidationError(_("ファイルが空です。"), code="empty")
    if b"%PDF" not in data[:1024]:
        raise ValidationError(_("PDFファイルではありません。発行された通知書のPDFを選んでください。"), code="not_pdf")
    return data


@_off_loop
def validate(pdf: bytes, roots: list[str] | None = None, *, municipality=None) -> SealCheck:
    """Check the seal of a PDF with pyHanko: integrity, changes after sealing, the chain to
    `roots` (PEM paths; default MADOGUCHI_SEAL_TRUST_ROOTS) and, given a city, whether the
    signer is that city's seal (same subject and issuer as its configured certificate, and its
    key or a trusted chain: a renewed certificate still counts, a look-alike from another CA
    does not). Never raises for anything a client can upload."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        if reader.encrypted:
            return SealCheck(UNREADABLE, problem=_("パスワードで保護（暗号化）されたPDFは確認できません。"
                                                   "発行されたままのPDFを選んでください。"))
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError):
        return SealCheck(UNREADABLE, problem=_("PDFとして読めません。ファイルが壊れているか、PDFではありません。"))
    if not signatures:
        return SealCheck(NOT_SEALED)
    embedded = next((s for s in signatures if s.field_name == FIELD_NAME), signatures[0])
    try:
        return _judge(embedded, _load_roots(roots), municipality)
    except Exception as exc:  # noqa: BLE001 - a malformed signature from an upload is "altered", never a 500
        log.warning("seal validation failed: %s", type(exc).__name__)
        return SealCheck(ALTERED, problem=_("署名のデータが壊れています。"))


def _judge(embedded, roots, municipality) -> SealCheck:
    from pyhanko.sign.validation import validate_pdf_signature

    status = validate_pdf_signature(embedded, _context(roots))
    cert = embedded.signer_cert
    subject = cert.subject.native
    timestamp = status.timestamp_validity
    signed_at = timestamp.timestamp if timestamp is not None and timestamp.intact else status.signer_reported_dt
    changed_after = status.modification_level is not None and not status.docmdp_ok
    if not (status.intact and status.valid) or changed_after:
        outcome = ALTERED
    elif status.revoked:
        outcome = REVOKED
    elif not status.trusted:
        outcome = UNTRUSTED
    else:
        outcome = SEALED
    city_seal = None
    if municipality is not None:
        own = _seal_certificate(municipality)
        # Same office from the same CA: the names, and either the very key or a trusted chain
        # (a renewed certificate has a new key; a CA of the forger's own can copy the names).
        city_seal = (own is not None and own.subject == cert.subject and own.issuer == cert.issuer
                     and (own.public_key.dump() == cert.public_key.dump() or bool(status.trusted)))
    return SealCheck(
        outcome, signer=_one(subject.get("common_name")), signer_unit=_one(subject.get("organizational_unit_name")),
        issuer=_one(cert.issuer.native.get("common_name")),
        signed_at=signed_at.astimezone(UTC) if signed_at else None,
        timestamped=bool(timestamp is not None and timestamp.valid and timestamp.trusted),
        city_seal=city_seal, fingerprint=hashlib.sha256(cert.dump()).hexdigest(),
    )


def _one(value) -> str:
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value or "")
