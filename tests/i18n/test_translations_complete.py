"""Every message a person can be shown has a translation in each language that shows it.

Resident-facing messages need all six languages beside Japanese; staff-only messages (the
department queue, the counter clerk's pages, the register, 会計課) need English. A message is
staff-only when every place it comes from is a staff source (STAFF_SOURCES). The .po files must
also hold every message the code has (a fresh extraction finds nothing new), say who made them,
and keep each placeholder."""

import os
import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from madoguchi.core import i18n

SRC = Path(settings.BASE_DIR)
LOCALE = SRC / "locale"
STAFF_SOURCES = (
    "templates/casework/", "templates/counter/visit", "templates/counter/start", "templates/counter/device_pair",
    "templates/queueing/staff/", "payments/templates/payments/books/", "register/", "casework/",
    "payments/books", "queueing/views/staff", "counter/views.py", "counter/services", "counter/bundle",
    "core/admin", "core/audit", "core/management", "identity/card/cli", "identity/management",
    "administration/", "core/cityconfig", "core/onboarding", "core/branding", "catalog/overrides",
    "identity/digital_auth", "handoff/", "templates/handoff/", "core/secrets",
    # The figures' staff pages (the public dashboard and the open data are residents')
    "insights/views", "insights/forms", "insights/targets", "insights/comment_views", "insights/measures",
    "insights/management", "templates/insights/overview", "templates/insights/targets",
    "templates/insights/comments", "feedback/selectors", "core/roles",
)
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
OTHER_LANGUAGES = [code for code in i18n.codes() if code != i18n.DEFAULT]


def po_path(code: str) -> Path:
    from django.utils.translation import to_locale

    return LOCALE / to_locale(code) / "LC_MESSAGES" / "django.po"


def staff_only(entry) -> bool:
    places = [place for place, _line in entry.occurrences]
    return bool(places) and all(any(s in place for s in STAFF_SOURCES) for place in places)


def forms(entry) -> list[str]:
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_each_message_has_a_translation(code):
    po = polib.pofile(str(po_path(code)))
    needed = [e for e in po if not e.obsolete and (code == "en" or not staff_only(e))]
    missing = [e.msgid for e in needed if "fuzzy" in e.flags or not all(forms(e))]
    assert not missing, f"{code}: {len(missing)} of {len(needed)} messages untranslated: {missing[:20]}"


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_placeholders_survive_translation(code):
    po = polib.pofile(str(po_path(code)))
    broken = []
    for e in po:
        if e.obsolete:
            continue
        wanted = set(PLACEHOLDER.findall(e.msgid))
        for text in forms(e):
            if text and set(PLACEHOLDER.findall(text)) != wanted and not (e.msgid_plural and wanted - {"n"} <= set(PLACEHOLDER.findall(text))):
                broken.append(e.msgid)
    assert not broken, f"{code}: placeholders differ in {broken[:20]}"


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_files_say_who_made_them_and_that_a_city_should_review(code):
    po = polib.pofile(str(po_path(code)))
    assert "review" in po.metadata.get("Translated-By", "").lower()
    from django.utils.translation import to_locale

    assert po.metadata.get("Language") == to_locale(code)
    assert "nplurals=" in po.metadata.get("Plural-Forms", "") and "INTEGER" not in po.metadata["Plural-Forms"]


def test_the_po_files_hold_every_message_of_the_code(tmp_path):
    """A fresh `makemessages` finds no message that the committed files lack.

    It runs on a copy of the sources (makemessages writes beside the nearest locale folder,
    which would be the real one)."""
    copy = tmp_path / "src"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns(
        "locale", "i18n", "static", "__pycache__", "*.yaml", "*.json", "*.png", "*.svg", "*.ico"))
    (copy / "locale").mkdir()
    here = os.getcwd()
    os.chdir(copy)
    try:
        with override_settings(LOCALE_PATHS=[copy / "locale"]):
            call_command("makemessages", locale=["en"], extensions=["html", "txt", "py"], verbosity=0)
    finally:
        os.chdir(here)
    fresh = {(e.msgctxt, e.msgid) for e in polib.pofile(str(copy / "locale" / "en" / "LC_MESSAGES" / "django.po"))}
    committed = {(e.msgctxt, e.msgid) for e in polib.pofile(str(po_path("en"))) if not e.obsolete}
    new = sorted(m for _c, m in fresh - committed)
    assert not new, f"{len(new)} messages are not in the .po files (run `make translations`): {new[:20]}"
