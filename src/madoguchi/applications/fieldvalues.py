"""Turn what a resident typed into a clean value, or a plain Japanese message for the field.

Every message names its field (「口座番号は7文字で入力してください」, never a bare 「7文字以上で…」):
the error summary at the top of a step lists messages away from their fields, and the API
returns them as they are, so each must read on its own. `named` is the one place that makes
sure of it, for the messages written here and for those of the shared Japanese cleaners.

These are the one set of rules for every way answers arrive: the form pages (`engine.read_step`)
and the API (`engine.validate_answers`, through `from_json`) call the same cleaner per field, so
what either accepts is a value `display` can show.
"""

import re
from datetime import date

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy, pgettext
from django.utils.translation import gettext as _

from madoguchi.catalog.schema import FieldType, FormField
from madoguchi.core import japanese as ja
from madoguchi.core.email_address import InvalidEmailAddress, normalize_email
from madoguchi.core.i18n import is_japanese
from madoguchi.core.text import LINE_BREAKS, has_unreadable_characters
from madoguchi.identity.card import mynumber


class FieldError(Exception):
    """A value the field cannot take; str() is the message shown next to the field."""


# The generic nouns the shared cleaners (core.japanese, core.email_address) begin their messages
# with; on a form, the field's own label takes their place (「氏名を…」 → 「届出人の氏名を…」).
_GENERIC_SUBJECTS = (gettext_lazy("メールアドレス"), gettext_lazy("電話番号"), gettext_lazy("郵便番号"),
                     gettext_lazy("フリガナ"), gettext_lazy("個人番号"), gettext_lazy("氏名"), gettext_lazy("日付"))


def named(field: FormField, message: str) -> str:
    """The message with the field's label as its subject: kept when it already starts with the
    label (or with the noun the label starts with), the shared cleaners' generic noun replaced
    by the label, otherwise the label first."""
    label = str(field.label)
    if message.startswith(label):
        return message
    for noun in map(str, _GENERIC_SUBJECTS):
        if message.startswith(noun):
            # 「個人番号（マイナンバー）」 is named by 「個人番号が…」 already; 「お子さんの個人番号」 is not.
            return message if label.startswith(noun) else label + message[len(noun):]
    # Translators: a field label, then a message about its value.
    return _("%(label)s：%(message)s") % {"label": label, "message": message}


def required_message(field: FormField) -> str:
    if field.type in {FieldType.SELECT, FieldType.RADIO}:
        return _("%(label)sを選んでください") % {"label": field.label}
    if field.type == FieldType.CHECKBOX:
        if not field.options:
            return _("%(label)sを確認してチェックを入れてください") % {"label": field.label}
        return _("%(label)sを1つ以上選んでください") % {"label": field.label}
    if field.type == FieldType.FILE:
        return _("%(label)sを添付してください") % {"label": field.label}
    return _("%(label)sを入力してください") % {"label": field.label}


# Limits for fields whose definition sets none (docs/api.md lists them).
DEFAULT_MAX_LENGTH = {FieldType.TEXT: 200, FieldType.ADDRESS: 200, FieldType.TEXTAREA: 2000,
                      FieldType.KANA: 100}
MAX_DIGITS = 12  # numbers and yen without max_value: up to 999,999,999,999
MAX_INPUT = 10_000  # no field takes more; longer input is refused before any cleaning
_INTEGER = re.compile(r"-?[0-9]+")
LATEST_YEAR_AHEAD = 100  # dates at most this many years after today


def _integer(text: str, field: FormField) -> int:
    """Digits as a person types them: half or full width, with 円 and thousands commas. Only
    0-9 after folding the full-width digits: 「²」 and 「①」 are not amounts a person means,
    and `int()` would refuse or misread them."""
    cleaned = ja.normalize_kana(text).replace(",", "").replace("，", "").replace("円", "").replace(" ", "").replace("\u3000", "")  # ja-only: input characters
    if not _INTEGER.fullmatch(cleaned):
        return _fail(_("%(label)sは数字で入力してください") % {"label": field.label})
    if len(cleaned.lstrip("-")) > MAX_DIGITS and field.max_value is None:
        return _fail(_("%(label)sは%(n)s桁以内の数で入力してください") % {"label": field.label, "n": MAX_DIGITS})
    value = int(cleaned)
    if field.min_value is not None and value < field.min_value:
        _fail(_("%(label)sは%(n)s以上の数で入力してください") % {"label": field.label, "n": field.min_value})
    if field.max_value is not None and value > field.max_value:
        _fail(_("%(label)sは%(n)s以下の数で入力してください") % {"label": field.label, "n": field.max_value})
    return value


def _fail(message: str):
    raise FieldError(message)


_WIDE_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")  # ja-only: full-width digits


