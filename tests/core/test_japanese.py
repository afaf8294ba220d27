"""Kana and name helpers, and the public surface of madoguchi.core.japanese."""

import pathlib
import re
import string
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

import madoguchi.core.japanese as jp
from madoguchi.core.japanese import (
    JapaneseInputError,
    clean_name,
    kana_search_key,
    name_search_key,
    normalize_kana,
    to_hiragana,
    to_katakana,
    validate_furigana,
)

HIRAGANA = "".join(chr(c) for c in range(0x3041, 0x3097)) + "ゝゞー"
KATAKANA = "".join(chr(c) for c in range(0x30A1, 0x30FB)) + "ーヽヾ"
HALFWIDTH_KANA = "".join(chr(c) for c in range(0xFF61, 0xFFA0))
FULLWIDTH_ALNUM = "０１２３４５６７８９ＡＢＣＸＹＺａｂｃｘｙｚ"
SPACES = " \u3000\t"

# Characters that look alike but must never be swapped in a stored name.
TAKA = "\u9ad9"  # 髙
TATSUSAKI = "\ufa11"  # 﨑
TSUCHIYOSHI = "\U00020bb7"  # 𠮷
KAMI_COMPAT = "\ufa19"  # 神 compatibility ideograph; NFC turns it into U+795E


# --- public API --------------------------------------------------------------


def test_every_documented_name_is_exported():
    for name in jp.__all__:
        assert hasattr(jp, name), name


def test_error_is_a_value_error_with_the_message_as_str():
    err = JapaneseInputError("カタカナで入力してください")
    assert isinstance(err, ValueError)
    assert str(err) == "カタカナで入力してください"


def test_package_does_not_import_django():
    for path in pathlib.Path(jp.__path__[0]).glob("*.py"):
        assert not re.search(r"^\s*(from|import) django", path.read_text(), re.M), path


# --- to_katakana / to_hiragana ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("やまだ たろう", "ヤマダ タロウ"),
        ("ぁぃぅぇぉっゃゅょゎゕゖ", "ァィゥェォッャュョヮヵヶ"),
        ("ゔ", "ヴ"),
        ("ゝゞ", "ヽヾ"),
        ("ｶﾞｷﾞｸﾞﾊﾟﾋﾟｳﾞ", "ガギグパピヴ"),
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"),
        ("ｰ･", "ー・"),
        ("山田たろう1", "山田タロウ1"),
        ("か\u3099", "ガ"),  # decomposed (NFD) input, as pasted from macOS
        ("かﾞ", "ガ"),  # full-width kana followed by a half-width dakuten
        ("わ\u3099", "ヷ"),  # only the katakana has a precomposed form
    ],
)
def test_to_katakana(text, expected):
    assert to_katakana(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ヤマダ タロウ", "やまだ たろう"),
        ("ヴァイオリン", "ゔぁいおりん"),
        ("ｶﾞｯｺｳ", "がっこう"),
        ("ヽヾ", "ゝゞ"),
        ("ヷヸヹヺ", "ヷヸヹヺ"),  # no single hiragana exists, so they stay
        ("山田", "山田"),
    ],
)
def test_to_hiragana(text, expected):
    assert to_hiragana(text) == expected


@given(st.text(alphabet=HIRAGANA))
def test_hiragana_round_trips_through_katakana(text):
    assert to_hiragana(to_katakana(text)) == text


@given(st.text(alphabet=HIRAGANA, min_size=1))
def test_to_katakana_leaves_no_hiragana(text):
    assert not re.search(r"[\u3041-\u3096]", to_katakana(text))


# --- normalize_kana ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("やまだ　たろう", "ヤマダ\u3000タロウ"),
        ("  ﾔﾏﾀﾞ   ﾀﾛｳ  ", "ヤマダ\u3000タロウ"),
        ("ヤマダ \u3000 \t タロウ", "ヤマダ\u3000タロウ"),
        ("ＡＢＣ１２３ａｂｃ", "ABC123abc"),
        ("マンション１０１", "マンション101"),
        ("", ""),
        ("\u3000 ", ""),
    ],
)
def test_normalize_kana(text, expected):
    assert normalize_kana(text) == expected


MIXED = HIRAGANA + KATAKANA + HALFWIDTH_KANA + FULLWIDTH_ALNUM + SPACES + "山田abc1\u3099\u309a"


