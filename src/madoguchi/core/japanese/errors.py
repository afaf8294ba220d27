"""The single error type raised by the Japanese text helpers."""


class JapaneseInputError(ValueError):
    """Input a resident typed cannot be accepted.

    ``str(err)`` is a short, plain Japanese sentence meant to be shown next to
    the form field, so callers can display it without translating or wrapping.
    Subclassing ``ValueError`` lets form and schema validators treat it like any
    other invalid value.
    """
