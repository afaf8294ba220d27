"""Personal data masked in a comment: numbers, e-mail addresses and people's names."""

import pytest
from django.utils import translation

from madoguchi.feedback.masking import mask


@pytest.fixture(autouse=True)
def _japanese():
    with translation.override("ja"):
        yield


NUMBER, EMAIL, NAME = "［番号］", "［メール］", "［氏名］"


@pytest.mark.parametrize("comment, hidden", [
    ("電話は090-1234-5678です", "090"),
    ("０９０－１２３４－５６７８に電話ください", "１２３４"),  # full-width, as a Japanese keyboard types
    ("〒892-0816 に住んでいます", "0816"),
    ("マイナンバーは1234 5678 9018", "9018"),
    ("受付番号 20261204001 の件", "20261204001"),
    ("昭和60年生まれ、1985年です", "1985"),
    ("番号は〇九〇一二三四五六七八", "〇九〇一"),
])
def test_numbers_of_three_digits_or_more_are_masked(comment, hidden):
    shown = mask(comment)
    assert hidden not in shown and NUMBER in shown


@pytest.mark.parametrize("comment", ["30分待ちました", "2回目の申請です", "5つ星"])
def test_short_numbers_that_say_how_it_went_stay(comment):
    assert mask(comment) == comment


@pytest.mark.parametrize("comment, hidden", [
    ("連絡はhanako.yamada+city@example.co.jpまで", "hanako"),
    ("メール：ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "example"),
])
def test_email_addresses_are_masked(comment, hidden):
    shown = mask(comment)
    assert hidden not in shown.lower() and EMAIL in shown


@pytest.mark.parametrize("comment, hidden", [
    ("田中さんがとても親切でした", "田中"),
    ("窓口の佐々木様の説明が分かりやすかった", "佐々木"),
    ("山田太郎です。よろしく", "太郎"),
    ("グエンさんに助けてもらった", "グエン"),
    ("高橋は対応が遅い", "高橋"),
    ("Mr Brown was very kind", "Brown"),
    ("ミドリカワさんに助けてもらった", "ミドリカワ"),
])
def test_peoples_names_are_masked(comment, hidden):
    shown = mask(comment)
    assert hidden not in shown and NAME in shown


def test_a_full_name_is_one_mark():
    assert mask("山田 太郎です") == f"{NAME}です"


@pytest.mark.parametrize("comment", ["職員さんが親切でした", "市役所の窓口は分かりやすい", "Very easy to use",
                                     "Rất dễ dùng", ""])
def test_a_comment_without_personal_data_reads_as_written(comment):
    assert mask(comment) == comment


def test_everything_together():
    shown = mask("鈴木さん（090-1111-2222、suzuki@example.jp）に30分で対応してもらいました")
    assert "鈴木" not in shown and "1111" not in shown and "suzuki" not in shown
    assert "30分" in shown and "対応してもらいました" in shown