@given(st.text(alphabet=MIXED))
def test_normalize_kana_is_idempotent(text):
    once = normalize_kana(text)
    assert normalize_kana(once) == once


@given(st.text(alphabet=MIXED))
def test_normalize_kana_output_shape(text):
    out = normalize_kana(text)
    assert not re.search(
        r"[\u3041-\u3096\uff61-\uff9f\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]", out
    )
    assert out == out.strip()
    assert "  " not in out and "\u3000\u3000" not in out
    assert not re.search(r"[ \t]", out)


# --- validate_furigana -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ヤマダ　タロウ", "ヤマダ\u3000タロウ"),
        ("やまだ たろう", "ヤマダ\u3000タロウ"),
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ\u3000タロウ"),
        ("ヴィクトリア・ジョーンズ", "ヴィクトリア・ジョーンズ"),
        ("ササキ ヽヾ", "ササキ\u3000ヽヾ"),
        ("ッャュョヮヵヶ", "ッャュョヮヵヶ"),
    ],
)
def test_validate_furigana_accepts_and_normalises(text, expected):
    assert validate_furigana(text) == expected


@pytest.mark.parametrize("text", ["山田", "Yamada", "ヤマダ1", "ヤマダ。", "ヤマダ(タロウ)", "゛"])
def test_validate_furigana_rejects_non_kana(text):
    with pytest.raises(JapaneseInputError) as exc:
        validate_furigana(text)
    assert str(exc.value) == "フリガナはカタカナで入力してください"


@pytest.mark.parametrize("text", ["", "   ", "\u3000", None])
def test_validate_furigana_requires_input(text):
    with pytest.raises(JapaneseInputError) as exc:
        validate_furigana(text)
    assert str(exc.value) == "フリガナを入力してください"


KANA_WORDS = st.text(alphabet=HIRAGANA + KATAKANA + " \u3000", min_size=1).filter(str.strip)
KANJI = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
LATIN = st.sampled_from(string.ascii_letters + "ＡＢＣＺａｂｚ")


@given(KANA_WORDS)
def test_validate_furigana_accepts_any_kana(text):
    result = validate_furigana(text)
    assert re.fullmatch(r"[\u30a1-\u30fe\u3000]+", result)


@given(KANA_WORDS, st.one_of(KANJI, LATIN), st.data())
def test_validate_furigana_rejects_any_kanji_or_latin_letter(text, intruder, data):
    at = data.draw(st.integers(min_value=0, max_value=len(text)))
    with pytest.raises(JapaneseInputError, match="カタカナで入力してください"):
        validate_furigana(text[:at] + intruder + text[at:])


# --- kana_search_key ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("キョウコ", "キヨウコ"),
        ("きょうこ", "キヨウコ"),
        ("ｷｮｳｺ", "キヨウコ"),
        ("ヤマダ　タロウ", "ヤマダタロウ"),
        ("ジョン・スミス", "ジヨンスミス"),
        ("ヴァイオリン", "ヴアイオリン"),
        ("ショーン", "シヨーン"),
        ("ガッコウ", "ガツコウ"),
        ("ヵヶヮ", "カケワ"),
    ],
)
def test_kana_search_key(text, expected):
    assert kana_search_key(text) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [("ヤマダ タロウ", "やまだたろう"), ("キョウコ", "キヨウコ"), ("ｼﾞｮﾝ･ｽﾐｽ", "ジョン スミス")],
)
def test_kana_search_key_matches_spellings(a, b):
    assert kana_search_key(a) == kana_search_key(b)


@pytest.mark.parametrize(("a", "b"), [("カト", "ガト"), ("ハナ", "パナ"), ("ヴァ", "バ")])
def test_kana_search_key_keeps_voicing(a, b):
    assert kana_search_key(a) != kana_search_key(b)


@given(st.text(alphabet=MIXED))
def test_kana_search_key_is_stable(text):
    key = kana_search_key(text)
    assert kana_search_key(key) == key
    assert not re.search(r"[\u3000 ・ァィゥェォッャュョヮヵヶ]", key)


def test_kana_search_key_keeps_long_vowel_mark():
    assert kana_search_key("ユーコ") != kana_search_key("ユウコ")