def _digits(value: str, field: FormField) -> str:
    """A number written as text (口座番号: leading zeros matter, so not a number field): full-width
    digits are taken as typed on a Japanese keyboard."""
    value = value.translate(_WIDE_DIGITS)
    if not (value.isascii() and value.isdigit()):
        _fail(_("%(label)sは数字だけで入力してください") % {"label": field.label})
    return value


def _text(text: str, field: FormField, default_max: int) -> str:
    """A text's length rules, said in 文字, or in 桁 of digits for a digits field."""
    value = _digits(text.strip(), field) if field.digits else text.strip()
    limit, now = field.max_length or default_max, len(value)
    if field.digits:
        exact = _("%(label)sは%(n)s桁の数字で入力してください（いま%(now)s桁）")
        longest = _("%(label)sは%(n)s桁以内の数字で入力してください（いま%(now)s桁）")
        shortest = _("%(label)sは%(n)s桁以上の数字で入力してください（いま%(now)s桁）")
    else:
        exact = _("%(label)sは%(n)s文字で入力してください（いま%(now)s文字）")
        longest = _("%(label)sは%(n)s文字以内で入力してください（いま%(now)s文字）")
        shortest = _("%(label)sは%(n)s文字以上で入力してください（いま%(now)s文字）")
    if field.min_length == limit and now != limit:
        _fail(exact % {"label": field.label, "n": limit, "now": now})
    if now > limit:
        _fail(longest % {"label": field.label, "n": limit, "now": now})
    if field.min_length and now < field.min_length:
        _fail(shortest % {"label": field.label, "n": field.min_length, "now": now})
    return value


def _date(text: str, field: FormField) -> str:
    try:
        value = ja.parse_date(text)
    except ja.JapaneseInputError as exc:
        raise FieldError(str(exc)) from None
    try:
        ja.to_wareki(value)  # the pages show every date in 和暦 too
    except ja.JapaneseInputError as exc:
        raise FieldError(str(exc)) from None
    today = timezone.localdate()
    if value.year > today.year + LATEST_YEAR_AHEAD:
        _fail(_("%(label)sに%(year)s年より後の日付は入力できません")
              % {"label": field.label, "year": today.year + LATEST_YEAR_AHEAD})
    if field.date_min == "past" and value > today:
        _fail(_("%(label)sに今日より後の日付は入力できません") % {"label": field.label})
    if field.date_min in {"future", "today"} and value < today:
        _fail(_("%(label)sは今日以降の日付を入力してください") % {"label": field.label})
    return value.isoformat()


def _choice(value: str, field: FormField) -> str:
    if value not in {o.value for o in field.options}:
        _fail(_("%(label)sを一覧から選んでください") % {"label": field.label})
    return value


def _japanese(func, text: str):
    try:
        return func(text)
    except ja.JapaneseInputError as exc:
        raise FieldError(str(exc)) from None


def _my_number(text: str) -> str:
    digits = ja.normalize_kana(text).replace("-", "").replace(" ", "").replace("\u3000", "")  # ja-only: input
    if len(digits) != 12 or not digits.isdigit():
        _fail(_("個人番号は12桁の数字で入力してください（通知カード・マイナンバーカードの裏面に記載）"))
    if not mynumber.is_valid(digits):
        _fail(_("個人番号が正しくありません。12桁をもう一度確認してください"))
    return digits


def mask_my_number(value: str) -> str:
    """Only the last four digits show: enough to check, not enough to misuse."""
    return "＊＊＊＊ ＊＊＊＊ " + value[-4:]  # ja-only: mask characters, not words


def _email(text: str) -> str:
    """The one rule for addresses (core.email_address), as logins and the queue's notices use."""
    try:
        return normalize_email(text)
    except InvalidEmailAddress as exc:
        _fail(str(exc).rstrip("。."))  # ja-only: a sentence's full stop


def _readable(text: str, field: FormField) -> str:
    """Refuse what no person types and what breaks storage or a PDF: lone surrogates (they
    cannot be encoded), NUL and other control characters (a textarea keeps its line breaks),
    and input far beyond any field's limit (refused before the heavier cleaners run)."""
    if len(text) > MAX_INPUT:
        _fail(_("%(label)sが長すぎます（%(n)s文字を超えています）") % {"label": field.label, "n": MAX_INPUT})
    allowed = LINE_BREAKS if field.type == FieldType.TEXTAREA else ""
    if has_unreadable_characters(text, allowed):
        _fail(_("%(label)sに使えない文字（制御文字など）が含まれています") % {"label": field.label})
    return text


