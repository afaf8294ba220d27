"""The multi-step form: one page per step, then the 確認画面, then submit.

Every step is a plain POST, so the form works without JavaScript; buttons carry
`_action`: next, back, save, add:<group>, remove:<group>:<n>, lookup:<postal field>.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_POST

from madoguchi.applications import engine, prefill, selectors, services, signing
from madoguchi.applications.formview import step_context
from madoguchi.catalog.fees import quote
from madoguchi.catalog.schema import FieldType
from madoguchi.catalog.selectors import get_procedure
from madoguchi.core.japanese import JapaneseInputError, lookup_address, normalize_postal_code
from madoguchi.identity.card_display import session_key
from madoguchi.identity.session import (
    current_account,
    resident_actor,
    resident_required,
)
from madoguchi.navigator.selectors import plan_by_token

# Where a pre-filled value came from, as the step page marks it (counter.models.Source says the
# same at the counter). Only what 手続ナビ carried over is marked for now: the register's and the
# card's values are the resident's own facts, already announced on the page that fills them.
SOURCE_LABELS = {
    prefill.NAVIGATOR: pgettext_lazy("source of a value", "手続ナビ"),
}


def _load(request, draft_id):
    draft = selectors.draft_of(request.account, draft_id)
    if draft is None:
        raise Http404
    if draft.submitted_at is not None:
        return draft, None, None
    procedure = get_procedure(request.municipality, draft.procedure_code)
    if procedure is None:
        raise Http404
    return draft, procedure, procedure.form(draft.form_version)


def _posted_plan(request):
    """The 手続ナビ plan the start button carries (its token: the plan's only key, naming
    nobody), when it is this city's."""
    token = request.POST.get("plan", "")
    return plan_by_token(request.municipality, token) if token else None


@require_POST
def start(request, code):
    """Start (or, from a plan, resume) a draft. POST only: a GET, a prefetch or a link never
    creates one."""
    request.account = current_account(request)
    plan = _posted_plan(request)
    if request.account is None:
        # Not @resident_required: after logging in the browser GETs `next`, and this URL is
        # POST only (405). From a plan, come back to the navigator's page for this procedure
        # (the plan's answers kept, one button); otherwise to the procedure's page.
        back = (f"{reverse('navigator:result', args=[plan.token])}?{urlencode({'apply': code})}"
                if plan is not None else reverse("applications:procedure", args=[code]))
        return redirect(f"{reverse('identity:login')}?{urlencode({'next': back})}")
    procedure = get_procedure(request.municipality, code)
    if procedure is None or not procedure.online:
        raise Http404
    if plan is not None:
        draft = services.start_from_plan(request.account, procedure, plan)
        return redirect("applications:resume", draft.public_id)
    draft = services.start_draft(request.account, procedure)
    return redirect("applications:step", draft.public_id, 0)


@resident_required
def resume(request, draft_id):
    draft, procedure, form = _load(request, draft_id)
    if procedure is None:
        return redirect("applications:mypage")
    return redirect("applications:step", draft.public_id, min(draft.step, len(form.steps)))


