"""Reading the J-LIS certificate profile: 基本4情報, which certificate is which, validity.

The 基本4情報 live only in the signing certificate, as subjectAltName otherName values under
1.2.392.200149.8.5.5.x (a DER string inside the otherName's [0] EXPLICIT value). Text is kept
exactly as written: no Unicode normalisation, because NFC would turn some 異体字 (e.g. U+FA19 神)
into other code points and the name would no longer match the 住民票.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from madoguchi.identity.jpki import oids
from madoguchi.identity.jpki.errors import ProfileError

JST = timezone(timedelta(hours=9), "JST")

GENDER_MALE = "1"  # 男
GENDER_FEMALE = "2"  # 女
GENDER_UNKNOWN = "3"  # 不明 (住民基本台帳 code; not confirmed in the public profile)
GENDERS = {GENDER_MALE: "男", GENDER_FEMALE: "女", GENDER_UNKNOWN: "不明"}  # ja-only: codes as on the card

_UTF8_STRING = 0x0C
_PRINTABLE_STRING = 0x13

# 生年月日 is "EYYYYMMDD": the era code of the date (1 明治 … 5 令和), then the Gregorian date.
_ERAS = ((date(2019, 5, 1), "5"), (date(1989, 1, 8), "4"), (date(1926, 12, 25), "3"),
         (date(1912, 7, 30), "2"), (date.min, "1"))


@dataclass(frozen=True)
class BasicInfo:
    """基本4情報 as the signing certificate carries them, plus the 代替文字 position data.

    `name_kana` is not in the certificate (the profile has no kana); it is for callers that
    have it from elsewhere and is never written into a certificate.
    """

    name: str
    address: str
    birth_date: date
    gender: str
    name_kana: str | None = None
    name_substitute: str = ""
    address_substitute: str = ""

    def __post_init__(self):
        if not self.name or not self.address:
            raise ValueError("name and address are required")
        if isinstance(self.birth_date, datetime) or not isinstance(self.birth_date, date):
            raise ValueError("birth_date must be a date")
        if self.gender not in GENDERS:
            raise ValueError(f"gender must be one of {sorted(GENDERS)}")


def encode_birth_date(value: date) -> str:
    era = next(code for start, code in _ERAS if value >= start)
    return f"{era}{value:%Y%m%d}"


def decode_birth_date(text: str) -> date:
    """Parse "EYYYYMMDD"; the era digit is redundant and only checked to be 1–5."""
    if len(text) != 9 or not text.isascii() or not text.isdigit() or text[0] not in "12345":
        raise ProfileError("birth date is not EYYYYMMDD")
    try:
        return date(int(text[1:5]), int(text[5:7]), int(text[7:9]))
    except ValueError as exc:  # 生年月日の一部不詳 ("…0000") has no date to give
        raise ProfileError("birth date is incomplete or invalid") from exc


def der_utf8(text: str) -> bytes:
    """DER UTF8String: the otherName value as the profile writes it."""
    body = text.encode("utf-8")
    n = len(body)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([_UTF8_STRING]) + length + body


def parse_der_string(value: bytes) -> str:
    """Strict parse of one DER UTF8String or PrintableString filling the whole value."""
    if len(value) < 2 or value[0] not in (_UTF8_STRING, _PRINTABLE_STRING):
        raise ProfileError("otherName value is not a UTF8String or PrintableString")
    first = value[1]
    offset = 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        raw = value[2:2 + count]
        if count == 0 or count > 4 or len(raw) != count or raw[0] == 0:
            raise ProfileError("bad DER length")
        length = int.from_bytes(raw, "big")
        if length < 0x80:
            raise ProfileError("non-minimal DER length")
        offset += count
    if offset + length != len(value):
        raise ProfileError("DER length does not match the value")
    try:
        return value[offset:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError("otherName value is not UTF-8") from exc


def subject_alt_names(person: BasicInfo) -> list[x509.GeneralName]:
    """The six otherName entries of the signing certificate, in the profile's order."""
    values = [
        (oids.SAN_NAME, person.name),
        (oids.SAN_BIRTH_DATE, encode_birth_date(person.birth_date)),
        (oids.SAN_GENDER, person.gender),
        (oids.SAN_ADDRESS, person.address),
        (oids.SAN_NAME_SUBSTITUTE, person.name_substitute),
        (oids.SAN_ADDRESS_SUBSTITUTE, person.address_substitute),
    ]
    return [x509.OtherName(oid, der_utf8(text)) for oid, text in values]


