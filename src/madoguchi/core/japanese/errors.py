"""The single error type raised by the Japanese text helpers."""

import sys


def gettext_noop(message: str) -> str:
    """Mark a message for the translation catalogue (makemessages) without importing Django.

    The package stays free of Django; `JapaneseInputError` translates the message when it is
    shown, through Django's gettext when Django is loaded.
    """
    return message


class JapaneseInputError(ValueError):
    """Input a resident typed cannot be accepted.

    ``str(err)`` is a short, plain sentence meant to be shown next to the form field: the
    Japanese message (the msgid), translated into the active language when Django's
    translation machinery is loaded, with its named ``params`` filled in. Subclassing
    ``ValueError`` lets form and schema validators treat it like any other invalid value.
    """

    def __init__(self, message: str, **params):
        super().__init__(message)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        text = self.message
        translation = sys.modules.get("django.utils.translation")
        if translation is not None:
            try:
                text = translation.gettext(text)
            except Exception:  # settings not configured: keep the Japanese message
                text = self.message
        return text % self.params if self.params else text
