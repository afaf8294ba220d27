"""The queue's words in the visitor's language, through gettext (the Japanese text is the
msgid). Names of groups and purposes come from their `name` and `translations` (Named.name_in).

The phone's changing lines are also built away from any request (the event hub builds one
state per ticket and language), so they are formatted under translation.override(lang)."""

from datetime import date

from django.utils import formats, translation
from django.utils.translation import gettext, ngettext

from madoguchi.core import i18n


def language(request=None) -> str:
    """The site code of the active language (the middleware activates ?lang= and the session's)."""
    return i18n.supported(translation.get_language()) or i18n.DEFAULT


def name(obj, lang: str | None = None) -> str:
    return obj.name_in(lang)


def people(n: int) -> str:
    return ngettext("%(n)s人", "%(n)s人", n) % {"n": n}


def minutes(wait: int | None, closed: str | None = None) -> str:
    """約5分 / まもなく; `closed` (or 受付時間外) when no window is open."""
    if wait is None:
        return closed if closed is not None else gettext("受付時間外")
    if wait == 0:
        return gettext("まもなく")
    return ngettext("約%(n)s分", "約%(n)s分", wait) % {"n": wait}


def state_texts(state: dict, lang: str) -> dict:
    """The phone page's changing lines, formatted once on the server for the page and its JSON."""
    with translation.override(lang):
        wait = state["estimated_wait_minutes"]
        if wait is not None:
            estimate = minutes(wait)
        else:
            estimate = gettext("窓口が開くまでお待ちください") if state["ahead"] is not None else "—"
        status_text = str(state.get("status_label") or state["status"])
        if state["window"]:
            status_text = gettext("%(status)s（%(window)s番窓口へお越しください）") % {
                "status": status_text, "window": state["window"]}
        return {
            "status_text": status_text,
            "ahead_text": "—" if state["ahead"] is None else people(state["ahead"]),
            "estimate_text": estimate,
        }


def weekday(n: int, short: bool = True) -> str:
    """月 / 月曜日 in Japanese; Mon / Monday (Django's names) in other languages."""
    if i18n.is_japanese(language()):
        letter = "月火水木金土日"[n]  # ja-only: Japanese weekday letters, Japanese pages only
        return letter if short else letter + "曜日"  # ja-only: Japanese weekday name
    return formats.date_format(date(2024, 1, 1 + n), "D" if short else "l")  # 2024-01-01: a Monday


def day_label(day: date) -> str:
    """2026年12月3日 in Japanese; Django's DATE_FORMAT of the language otherwise."""
    if i18n.is_japanese(language()):
        return f"{day.year}年{day.month}月{day.day}日"  # ja-only: Japanese date, Japanese pages only
    return formats.date_format(day, "DATE_FORMAT")
