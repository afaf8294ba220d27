"""ルビ for やさしい日本語: every kanji run in a page's text gets its reading in `<ruby>`.

Per the 出入国在留管理庁・文化庁「在留支援のためのやさしい日本語ガイドライン」 (漢字にはふりがな
を付ける), a page shown in `ja-easy` has each run of kanji in its text wrapped as
`<ruby>住所<rp>(</rp><rt>じゅうしょ</rt><rp>)</rp></ruby>`, with the reading SudachiPy gives
(the dictionary the catalogue's search already loads). Okurigana stay outside the ruby
(申し込み → 申<rt>もう</rt>し込<rt>こ</rt>み).

`RubyMiddleware` does it as the last step of a text/html response in ja-easy: the HTML is walked
with the standard library's html.parser and written back byte for byte, except text nodes.
Left alone: script, style, textarea, title, option, existing ruby, attributes, and every
element marked `translate="no"` (what a person typed, names, addresses: their own words are
not ours to read aloud). Kana-only text and numbers are unchanged. Running it twice changes
nothing (existing ruby is skipped). Readings are cached per text node, so the second showing of
a page costs little (docs/i18n.md has the measurement).
"""

import logging
import re
from functools import lru_cache
from html.parser import HTMLParser

from django.utils import translation

from madoguchi.core import i18n, sudachi

logger = logging.getLogger(__name__)

_KANJI = "\u3005\u3006\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # ja-only: a character class
_HAS_KANJI = re.compile(f"[{_KANJI}]")
_KANA_RUN = re.compile(r"[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc\u30fd\u30fe]+")
_SEGMENTS = re.compile(f"[{_KANJI}]+|[^{_KANJI}]+")
_READING_OK = re.compile(r"^[\u3041-\u3096\u309d\u309e\u30fc]+$")
_DIGITS = re.compile(r"^[0-9０-９]+$")  # ja-only: full-width digits
_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}

# 日 and 人 after a number are read by the number (Sudachi reads each part on its own).
_DAY_READINGS = {  # ja-only: readings of dates in kana
    1: "ついたち", 2: "ふつか", 3: "みっか", 4: "よっか", 5: "いつか", 6: "むいか", 7: "なのか",  # ja-only: readings
    8: "ようか", 9: "ここのか", 10: "とおか", 14: "じゅうよっか", 20: "はつか", 24: "にじゅうよっか",  # ja-only: readings
}
_PEOPLE_READINGS = {1: "ひとり", 2: "ふたり"}  # ja-only: readings in kana

SKIPPED = frozenset({"script", "style", "textarea", "title", "option", "ruby", "rt", "rp", "select",
                     "template", "svg", "math", "code", "pre", "kbd", "samp"})
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
                  "source", "track", "wbr"})
MAX_TEXT = 4000  # characters given to Sudachi at once (it refuses very long inputs)

def _tokenizer():
    """The thread's Sudachi tokenizer (core.sudachi, shared with the catalogue's search)."""
    return sudachi.tokenizer()


def hiragana(text: str) -> str:
    return text.translate(_TO_HIRAGANA)


def _ruby(base: str, reading: str) -> str:
    return f"<ruby>{base}<rp>(</rp><rt>{reading}</rt><rp>)</rp></ruby>"


def _align(surface: str, reading: str) -> str | None:
    """`surface` with ruby on each kanji run, its kana matched against `reading`; None when
    the two do not line up (then the word is left as it is, or ruby'd whole)."""
    segments = _SEGMENTS.findall(surface)
    pattern = "".join("(.+?)" if _HAS_KANJI.match(s) else f"({re.escape(hiragana(s))})" for s in segments)
    found = re.fullmatch(pattern, reading)
    if not found:
        return None
    return "".join(_ruby(s, part) if _HAS_KANJI.match(s) else s for s, part in zip(segments, found.groups(), strict=True))


def _number(surface: str) -> int | None:
    if not _DIGITS.match(surface):
        return None
    return int(surface.translate(str.maketrans("０１２３４５６７８９", "0123456789")))  # ja-only: digits