def clean_scalar(field: FormField, raw):
    """Clean one non-file, non-group value that is present (not blank)."""
    t = field.type
    if t == FieldType.CHECKBOX:
        if field.options:
            allowed = {o.value for o in field.options}
            if any(v not in allowed for v in raw):
                _fail(_("%(label)sを一覧から選んでください") % {"label": field.label})
            return [o.value for o in field.options if o.value in raw]
        return True
    text = _readable(str(raw), field)
    cleaners = {
        FieldType.TEXT: lambda: _text(text, field, DEFAULT_MAX_LENGTH[t]),
        FieldType.ADDRESS: lambda: _text(text, field, DEFAULT_MAX_LENGTH[t]),
        FieldType.TEXTAREA: lambda: _text(text, field, DEFAULT_MAX_LENGTH[t]),
        FieldType.NAME: lambda: _japanese(ja.clean_name, text),
        FieldType.KANA: lambda: _text(_japanese(ja.validate_furigana, text), field,
                                      DEFAULT_MAX_LENGTH[t]),
        FieldType.DATE: lambda: _date(text, field),
        FieldType.POSTAL_CODE: lambda: _japanese(ja.normalize_postal_code, text),
        FieldType.PHONE: lambda: _japanese(ja.validate_phone, text),
        FieldType.EMAIL: lambda: _email(text),
        FieldType.MY_NUMBER: lambda: _my_number(text),
        FieldType.SELECT: lambda: _choice(text, field),
        FieldType.RADIO: lambda: _choice(text, field),
        FieldType.NUMBER: lambda: _integer(text, field),
        FieldType.YEN: lambda: _integer(text, field),
    }
    try:
        return cleaners[t]()
    except FieldError as exc:
        raise FieldError(named(field, str(exc))) from None


_JSON_KINDS = {FieldType.NUMBER: (int, str), FieldType.YEN: (int, str)}


def from_json(field: FormField, value):
    """Clean a value an API client sent for a non-file, non-group field: the JSON type the form
    definition implies (text as a string, a number as an integer or digits, ticked options as
    a list of option values, a single checkbox as true/false), then the same cleaner as the
    form pages. Returns None for a value that means "not answered"."""
    if field.type == FieldType.CHECKBOX and not field.options:
        if not isinstance(value, bool):
            _fail(_("%(label)sは true か false で送ってください") % {"label": field.label})
        return True if value else None
    if field.type == FieldType.CHECKBOX:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            _fail(_("%(label)sは選んだ選択肢の値のリストで送ってください") % {"label": field.label})
        return clean_scalar(field, value) if value else None
    kinds = _JSON_KINDS.get(field.type, (str,))
    if isinstance(value, bool) or not isinstance(value, kinds):
        if int in kinds:
            _fail(_("%(label)sは整数か数字の文字列で送ってください") % {"label": field.label})
        _fail(_("%(label)sは文字列で送ってください") % {"label": field.label})
    if isinstance(value, str) and not value.strip():
        return None
    return clean_scalar(field, value)


def display(field: FormField, value) -> str:
    """How a stored value reads on the 確認画面, the receipt and the case page. A value that does
    not have its field's shape (stored before the API shared these rules) reads as stored
    rather than breaking the page."""
    if value is None or value == "" or value == []:
        return _("（未入力）")
    try:
        return _display(field, value)
    except (ValueError, TypeError, AttributeError, ja.JapaneseInputError):
        return str(value)


def _display(field: FormField, value) -> str:
    t = field.type
    if t == FieldType.DATE:
        d = date.fromisoformat(value)
        if not is_japanese(get_language() or "ja"):
            return date_format(d, "DATE_FORMAT")
        return f"{ja.format_wareki(d)}（{d.year}年）"  # ja-only: 和暦 is shown in Japanese only
    if t == FieldType.POSTAL_CODE:
        return "〒" + ja.format_postal_code(value)  # ja-only: the postal mark, as on an envelope
    if t == FieldType.PHONE:
        return ja.format_phone(value)
    if t in {FieldType.SELECT, FieldType.RADIO}:
        return next((o.label for o in field.options if o.value == value), value)
    if t == FieldType.CHECKBOX:
        if not field.options:
            return pgettext("checkbox answer", "はい") if value else pgettext("checkbox answer", "いいえ")
        return _("、").join(str(o.label) for o in field.options if o.value in value)
    if t == FieldType.YEN:
        return _("%(amount)s円") % {"amount": f"{value:,}"}
    if t == FieldType.MY_NUMBER:
        return mask_my_number(value)
    if t == FieldType.FILE:
        return value.get("filename", _("添付ファイル")) if isinstance(value, dict) else _("添付ファイル")
    return str(value)


def input_text(field: FormField, value) -> str:
    """The text to put back into an input when the page is shown again (a value without its
    field's shape, as stored)."""
    if value in (None, ""):
        return ""
    try:
        return _input_text(field, value)
    except (ValueError, TypeError, ja.JapaneseInputError):
        return str(value)


def _input_text(field: FormField, value) -> str:
    if field.type == FieldType.DATE:
        return ja.format_wareki(date.fromisoformat(value))
    if field.type == FieldType.POSTAL_CODE:
        return ja.format_postal_code(value)
    if field.type == FieldType.PHONE:
        return ja.format_phone(value)
    return str(value)
