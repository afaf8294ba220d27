"""The card's three applications, their PIN rules and how their tokens are recognised.

A My Number card carries three applications, each with its own PIN and retry counter.
PKCS#11 shows each one as a token; we find it by the *PIN name in parentheses at the end
of the token label*, which is how OpenSC names the JPKI tokens ("JPKI (User
Authentication PIN)"). Software cards use "<card id> (<PIN name>)" the same way.
"""

import re
from dataclasses import dataclass

from madoguchi.identity.card import messages


@dataclass(frozen=True)
class Application:
    key: str  # "signing" | "authentication" | "card_face"
    pin_label: str  # the PIN name inside the token label's parentheses
    max_tries: int
    pin_pattern: re.Pattern

    @property
    def name(self) -> str:
        return messages.APPLICATION_NAMES[self.key]

    @property
    def pin_name(self) -> str:
        return messages.PIN_NAMES[self.key]

    def token_label(self, card_id: str) -> str:
        """The label a software card gives this application's token (at most 32 bytes)."""
        label = f"{card_id} ({self.pin_label})"
        if len(label.encode()) > 32:
            raise ValueError(f"token label too long for PKCS#11: {label!r}")
        return label

    def matches(self, label: str) -> bool:
        label = label.strip()
        return label == self.pin_label or label.endswith(f"({self.pin_label})")

    def check_pin(self, pin: str) -> None:
        """Refuse a PIN the real card would refuse (raises `PinRuleError`)."""
        if not self.pin_pattern.fullmatch(pin or ""):
            raise PinRuleError(self, messages.pin_rule_error(self.key))


class PinRuleError(ValueError):
    """A PIN that breaks the card's rule: refused on issue, before any try is spent."""

    def __init__(self, application: Application, message: str):
        super().__init__(message)
        self.application = application
        self.message = message


SIGNING = Application(
    "signing", "Digital Signature PIN", 5,
    re.compile(r"(?=[A-Z0-9]*[A-Z])(?=[A-Z0-9]*[0-9])[A-Z0-9]{6,16}"),
)
AUTHENTICATION = Application("authentication", "User Authentication PIN", 3, re.compile(r"[0-9]{4}"))
# OpenSC has no PKCS#11 view of the 券面事項入力補助AP; this label is the software cards' own.
CARD_FACE = Application("card_face", "Card Face PIN", 3, re.compile(r"[0-9]{4}"))

APPLICATIONS = {a.key: a for a in (SIGNING, AUTHENTICATION, CARD_FACE)}


def get(key: str) -> Application:
    try:
        return APPLICATIONS[key]
    except KeyError:
        raise ValueError(f"unknown card application {key!r}; one of {sorted(APPLICATIONS)}") from None


def for_label(label: str) -> Application | None:
    return next((a for a in APPLICATIONS.values() if a.matches(label)), None)