def _word(surface: str, reading: str, previous: str) -> str:
    if not _HAS_KANJI.search(surface):
        return surface
    number = _number(previous)
    if number is not None and surface == "日":  # ja-only: the counter for days
        reading = _DAY_READINGS.get(number, "にち")  # ja-only: its usual reading
    elif number is not None and surface == "人":  # ja-only: the counter for people
        reading = _PEOPLE_READINGS.get(number, "にん")  # ja-only: its usual reading
    reading = hiragana(reading)
    if not reading or not _READING_OK.match(reading):
        return surface  # an unknown word: no guessed reading
    aligned = _align(surface, reading)
    if aligned is not None:
        return aligned
    if all(_HAS_KANJI.match(c) or _KANA_RUN.match(c) or _DIGITS.match(c) for c in surface):
        return _ruby(surface, reading)  # one word read as a whole (2人 → ふたり)
    return surface


@lru_cache(maxsize=50_000)
def annotate(text: str) -> str:
    """`text` (a text node as it stands in the HTML: entities never reach here) with ruby."""
    if not _HAS_KANJI.search(text):
        return text
    if len(text) > MAX_TEXT:
        cut = text.rfind("\n", 0, MAX_TEXT)
        cut = cut if cut > 0 else MAX_TEXT
        return annotate(text[:cut]) + annotate(text[cut:])
    out, previous = [], ""
    for morpheme in _tokenizer().tokenize(text):
        surface = morpheme.surface()
        out.append(_word(surface, morpheme.reading_form(), previous))
        previous = surface
    return "".join(out)


class _Walker(HTMLParser):
    """Notes where each token starts and which text tokens may take ruby."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.starts: list[int] = []
        self.texts: set[int] = set()  # indexes into starts
        self.skip: list[list] = []  # [tag, depth] of the elements being skipped
        self._lines = [0]

    def feed_all(self, source: str) -> None:
        # html.parser counts lines by "\n" alone (not by str.splitlines' other line ends).
        self._lines += [found.end() for found in re.finditer("\n", source)]
        self.feed(source)
        self.close()

    def _mark(self) -> int:
        line, column = self.getpos()
        self.starts.append(self._lines[line - 1] + column)
        return len(self.starts) - 1

    def handle_starttag(self, tag, attrs):
        self._mark()
        if tag in VOID:
            return
        if self.skip and self.skip[-1][0] == tag:
            self.skip[-1][1] += 1
        elif tag in SKIPPED or any(k == "translate" and (v or "").strip().lower() == "no" for k, v in attrs):
            self.skip.append([tag, 1])

    def handle_startendtag(self, tag, attrs):
        self._mark()

    def handle_endtag(self, tag):
        self._mark()
        if self.skip and self.skip[-1][0] == tag:
            self.skip[-1][1] -= 1
            if not self.skip[-1][1]:
                self.skip.pop()

    def handle_data(self, data):
        index = self._mark()
        if not self.skip:
            self.texts.add(index)

    def handle_entityref(self, name):
        self._mark()

    def handle_charref(self, name):
        self._mark()

    def handle_comment(self, data):
        self._mark()

    def handle_decl(self, decl):
        self._mark()

    def handle_pi(self, data):
        self._mark()

    def unknown_decl(self, data):
        self._mark()


def add_ruby(html: str) -> str:
    """The page `html` with ruby on the kanji of its text, everything else as it was."""
    if not _HAS_KANJI.search(html):
        return html
    walker = _Walker()
    walker.feed_all(html)
    starts = walker.starts
    if not starts:
        return html
    out = [html[:starts[0]]]
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(html)
        piece = html[start:end]
        out.append(annotate(piece) if index in walker.texts else piece)
    return "".join(out)


def wants_ruby(request, response) -> bool:
    if getattr(response, "streaming", False) or response.get("Content-Encoding"):
        return False
    if not response.get("Content-Type", "").startswith("text/html"):
        return False
    language = getattr(request, "LANGUAGE_CODE", None) or translation.get_language()
    return language == i18n.EASY


class RubyMiddleware:
    """Adds ルビ to a text/html page in やさしい日本語; put it after PreferencesMiddleware (which
    sets the language), so that it sees the page the view made. Streaming responses and other
    languages pass untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not wants_ruby(request, response):
            return response
        charset = response.charset or "utf-8"
        try:
            html = response.content.decode(charset)
        except (UnicodeDecodeError, LookupError):
            return response
        try:
            annotated = add_ruby(html)
        except Exception:  # a page without ルビ is better than no page
            logger.exception("ruby: the page %s was sent without readings", request.resolver_match
                             and request.resolver_match.view_name)
            return response
        response.content = annotated.encode(charset)
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response
