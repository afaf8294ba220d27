"""What the clerk's page and the visitor's tablet both show or read: a form's rows as the
online 確認画面 shows them, the visitor's short summary of each form, the filed cases' receipt
numbers, the take-away list, and the signature from the POST.

Its own module so that the two sets of views share it without one importing the other (the
tablet's views must not depend on the clerk's: an import-linter contract says so).
"""

import base64
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from madoguchi.applications import engine
from madoguchi.applications.fieldvalues import display
from madoguchi.catalog.fees import quote
from madoguchi.catalog.schema import FieldType, FormDefinition
from madoguchi.catalog.selectors import procedure_of_record
from madoguchi.core import i18n
from madoguchi.counter import bundle, services, takeaway
from madoguchi.counter.models import VisitStatus
from madoguchi.counter.protected import hides_address

DATA_URL = "data:image/png;base64,"


def summary_rows(entry: bundle.Entry, hide_address: bool = False):
    """Headings and (label, shown value) rows of one form, as the online 確認画面 shows them;
    on the visitor's side with every address masked while a 支援措置 asks it (counter.protected)."""
    form = entry.procedure.form(entry.form.form_version)
    rows = []
    for section in engine.summary(form, bundle.for_display(form, entry.answers, hide_address)):
        rows.append({"heading": section["title"]})
        for label, value in section["rows"]:
            rows.append({"label": label, "value": value})
    return rows


# --- the visitor's short summary ------------------------------------------------------------------

MAX_ADDRESSES = 2  # the new and the previous address; a third is a detail
MAX_DATES = 2


@dataclass
class Brief:
    """One form as the visitor reads it before the details: what it asks for, and the facts
    that make it theirs — who, which address, which day, what it costs."""

    purpose: str
    facts: list[tuple[str, str]] = field(default_factory=list)


def _purpose(summary: str) -> str:
    """The catalogue's summary opens with what the procedure is for; the rest (documents,
    conditions) the visitor has at the counter already."""
    return takeaway.first_sentence(summary)


def _filled(value) -> bool:
    return value not in (None, "", [])


def _people(form: FormDefinition, answers: dict) -> list[tuple[str, str]]:
    """Who: the first name the form gives (届出人, 請求者, 飼い主…), then every person a group
    lists (異動者, 加入する人, 児童), as one line per group."""
    facts, named = [], False
    for step in form.steps:
        for f in step.fields:
            if not engine.visible(f, answers):
                continue
            if f.type == FieldType.NAME and not named and _filled(answers.get(f.id)):
                generic = f.label in ("氏名", _("氏名"))  # ja-only: the catalogue's generic label
                facts.append((step.title if generic else f.label, display(f, answers[f.id])))
                named = True
            elif f.type == FieldType.GROUP:
                name = next((sub for sub in f.fields if sub.type == FieldType.NAME), None)
                items = answers.get(f.id) or []
                names = [display(name, item.get(name.id)) for item in items
                         if name is not None and _filled(item.get(name.id))]
                if names:
                    facts.append((f.label, _("、").join(names)))
    return facts


def _of_type(form: FormDefinition, answers: dict, kind: FieldType, most: int) -> list[tuple[str, str]]:
    """The form's own (top-level, shown, answered) fields of one type, in the form's order; a
    date of birth is who someone is, not when something happens, so it is left to the details."""
    facts = []
    for step in form.steps:
        for f in step.fields:
            if (f.type == kind and f.prefill != "applicant_birth_date" and engine.visible(f, answers)
                    and _filled(answers.get(f.id))):
                facts.append((f.label, display(f, answers[f.id])))
    return facts[:most]


def _fee(entry: bundle.Entry, easy: bool) -> tuple[str, str]:
    """The fee's line; in やさしい日本語 the catalogue's note on a deferred fee is left out."""
    fee = quote(entry.procedure, entry.answers)
    label = _("手数料")
    if fee.deferred:
        return label, (not easy and fee.deferred_note) or _("審査の後にお知らせします")
    if fee.total_yen:
        return label, ngettext("%(yen)s円", "%(yen)s円", fee.total_yen) % {"yen": f"{fee.total_yen:,}"}
    return label, pgettext("fee", "なし")


def brief(entry: bundle.Entry, easy: bool = False, hide_address: bool = False) -> Brief:
    """The short summary of one form (the full rows stay one tap away)."""
    form = entry.procedure.form(entry.form.form_version)
    answers = entry.answers
    addresses = [] if hide_address else _of_type(form, answers, FieldType.ADDRESS, MAX_ADDRESSES)
    facts = (_people(form, answers) + addresses
             + _of_type(form, answers, FieldType.DATE, MAX_DATES) + [_fee(entry, easy)])
    return Brief(purpose="" if easy else _purpose(entry.procedure.summary), facts=facts)


def visitor_entries(visit, easy: bool = False) -> list[dict]:
    """The visit's forms as the visitor's page shows them: title, short summary, full rows."""
    shown = []
    hide = hides_address(visit)
    for e in bundle.entries(visit):
        rows = summary_rows(e, hide)
        shown.append({"e": e, "title": e.procedure.title, "brief": brief(e, easy, hide), "rows": rows,
                      "count": sum(1 for r in rows if "label" in r)})
    return shown


def visitor_language(visit, toggle: str | None = None) -> str:
    """The language the visitor reads: the visit's, or やさしい日本語 / 日本語 when the visitor
    switches between the two on the tablet (`?lang=easy` / `?lang=ja`)."""
    language = getattr(visit, "language", "") or "ja"
    if toggle == "easy" and i18n.is_japanese(language):
        return i18n.EASY
    if toggle == "ja" and language == i18n.EASY:
        return "ja"
    return language


def visitor_context(visit, language: str = "ja") -> dict:
    """Everything the visitor's page (the paired tablet, the clerk's preview) shows of a visit,
    in the visitor's language: the forms until the signature; then the thanks, and once filed
    the receipt numbers and what is still to do elsewhere (the forms again would put them out
    of reach below). The catalogue's texts come in that language (a Japanese fallback is marked
    by the template's langattr); the visitor's own answers are shown as they were typed."""
    easy = language == i18n.EASY
    filed = visit.status == VisitStatus.FILED
    waiting = visit.status in (VisitStatus.OPEN, VisitStatus.CHECKED)
    with translation.override(language):
        return {"entries": visitor_entries(visit, easy) if waiting else [], "easy": easy,
                "cases": receipts(visit), "html_lang": i18n.html_lang(language), "language_code": language,
                "takeaway": takeaway.takeaway_for(visit, language) if filed else None}


def receipts(visit) -> list[dict]:
    """The filed cases with their procedure's title: the visitor's receipt numbers."""
    if visit.status != VisitStatus.FILED:
        return []
    return [{"s": case, "title": procedure_of_record(visit.municipality, case.procedure_code).title}
            for case in services.filed_cases(visit)]


def signature_png(request) -> bytes:
    """The canvas's PNG as a data URL (signature.js) or as an uploaded file."""
    data_url = request.POST.get("signature", "")
    if data_url.startswith(DATA_URL):
        try:
            return base64.b64decode(data_url[len(DATA_URL):], validate=True)
        except ValueError:
            return b""
    upload = request.FILES.get("signature")
    return upload.read(services.MAX_SIGNATURE_BYTES + 1) if upload else b""