# --- clean_name --------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        f"{TAKA}橋 一郎",
        f"山{TATSUSAKI} 花子",
        f"{TSUCHIYOSHI}田 太郎",
        f"{KAMI_COMPAT}田 八郎",
        "渡邉 邊 齋藤 齊藤 濵田 德川",
        "葛\U000e0100城",  # ideographic variation sequence
        "\ue000田",  # private-use gaiji must survive too
    ],
)
def test_clean_name_keeps_variant_kanji_exactly(name):
    expected = name.replace(" ", "\u3000")
    result = clean_name(name)
    assert result == expected
    assert [ord(c) for c in result] == [ord(c) for c in expected]


def test_clean_name_never_applies_unicode_normalisation():
    assert unicodedata.normalize("NFC", KAMI_COMPAT) != KAMI_COMPAT  # the trap is real
    assert clean_name(KAMI_COMPAT) == KAMI_COMPAT
    assert clean_name("ｶﾞ") == "ｶﾞ"  # not NFKC either


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  山田 太郎  ", "山田\u3000太郎"),
        ("山田\u3000\u3000太郎", "山田\u3000太郎"),
        ("山田 \u3000\u00a0 太郎\n", "山田\u3000太郎"),
        ("John  Smith", "John\u3000Smith"),
    ],
)
def test_clean_name_trims_and_collapses_spaces(text, expected):
    assert clean_name(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "\u3000", "\n", None])
def test_clean_name_requires_input(text):
    with pytest.raises(JapaneseInputError) as exc:
        clean_name(text)
    assert str(exc.value) == "氏名を入力してください"


@pytest.mark.parametrize(
    "text", ["山田\x00太郎", "山田\x07", "山田\t太郎", "山田\n太郎", "\u202e山田"]
)
def test_clean_name_rejects_control_characters(text):
    with pytest.raises(JapaneseInputError, match="使えない文字"):
        clean_name(text)


def test_clean_name_length_limit_counts_characters_not_bytes():
    assert clean_name(TSUCHIYOSHI * 50) == TSUCHIYOSHI * 50
    with pytest.raises(JapaneseInputError) as exc:
        clean_name("山" * 51)
    assert str(exc.value) == "氏名は50文字以内で入力してください"


NAME_CHARS = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.characters(min_codepoint=0xF900, max_codepoint=0xFAFF),
    st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),
    st.sampled_from([TAKA, TATSUSAKI, TSUCHIYOSHI, KAMI_COMPAT]),
)


@given(st.text(alphabet=NAME_CHARS, min_size=1, max_size=50))
def test_clean_name_returns_kanji_names_unchanged(name):
    assert clean_name(name) == name


# --- name_search_key ---------------------------------------------------------


@pytest.mark.parametrize(
    ("variant", "standard"),
    [
        (f"{TAKA}橋", "高橋"),
        (f"山{TATSUSAKI}", "山崎"),
        ("山嵜", "山崎"),
        ("渡邉", "渡辺"),
        ("渡邊", "渡辺"),
        ("齋藤", "斉藤"),
        ("齊藤", "斉藤"),
        ("斎藤", "斉藤"),
        ("濵田", "浜田"),
        ("濱田", "浜田"),
        ("德川", "徳川"),
        (f"{TSUCHIYOSHI}田", "吉田"),
        ("\ufa10本", "塚本"),
        ("澤田", "沢田"),
        ("櫻井", "桜井"),
        ("國分", "国分"),
        ("廣瀬", "広瀬"),
        ("小嶋", "小島"),
        ("眞鍋", "真鍋"),
        ("冨田", "富田"),
        ("黑田", "黒田"),
        (f"{KAMI_COMPAT}田", "神田"),
        ("葛\U000e0100城", "葛城"),
    ],
)
def test_name_search_key_folds_variants(variant, standard):
    assert name_search_key(variant) == name_search_key(standard) == standard


def test_name_search_key_removes_spaces():
    assert name_search_key(f" {TAKA}橋　 一郎 ") == "高橋一郎"


def test_name_search_key_variant_table_is_big_enough_and_sound():
    from madoguchi.core.japanese.names import _VARIANTS

    assert len(_VARIANTS) >= 20
    for variant, standard in _VARIANTS.items():
        assert variant != standard
        assert len(standard) == 1
        assert _VARIANTS.get(standard) is None, f"{standard} would need a second pass"
