"""A person's display preferences: the language, 文字サイズ and contrast.

Chosen once (the switch on every page is a plain link: `?lang=vi`, `?text=large`,
`?contrast=high`, so no JavaScript is needed), kept in the session, and, for a resident who is
logged in, in the account (identity listens to `preferences_changed` and copies them back at
login: core may not import identity)."""

from dataclasses import dataclass

from django.dispatch import Signal

from madoguchi.core import i18n

SESSION_KEY = "madoguchi_preferences"
TEXT_SIZES = ("normal", "large")
CONTRASTS = ("normal", "high")

# Sent with `request` and `changes` (a dict of the fields that were chosen) when a person
# chooses; identity saves them on the logged-in account.
preferences_changed = Signal()


@dataclass(frozen=True)
class Preferences:
    language: str = i18n.DEFAULT
    text_size: str = "normal"
    contrast: str = "normal"
    chosen: bool = False  # the language was chosen (not the default): no browser suggestion

    @property
    def body_classes(self) -> str:
        classes = []
        if self.text_size == "large":
            classes.append("text-large")
        if self.contrast == "high":
            classes.append("contrast-high")
        return " ".join(classes)


def from_query(params) -> dict:
    """The choices a link or form carries; anything not offered is ignored, never an error."""
    changes = {}
    language = i18n.supported(params.get("lang"))
    if language:
        changes["language"] = language
    if params.get("text") in TEXT_SIZES:
        changes["text_size"] = params["text"]
    if params.get("contrast") in CONTRASTS:
        changes["contrast"] = params["contrast"]
    return changes


def current(request) -> Preferences:
    stored = request.session.get(SESSION_KEY) or {} if hasattr(request, "session") else {}
    language = i18n.supported(stored.get("language"))
    return Preferences(
        language=language or i18n.DEFAULT,
        text_size=stored.get("text_size") if stored.get("text_size") in TEXT_SIZES else "normal",
        contrast=stored.get("contrast") if stored.get("contrast") in CONTRASTS else "normal",
        chosen=language is not None,
    )


def remember(request, changes: dict, *, announce: bool = True) -> None:
    """Keep `changes` in the session; `announce` tells listeners (the account) as well."""
    if not changes or not hasattr(request, "session"):
        return
    stored = dict(request.session.get(SESSION_KEY) or {})
    if all(stored.get(k) == v for k, v in changes.items()):
        return
    stored.update(changes)
    request.session[SESSION_KEY] = stored
    if announce:
        preferences_changed.send(sender=Preferences, request=request, changes=dict(changes))
