"""The catalogue in seven languages: a procedure's texts come from overlay .po files beside the
YAML; what has none is a Fallback (shown in Japanese, listed by `madoguchi check`); Japanese,
codes and option values never change; content_messages keeps the files in step."""

from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.utils import translation

from madoguchi.applications import engine
from madoguchi.catalog import i18n as catalog_i18n
from madoguchi.catalog import loader
from madoguchi.catalog.fees import quote
from madoguchi.catalog.i18n import japanese, localized, texts
from madoguchi.catalog.loader import catalog, catalog_for
from madoguchi.catalog.search import search
from madoguchi.core import checks
from madoguchi.core.i18n import content

CODE = "residence-certificate-copy"
NOWHERE = "no-such-city"  # a city without a folder: the national catalogue


def _po(path: Path, entries: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    po = polib.POFile(wrapwidth=0)
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    for msgid, msgstr in entries.items():
        po.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    po.save(str(path))


@pytest.fixture
def overlays(tmp_path, monkeypatch):
    """National overlays in a folder of the test's own; caches reset around the test."""
    monkeypatch.setattr(catalog_i18n, "NATIONAL", tmp_path)
    loader.reload()
    yield tmp_path
    loader.reload()


def _scope(procedure):
    return next(f for step in procedure.current_form.steps for f in step.fields if f.id == "scope")


def test_a_procedure_with_an_overlay_comes_translated(overlays):
    base = catalog()[CODE]
    scope = _scope(base)
    _po(overlays / "i18n" / "vi" / f"{CODE}.po", {base.title: "Bản sao phiếu cư trú",
                                                  scope.options[0].label: "Chỉ bản thân"})
    _po(overlays / "i18n" / "vi" / "_common.po", {base.category: "Giấy chứng nhận"})
    loader.reload()

    shown = catalog_for(NOWHERE, language="vi")[CODE]
    assert shown.title == "Bản sao phiếu cư trú"
    assert not isinstance(shown.title, content.Fallback)
    assert shown.category == "Giấy chứng nhận"  # from _common.po
    assert _scope(shown).options[0].label == "Chỉ bản thân"
    assert shown.language == "vi" and japanese(shown) is catalog()[CODE]


def test_a_text_without_translation_is_a_fallback_and_is_listed(overlays):
    base = catalog()[CODE]
    _po(overlays / "i18n" / "vi" / f"{CODE}.po", {base.title: "Bản sao phiếu cư trú"})
    loader.reload()

    shown = catalog_for(NOWHERE, language="vi")[CODE]
    assert isinstance(shown.summary, content.Fallback) and shown.summary == base.summary
    source = content.Source("test-catalog", overlays, lambda: ((CODE, t) for t in texts(base)))
    gaps = content.missing(source, "vi")
    assert base.summary in gaps[CODE] and base.title not in gaps[CODE]
    message, hint = content.describe(source, "vi", gaps)
    assert f"{len(gaps[CODE])} texts in 1 files" in message and "vi" in message
    assert f"{CODE}.po ({len(gaps[CODE])})" in hint


def test_madoguchi_check_lists_fallbacks_per_language(tmp_path, monkeypatch):
    """A text with no translation is listed for every language that lacks it (not silent)."""
    source = content.Source("untranslated-sample", tmp_path, lambda: [("sample", "まだ訳のない文です")])
    monkeypatch.setitem(content._SOURCES, source.name, source)
    notes = [n for n in checks.untranslated_content(None) if n.msg.startswith("untranslated-sample:")]
    languages = {n.msg.split(" in ")[-1].split(" ")[0] for n in notes}
    assert languages == {"ja-easy", "en", "zh-hans", "ko", "vi", "pt-br"}
    assert all(n.id == "madoguchi.I001" and "sample.po" in n.hint for n in notes)


def test_japanese_is_the_files_themselves():
    assert catalog_for(NOWHERE, language="ja") is catalog()
    with translation.override("ja"):
        assert catalog_for(NOWHERE) is catalog()
    ja = catalog()[CODE]
    assert localized(ja, "ja") is ja
    assert not any(isinstance(t, content.Fallback) for t in texts(ja))


def test_codes_values_and_amounts_do_not_change_with_the_language():
    ja = catalog()[CODE]
    for language in ("en", "ja-easy", "vi", "pt-br"):
        shown = catalog_for(NOWHERE, language=language)[CODE]
        assert shown.code == ja.code and shown.kind == ja.kind and shown.fee_rules.lines[0].unit_yen == 300
        assert [o.value for o in _scope(shown).options] == [o.value for o in _scope(ja).options]
        assert shown.current_form.field_ids() == ja.current_form.field_ids()


def test_answers_validate_the_same_in_every_language():
    ja = catalog()[CODE]
    answers = {"scope": "self", "purpose": "pension", "copies": 1, "delivery": "counter"}
    expected_clean, expected_errors = engine.validate_answers(ja.current_form, answers)
    for language in ("en", "vi"):
        form = catalog_for(NOWHERE, language=language)[CODE].current_form
        clean, errors = engine.validate_answers(form, answers)
        assert clean == expected_clean and set(errors) == set(expected_errors)
    bad = {**answers, "scope": "nobody"}
    assert set(engine.validate_answers(catalog_for(NOWHERE, language="en")[CODE].current_form, bad)[1]) \
        == set(engine.validate_answers(ja.current_form, bad)[1])


def test_the_copies_are_made_once_per_city_and_language():
    assert catalog_for(NOWHERE, language="en") is catalog_for(NOWHERE, language="en")
    assert catalog_for(NOWHERE, language="en") is not catalog_for(NOWHERE, language="vi")
    with translation.override("vi"):
        assert catalog_for(NOWHERE) is catalog_for(NOWHERE, language="vi")
    assert catalog_for(NOWHERE, language="xx-unknown") is catalog()  # unknown: Japanese


def test_a_fee_quote_is_stored_in_japanese_and_shown_translated(overlays):
    base = catalog()[CODE]
    _po(overlays / "i18n" / "en" / f"{CODE}.po", {base.fees.lines[0].label: "Copy of the residence record"})
    loader.reload()
    english = catalog_for(NOWHERE, language="en")[CODE]
    stored = quote(english, {"copies": 2, "delivery": "counter"})
    assert stored.lines[0].label == base.fees.lines[0].label  # Japanese, as the department reads it
    shown = stored.localized(english, "en")
    assert shown.lines[0].label == "Copy of the residence record" and shown.total_yen == stored.total_yen == 600


def test_a_citys_own_overlay_comes_before_the_national_one(settings, tmp_path):
    settings.MADOGUCHI_MUNICIPAL_CATALOG_DIR = tmp_path
    (tmp_path / "demo").mkdir()
    base = catalog()[CODE]
    _po(tmp_path / "demo" / "i18n" / "en" / f"{CODE}.po", {base.title: "Juminhyo (Demo City wording)"})
    loader.reload()
    try:
        assert catalog_for("demo", language="en")[CODE].title == "Juminhyo (Demo City wording)"
        assert catalog_for(NOWHERE, language="en")[CODE].title != "Juminhyo (Demo City wording)"
    finally:
        loader.reload()


def test_the_english_and_easy_titles_moved_into_the_overlays():
    for procedure in catalog().values():
        assert not isinstance(catalog_for(NOWHERE, language="en")[procedure.code].title, content.Fallback)
        assert not isinstance(catalog_for(NOWHERE, language="ja-easy")[procedure.code].title, content.Fallback)
    moving = catalog()["moving-in"]
    assert moving.title_en == catalog_for(NOWHERE, language="en")["moving-in"].title  # the older property


def test_a_query_in_another_language_finds_translated_titles():
    english = list(catalog_for(NOWHERE, language="en").values())
    assert search(english, "death registration")[0].code == "death-registration"
    assert search(english, "juminhyo")[0].code == CODE
    japanese_list = list(catalog().values())
    for query in ("転入", "住民票", "こどもの医療費"):
        assert [p.code for p in search(english, query)][:3] == [p.code for p in search(japanese_list, query)][:3]


def test_content_messages_adds_new_texts_and_marks_removed_ones_obsolete(tmp_path, monkeypatch):
    found = [("birth", "出生届"), ("birth", "母子健康手帳"), (content.COMMON, "氏名")]
    source = content.Source("test-content", tmp_path, lambda: iter(found))
    monkeypatch.setattr(content, "_SOURCES", {source.name: source})
    call_command("content_messages", "--source", "test-content", "--language", "en")
    path = tmp_path / "i18n" / "en" / "birth.po"
    po = polib.pofile(str(path))
    assert [e.msgid for e in po] == ["出生届", "母子健康手帳"] and all(e.msgstr == "" for e in po)
    assert "machine-assisted draft" in po.metadata["Translated-By"] and po.metadata["Language"] == "en"
    assert [e.msgid for e in polib.pofile(str(tmp_path / "i18n" / "en" / "_common.po"))] == ["氏名"]

    po.find("出生届").msgstr = "Birth registration"
    po.save(str(path))
    found[1] = ("birth", "母子健康手帳（親子手帳）")
    call_command("content_messages", "--source", "test-content", "--language", "en")
    po = polib.pofile(str(path))
    assert po.find("出生届").msgstr == "Birth registration"
    assert po.find("母子健康手帳（親子手帳）") is not None
    assert po.find("母子健康手帳", include_obsolete_entries=True).obsolete
    assert content.translate(tmp_path, "birth", "出生届", "en") == "Birth registration"
    assert isinstance(content.translate(tmp_path, "birth", "母子健康手帳（親子手帳）", "en"), content.Fallback)


def test_the_shipped_overlay_files_hold_every_text_for_every_language():
    languages = ["en", "ja-easy", "zh-hans", "ko", "vi", "pt-br"]
    national = Path(catalog_i18n.__file__).with_name("procedures") / "i18n"
    for language in languages:
        held = set()
        for path in (national / language).glob("*.po"):
            held |= {e.msgid for e in polib.pofile(str(path)) if not e.obsolete}
        wanted = {t for p in loader.load_directories([national.parent]).values() for t in texts(p)}
        assert wanted <= held, f"{language}: run `madoguchi content_messages --source catalog`"


def test_a_broken_overlay_file_shows_japanese_and_fails_the_check(overlays, monkeypatch):
    from madoguchi.catalog import checks as catalog_checks

    base = catalog()[CODE]
    broken = overlays / "i18n" / "en" / f"{CODE}.po"
    broken.parent.mkdir(parents=True)
    broken.write_text('msgid "住民票の写しの交付請求"\nmsgstr "Juminhyo"\nnot a po line\n', encoding="utf-8")
    loader.reload()
    assert isinstance(catalog_for(NOWHERE, language="en")[CODE].title, content.Fallback)
    source = content.Source(catalog_i18n.SOURCE, overlays, lambda: ((CODE, t) for t in texts(base)))
    monkeypatch.setattr(content, "_SOURCES", {source.name: source})
    errors = catalog_checks.catalogue_files(None)
    assert [e.id for e in errors] == ["madoguchi.E012"] and f"{CODE}.po" in errors[0].msg


@pytest.mark.django_db
def test_the_procedure_page_shows_the_catalogue_in_the_chosen_language(client, city):
    from django.urls import reverse

    url = reverse("applications:procedure", args=["death-registration"])
    english = client.get(url, {"lang": "en"}).content.decode()
    title = catalog_for(city.slug, language="en")["death-registration"].title
    assert f"<h1>{title}</h1>" in english  # translated: no lang="ja" on it
    summary = catalog_for(city.slug, language="en")["death-registration"].summary
    marked = ' lang="ja"' if isinstance(summary, content.Fallback) else ""
    assert f"<p{marked}>{summary}</p>" in english  # a text not translated yet is marked as Japanese
    japanese_page = client.get(url, {"lang": "ja"}).content.decode()
    assert f"<h1>{catalog()['death-registration'].title}</h1>" in japanese_page


def test_every_shipped_text_is_translated_in_every_language():
    """What `madoguchi check` reports as madoguchi.I001 (a text shown in Japanese for want of a
    translation) is empty for the shipped content: a text moved into _common.po when a third
    procedure came to share it arrives there untranslated, and only this catches it."""
    from madoguchi.core.checks import untranslated_content

    assert [note.msg for note in untranslated_content(None)] == []
