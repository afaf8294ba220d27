"""Counter pages: the clerk's screen for one visit and the visitor's tablet page.

Thin: parse, call services, render. Personal data (kana, birth date, card face) only ever
travels in POST bodies, never in URLs. A visit is shown only to the clerk who started it.
"""

from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from madoguchi.applications.fieldvalues import input_text
from madoguchi.catalog.schema import FieldType
from madoguchi.core import audit
from madoguchi.core.models import Role
from madoguchi.core.roles import departments_of, staff_required
from madoguchi.counter import bundle, pdf, services, tablets, takeaway
from madoguchi.counter import fees as counter_fees
from madoguchi.counter.models import CounterTablet, CounterVisit, VisitStatus
from madoguchi.counter.presenting import (
    receipts,
    signature_png,
    summary_rows,
    visitor_context,
    visitor_language,
)
from madoguchi.counter.protected import MASKED, protected_people
from madoguchi.identity.card.pkcs11 import CardFace
from madoguchi.navigator import services as navigator
from madoguchi.navigator.loader import events
from madoguchi.navigator.rules import QuestionType
from madoguchi.payments import receipts as payment_receipts
from madoguchi.payments import services as payments
from madoguchi.payments.models import Attempt
from madoguchi.queueing import selectors as queue_selectors
from madoguchi.queueing.models import Ticket
from madoguchi.register.selectors import LookupRefused


def clerk_required(view):
    """Staff of this city with the clerk (担当者) role in at least one department."""

    @staff_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not departments_of(request.user, request.municipality, Role.CLERK).exists():
            return HttpResponseForbidden(_("窓口の受付は担当者の権限が必要です。"))
        return view(request, *args, **kwargs)

    return wrapper


def _visit(request, visit_id) -> CounterVisit:
    visit = CounterVisit.objects.select_related("visitor", "represented", "plan").filter(
        municipality=request.municipality, public_id=visit_id, clerk=request.user).first()
    if visit is None:
        raise Http404
    return visit