class BadAction(Exception):
    """A button value naming no group, item or field of the step (a hand-made POST): the page
    shows again with the message, nothing changes."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


_NO_SUCH_ACTION = gettext_lazy("この操作はできません。画面のボタンからやり直してください。")


def _group(step, group_id: str):
    group = next((f for f in step.fields if f.id == group_id and f.type == FieldType.GROUP), None)
    if group is None:
        raise BadAction("_action", _NO_SUCH_ACTION)
    return group


def _apply_action(action: str, step, data, answers: dict) -> str:
    """Structural actions on the step: add or remove a group item, look up an address."""
    verb, _sep, target = action.partition(":")
    if action in {"next", "back", "save"}:
        return ""
    if verb == "add":
        group = _group(step, target)
        items = answers.setdefault(group.id, [])
        if len(items) < group.max_items:
            items.append({})
            return _("%(item)sを追加しました") % {"item": group.item_label or group.label}
        return ngettext("%(label)sは%(n)s件までです", "%(label)sは%(n)s件までです", group.max_items) % {
            "label": group.label, "n": group.max_items}
    if verb == "remove":
        group_id, _sep, index = target.partition(":")
        group = _group(step, group_id)
        items = answers.get(group.id) or []
        if not (index.isascii() and index.isdigit() and int(index) < len(items)):
            raise BadAction(group.id, _("削除する項目が見つかりません。画面を読み込み直してください。"))
        items.pop(int(index))
        raw = answers.get(engine.RAW, {})
        for key in [k for k in raw if k.startswith(f"{group_id}-")]:
            raw.pop(key)
        return _("削除しました")
    if verb == "lookup":
        field = next((f for f in step.fields if f.id == target and f.address_field), None)
        if field is None:
            raise BadAction("_action", _NO_SUCH_ACTION)
        try:
            code = normalize_postal_code(data.get(field.id, ""))
        except JapaneseInputError as exc:
            return str(exc)
        found = lookup_address(code)
        if found:
            answers[field.id] = code
            answers[field.address_field] = found[0]
            return _("住所を入力しました。番地・建物名を続けて入力してください。")
        return _("この郵便番号の住所が見つかりませんでした。住所を直接入力してください。")
    raise BadAction("_action", _NO_SUCH_ACTION)


@resident_required
def step(request, draft_id, index):
    draft, procedure, form = _load(request, draft_id)
    if procedure is None:
        return redirect("applications:mypage")
    if index >= len(form.steps):
        return redirect("applications:confirm", draft.public_id)
    current = form.steps[index]
    answers = services.answers_of(draft)
    errors: dict = {}
    if request.method == "POST":
        action = request.POST.get("_action", "next")
        result = engine.read_step(current, request.POST, request.FILES, answers,
                                  request.account, strict=action == "next")
        answers = result.answers
        try:
            notice = _apply_action(action, current, request.POST, answers)
        except BadAction as exc:
            context = step_context(procedure, form, current, index, answers,
                                   {**result.errors, exc.name: str(exc)}, draft)
            return render(request, "applications/step.html", context, status=400)
        typed = [f.id for f in current.fields]
        if action == "next" and result.ok:
            services.save_draft(draft, answers, index + 1, typed, procedure)
            return redirect("applications:step", draft.public_id, index + 1)
        services.save_draft(draft, answers, index, typed, procedure)
        if action == "back":
            return redirect("applications:step", draft.public_id, max(index - 1, 0))
        if action == "save":
            messages.success(request, _("一時保存しました。マイページからいつでも続きを入力できます。"))
            return redirect("applications:step", draft.public_id, index)
        if notice:
            messages.info(request, notice)
        errors = result.errors if action == "next" else {}
        if not errors and action != "next":
            return redirect(f"{reverse('applications:step', args=[draft.public_id, index])}#main")
    context = step_context(procedure, form, current, index, answers, errors, draft)
    _mark_sources(context["fields"], draft.sources)
    return render(request, "applications/step.html", context, status=400 if errors else 200)


def _mark_sources(fields: list[dict], sources: dict) -> None:
    """Give each field (and each group item's field) `source` and `source_label` from the
    draft's sources by path, so the page can say 「手続ナビから入力」 beside a carried-over value."""
    for field in fields:
        for entry in [field, *(sub for item in field.get("items", ()) for sub in item["fields"])]:
            source = sources.get(entry["name"], "")
            entry["source"] = source if source in SOURCE_LABELS else ""
            entry["source_label"] = SOURCE_LABELS.get(source, "")


@resident_required
def confirm(request, draft_id):
    draft, procedure, form = _load(request, draft_id)
    if procedure is None:
        submission = selectors.submissions_of(request.account).filter(draft=draft).first() or draft.correcting
        return redirect("applications:submitted", submission.public_id)
    answers = services.answers_of(draft)
    incomplete = engine.first_incomplete_step(form, answers)
    if incomplete is not None:
        messages.error(request, _("入力されていない項目があります。"))
        return redirect("applications:step", draft.public_id, incomplete)
    if request.method == "POST" and procedure.card_required:
        signing.request_signature(draft, procedure, answers, session_key(request))
        return redirect("applications:sign", draft.public_id)
    if request.method == "POST":
        try:
            submission = services.submit_draft(draft, procedure, resident_actor(request))
        except services.SubmissionRefused as exc:
            messages.error(request, str(exc))
            return redirect("applications:step", draft.public_id, int(exc.errors.get("step", 0)))
        return redirect("applications:submitted", submission.public_id)
    return render(request, "applications/confirm.html", {
        "procedure": procedure, "form": form, "draft": draft,
        "sections": engine.summary(form, answers), "steps": form.steps,
        "step_count": len(form.steps) + 1, "step_number": len(form.steps) + 1,
        # A correction keeps the fee quoted (and perhaps paid) when the case was first sent.
        "fee": None if draft.correcting_id else quote(procedure, services.clean_answers(answers)).localized(procedure),
    })


@require_POST
@resident_required
def discard(request, draft_id):
    draft = selectors.draft_of(request.account, draft_id)
    if draft is None or draft.submitted_at is not None:
        raise Http404
    draft.delete()
    messages.info(request, _("下書きを削除しました。"))
    return redirect("applications:mypage")
