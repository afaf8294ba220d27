"""手続ナビ pages: thin views over services; plain forms, POST-redirect-GET, no script needed.

Anyone with a plan's token reads it (the QR code at the counter, the resident's other devices);
only the browser session that made it changes its answers (services.may_change). Any other
browser is shown the plan as read-only, with a button to make its own copy."""

from functools import lru_cache

import segno
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from madoguchi.navigator import services
from madoguchi.navigator.checklist import render_checklist
from madoguchi.navigator.loader import events
from madoguchi.navigator.rules import NO, YES, QuestionType
from madoguchi.navigator.selectors import plan_by_token
from madoguchi.navigator.texts import current_language, texts


def _page(request, template: str, lang: str, context: dict) -> HttpResponse:
    """The page in the site's language (the preference of the session, base.html's switch)."""
    return render(request, template, {"lang": lang, "t": texts(lang), **context})


def _plan(request, token):
    """The plan, following the page's language: a plan opened from its QR code on another
    device with ?lang= shows (and prints) in that language."""
    plan = plan_by_token(request.municipality, token)
    if plan is None:
        raise Http404
    services.set_lang(plan, current_language())
    return plan


def event_list(request):
    lang = current_language()
    return _page(request, "navigator/events.html", lang, {
        "events": [(e, e.title.get(lang), e.summary.get(lang)) for e in events().values()],
    })


@require_POST
def start(request, event):
    try:
        plan = services.start_plan(request.municipality, event, current_language())
    except LookupError:
        raise Http404 from None
    services.remember_owner(request.session, plan)
    return redirect("navigator:plan", plan.token)


def _may_change(request, plan) -> bool:
    return services.may_change(request.session, plan)


def _read_only(request, plan, status: int = 403) -> HttpResponse:
    """The plan as another browser may see it: its answers without a way to change them, and
    the button that makes a copy of its own. A refused change (403) changes nothing."""
    response = _page(request, "navigator/readonly.html", plan.lang, {
        "plan": plan, "event_title": services.event_of(plan).title.get(plan.lang),
        "complete": services.is_complete(plan), "answers": services.answers_of(plan),
        "can_change": False,
    })
    response.status_code = status
    return response


def copy(request, token):
    """「同じ答えで自分用に作る」: a new plan with the same answers, this browser's own."""
    plan = _plan(request, token)
    if request.method != "POST":
        return redirect("navigator:plan", plan.token)
    own = services.copy_plan(plan, current_language())
    services.remember_owner(request.session, own)
    messages.success(request, gettext("同じ答えで、この端末用の答えを作りました。ここでは答えを変更できます。"))
    return redirect("navigator:plan", own.token)


def _question_page(request, plan, question, *, errors=(), posted=None):
    lang = plan.lang
    current = posted if posted is not None else plan.answers.get(question.id)
    chosen = current if isinstance(current, list) else [current] if current else []
    if question.type == QuestionType.YESNO:
        options = [(YES, texts(lang)["yes"]), (NO, texts(lang)["no"])]
    else:
        options = [(o.value, o.label.get(lang)) for o in question.options]
    today = timezone.localdate()
    t = texts(lang)
    progress, answered, left = "", 0, 0
    if question.id not in plan.answers:  # a new question, not a change to an earlier answer
        answered, left = services.progress(plan)
        more = t["questions_left"] % {"n": left - 1} if left > 1 else t["questions_last"]
        progress = t["progress"] % {"count": t["question_count"] % {"n": answered + 1}, "more": more}
    previous = services.previous_question(plan, question)
    return _page(request, "navigator/question.html", lang, {
        "plan": plan, "event_title": services.event_of(plan).title.get(lang),
        "question": question, "text": question.text.get(lang),
        "help": question.help.get(lang) if question.help else "",
        "options": options, "chosen": chosen, "errors": list(errors),
        "date_value": chosen[0] if chosen else today.isoformat(),
        "date_max": "" if question.future else today.isoformat(),
        "progress": progress, "progress_number": answered + 1, "progress_left": max(left - 1, 0),
        "previous": previous, "answers": services.answers_of(plan), "can_change": True,
    })


def _answer(request, plan, question):
    errors = services.answer(plan, question.id, request.POST.getlist("answer"))
    if errors:
        response = _question_page(request, plan, question, errors=errors,
                                  posted=request.POST.getlist("answer"))
        response.status_code = 400
        return response
    return redirect("navigator:plan", plan.token)


def plan(request, token):
    """The next question to ask; the result once every rule is decided."""
    plan = _plan(request, token)
    if request.method == "POST" and not _may_change(request, plan):
        return _read_only(request, plan)
    if request.method == "POST":
        question = services.askable(plan, request.POST.get("question", ""))
        if question is None:
            return redirect("navigator:plan", plan.token)
        return _answer(request, plan, question)
    question = services.next_question(plan)
    if question is None:
        return redirect("navigator:result", plan.token)
    if not _may_change(request, plan):  # an unfinished plan, read on another device
        return _read_only(request, plan, status=200)
    return _question_page(request, plan, question)


def change(request, token, question):
    """One earlier answer, to change it; then on to whatever the new answer calls for."""
    plan = _plan(request, token)
    if not _may_change(request, plan):
        return _read_only(request, plan)
    found = services.askable(plan, question)
    if found is None:
        return redirect("navigator:plan", plan.token)
    if request.method == "POST":
        return _answer(request, plan, found)
    return _question_page(request, plan, found)


@lru_cache(maxsize=1024)
def qr_svg(url: str) -> str:
    """The counter QR code as inline SVG; a plan's URL never changes, so draw it once."""
    return segno.make(url, error="m").svg_inline(scale=4)


def result(request, token):
    plan = _plan(request, token)
    if not services.is_complete(plan):
        return redirect("navigator:plan", plan.token)
    found = services.result_for(plan, request.municipality)
    if request.GET.get("apply"):
        return _apply_page(request, plan, found, request.GET["apply"])
    url = services.counter_url(plan, request)
    lead = ngettext(
        "%(event)s（%(day)s）にあわせて必要な手続は %(n)s 件です。期限の近い順に並べています。",
        "%(event)s（%(day)s）にあわせて必要な手続は %(n)s 件です。期限の近い順に並べています。",
        len(found.items)) % {"event": found.title, "day": found.day_label, "n": len(found.items)}
    return _page(request, "navigator/result.html", plan.lang, {
        "plan": plan, "result": found, "counter_url": url, "lead": lead,
        "qr": qr_svg(url), "can_change": _may_change(request, plan),
    })


def _apply_page(request, plan, found, code: str) -> HttpResponse:
    """One procedure of the result (`?apply=<code>`), with the button that starts it from the
    plan: where the start button sends a resident who logs in first (login's `next` is a GET,
    and only a POST starts a draft), so the plan's answers are not lost on the way."""
    item = next((i for i in found.items if i.code == code and i.startable), None)
    if item is None:
        return redirect("navigator:result", plan.token)
    words = texts(plan.lang)
    return _page(request, "navigator/apply.html", plan.lang, {
        "plan": plan, "result": found, "item": item, "back_text": words["apply_back"],
        "lead": words["apply_lead"] % {"event": found.title, "day": found.day_label},
    })


def checklist(request, token):
    plan = _plan(request, token)
    if not services.is_complete(plan):
        return redirect("navigator:plan", plan.token)
    found = services.result_for(plan, request.municipality)
    pdf = render_checklist(found, request.municipality.name, services.counter_url(plan, request))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="checklist.pdf"'
    return response