def _extension(cert: x509.Certificate, kind):
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _policies(cert: x509.Certificate) -> set:
    value = _extension(cert, x509.CertificatePolicies)
    return {p.policy_identifier for p in value} if value else set()


def _is_ca(cert: x509.Certificate) -> bool:
    value = _extension(cert, x509.BasicConstraints)
    return bool(value and value.ca)


def is_signing(cert: x509.Certificate) -> bool:
    """署名用電子証明書: signing policy, digitalSignature and nonRepudiation, not a CA."""
    policies = _policies(cert)
    usage = _extension(cert, x509.KeyUsage)
    return (oids.POLICY_SIGNING in policies and oids.POLICY_AUTHENTICATION not in policies
            and usage is not None and usage.digital_signature and usage.content_commitment
            and not _is_ca(cert))


def is_authentication(cert: x509.Certificate) -> bool:
    """利用者証明用電子証明書: authentication policy and digitalSignature, not a CA."""
    policies = _policies(cert)
    usage = _extension(cert, x509.KeyUsage)
    return (oids.POLICY_AUTHENTICATION in policies and oids.POLICY_SIGNING not in policies
            and usage is not None and usage.digital_signature and not _is_ca(cert))


def certificate_fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the whole DER certificate, lower-case hex (64 characters)."""
    return cert.fingerprint(hashes.SHA256()).hex()


def basic_info_from(cert: x509.Certificate) -> BasicInfo:
    """The 基本4情報 of a signing certificate; ProfileError if absent, repeated or malformed.

    Call it on a certificate that `verify_certificate` accepted: this reads, it does not trust.
    """
    if not is_signing(cert):
        raise ProfileError("not a JPKI signing certificate")
    try:
        names = _extension(cert, x509.SubjectAlternativeName)
    except ValueError as exc:
        raise ProfileError("subjectAltName cannot be parsed") from exc
    found: dict = {}
    for other in names.get_values_for_type(x509.OtherName) if names else []:
        if other.type_id.dotted_string.startswith(oids.PERSONAL_DATA_ARC):
            if other.type_id in found:
                raise ProfileError(f"{other.type_id.dotted_string} appears twice")
            found[other.type_id] = parse_der_string(other.value)
    required = (oids.SAN_NAME, oids.SAN_ADDRESS, oids.SAN_BIRTH_DATE, oids.SAN_GENDER)
    missing = [oid.dotted_string for oid in required if not found.get(oid)]
    if missing:
        raise ProfileError(f"missing {', '.join(missing)}")
    try:
        return BasicInfo(
            name=found[oids.SAN_NAME],
            address=found[oids.SAN_ADDRESS],
            birth_date=decode_birth_date(found[oids.SAN_BIRTH_DATE]),
            gender=found[oids.SAN_GENDER],
            name_substitute=found.get(oids.SAN_NAME_SUBSTITUTE, ""),
            address_substitute=found.get(oids.SAN_ADDRESS_SUBSTITUTE, ""),
        )
    except ValueError as exc:
        raise ProfileError(str(exc)) from exc


def _birthday_in(year: int, birth_date: date) -> date:
    try:
        return birth_date.replace(year=year)
    except ValueError:  # 29 February in a common year: the period ends on the 28th (民法143条)
        return date(year, 2, 28)


def fifth_birthday_after(issued_on: date, birth_date: date) -> date:
    """「発行の日後5回目の誕生日」: a birthday on the issue day itself does not count."""
    first_year = issued_on.year if _birthday_in(issued_on.year, birth_date) > issued_on \
        else issued_on.year + 1
    return _birthday_in(first_year + 4, birth_date)


def default_not_after(not_before: datetime, birth_date: date) -> datetime:
    """End of the 5th birthday after issuance, 23:59:59 JST, as an aware UTC datetime."""
    issued_on = not_before.astimezone(JST).date()
    last_day = fifth_birthday_after(issued_on, birth_date)
    return datetime.combine(last_day, time(23, 59, 59), JST).astimezone(UTC)
