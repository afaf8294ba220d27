"""Telephone numbers."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.core.japanese import (
    JapaneseInputError,
    format_phone,
    normalize_phone,
    validate_phone,
)

INVALID = "電話番号は市外局番から入力してください（例: 099-224-1111）"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("099-224-1111", "0992241111"),
        ("099 224 1111", "0992241111"),
        ("(099)224-1111", "0992241111"),
        ("０９９（２２４）１１１１", "0992241111"),
        ("０９９－２２４－１１１１", "0992241111"),
        ("090ー1234ー5678", "09012345678"),
        ("+81 90-1234-5678", "09012345678"),
        ("+819012345678", "09012345678"),
        ("+81 (0)3-1234-5678", "0312345678"),
        ("＋８１ ９９ ２２４ １１１１", "0992241111"),
    ],
)
def test_normalize_phone(text, expected):
    assert normalize_phone(text) == expected


@pytest.mark.parametrize("text", ["099-224-111a", "tel:0992241111", "+1 555 123 4567", "81#"])
def test_normalize_phone_rejects_other_characters(text):
    with pytest.raises(JapaneseInputError) as exc:
        normalize_phone(text)
    assert str(exc.value) == INVALID


@pytest.mark.parametrize("text", ["", "  ", "--", None])
def test_phone_is_required(text):
    with pytest.raises(JapaneseInputError) as exc:
        validate_phone(text)
    assert str(exc.value) == "電話番号を入力してください"


@pytest.mark.parametrize(
    "text",
    [
        "090-1234-5678",  # mobile
        "080-1234-5678",
        "070-1234-5678",
        "050-1234-5678",  # IP phone
        "099-224-1111",  # fixed line, 鹿児島
        "03-1234-5678",
        "0422-12-3456",
        "04992-2-1234",
        "0120-123-456",  # free dial
        "0800-123-4567",
        "0570-123-456",  # navi dial
    ],
)
def test_validate_phone_accepts_japanese_numbers(text):
    assert validate_phone(text) == text.replace("-", "")


@pytest.mark.parametrize(
    "text",
    [
        "224-1111",  # no area code
        "2241111",
        "110",
        "090-1234-567",  # mobile one digit short
        "090-1234-56789",
        "99-224-1111",  # missing leading 0
        "0992-241-1111",  # fixed lines have 10 digits
        "003-1234-5678",  # second digit 0
        "010-1234-567",  # 0X0 service prefixes are not area codes
        "020-1234-5678",
        "060-1234-5678",
        "030-123-4567",
        "0120-123-4567",  # free dial is 10 digits
        "0570-123-4567",
    ],
)
def test_validate_phone_rejects(text):
    with pytest.raises(JapaneseInputError) as exc:
        validate_phone(text)
    assert str(exc.value) == INVALID


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09012345678", "090-1234-5678"),
        ("+81 80 1234 5678", "080-1234-5678"),
        ("05012345678", "050-1234-5678"),
        ("0120123456", "0120-123-456"),
        ("08001234567", "0800-123-4567"),  # not a mobile despite starting with 080
        ("0570123456", "0570-123-456"),
        ("0312345678", "03-1234-5678"),
        ("0612345678", "06-1234-5678"),
        ("0992241111", "099-224-1111"),
        ("0521234567", "052-123-4567"),
        ("0993221234", "0993-22-1234"),  # 指宿: 4-digit code wins over 099
        ("0422123456", "0422-12-3456"),
        ("0499221234", "04992-2-1234"),
    ],
)
def test_format_phone(text, expected):
    assert format_phone(text) == expected


def test_format_phone_validates_first():
    with pytest.raises(JapaneseInputError, match="市外局番から"):
        format_phone("224-1111")


MOBILE = st.builds(
    lambda p, rest: p + rest,
    st.sampled_from(["050", "070", "080", "090"]),
    st.text(alphabet="0123456789", min_size=8, max_size=8),
)
FIXED = st.builds(
    lambda a, b, rest: "0" + a + b + rest,
    st.sampled_from("123456789"),
    st.sampled_from("123456789"),
    st.text(alphabet="0123456789", min_size=7, max_size=7),
)


@given(st.one_of(MOBILE, FIXED))
def test_formatted_numbers_validate_back_to_the_same_digits(digits):
    formatted = format_phone(digits)
    assert validate_phone(formatted) == digits
    assert formatted.replace("-", "") == digits
    assert formatted.count("-") == 2
    assert all(formatted.split("-"))


@given(st.one_of(MOBILE, FIXED))
def test_international_form_is_accepted(digits):
    assert validate_phone("+81 " + digits[1:]) == digits
