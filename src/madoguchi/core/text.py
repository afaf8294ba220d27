"""Characters no person types: one check for every text a person sends (form answers, what
staff write). Control characters (a NUL, an escape sequence) belong in no stored answer,
notice or mail, and lone surrogates cannot even be encoded to be stored."""

import unicodedata

LINE_BREAKS = "\n\r\t"


def has_unreadable_characters(text: str, allowed: str = "") -> bool:
    """Whether `text` holds a control character (other than those in `allowed`) or a lone
    surrogate."""
    return any(unicodedata.category(c) in {"Cc", "Cs"} and c not in allowed for c in text)
