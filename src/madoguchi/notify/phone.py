"""Japanese mobile numbers for SMS: the one rule for what a resident may register.

The digits are read by `core.japanese.phone.normalize_phone` (hyphens, spaces, full-width
digits, +81 and +81(0) forms); this module only adds what SMS needs on top: the number must
be a mobile one (070, 080, 090 and eight digits) and is kept in E.164 (+8190…), the form the
SMS provider takes. Landlines, 050 IP phones, 0120 and 020 numbers cannot receive SMS.
"""

import re

from madoguchi.core.japanese.errors import JapaneseInputError, gettext_noop
from madoguchi.core.japanese.phone import normalize_phone

NOT_MOBILE = gettext_noop("携帯電話の番号（070、080、090で始まる11けた）を入力してください。")
_MOBILE = re.compile(r"0[789]0[0-9]{8}")
_E164 = re.compile(r"\+81[789]0[0-9]{8}")


def mobile_e164(value: str) -> str:
    """The number in E.164 (+819012345678), or JapaneseInputError with a plain message."""
    digits = normalize_phone(value)
    if not _MOBILE.fullmatch(digits):
        raise JapaneseInputError(NOT_MOBILE)
    return "+81" + digits[1:]


def is_mobile_e164(value: str) -> bool:
    return bool(_E164.fullmatch(value or ""))


def national(e164: str) -> str:
    """090-1234-5678: how the resident wrote it, for their own eyes only."""
    digits = "0" + e164[3:]
    return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"


def masked(e164: str) -> str:
    """…5678: the label My Page shows (the whole number is never shown again)."""
    return "…" + e164[-4:]
