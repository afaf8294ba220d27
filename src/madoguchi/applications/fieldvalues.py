"""Turn what a resident typed into a clean value, or a plain Japanese message for the field."""

from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from madoguchi.catalog.schema import FieldType, FormField
from madoguchi.core import japanese as ja
from madoguchi.identity.card import mynumber


class FieldError(Exception):
    """A value the field cannot take; str() is the message shown next to the field."""


def required_message(field: FormField) -> str:
    if field.type in {FieldType.SELECT, FieldType.RADIO}:
        return f"{field.label}を選んでください"
    if field.type == FieldType.CHECKBOX:
        return f"{field.label}を確認してチェックを入れてください" if not field.options else f"{field.label}を1つ以上選んでください"
    if field.type == FieldType.FILE:
        return f"{field.label}を添付してください"
    return f"{field.label}を入力してください"


def _integer(text: str, field: FormField) -> int:
    cleaned = ja.normalize_kana(text).replace(",", "").replace("円", "").replace(" ", "").replace("\u3000", "")
    if not cleaned.lstrip("-").isdigit():
        return _fail("半角または全角の数字で入力してください")
    value = int(cleaned)
    if field.min_value is not None and value < field.min_value:
        _fail(f"{field.min_value}以上の数を入力してください")
    if field.max_value is not None and value > field.max_value:
        _fail(f"{field.max_value}以下の数を入力してください")
    return value


def _fail(message: str):
    raise FieldError(message)


def _text(text: str, field: FormField, default_max: int) -> str:
    value = text.strip()
    limit = field.max_length or default_max
    if len(value) > limit:
        _fail(f"{limit}文字以内で入力してください（いま{len(value)}文字）")
    if field.min_length and len(value) < field.min_length:
        _fail(f"{field.min_length}文字以上で入力してください")
    return value


def _date(text: str, field: FormField) -> str:
    try:
        value = ja.parse_date(text)
    except ja.JapaneseInputError as exc:
        raise FieldError(str(exc)) from None
    today = timezone.localdate()
    if field.date_min == "past" and value > today:
        _fail("今日より後の日付は入力できません")
    if field.date_min in {"future", "today"} and value < today:
        _fail("今日以降の日付を入力してください")
    return value.isoformat()


def _choice(value: str, field: FormField) -> str:
    if value not in {o.value for o in field.options}:
        _fail(f"{field.label}を一覧から選んでください")
    return value


def _japanese(func, text: str):
    try:
        return func(text)
    except ja.JapaneseInputError as exc:
        raise FieldError(str(exc)) from None


def _my_number(text: str) -> str:
    digits = ja.normalize_kana(text).replace("-", "").replace(" ", "").replace("\u3000", "")
    if len(digits) != 12 or not digits.isdigit():
        _fail("個人番号は12桁の数字で入力してください（通知カード・マイナンバーカードの裏面に記載）")
    if not mynumber.is_valid(digits):
        _fail("個人番号が正しくありません。12桁をもう一度確認してください")
    return digits


def mask_my_number(value: str) -> str:
    """Only the last four digits show: enough to check, not enough to misuse."""
    return "＊＊＊＊ ＊＊＊＊ " + value[-4:]


def _email(text: str) -> str:
    value = text.strip()
    try:
        validate_email(value)
    except ValidationError:
        _fail("メールアドレスの形式が正しくありません（例: taro@example.jp）")
    return value


def clean_scalar(field: FormField, raw):
    """Clean one non-file, non-group value that is present (not blank)."""
    t = field.type
    if t == FieldType.CHECKBOX:
        if field.options:
            allowed = {o.value for o in field.options}
            if any(v not in allowed for v in raw):
                _fail(f"{field.label}を一覧から選んでください")
            return [o.value for o in field.options if o.value in raw]
        return True
    text = str(raw)
    cleaners = {
        FieldType.TEXT: lambda: _text(text, field, 200),
        FieldType.ADDRESS: lambda: _text(text, field, 200),
        FieldType.TEXTAREA: lambda: _text(text, field, 2000),
        FieldType.NAME: lambda: _japanese(ja.clean_name, text),
        FieldType.KANA: lambda: _japanese(ja.validate_furigana, text),
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
    return cleaners[t]()


def display(field: FormField, value) -> str:
    """How a stored value reads on the 確認画面, the receipt and the case page."""
    if value is None or value == "" or value == []:
        return "（未入力）"
    t = field.type
    if t == FieldType.DATE:
        d = date.fromisoformat(value)
        return f"{ja.format_wareki(d)}（{d.year}年）"
    if t == FieldType.POSTAL_CODE:
        return "〒" + ja.format_postal_code(value)
    if t == FieldType.PHONE:
        return ja.format_phone(value)
    if t in {FieldType.SELECT, FieldType.RADIO}:
        return next((o.label for o in field.options if o.value == value), value)
    if t == FieldType.CHECKBOX:
        if not field.options:
            return "はい" if value else "いいえ"
        return "、".join(o.label for o in field.options if o.value in value)
    if t == FieldType.YEN:
        return f"{value:,}円"
    if t == FieldType.MY_NUMBER:
        return mask_my_number(value)
    if t == FieldType.FILE:
        return value.get("filename", "添付ファイル") if isinstance(value, dict) else "添付ファイル"
    return str(value)


def input_text(field: FormField, value) -> str:
    """The text to put back into an input when the page is shown again."""
    if value in (None, ""):
        return ""
    if field.type == FieldType.DATE:
        return ja.format_wareki(date.fromisoformat(value))
    if field.type == FieldType.POSTAL_CODE:
        return ja.format_postal_code(value)
    if field.type == FieldType.PHONE:
        return ja.format_phone(value)
    return str(value)
