"""E-mail addresses as Madoguchi keeps them: one function for every address that comes in.

An address is an account's identity (`ResidentAccount.email`) and where codes and notices go,
so two spellings of one mailbox must be one address:

- NFKC first: full-width letters and ＠ typed with a Japanese input method become ASCII.
- Spaces around it are dropped.
- The whole address is lower-cased, the local part too. RFC 5321 lets a server treat
  `Victim@` and `victim@` as two mailboxes, but no provider a resident uses does, and two
  accounts for one mailbox are worse (split submissions, a second account anyone can open
  with the same mail). `str.lower`, not `casefold`: `casefold` would also merge addresses
  that differ by more than case (ß → ss).
- At most 254 characters (RFC 5321's path limit; the database column), no control or format
  characters (a NUL reached PostgreSQL and gave a 500), and the form Django's EmailValidator
  accepts.

Django's validator does the checking; only the normalising is Madoguchi's.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

MAX_LENGTH = 254


class InvalidEmailAddress(ValueError):
    """The message is plain words in the active language, for the resident, next to the field."""


def normalize_email(text) -> str:
    """The address as stored and compared; InvalidEmailAddress when it cannot be one."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidEmailAddress(_("メールアドレスを入力してください。"))
    address = unicodedata.normalize("NFKC", text).strip().lower()
    if len(address) > MAX_LENGTH:
        raise InvalidEmailAddress(_("メールアドレスが長すぎます（%(n)s文字まで）。") % {"n": MAX_LENGTH})
    if any(unicodedata.category(ch).startswith("C") for ch in address):
        raise InvalidEmailAddress(_("メールアドレスに使えない文字が含まれています。"))
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidEmailAddress(_("メールアドレスの形式が正しくありません（例: taro@example.jp）。")) from None
    return address
