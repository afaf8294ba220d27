"""Personal data masked in a survey comment before any member of staff reads it.

The page asks residents not to write names or numbers, and some will anyway: 「田中さんが親切でした」,
a phone number to call back, an e-mail address. The comment is stored as typed (encrypted) and
masked every time it is shown, so a better mask applies to old comments too.

What is masked, in this order:
- e-mail addresses;
- numbers of three digits or more, also when written in groups (090-1234-5678, 〒892-0816,
  1234 5678 9018, full-width digits): phone, postal, card, receipt and account numbers and years
  of birth. One- and two-digit numbers stay (「30分待った」, 「2回目」): they say how the service
  went and identify nobody on their own; runs of four kanji digits or more (〇九〇一…) are masked;
- people's names: what SudachiPy's dictionary tags as a person's name (人名), any unknown or
  proper noun followed by an honorific (さん, 様, 氏, くん, ちゃん, 先生 …), and a capitalised
  word after Mr/Mrs/Ms/Dr in Latin script.
No library masks Japanese personal data; the tokeniser (the project's one Sudachi, core/sudachi.py)
does the part that needs a dictionary, and the rest is three regular expressions.

Limits (docs/insights.md says them too): a name written without an honorific that the dictionary
does not know, or an address's place names, are not found; staff read comments knowing that.
"""

import re
import unicodedata

from django.utils.translation import gettext as _

from madoguchi.core.sudachi import tokenizer

EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
# digits in groups joined by the separators people type in numbers (spaces, hyphens, dashes, dots,
# brackets, the long vowel mark a Japanese input method puts for a hyphen)
NUMBER = re.compile(r"\d+(?:[ \-‐‑–—−ー().\u3000/]{0,2}\d+)*")  # ja-only: the separators typed in numbers
KANJI_DIGITS = re.compile(r"[〇零一二三四五六七八九]{4,}")  # ja-only: digits written in kanji
LATIN_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Mx|Sr|Sra|Ông|Bà|Anh|Chị)\.?\s+([A-ZÀ-Ỹ][\w'\-]*(?:\s+[A-ZÀ-Ỹ][\w'\-]*)?)")
MIN_DIGITS = 3
HONORIFICS = {"さん", "様", "さま", "サマ", "氏", "くん", "君", "ちゃん", "先生", "殿", "係長", "課長", "主任"}  # ja-only: words after a name
# SudachiPy's part-of-speech tags (its dictionary's own Japanese names)
NOUN, PROPER_NOUN, SPACE = "名詞", "固有名詞", "空白"  # ja-only: SudachiPy's tags
PERSON_NAME = (NOUN, PROPER_NOUN, "人名")  # ja-only: SudachiPy's tag of a person's name


def _number_mark(match) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return _("［番号］") if digits >= MIN_DIGITS else match.group(0)


def _names(text: str) -> str:
    """The comment with each name token replaced; neighbouring name tokens become one mark."""
    tokens = list(tokenizer().tokenize(text))
    out, masked_before = [], False
    for index, token in enumerate(tokens):
        pos = token.part_of_speech()
        following = tokens[index + 1].surface() if index + 1 < len(tokens) else ""
        is_name = pos[:3] == PERSON_NAME or (
            following in HONORIFICS and pos[0] == NOUN and (pos[1] == PROPER_NOUN or token.is_oov()))
        if is_name:
            if not masked_before:
                out.append(_("［氏名］"))
            masked_before = True
            continue
        if masked_before and pos[0] == SPACE and index + 1 < len(tokens) \
                and tokens[index + 1].part_of_speech()[:3] == PERSON_NAME:
            continue  # the space between a given name and a family name
        masked_before = False
        out.append(token.surface())
    return "".join(out)


def mask(comment: str) -> str:
    """The comment as staff may read it."""
    if not comment:
        return ""
    text = unicodedata.normalize("NFKC", comment)
    text = EMAIL.sub(lambda _m: _("［メール］"), text)
    text = NUMBER.sub(_number_mark, text)
    text = KANJI_DIGITS.sub(lambda _m: _("［番号］"), text)
    text = LATIN_TITLE.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + _("［氏名］"), text)
    return _names(text)
