"""RFC 8785 JSON Canonicalization Scheme: the exact bytes a resident's card signs.

The same application data must always give the same bytes, whoever serialises it (the browser,
this server, a verifier years later), so: keys sorted by UTF-16 code units, numbers as
ECMAScript prints an IEEE 754 double, only the mandatory string escapes, UTF-8, no whitespace.
"""

import math

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
            "\t": "\\t"}


def canonicalize(value) -> bytes:
    """Canonical UTF-8 JSON for None/bool/int/float/str/list/tuple/dict (str keys only)."""
    parts: list[str] = []
    _write(value, parts)
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate is not I-JSON
        raise ValueError("strings must be valid Unicode (no lone surrogates)") from exc


def _write(value, parts: list[str]) -> None:
    if value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, int):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if number != value:  # exact comparison: never change a number silently
            raise ValueError(f"{value} is not exactly representable as an IEEE 754 double")
        parts.append(serialize_number(number))
    elif isinstance(value, float):
        parts.append(serialize_number(value))
    elif isinstance(value, str):
        parts.append(_string(value))
    elif isinstance(value, list | tuple):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _write(item, parts)
        parts.append("]")
    elif isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("object keys must be strings")
        parts.append("{")
        for index, key in enumerate(sorted(value, key=_utf16_units)):
            if index:
                parts.append(",")
            parts.append(_string(key))
            parts.append(":")
            _write(value[key], parts)
        parts.append("}")
    else:
        raise TypeError(f"{type(value).__name__} is not a JSON value")


def _utf16_units(key: str) -> bytes:
    # Big-endian UTF-16 compares bytewise exactly as its 16-bit code units compare.
    return key.encode("utf-16-be", "surrogatepass")


def _string(text: str) -> str:
    out = ['"']
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char < " ":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def serialize_number(value: float) -> str:
    """ECMAScript Number::toString for a finite double (RFC 8785 section 3.2.2.3)."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError("NaN and Infinity are not JSON")
    if value == 0:
        return "0"  # also -0
    sign = "-" if value < 0 else ""
    digits, point = _shortest_digits(abs(value))
    k = len(digits)
    if k <= point <= 21:
        body = digits + "0" * (point - k)
    elif 0 < point <= 21:
        body = digits[:point] + "." + digits[point:]
    elif -6 < point <= 0:
        body = "0." + "0" * -point + digits
    else:
        exponent = point - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        body = f"{mantissa}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"
    return sign + body


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip digits s and n with value = 0.s × 10**n (Python's repr is shortest)."""
    mantissa, _, exp = repr(value).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    point = len(whole) + int(exp or 0) - (len(whole + fraction) - len((whole + fraction).lstrip("0")))
    return digits.rstrip("0"), point
