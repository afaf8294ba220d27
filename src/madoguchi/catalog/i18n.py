"""The catalogue in the resident's language: procedures copied with their texts translated.

The YAML files stay Japanese. Beside them, `procedures/i18n/<language>/<code>.po` holds the
translations of one procedure's texts and `procedures/i18n/<language>/_common.po` those of the
texts many procedures share (氏名, 住所, はい); a city's own or changed texts are looked up first
in `municipalities/<slug>/i18n/<language>/`. What has no translation is a `content.Fallback`:
shown in Japanese and marked `lang="ja"` by the templates, listed by `madoguchi check`.

Only what a person reads is translated. Codes, option values, field ids, amounts and
conditions are never touched, so an answer given in one language validates in every other,
and what is stored (snapshots, audit lines) or legal (決定通知書) asks for Japanese
(`language="ja"`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings
from django.utils import translation

from madoguchi.catalog.schema import FEE_LABEL, FeeRules, FormDefinition, FormField, Procedure
from madoguchi.core import i18n
from madoguchi.core.i18n import content

NATIONAL = Path(__file__).with_name("procedures")
SOURCE = "catalog"
SHARED_BY = 3  # a text in at least this many procedures goes to _common.po


def language_of(language: str | None = None) -> str:
    """`language`, or the active one, as one of Madoguchi's codes (Japanese when unknown)."""
    code = language if language is not None else translation.get_language()
    return i18n.supported(code) or i18n.supported((code or "").split("-")[0]) or i18n.DEFAULT


# --- the texts of a procedure ------------------------------------------------------------------


def _field_texts(field: FormField) -> Iterator[str]:
    yield field.label
    yield field.help
    yield field.item_label
    for option in field.options:
        yield option.label
    for sub in field.fields:
        yield from _field_texts(sub)


def _form_texts(form: FormDefinition) -> Iterator[str]:
    for step in form.steps:
        yield step.title
        yield step.description
        for field in step.fields:
            yield from _field_texts(field)


def _fee_texts(fees: FeeRules | None) -> Iterator[str]:
    if fees is None:
        return
    for line in fees.lines:
        yield line.label
    for exemption in fees.exemptions:
        yield exemption.label
        yield exemption.legal_reason
    yield fees.deferred_note


def texts(procedure: Procedure) -> list[str]:
    """Every text of `procedure` a person reads, once each, in the order of the file."""
    found = [procedure.title, procedure.summary, procedure.category, procedure.who_can_apply,
             procedure.deadline, procedure.fee_note, procedure.window, procedure.office or "",
             procedure.legal_basis]
    for document in procedure.documents:
        found += [document.name, document.note]
    found += list(_fee_texts(procedure.fees))
    if procedure.fee_yen and procedure.fees is None:
        found.append(FEE_LABEL)
    for form in procedure.forms:
        found += list(_form_texts(form))
    return [t for t in dict.fromkeys(found) if t and t.strip()]


def split_common(procedures: dict[str, Procedure]) -> Iterator[tuple[str, str]]:
    """(file name, text): a text shared by SHARED_BY procedures or more goes to _common."""
    per_code = {code: texts(p) for code, p in sorted(procedures.items())}
    shared = Counter(t for found in per_code.values() for t in found)
    for code, found in per_code.items():
        for text in found:
            yield (content.COMMON if shared[text] >= SHARED_BY else code), text


def _national_texts() -> Iterator[tuple[str, str]]:
    from madoguchi.catalog.loader import load_directories

    yield from split_common(load_directories([NATIONAL]))


def _city_texts(slug: str) -> Callable[[], Iterator[tuple[str, str]]]:
    def found() -> Iterator[tuple[str, str]]:
        from madoguchi.catalog.loader import files_for, load_directories

        national = {t for p in load_directories([NATIONAL]).values() for t in texts(p)}
        # the city's files (its folder's texts, which its overlays translate); what an
        # administrator types on the pages is shown as typed, marked Japanese where it has none
        for code, procedure in sorted(files_for(slug).items()):
            for text in texts(procedure):
                if text not in national:
                    yield code, text
    return found


