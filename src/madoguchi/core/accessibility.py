"""The accessibility test published on the site (アクセシビリティ方針, 試験結果).

JIS X 8341-3:2016 level AA, tested after WAIC's 「JIS X 8341-3:2016 試験実施ガイドライン」: the
pages chosen, every success criterion of levels A and AA with its result (適合, 非適合, 適用なし),
how it was checked, the tools and the date. The results are what was checked, no more: where a
manual check with a real screen reader was not done, the criterion says so and the whole is
「一部準拠」, not 「準拠」.

Kept here (not in the template) so that a test can see that every criterion is listed once and
each result is one of the three words."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

STANDARD = "JIS X 8341-3:2016"
TARGET_LEVEL = "AA"
TEST_DATE = "2026-12"
AXE_CORE_VERSION = "4.12.1"  # tests/browser: axe-playwright-python 0.1.8 ships axe-core 4.12.1
BROWSER = "Chromium 156 (Debian 12), Playwright"

PASS, FAIL, NOT_APPLICABLE = "pass", "fail", "not-applicable"
RESULTS = {
    PASS: pgettext_lazy("accessibility result", "適合"),
    FAIL: pgettext_lazy("accessibility result", "非適合"),
    NOT_APPLICABLE: pgettext_lazy("accessibility result", "適用なし"),
}

AUTOMATED, KEYBOARD, LOGIC, REVIEW = "automated", "keyboard", "logic", "review"
METHODS = {
    # Translators: how a criterion was checked: axe-core in the browser tests.
    AUTOMATED: _("自動試験（axe-core）"),
    # Translators: how a criterion was checked: using the page with the keyboard only.
    KEYBOARD: _("キーボード操作"),
    # Translators: how a criterion was checked: what a screen reader is given (names, roles,
    # reading order, language), read from the accessibility tree, not with a real screen reader.
    LOGIC: _("読み上げ内容の確認（アクセシビリティツリー）"),
    # Translators: how a criterion was checked: a person read the pages and their source.
    REVIEW: _("目視とソースの確認"),
}


@dataclass(frozen=True)
class Criterion:
    number: str
    level: str
    name: str
    result: str
    methods: tuple[str, ...]
    note: str = ""
    partial: bool = False  # the manual part of the check is not complete (see the note)

    @property
    def result_label(self) -> str:
        return RESULTS[self.result]

    @property
    def method_labels(self) -> list[str]:
        return [METHODS[m] for m in self.methods]


A, AA = "A", "AA"
_ALL = (AUTOMATED, KEYBOARD, LOGIC, REVIEW)

CRITERIA = (
    Criterion("1.1.1", A, _("非テキストコンテンツ"), PASS, (AUTOMATED, LOGIC, REVIEW),
              _("画像と QR コードに代替テキストがあります。飾りの画像は読み上げられません。スクリーンリーダーの実機での確認は、まだ行っていません。"),
              partial=True),
    Criterion("1.2.1", A, _("音声のみ及び映像のみ（収録済み）"), NOT_APPLICABLE, (REVIEW,),
              _("音声や動画はありません。")),
    Criterion("1.2.2", A, _("キャプション（収録済み）"), NOT_APPLICABLE, (REVIEW,), _("音声や動画はありません。")),
    Criterion("1.2.3", A, _("音声解説、又はメディアに対する代替（収録済み）"), NOT_APPLICABLE, (REVIEW,),
              _("音声や動画はありません。")),
    Criterion("1.2.4", AA, _("キャプション（ライブ）"), NOT_APPLICABLE, (REVIEW,), _("音声や動画はありません。")),
    Criterion("1.2.5", AA, _("音声解説（収録済み）"), NOT_APPLICABLE, (REVIEW,), _("音声や動画はありません。")),
    Criterion("1.3.1", A, _("情報及び関係性"), PASS, (AUTOMATED, LOGIC, REVIEW),
              _("見出し、リスト、表、入力欄のラベルとグループを HTML の要素で示しています。")),
    Criterion("1.3.2", A, _("意味のある順序"), PASS, (KEYBOARD, LOGIC),
              _("読み上げの順序（HTML の順序）は見た目の順序と同じです。スクリーンリーダーの実機での確認は、まだ行っていません。"),
              partial=True),
    Criterion("1.3.3", A, _("感覚的な特徴"), PASS, (REVIEW,),
              _("説明は色や位置だけに頼らず、ボタンの名前で示しています。")),
    Criterion("1.4.1", A, _("色の使用"), PASS, (AUTOMATED, REVIEW),
              _("エラーや必須の印は、色のほかに文字でも示しています。")),
    Criterion("1.4.2", A, _("音声の制御"), NOT_APPLICABLE, (REVIEW,),
              _("自動で鳴る音はありません。「読み上げ」は押したときだけ話し、もう一度押すと止まります。")),
    Criterion("1.4.3", AA, _("コントラスト（最低限レベル）"), PASS, (AUTOMATED,),
              _("文字と背景のコントラスト比は 4.5:1 以上です。高いコントラストの表示も選べます。")),
    Criterion("1.4.4", AA, _("テキストのサイズ変更"), PASS, (AUTOMATED, REVIEW),
              _("「文字を大きく」を選ぶと、幅 320 px でも横にスクロールせずに読めます（ブラウザ試験で確認）。")),
    Criterion("1.4.5", AA, _("文字画像"), PASS, (REVIEW,), _("文字は画像ではなくテキストで表示しています。")),
    Criterion("2.1.1", A, _("キーボード"), PASS, (KEYBOARD,),
              _("操作はすべて標準の HTML 要素（リンク、ボタン、入力欄）です。表示の設定と言語の選択はキーボードだけで操作できることを試験で確認しました。申請の全ステップをキーボードだけで通す確認は、まだ終わっていません。"),
              partial=True),
    Criterion("2.1.2", A, _("キーボードトラップなし"), PASS, (KEYBOARD,),
              _("フォーカスを閉じ込める部品は使っていません。全ページをキーボードで通す確認は、まだ終わっていません。"),
              partial=True),
    Criterion("2.2.1", A, _("タイミング調整可能"), PASS, (KEYBOARD, REVIEW),
              _("ログインの時間が切れる前に知らせ、「続ける」で延長できます。入力した内容は一時保存されます。")),
    Criterion("2.2.2", A, _("一時停止、停止及び非表示"), PASS, (REVIEW,),
              _("自動で動く表示はありません。窓口の呼出画面の自動更新は、職員が設置する表示用の画面だけです。")),
    Criterion("2.3.1", A, _("3回のせん（閃）光、又はしきい（閾）値以下"), PASS, (REVIEW,),
              _("点滅する表示はありません。")),
    Criterion("2.4.1", A, _("ブロックスキップ"), PASS, (AUTOMATED, KEYBOARD),
              _("各ページの先頭に「本文へ移動」のリンクがあります。")),
    Criterion("2.4.2", A, _("ページタイトル"), PASS, (AUTOMATED, REVIEW), _("各ページに内容を表すタイトルがあります。")),
    Criterion("2.4.3", A, _("フォーカス順序"), PASS, (KEYBOARD,),
              _("フォーカスの順序は HTML の順序と同じです。入力の誤りがあったときは、誤りの一覧にフォーカスが移ります。"),
              partial=True),
    Criterion("2.4.4", A, _("リンクの目的（コンテキスト内）"), PASS, (AUTOMATED, REVIEW),
              _("リンクの文字だけで行き先がわかるようにしています。")),
    Criterion("2.4.5", AA, _("複数の手段"), PASS, (REVIEW,),
              _("手続は、ことばの検索、できごと、分野、手続ナビからさがせます。")),
    Criterion("2.4.6", AA, _("見出し及びラベル"), PASS, (AUTOMATED, LOGIC, REVIEW),
              _("見出しと入力欄のラベルは内容を表しています。翻訳の見直しは市が行います。")),
    Criterion("2.4.7", AA, _("フォーカスの可視化"), PASS, (KEYBOARD,),
              _("フォーカスのある場所は黄色と黒の太い枠で示します。")),
    Criterion("3.1.1", A, _("ページの言語"), PASS, (AUTOMATED,),
              _("ページの言語を html 要素の lang 属性で示しています（7 言語）。")),
    Criterion("3.1.2", AA, _("一部分の言語"), PASS, (AUTOMATED, LOGIC),
              _("翻訳がなく日本語のまま表示する部分と、言語の選択肢には、その言語を lang 属性で示しています。")),
    Criterion("3.2.1", A, _("フォーカス時"), PASS, (KEYBOARD,),
              _("フォーカスが移っただけで画面が変わる仕組みは使っていません。")),
    Criterion("3.2.2", A, _("入力時"), PASS, (KEYBOARD,),
              _("選択しただけでページが移ることはありません。言語や表示の変更はリンクかボタンで行います。")),
    Criterion("3.2.3", AA, _("一貫したナビゲーション"), PASS, (REVIEW,),
              _("メニュー、言語の選択、表示の設定は、どのページでも同じ場所にあります。")),
    Criterion("3.2.4", AA, _("一貫した識別性"), PASS, (REVIEW,), _("同じ働きのものには同じ名前を付けています。")),
    Criterion("3.3.1", A, _("エラーの特定"), PASS, (AUTOMATED, KEYBOARD, LOGIC),
              _("誤りのある入力欄と、誤りの内容を文字で示しています。")),
    Criterion("3.3.2", A, _("ラベル又は説明"), PASS, (AUTOMATED, LOGIC),
              _("入力欄にはラベルがあり、書き方の例を示しています。")),
    Criterion("3.3.3", AA, _("エラー修正の提案"), PASS, (REVIEW,),
              _("誤りの内容と、正しい書き方を示しています。")),
    Criterion("3.3.4", AA, _("エラー回避（法的、金融及びデータ）"), PASS, (KEYBOARD, REVIEW),
              _("申請と支払いの前に確認画面があり、内容を直せます。")),
    Criterion("4.1.1", A, _("構文解析"), PASS, (AUTOMATED,),
              _("HTML の id の重複や要素の入れ子の誤りがないことを確認しました。")),
    Criterion("4.1.2", A, _("名前（name）・役割（role）及び値（value）"), PASS, (AUTOMATED, LOGIC),
              _("ボタン、リンク、入力欄に名前があり、標準の HTML 要素を使っています。スクリーンリーダーの実機での確認は、まだ行っていません。"),
              partial=True),
)

# The pages tested (WAIC: ウェブページ一式を代表するウェブページを選択する), each in seven languages.
PAGES = (
    ("/", _("手続をさがす（トップページ）")),
    ("/?all=1", _("すべての手続")),
    ("/procedures/…/", _("手続の説明")),
    ("/drafts/…/steps/…/", _("申請の入力（各ステップ、入力の誤りがあるとき）")),
    ("/drafts/…/confirm/", _("申請の確認")),
    ("/mypage/submissions/…/done/", _("申請の受付（受付番号）")),
    ("/login/", _("ログイン、確認コードの入力")),
    ("/mypage/", _("マイページ")),
    ("/navi/", _("手続ナビ")),
    ("/queue/", _("窓口の混み具合、番号札")),
    ("/settings/display/", _("表示の設定")),
    ("/accessibility/", _("アクセシビリティ方針")),
    ("/accessibility/results/", _("試験結果")),
)


def summary() -> dict:
    counts = {key: sum(1 for c in CRITERIA if c.result == key) for key in RESULTS}
    return {
        "counts": [(RESULTS[key], counts[key]) for key in RESULTS],
        "failed": [c for c in CRITERIA if c.result == FAIL],
        "partial": [c for c in CRITERIA if c.partial],
        "level_a": [c for c in CRITERIA if c.level == A],
        "level_aa": [c for c in CRITERIA if c.level == AA],
    }
