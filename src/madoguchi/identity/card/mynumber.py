"""The 個人番号's check digit (総務省令: 個人番号の検査用数字を算出する算式), to catch typos."""

import secrets

from django.utils.translation import gettext as _


def check_digit(first11: str) -> int:
    """The 12th digit for 11 digits: weights n+1 (n ≤ 6) or n−5 over digits counted from the right."""
    if len(first11) != 11 or not first11.isascii() or not first11.isdigit():
        raise ValueError(_("個人番号の先頭11桁は数字11桁です。"))
    total = sum(int(d) * (n + 1 if n <= 6 else n - 5)
                for n, d in enumerate(reversed(first11), start=1))
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_valid(number: str) -> bool:
    number = number or ""
    return (len(number) == 12 and number.isascii() and number.isdigit()
            and check_digit(number[:11]) == int(number[11]))


def generate() -> str:
    """A random well-formed number for a test card (never a real person's: don't use it as one)."""
    first11 = "".join(secrets.choice("0123456789") for _ in range(11))
    return first11 + str(check_digit(first11))