def register_sources() -> None:
    """The national catalogue and each city's own texts, for check and content_messages."""
    content.register(content.Source(SOURCE, NATIONAL, _national_texts))
    root = Path(settings.MADOGUCHI_MUNICIPAL_CATALOG_DIR)
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if folder.is_dir():
            content.register(content.Source(f"{SOURCE}:{folder.name}", folder, _city_texts(folder.name)))


# --- the translated copy -----------------------------------------------------------------------


class _Translator:
    """Looks a procedure's text up in the city's overlays, then in the national ones."""

    def __init__(self, code: str, language: str, city: Path | None):
        self.code, self.language = code, language
        # the city's file, its _common, then the national file and _common: first found wins
        self.tables = [content.overlay(directory, language, name)
                       for directory in (city, NATIONAL) if directory is not None
                       for name in (code, content.COMMON)]

    def __call__(self, text: str) -> str:
        if not text or self.language == i18n.DEFAULT:
            return text
        text = str.__str__(text)
        for table in self.tables:
            found = table.get(text)
            if found:
                return found
        return content.Fallback(text)

    def field(self, field: FormField) -> FormField:
        return field.model_copy(update={
            "label": self(field.label), "help": self(field.help), "item_label": self(field.item_label),
            "options": [o.model_copy(update={"label": self(o.label)}) for o in field.options],
            "fields": [self.field(sub) for sub in field.fields],
        })

    def form(self, form: FormDefinition) -> FormDefinition:
        steps = [step.model_copy(update={
            "title": self(step.title), "description": self(step.description),
            "fields": [self.field(f) for f in step.fields]}) for step in form.steps]
        return form.model_copy(update={"steps": steps})

    def fees(self, fees: FeeRules | None) -> FeeRules | None:
        if fees is None:
            return None
        return fees.model_copy(update={
            "lines": [line.model_copy(update={"label": self(line.label)}) for line in fees.lines],
            "exemptions": [e.model_copy(update={"label": self(e.label), "legal_reason": self(e.legal_reason)})
                           for e in fees.exemptions],
            "deferred_note": self(fees.deferred_note),
        })


def localized(procedure: Procedure, language: str | None = None, slug: str | None = None) -> Procedure:
    """`procedure` with every text a person reads in `language` (the active one by default).
    Japanese returns the procedure itself; the copy knows its Japanese original (`original`)."""
    language = language_of(language)
    original = japanese(procedure)
    if language == i18n.DEFAULT:
        return original
    city = Path(settings.MADOGUCHI_MUNICIPAL_CATALOG_DIR) / slug if slug else None
    t = _Translator(original.code, language, city if city and city.is_dir() else None)
    copy = original.model_copy(update={
        "title": t(original.title), "summary": t(original.summary), "category": t(original.category),
        "who_can_apply": t(original.who_can_apply), "deadline": t(original.deadline),
        "fee_note": t(original.fee_note), "window": t(original.window),
        "office": t(original.office) if original.office else None,
        "legal_basis": t(original.legal_basis),
        "documents": [d.model_copy(update={"name": t(d.name), "note": t(d.note)}) for d in original.documents],
        "fees": t.fees(original.fees),
        "forms": [t.form(f) for f in original.forms],
    })
    copy._original = original
    copy._language = language
    copy._fee_label = t(FEE_LABEL)
    return copy


def clear_cache() -> None:
    content.clear_cache()


def japanese(procedure: Procedure) -> Procedure:
    """The Japanese procedure a translated copy was made from (itself when it is one)."""
    return procedure.__pydantic_private__.get("_original") or procedure  # faster than the attribute


def in_language(procedure: Procedure, language: str) -> Procedure:
    """The same procedure in another language (the copy is not cached: for one-off texts)."""
    return localized(japanese(procedure), language)


def text_in(procedure: Procedure, text: str, language: str) -> str:
    """One Japanese text of `procedure` in `language` (national overlays), without copying
    the whole procedure; a Fallback when untranslated."""
    return _Translator(procedure.code, language_of(language), None)(text)


def title_in(procedure: Procedure, language: str) -> str:
    """The title in `language`, or "" when it has none yet (for the old title_en/title_easy)."""
    found = text_in(procedure, japanese(procedure).title, language)
    return "" if isinstance(found, content.Fallback) else found
