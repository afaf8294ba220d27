"""The navigator's own words, through gettext (the Japanese text is the msgid; translations
live in the locale .po files), and dates written for the page's language. Event and question
texts come from the event files and their overlays (rules.Text), procedure texts from the
catalogue."""

from datetime import date

from django.utils import formats
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from madoguchi.core import i18n
from madoguchi.core.japanese import format_wareki

DEFAULT_LANG = i18n.DEFAULT

TEXTS = {
    'brand': _('オンライン窓口'),
    'skip': _('本文へ移動'),
    'nav_label': _('メインメニュー'),
    'nav_catalogue': _('手続をさがす'),
    'nav_mypage': _('マイページ'),
    'navi': _('手続ナビ'),
    'events_lead': _('暮らしの出来事を選んで、いくつかの質問に答えてください。必要な手続と、手続をする場所・持ち物・期限をお知らせします。名前やマイナンバーなど、個人を特定する情報はうかがいません。'),
    'events_heading': _('どんなことがありましたか'),
    'start': _('はじめる'),
    'question_count': _('質問 %(n)s'),
    'questions_left': _('あと最大 %(n)s 問'),
    'questions_last': _('最後の質問です'),
    # Translators: the question number, then how many may follow, e.g. 質問 2（あと最大 3 問）
    'progress': _('%(count)s（%(more)s）'),
    'next': _('次へ'),
    'back': _('前の質問にもどる'),
    'yes': _('はい'),
    'no': _('いいえ'),
    'date_hint': _('例: 2026-04-01、令和8年4月1日'),
    'errors_title': _('入力内容を確認してください'),
    'err_choose': _('選択肢から1つ選んでください'),
    'err_choose_some': _('あてはまるものを選んでください'),
    'err_exclusive': _('「%(label)s」は、ほかの選択肢と一緒には選べません'),
    'err_date': _('日付を入力してください（例: 2026-04-01）'),
    'err_future': _('今日より後の日は入力できません'),
    'err_too_far': _('1年より先の日は入力できません'),
    'err_too_old': _('5年より前の日は入力できません'),
    'err_not_asked': _('この質問はいまの答えでは必要ありません'),
    'answers_heading': _('あなたの答え'),
    'change': _('変更する'),
    'result_title': _('必要な手続'),
    'apply_lead': _('手続ナビの答え（%(event)s: %(day)s）を入力した状態で、申請をはじめます。入力された内容は、申請の画面で確かめて直せます。'),
    'apply_back': _('必要な手続の一覧にもどる'),
    'result_none': _('答えから、必要な手続は見つかりませんでした。わからないことは市役所にお問い合わせください。'),
    'group_online': _('オンラインで今すぐ'),
    'group_online_lead': _('この窓口サイトやマイナポータルで、今すぐ手続できます。'),
    'group_counter': _('窓口で'),
    'group_counter_lead': _('市役所の窓口で手続します。'),
    'group_elsewhere': _('市役所以外で'),
    'group_elsewhere_lead': _('市役所ではなく、それぞれの機関で手続します。'),
    'place': _('場所'),
    'bring': _('持ち物'),
    'deadline': _('期限'),
    'note': _('ご注意'),
    'no_deadline': _('期限の定めはありません'),
    'start_online': _('オンラインで申請をはじめる'),
    'mynaportal': _('マイナポータルで手続する（外部サイト）'),
    'mynaportal_place': _('マイナポータル（オンライン）'),
    'details': _('手続の詳しい説明'),
    'not_offered': _('この手続は%(city)sの窓口サイトに載っていません。扱う窓口を市役所にお問い合わせください。'),
    'ask_city': _('市役所にお問い合わせください'),
    'qr_heading': _('窓口でお使いください'),
    'qr_text': _('窓口でこのQRコードを見せると、同じ答えで手続を始められます。'),
    'qr_label': _('この答えを窓口で読み込むためのQRコード'),
    'checklist': _('チェックリスト（PDF）を印刷する'),
    'restart': _('別の出来事を調べる'),
    'by': _('%(date)sまで'),
    'deadline_from': _('%(day)sから数えています'),
    'pdf_title': _('手続チェックリスト'),
    'pdf_intro': _('%(event)s（%(day)s）'),
    'pdf_done': _('済'),
    'pdf_procedure': _('手続'),
    'pdf_qr': _('窓口でこのQRコードを見せると、同じ答えで手続を始められます'),
    'pdf_footer': _('このチェックリストは答えをもとにした目安です。詳しくは各窓口にお問い合わせください。'),
}


def texts(lang: str | None = None) -> dict:
    """The navigator's words; lazy, so they come out in the language active when shown."""
    return TEXTS


def current_language() -> str:
    """The site code of the page's language (ja, ja-easy, en, zh-hans, ko, vi, pt-br)."""
    return i18n.supported(get_language()) or DEFAULT_LANG


def count_text(n: int) -> str:
    return ngettext("%(n)s件", "%(n)s件", n) % {"n": n}


def day_text(d: date, lang: str | None = None) -> str:
    """2026年12月7日（月） in Japanese; Django's DATE_FORMAT of the language otherwise."""
    lang = lang or current_language()
    if i18n.is_japanese(lang):
        weekday = "月火水木金土日"[d.weekday()]  # ja-only: Japanese weekday letters, Japanese pages only
        return f"{d.year}年{d.month}月{d.day}日（{weekday}）"  # ja-only: Japanese date, Japanese pages only
    return formats.date_format(d, "DATE_FORMAT")


def deadline_text(d: date, lang: str | None = None) -> str:
    """「2026年12月7日（月）まで（令和8年12月7日）」; 令和 only in Japanese."""
    lang = lang or current_language()
    by = gettext("%(date)sまで") % {"date": day_text(d, lang)}
    if not i18n.is_japanese(lang):
        return by
    return f"{by}（{format_wareki(d)}）"  # ja-only: 和暦 beside the date, Japanese pages only