def _render_start(request, code: str = ""):
    visits = CounterVisit.objects.filter(municipality=request.municipality, clerk=request.user).exclude(
        status=VisitStatus.FILED).order_by("-called_at")[:20]
    tickets = queue_selectors.at_windows_of(request.municipality,
                                            departments_of(request.user, request.municipality))
    taken = set(CounterVisit.objects.filter(ticket__in=tickets).values_list("ticket_id", flat=True))
    called = [t for t in tickets if t.pk not in taken]
    return render(request, "counter/start.html", {
        "visits": visits, "called": called, "code": code,
        "tablets": tablets.active_tablets(request.municipality, request.user),
        "tablet_url": request.build_absolute_uri(reverse("counter_tablet:home")),
        "code_minutes": tablets.CODE_SECONDS // 60})


@never_cache
@clerk_required
def start(request):
    if request.method == "POST":
        try:
            visit = services.start_visit(request.municipality, request.user, request.actor,
                                         ticket=_ticket(request))
        except services.VisitRefused as exc:
            messages.error(request, str(exc))
            return redirect("counter:start")
        return redirect("counter:visit", visit.public_id)
    return _render_start(request)


def _ticket(request) -> Ticket | None:
    """The queue ticket the clerk starts with, from the list of those called to their windows."""
    if not request.POST.get("ticket"):
        return None
    ticket = Ticket.objects.filter(municipality=request.municipality,
                                   pk=request.POST["ticket"] if request.POST["ticket"].isdigit() else None).first()
    if ticket is None:
        raise services.VisitRefused(_("この番号札は見つかりません。"))
    return ticket


@never_cache
@clerk_required
@require_POST
def tablet_code(request):
    """「タブレットを接続する」: a one-time code, shown once in this response and never stored."""
    code = tablets.issue_code(request.municipality, request.user, request.actor)
    return _render_start(request, code=code)


@clerk_required
@require_POST
def tablet_unpair(request, tablet_id):
    """「接続を解除」: only the clerk's own tablet."""
    tablet = CounterTablet.objects.filter(municipality=request.municipality, clerk=request.user,
                                          pk=tablet_id).first()
    if tablet is None:
        raise Http404
    tablets.unpair(tablet, request.actor)
    messages.success(request, _("タブレットの接続を解除しました。"))
    return redirect("counter:start")


def _question_context(visit, asked: "Asked | None" = None):
    """The questions to ask on this page: every one the answers so far allow (see
    navigator.rules.askable_now), each with its inputs, the value just given and its error."""
    if visit.plan is None or visit.status != VisitStatus.OPEN:
        return None
    questions = navigator.questions_now(visit.plan)
    if not questions:
        return None
    shown = []
    for question in questions:
        kind = {QuestionType.MULTI: "checkbox", QuestionType.DATE: "date"}.get(question.type, "radio")
        options = ([(v, _("はい") if v == "yes" else _("いいえ")) for v in question.values()]
                   if question.type == QuestionType.YESNO
                   else [(o.value, o.label.get("ja")) for o in question.options])
        given = asked.given.get(question.id, []) if asked else []
        shown.append({"q": question, "kind": kind, "options": options, "given": given,
                      "text": given[0] if given and kind == "date" else "",
                      "error": " ".join(str(e) for e in asked.errors.get(question.id, [])) if asked else ""})
    return shown


def _known(visit) -> list[dict]:
    """The navigator's questions the register answered for this visit, with the answers."""
    if visit.plan is None or not visit.known_from_register:
        return []
    answered = {a.question.id: a for a in navigator.answers_of(visit.plan)}
    return [{"text": answered[q].text, "answer": answered[q].answer}
            for q in visit.known_from_register if q in answered]


@dataclass
class Asked:
    """Answers from the question page that did not all pass: shown again at once with what
    was chosen and the reason next to each refused question."""

    given: dict[str, list[str]]
    errors: dict[str, list[str]]


@dataclass
class Typed:
    """A fill or a correction that kept a value as typed because it did not pass: the page is
    shown again at once (not redirected) with the inputs the clerk had in front of them, the
    values in them, and the cursor on the first wrong one."""

    shown: dict[int, list[str]]  # form pk → the paths of the inputs the clerk had filled in


def _render_visit(request, visit, found=None, typed: Typed | None = None, status: int = 200,
                  fee_form: dict | None = None, asked: Asked | None = None):
    entries = bundle.entries(visit)
    shown, facts = [], set()
    for e in entries:
        blank_fields = _blank_fields(e, typed.shown.get(e.form.pk, ()) if typed else ())
        family = _family_fields(e, blank_fields)
        covered = {path for f in family for path in f["paths"]}
        own = []
        for b in blank_fields:
            fact = bundle.fact_of(b["field"]) if "-" not in b["path"] else None
            if b["path"] in covered or (fact and fact in facts and not b["error"]):
                continue  # typed once: the family's input, or the same fact on an earlier form
            facts.add(fact)
            own.append(b)
        shown.append({"e": e, "rows": summary_rows(e), "corrections": _corrections(e), "items": _items(e),
                      "blank_fields": own, "family": family})
    wrong = [{"title": item["e"].procedure.title, **b} for item in shown for b in item["blank_fields"] if b["error"]]
    focus = next((b["id"] for b in wrong if typed and b["form_pk"] in typed.shown), "")
    listed = [{"title": item["e"].procedure.title, "id": b["id"], "label": b["label"]}
              for item in shown for b in [*item["family"], *item["blank_fields"]]]
    question = _question_context(visit, asked)
    return render(request, "counter/visit.html", {
        "visit": visit, "found": found, "events": sorted(events().values(), key=lambda e: e.order),
        "event_title": events()[visit.event].title.get("ja") if visit.event in events() else visit.event,
        "household": services.household(visit, request.actor) if visit.subject else [],
        "protected": protected_people(visit), "masked": MASKED,
        "known": _known(visit), "question": question,
        "question_focus": next((q["q"].id for q in question or [] if q["error"]), ""),
        "entries": shown, "wrong": wrong, "focus": focus, "listed": listed,
        "blank_total": sum(len(e.blanks) for e in entries),
        "cases": receipts(visit),
        "tablet": tablets.active_tablets(visit.municipality, visit.clerk).first(),
        "fee": _fee_context(visit, fee_form or {}),
        "takeaway": takeaway.takeaway_for(visit, translation.get_language()) if visit.status == VisitStatus.FILED else None,
    }, status=status)


def _family_fields(entry: bundle.Entry, blank_fields: list[dict]) -> list[dict]:
    """The inputs asked once for every item of a group (see bundle.family_fields); none for a
    path the clerk typed wrong, which stays at its own input."""
    form = entry.procedure.form(entry.form.form_version)
    missing = {b["path"]: "" for b in blank_fields if not b["error"]}
    found = bundle.family_fields(entry.form, form, entry.answers, missing)
    names = {(f.group.id, f.sub.id): f.name for f in found}
    return [{"name": f.name, "id": f.name, "label": f.label, "field": f.sub, "paths": f.paths,
             "form_pk": entry.form.pk, "when": names.get((f.group.id, f.when.id)) if f.when else "",
             "when_value": f.sub.show_if.equals or "" if f.when else ""} for f in found]


def _fee_context(visit, form: dict) -> dict:
    """The visit's 手数料: the total for the whole bundle, and once filed the form recording
    what was taken, with the 領収書 of cash payments where the city issues one."""
    fees = counter_fees.visit_fees(visit)
    return {"fees": fees, "methods": counter_fees.methods(visit.municipality), "form": form,
            "receipts": [a for a in fees.attempts if payment_receipts.available(a)],
            "cashless": any(a.method in payment_receipts.TERMINAL_METHODS for a in fees.attempts)}


def _fee(request, visit):
    """「手数料を受け取った」: a wrong amount or slip is refused next to its field, as typed;
    a double submit records nothing more."""
    p = request.POST
    try:
        recorded = counter_fees.record_payment(visit, p.get("method", ""), p.get("amount", ""),
                                               p.get("slip", ""), request.actor)
    except (counter_fees.FeeRefused, payments.PaymentRefused) as exc:
        form = {"method": p.get("method", ""), "amount": p.get("amount", ""), "slip": p.get("slip", ""),
                "field": getattr(exc, "field", "") or "amount", "error": str(exc)}
        return _render_visit(request, visit, status=400, fee_form=form)
    if recorded:
        messages.success(request, _("手数料 %(yen)s円の受け取りを記録しました。") % {
            "yen": f"{sum(a.amount_yen for a in recorded):,}"})
    else:
        messages.info(request, _("この来庁の手数料は、すでに記録されています。"))
    return redirect(reverse("counter:visit", args=[visit.public_id]) + "#fee")




def _corrections(entry: bundle.Entry):
    form = entry.procedure.form(entry.form.form_version)
    return [{"path": path, "field": field, "value": str(value), "label": bundle.label_of(form, path)}
            for path, field, value in bundle.correctable(form, entry.answers)]


def _items(entry: bundle.Entry):
    form = entry.procedure.form(entry.form.form_version)
    return [{"group": group, "index": index, "label": label}
            for group, index, label in bundle.group_items(form, entry.answers)]


def _blank_fields(entry: bundle.Entry, shown=()):
    """The inputs of the form's 「未入力の項目」: its blanks, and right after a POST the inputs the
    clerk had filled in (with what they hold now), so nothing typed disappears from the screen.
    A value kept as typed is shown as typed, with the reason it was refused."""
    form = entry.procedure.form(entry.form.form_version)
    fields = []
    for path in dict.fromkeys([*shown, *entry.blanks]):
        field = bundle.field_at(form, path)
        if field is None or (path not in entry.blanks and field.type == FieldType.MY_NUMBER):
            continue  # a stored 個人番号 is never shown in full again (the summary masks it)
        wrong = path in entry.raw
        value = entry.raw[path] if wrong else bundle.value_at(entry.answers, path)
        fields.append({
            "path": path, "id": f"f{entry.form.pk}-{path}", "form_pk": entry.form.pk, "field": field,
            "label": bundle.label_of(form, path), "value": value,
            "text": value if wrong else ("" if value is None else input_text(field, value)),
            "message": "" if wrong else entry.blanks.get(path, ""),
            "error": entry.blanks.get(path, "") if wrong else ""})
    return fields


@clerk_required
def visit_page(request, visit_id):
    return _render_visit(request, _visit(request, visit_id))


@never_cache
@clerk_required
def visit_state(request, visit_id):
    """The visit's status alone, which the clerk's page polls while the tablet shows the forms to
    sign: the page reloads only when the signature has come, instead of every few seconds (a
    timed meta refresh reloads under the clerk's eyes and fails WCAG 2.2.1)."""
    return JsonResponse({"status": _visit(request, visit_id).status})


def _card(request, visit):
    p = request.POST
    face = CardFace(name=p.get("name", ""), address=p.get("address", ""),
                    birth_date=p.get("birth_date", ""), gender=p.get("gender", ""),
                    my_number=p.get("my_number", ""))
    services.identify_by_card(visit, request.actor, face)
    messages.success(request, _("カードで本人を確認しました。"))


def _choose(request, visit):
    try:
        resident_id = int(request.POST.get("resident", ""))
    except ValueError:
        raise services.VisitRefused(_("住民を選んでください。")) from None
    services.choose(visit, request.actor, resident_id, represented=request.POST.get("represented") == "1")


def _proxy(request, visit):
    services.set_proxy(visit, request.POST.get("proxy_name", ""), request.POST.get("proxy_relationship", ""))


def _event(request, visit):
    services.start_event(visit, request.POST.get("event", ""), request.actor)


def _qr(request, visit):
    services.load_plan(visit, request.POST.get("token", ""))


def _answer(request, visit) -> Asked | None:
    """The answers to every question of the page (`value-<question>`), or one (`value`)."""
    if visit.plan is None:
        raise services.VisitRefused(_("できごとを先に選んでください。"))
    asked = request.POST.getlist("question")
    if len(asked) == 1 and "value" in request.POST:
        given = {asked[0]: request.POST.getlist("value")}
    else:
        given = {q: request.POST.getlist(f"value-{q}") for q in asked}
    errors = navigator.answer_many(visit.plan, given)
    return Asked(given, errors) if errors else None


def _ask_known(request, visit):
    services.ask_known(visit)


def _build(request, visit):
    bundle.build(visit, request.actor)


def _entry(request, visit) -> bundle.Entry:
    """The form of the visit's bundle that the POST names (`form`)."""
    entry = next((e for e in bundle.entries(visit) if str(e.form.pk) == request.POST.get("form")), None)
    if entry is None:
        raise services.VisitRefused(_("書類が見つかりません。"))
    return entry


def _posted(request, entry: bundle.Entry, form, prefix: str = "") -> dict:
    """path → the value posted (as `prefix + path`) for the form's blanks and for stored values
    shown again after a refusal; a checkbox with options posts a list. One form's own post
    (no prefix) answers every blank of it, an input left out as emptied; 「まとめて保存」 (a
    prefix per form) only what it posted."""
    candidates = [*entry.blanks, *(path for path, _, _ in bundle.correctable(form, entry.answers))]
    paths = [path for path in candidates
             if prefix + path in request.POST or (not prefix and path in entry.blanks)]
    values = {}
    for path in paths:
        field = bundle.field_at(form, path)
        several = field is not None and field.type == FieldType.CHECKBOX and field.options
        values[path] = request.POST.getlist(prefix + path) if several else request.POST.get(prefix + path, "")
    return values


def _say_refused(request, form, values: dict, errors: dict) -> None:
    """A refused value not kept as typed in its input (a list, a file) is said as a message."""
    for path, error in errors.items():
        if not isinstance(values.get(path), str):
            messages.error(request, _("%(label)s：%(error)s") % {"label": bundle.label_of(form, path), "error": error})


def _fill(request, visit) -> Typed | None:
    """The blanks as typed. The inputs shown again after a refusal may hold values already
    stored; those come back too (unchanged ones are not counted twice)."""
    entry = _entry(request, visit)
    form = entry.procedure.form(entry.form.form_version)
    values = _posted(request, entry, form)
    errors = bundle.fill_blanks(entry.form, entry.procedure, values, request.actor)
    _say_refused(request, form, values, errors)
    return Typed({entry.form.pk: list(values)}) if errors else None


def _fill_all(request, visit) -> Typed | None:
    """「まとめて保存」: the blanks of every form of the visit in one post (`f<form>-<path>`),
    and the inputs asked once for a whole group (`family-<form>-<group>-<sub>`). Each form is
    stored as `_fill` stores one; a family's value counts as one field typed."""
    shown: dict[int, list[str]] = {}
    refused = False
    for entry in bundle.entries(visit):
        form = entry.procedure.form(entry.form.form_version)
        values = _posted(request, entry, form, prefix=f"f{entry.form.pk}-")
        uncounted: set[str] = set()
        for family in bundle.family_fields(entry.form, form, entry.answers,
                                          {p: m for p, m in entry.blanks.items() if p not in entry.raw}):
            copies = bundle.family_values(family, request.POST.get(family.name, "").strip(), values, entry.answers)
            values.update(copies)
            uncounted.update(list(copies)[1:])
        if not values:
            continue
        errors = bundle.fill_blanks(entry.form, entry.procedure, values, request.actor, uncounted=uncounted)
        _say_refused(request, form, values, errors)
        shown[entry.form.pk] = [p for p in values if p not in uncounted]
        refused |= bool(errors)
    if not shown:
        messages.info(request, _("入力された項目はありませんでした。"))
    return Typed(shown) if refused else None


def _correct(request, visit) -> Typed | None:
    """The visitor says a filled value is wrong (the register lags a change): the clerk
    changes it; only the values that differ are stored, checked and counted as typed. One that
    does not pass is kept as typed in place of the old value and shown among the blanks."""
    entry = _entry(request, visit)
    form = entry.procedure.form(entry.form.form_version)
    changed = {path: request.POST[path].strip() for path, _, value in bundle.correctable(form, entry.answers)
               if path in request.POST and request.POST[path].strip() not in ("", str(value))}
    if not changed:
        messages.info(request, _("変更はありませんでした。"))
        return
    errors = bundle.fill_blanks(entry.form, entry.procedure, changed, request.actor)
    if len(changed) > len(errors):
        fixed = len(changed) - len(errors)
        messages.success(request, ngettext("%(n)s項目を直しました。", "%(n)s項目を直しました。", fixed) % {"n": fixed})
    return Typed({entry.form.pk: []}) if errors else None


def _drop(request, visit):
    """「この人を除く」: an item of a group the register filled that the visitor says is not theirs."""
    entry = _entry(request, visit)
    index = request.POST.get("index", "")
    if not index.isdigit():
        raise services.VisitRefused(_("書類が見つかりません。"))
    bundle.drop_item(entry.form, request.POST.get("group", ""), int(index), request.actor)
    messages.success(request, _("項目を除きました。"))


def _confirm(request, visit):
    services.confirm(visit, request.actor)


def _protected_person(request, visit):
    """The clerk checked the visitor's ID: the visitor is the protected person. The forms are
    built again, now with the register's addresses."""
    services.confirm_protected_person(visit, request.actor)
    if visit.plan_id:
        bundle.build(visit, request.actor)


def _paper(request, visit):
    services.signed_on_paper(visit, request.actor)
    _file(request, visit)


def _file(request, visit):
    """Filing follows the signature at once; the button is there again only if it failed."""
    cases = services.file_visit(visit, request.actor)
    messages.success(request, ngettext("%(n)s件の手続を各課へ送付しました。", "%(n)s件の手続を各課へ送付しました。", len(cases))
                     % {"n": len(cases)})


ACTIONS = {"card": _card, "choose": _choose, "proxy": _proxy, "event": _event, "qr": _qr,
           "answer": _answer, "ask_known": _ask_known, "build": _build, "fill": _fill, "fill_all": _fill_all, "correct": _correct, "drop": _drop, "confirm": _confirm,
           "protected_person": _protected_person,
           "paper": _paper, "file": _file}


@clerk_required
@require_POST
def search(request, visit_id):
    """Kana and birth date in the POST body; the candidates are shown, not remembered."""
    visit = _visit(request, visit_id)
    try:
        found = services.search_by_kana(visit, request.actor, request.POST.get("kana", ""),
                                        request.POST.get("birth_date", "") or None,
                                        include_deceased=request.POST.get("deceased") == "1")
    except LookupRefused as exc:
        messages.error(request, str(exc))
        found = None
    return _render_visit(request, visit, found=found)


@clerk_required
@require_POST
def action(request, visit_id, name):
    visit = _visit(request, visit_id)
    if name == "fee":
        return _fee(request, visit)
    handler = ACTIONS.get(name)
    if handler is None:
        raise Http404
    typed = None
    try:
        typed = handler(request, visit)
    except (services.VisitRefused, bundle.BundleRefused) as exc:
        messages.error(request, str(exc))
    visit.refresh_from_db()
    if isinstance(typed, Typed):  # shown at once: the values stay in the inputs, the cursor on the error
        return _render_visit(request, visit, typed=typed, status=400)
    if isinstance(typed, Asked):  # the answers given stay chosen; each refusal at its question
        return _render_visit(request, visit, asked=typed, status=400)
    checked = name == "confirm" and visit.status == VisitStatus.CHECKED
    if checked and tablets.active_tablets(visit.municipality, visit.clerk).exists():
        messages.success(request, _("来庁者用タブレットに確認画面を表示しました。"))
        checked = False  # the paired tablet shows it; the clerk stays on their own page
    return redirect("counter:tablet" if checked else "counter:visit", visit.public_id)


@clerk_required
@require_POST
def visit_language(request, visit_id):
    """The visitor's language, chosen by the clerk: the tablet and the take-away sheet use it."""
    visit = _visit(request, visit_id)
    try:
        services.set_language(visit, request.POST.get("language", ""))
    except services.VisitRefused as exc:
        messages.error(request, str(exc))
    return redirect("counter:visit", visit.public_id)


@clerk_required
def tablet(request, visit_id):
    """The visitor's page in the visitor's language: large text, one signature."""
    visit = _visit(request, visit_id)
    language = visitor_language(visit, request.GET.get("lang"))
    context = {"visit": visit, **visitor_context(visit, language)}
    with translation.override(language):
        return render(request, "counter/tablet.html", context)


@clerk_required
@require_POST
def sign(request, visit_id):
    """Without JavaScript there is no canvas: the visitor signs the printed summary instead."""
    visit = _visit(request, visit_id)
    try:
        image = signature_png(request)
        if not image:
            raise services.VisitRefused(_("署名を受け取れませんでした。もう一度署名してください。"))
        services.sign(visit, request.actor, image)
        services.file_visit(visit, request.actor)
        messages.success(request, _("署名を受け付けました。"))
    except services.VisitRefused as exc:
        messages.error(request, str(exc))
    easy = "?lang=easy" if request.POST.get("lang") == "easy" else ""
    return redirect(reverse("counter:tablet", args=[visit.public_id]) + easy)


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@clerk_required
def summary_pdf(request, visit_id):
    """The A4 summary to print and sign where there is no tablet (or no JavaScript)."""
    visit = _visit(request, visit_id)
    entries = bundle.entries(visit)
    if not entries:
        raise Http404
    audit.record(visit.municipality, request.actor, "export", "counter_visit", visit.public_id,
                 subject_ref=getattr(visit.subject, "ref", ""), document="summary",
                 procedures=[e.procedure.code for e in entries], rows=len(entries))
    return _pdf(pdf.render_summary(visit, entries), "summary.pdf")


@clerk_required
def form_pdf(request, visit_id, form_id):
    """One procedure's 様式 with the data printed in."""
    visit = _visit(request, visit_id)
    entry = next((e for e in bundle.entries(visit) if e.form.pk == form_id), None)
    if entry is None:
        raise Http404
    audit.record(visit.municipality, request.actor, "export", "counter_visit", visit.public_id,
                 subject_ref=getattr(visit.subject, "ref", ""), document="form",
                 procedures=[entry.procedure.code], rows=1)
    return _pdf(pdf.render_standard_form(visit, entry), f"{entry.procedure.code}.pdf")


@clerk_required
def takeaway_pdf(request, visit_id):
    """The take-away sheet: what the visitor still does elsewhere (転入学, 運転免許, …), from the
    same navigator result; it names no one."""
    visit = _visit(request, visit_id)
    sheet = takeaway.takeaway_for(visit)
    if not sheet:
        raise Http404
    audit.record(visit.municipality, request.actor, "export", "counter_visit", visit.public_id,
                 document="takeaway")  # it names no one: no subject
    return _pdf(pdf.render_takeaway(visit, sheet), "takeaway.pdf")


@clerk_required
def fee_receipt(request, visit_id, attempt_id):
    """The 領収書 of a cash payment of this visit, where the city issues one (a terminal's slip
    is the receipt of a cashless payment: none is made here)."""
    visit = _visit(request, visit_id)
    attempt = Attempt.objects.select_related("charge__submission", "charge__municipality").filter(
        public_id=attempt_id, charge__municipality=visit.municipality,
        charge__submission__visit_ref=visit.public_id).first()
    if attempt is None or not payment_receipts.available(attempt):
        raise Http404
    audit.record(visit.municipality, request.actor, "download", "payment_receipt", attempt.public_id,
                 subject_ref=attempt.charge.submission.subject_ref)
    return _pdf(payment_receipts.render(attempt), f"ryoshusho-{attempt.charge.submission.receipt_number}.pdf")
