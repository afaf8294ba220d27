"""The languages Madoguchi speaks, and how each is named to a browser and a URL.

The codes are Django's (settings.LANGUAGES). `ja-easy` is やさしい日本語: Django knows no such
language, so its LANG_INFO entry is added here, and pages in it say `lang="ja"` (it is Japanese
to a screen reader and a search engine)."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.conf.locale import LANG_INFO

DEFAULT = "ja"
EASY = "ja-easy"

LANG_INFO.setdefault(EASY, {
    "bidi": False, "code": EASY, "name": "Easy Japanese", "name_local": "やさしい日本語",  # ja-only: its own name
})

# What the HTML `lang` attribute says for each code (BCP 47).
_HTML_LANG = {EASY: "ja", "zh-hans": "zh-Hans", "pt-br": "pt-BR"}


def codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def staff_codes() -> list[str]:
    return list(settings.MADOGUCHI_STAFF_LANGUAGES)


def names() -> dict[str, str]:
    return dict(settings.LANGUAGES)


def supported(code: str | None) -> str | None:
    """`code` when Madoguchi speaks it (case-insensitive, `_` accepted for `-`), else None."""
    if not code:
        return None
    code = str(code).strip().lower().replace("_", "-")[:16]
    return code if code in codes() else None


def html_lang(code: str) -> str:
    return _HTML_LANG.get(code, code)


def is_japanese(code: str) -> bool:
    """日本語 and やさしい日本語: a Japanese text shown in them is not a fallback."""
    return code in (DEFAULT, EASY)


def with_language(url: str, code: str | None) -> str:
    """`url` carrying `?lang=` so that whoever opens it (from a QR code, an e-mail, another
    device) sees the page in `code`; Japanese, the default, adds nothing."""
    if not code or code == DEFAULT or supported(code) is None:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    query.append(("lang", code))
    return urlunsplit(parts._replace(query=urlencode(query)))


def language_of(url: str) -> str:
    """The language `with_language` put into `url` (Japanese, the default, when it has none)."""
    return supported(dict(parse_qsl(urlsplit(url or "").query)).get("lang")) or DEFAULT
