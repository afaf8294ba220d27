"""The visit's bundle: one pre-filled form per procedure the navigator's answers call for.

Only procedures done by the city with a form come in: those at the counter and those online
(the clerk files them on the visitor's behalf). Procedures elsewhere or on マイナポータル are
left to the navigator's list. File fields are not blanks here: the papers are shown at the
counter and the clerk checks them there.

What the clerk typed that did not pass is kept as typed under `engine.RAW` (path → text) in the
form's stored answers, as an online draft keeps it: one wrong value loses none of the others,
and the page shows it back at its field until it is put right.
"""

from collections.abc import Collection
from dataclasses import dataclass
from dataclasses import field as dc_field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from madoguchi.applications import engine, prefill
from madoguchi.applications.engine import RAW
from madoguchi.applications.fieldvalues import FieldError, clean_scalar, required_message
from madoguchi.catalog.schema import Channel, FieldType, FormDefinition, FormField, Procedure
from madoguchi.catalog.selectors import get_procedure, procedures_for
from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.core.crypto import decrypt_json, encrypt_json
from madoguchi.core.japanese.calendar import age_on
from madoguchi.counter.models import CounterVisit, Source, VisitForm, VisitStatus
from madoguchi.counter.protected import MASKED, hides_address
from madoguchi.navigator import services as navigator
from madoguchi.register.dates import last_day
from madoguchi.register.selectors import household_members

BUNDLED_CHANNELS = (Channel.COUNTER, Channel.ONLINE)
# Events whose forms are about the represented resident but made by the visitor in their own
# name (おくやみ: the family member notifies the death), not by a 代理人 for an absent applicant.
SIGNED_BY_VISITOR = ("death",)


class BundleRefused(Exception):
    """The bundle cannot be built or changed; the message is plain Japanese for the clerk."""


@dataclass
class Entry:
    """One form of the bundle as the pages show it."""

    form: VisitForm
    procedure: Procedure
    answers: dict  # the clean answers only (what the summary, the PDFs and the filing use)
    blanks: dict[str, str]  # field path → what is missing, or why what was typed is refused
    raw: dict[str, str] = dc_field(default_factory=dict)  # field path → typed text that did not pass


def answers_of(visit_form: VisitForm) -> dict:
    """The stored answers, with what was typed wrong under RAW."""
    return decrypt_json(visit_form.answers) if visit_form.answers else {}


def bundled(procedure: Procedure | None) -> bool:
    return procedure is not None and procedure.channel in BUNDLED_CHANNELS and bool(procedure.forms)


def field_at(form: FormDefinition, path: str) -> FormField | None:
    """The field a path names: `field_id`, or `group-<n>-sub` inside a group."""
    for step in form.steps:
        for field in step.fields:
            if field.id == path:
                return field
            if field.type == FieldType.GROUP and path.startswith(f"{field.id}-"):
                index, _, sub_id = path[len(field.id) + 1:].partition("-")
                if index.isdigit():
                    return next((s for s in field.fields if s.id == sub_id), None)
    return None


def blanks(form: FormDefinition, answers: dict) -> dict[str, str]:
    """Required fields still empty and values typed wrong (path → message), without the papers
    shown at the counter. A value kept as typed (RAW) reads as the reason it was refused."""
    raw = answers.get(RAW) or {}
    missing: dict[str, str] = {}
    for step in form.steps:
        for path, message in engine.required_errors(step, answers).items():
            field = field_at(form, path)
            if field is not None and field.type == FieldType.GROUP:
                missing.update(_missing_items(field, answers))
            elif field is None or field.type != FieldType.FILE:
                missing[path] = _refusal(field, raw[path]) if field is not None and path in raw else message
    return missing


def _refusal(field: FormField, text: str) -> str:
    """Why `text` is refused (the same plain message the clerk got when typing it)."""
    try:
        clean_scalar(field, text)
    except FieldError as exc:
        return str(exc)
    return _("入力内容を確認してください")  # passes now (the form changed): typing it again stores it


def _missing_items(group: FormField, answers: dict) -> dict[str, str]:
    """A group short of its minimum (the witnesses of a 婚姻届, say) reads as the required
    fields of each missing item, which the clerk can type like any other blank."""
    have = len(answers.get(group.id) or [])
    return {f"{group.id}-{index}-{sub.id}": required_message(sub)
            for index in range(have, group.min_items) for sub in group.fields
            if sub.required and sub.type != FieldType.FILE and engine.visible(sub, answers, {})}


# Filled values the clerk may correct at the visitor's word (the register lags a change, the
# visitor wants another account): not the papers, the 個人番号 (masked on every screen) or a
# tick box, whose clearing a form post cannot tell from leaving it alone.
NOT_CORRECTED_HERE = (FieldType.FILE, FieldType.GROUP, FieldType.MY_NUMBER, FieldType.CHECKBOX)


def correctable(form: FormDefinition, answers: dict) -> list[tuple[str, FormField, object]]:
    """(path, field, value) for every filled, visible value the clerk may change."""
    found = []
    for step in form.steps:
        for field in step.fields:
            if not engine.visible(field, answers):
                continue
            if field.type == FieldType.GROUP:
                for index, item in enumerate(answers.get(field.id) or []):
                    found += [(f"{field.id}-{index}-{sub.id}", sub, item[sub.id]) for sub in field.fields
                              if item.get(sub.id) not in (None, "") and sub.type not in NOT_CORRECTED_HERE
                              and engine.visible(sub, answers, item)]
            elif answers.get(field.id) not in (None, "", []) and field.type not in NOT_CORRECTED_HERE:
                found.append((field.id, field, answers[field.id]))
    return found


def label_of(form: FormDefinition, path: str) -> str:
    """What the clerk's screen calls a blank: a group item's field with its number (証人2 氏名)."""
    field = field_at(form, path)
    if field is None:
        return path
    if "-" not in path:
        return field.label
    group = field_at(form, path.split("-", 1)[0])
    index = int(path.split("-")[1])
    return f"{group.item_label or group.label}{index + 1} {field.label}"


PAPERS_AT_COUNTER = _lazy("窓口で書類を確認します")


# The field types that carry where someone lives: held back from the visitor under a 支援措置.
ADDRESS_TYPES = (FieldType.ADDRESS, FieldType.POSTAL_CODE)


def for_display(form: FormDefinition, answers: dict, hide_address: bool = False) -> dict:
    """The answers as the review pages and PDFs show them: a file field, empty by design at
    the counter, reads as the papers the clerk checks rather than as a blank. With
    `hide_address` (支援措置, counter.protected) every address and postal code reads as masked."""
    shown = {**answers}
    papers = {"filename": PAPERS_AT_COUNTER}
    for step in form.steps:
        for field in step.fields:
            if field.type == FieldType.FILE:
                shown.setdefault(field.id, papers)
            elif hide_address and field.type in ADDRESS_TYPES and _filled(shown.get(field.id)):
                shown[field.id] = str(MASKED)
            elif field.type == FieldType.GROUP:
                files = [sub.id for sub in field.fields if sub.type == FieldType.FILE]
                hidden = [sub.id for sub in field.fields if hide_address and sub.type in ADDRESS_TYPES]
                shown[field.id] = [{**dict.fromkeys(files, papers), **item,
                                    **{sub: str(MASKED) for sub in hidden if _filled(item.get(sub))}}
                                   for item in answers.get(field.id) or []]
    return shown


def _filled(value) -> bool:
    return value not in (None, "", [])


def _without_register_addresses(form: FormDefinition, filled) -> None:
    """支援措置: the register's addresses stay out of the forms until the clerk confirms the
    visitor is the protected person (the clerk types what the visitor says instead)."""
    for path, source in list(filled.sources.items()):
        field = field_at(form, path)
        if source != Source.CLERK and field is not None and field.type in ADDRESS_TYPES:
            _pop(filled.answers, path)
            del filled.sources[path]


def _household(visit: CounterVisit, actor: Actor) -> prefill.Household | None:
    subject = visit.subject
    if subject is None:
        return None
    members = household_members(visit.municipality, actor, visit.ref, subject)
    in_own_name = visit.event in SIGNED_BY_VISITOR
    applicant = visit.visitor if in_own_name and visit.represented else None
    return prefill.Household(subject=subject, members=members, on=timezone.localdate(),
                             applicant=applicant, visitor=visit.visitor,
                             by_proxy=bool(visit.represented) and not in_own_name)


@transaction.atomic
def build(visit: CounterVisit, actor: Actor) -> list[Entry]:
    """(Re)build the visit's forms from the register and the navigator plan; a rebuild starts
    over, so it is refused once the visitor has checked the bundle."""
    if visit.status != VisitStatus.OPEN:
        raise BundleRefused(_("来庁者が確認した後は作り直せません。"))
    if visit.plan is None:
        raise BundleRefused(_("手続ナビの回答（できごと）を先に選んでください。"))
    result = navigator.result_for(visit.plan, visit.municipality)
    visit.event, visit.answers = visit.plan.event, dict(visit.plan.answers)
    household = _household(visit, actor)
    typed, typed_wrong = _typed_by_clerk(visit)
    visit.forms.all().delete()
    prefilled = 0
    hide = hides_address(visit)
    for position, item in enumerate(i for i in result.items if bundled(i.procedure)):
        procedure = item.procedure
        form = procedure.current_form
        filled = prefill.fill(form, procedure.code, household, visit.event, visit.answers, result.day)
        _settle(form, procedure.code, filled, household, visit.answers)
        if hide:
            _without_register_addresses(form, filled)
        for path, value in typed.get((procedure.code, form.version), {}).items():
            field = field_at(form, path)
            if field is not None:
                _put(filled.answers, path, field, value)
                filled.sources[path] = Source.CLERK
        wrong = {path: text for path, text in typed_wrong.get((procedure.code, form.version), {}).items()
                 if field_at(form, path) is not None}
        if wrong:
            for path in wrong:
                _pop(filled.answers, path)
                filled.sources.pop(path, None)
            filled.answers[RAW] = wrong
        VisitForm.objects.create(visit=visit, procedure_code=procedure.code, form_version=form.version,
                                 answers=encrypt_json(filled.answers, visit.municipality_id), sources=filled.sources,
                                 position=position)
        prefilled += sum(1 for source in filled.sources.values() if source != Source.CLERK)
    visit.fields_prefilled = prefilled
    visit.save(update_fields=["event", "answers", "fields_prefilled"])
    audit.record(visit.municipality, actor, "counter_bundle", "counter_visit", visit.public_id,
                 subject_ref=visit.subject.ref if visit.subject else "",
                 procedures=[f.procedure_code for f in visit.forms.all()], prefilled=prefilled)
    return entries(visit)


def _typed_by_clerk(visit: CounterVisit) -> tuple[dict[tuple[str, int], dict], dict[tuple[str, int], dict]]:
    """(procedure code, form version) → path → value the clerk typed, and → path → text typed
    wrong (RAW): a rebuild keeps both."""
    typed, wrong = {}, {}
    for visit_form in visit.forms.all():
        answers = answers_of(visit_form)
        key = (visit_form.procedure_code, visit_form.form_version)
        values = {path: value_at(answers, path) for path, source in visit_form.sources.items()
                  if source == Source.CLERK}
        typed[key] = {path: value for path, value in values.items() if value is not None}
        wrong[key] = dict(answers.get(RAW) or {})
    return typed, wrong


def value_at(answers: dict, path: str):
    """The answer a path names (a group item's field by its path), or None."""
    if "-" not in path:
        return answers.get(path)
    group_id, index, sub_id = path.split("-", 2)
    items = answers.get(group_id) or []
    return items[int(index)].get(sub_id) if int(index) < len(items) else None


def entries(visit: CounterVisit) -> list[Entry]:
    found = []
    offered = {p.code: p for p in procedures_for(visit.municipality)}  # one query, not one a form
    for visit_form in visit.forms.all():
        procedure = offered.get(visit_form.procedure_code)
        if procedure is None:
            continue
        form = procedure.form(visit_form.form_version)
        stored = answers_of(visit_form)
        answers = {key: value for key, value in stored.items() if key != RAW}
        found.append(Entry(visit_form, procedure, answers, blanks(form, stored), dict(stored.get(RAW) or {})))
    return found


def _put(answers: dict, path: str, field: FormField, value) -> None:
    if "-" not in path:  # ids are [a-z0-9_]: a hyphen means a group item's field
        answers[path] = value
        return
    group_id, rest = path.split("-", 1)
    index = int(rest.split("-", 1)[0])
    items = answers.setdefault(group_id, [])
    while len(items) <= index:
        items.append({})
    items[index][field.id] = value


def _pop(answers: dict, path: str) -> None:
    """Take a value out (a group item's field by its path)."""
    if "-" not in path:
        answers.pop(path, None)
        return
    group_id, index, sub_id = path.split("-", 2)
    items = answers.get(group_id) or []
    if index.isdigit() and int(index) < len(items):
        items[int(index)].pop(sub_id, None)


def _changeable(visit_form: VisitForm) -> tuple[CounterVisit, VisitForm]:
    """The visit locked and still open, and the form as stored now, under that lock."""
    visit = CounterVisit.objects.select_for_update().get(pk=visit_form.visit_id)
    if visit.status != VisitStatus.OPEN:
        raise BundleRefused(_("来庁者が確認した後は変更できません。"))
    return visit, VisitForm.objects.get(pk=visit_form.pk)


@transaction.atomic
def fill_blanks(visit_form: VisitForm, procedure: Procedure, values: dict[str, str],
                actor: Actor, uncounted: Collection[str] = ()) -> dict[str, str]:
    """The clerk types what nobody knew (or corrects what the register had wrong); each value
    is checked as the online form checks it. Returns path → error. Every value that passes is
    stored; one that does not is kept as typed (RAW) in place of the field's value, so one
    mistake never costs the clerk the rest of the form. A value typed again unchanged is not
    counted again; an emptied input drops what was kept as typed there. `uncounted` paths are
    copies of one value typed once (a family's 国籍 for each mover): stored, not counted."""
    visit, visit_form = _changeable(visit_form)
    form = procedure.form(visit_form.form_version)
    answers = answers_of(visit_form)
    raw = dict(answers.pop(RAW, None) or {})
    sources = dict(visit_form.sources)
    errors: dict[str, str] = {}
    cleaned = {}
    for path, text in values.items():
        if text in (None, "", []):
            raw.pop(path, None)
            continue
        field = field_at(form, path)
        if field is None or field.type in {FieldType.GROUP, FieldType.FILE}:
            errors[path] = _("この項目はここでは入力できません。")
            continue
        try:
            cleaned[path] = (field, clean_scalar(field, text))
        except FieldError as exc:
            errors[path] = str(exc)
            if isinstance(text, str):
                raw[path] = text
                _pop(answers, path)
                sources.pop(path, None)
    changed = 0
    for path, (field, value) in cleaned.items():
        raw.pop(path, None)
        if value_at(answers, path) == value:
            continue
        _put(answers, path, field, value)
        sources[path] = Source.CLERK
        changed += path not in uncounted
    if raw:
        answers[RAW] = raw
    visit_form.answers = encrypt_json(answers, visit.municipality_id)
    visit_form.sources = sources
    visit_form.save(update_fields=["answers", "sources"])
    visit.fields_typed_by_clerk += changed
    visit.save(update_fields=["fields_typed_by_clerk"])
    facts = {fact_of(field): value for path, (field, value) in cleaned.items()
             if "-" not in path and fact_of(field)}
    if facts:
        _share(visit, visit_form, facts)
    return errors


# What the visitor tells once serves every form of the visit that asks it: their phone and
# e-mail, and the bank account an allowance or a refund is paid into.
SHARED_PREFILLS = ("applicant_phone", "applicant_email")
SHARED_FIELD_IDS = ("bank_name", "branch_name", "account_type", "account_number", "account_holder_kana")


def fact_of(field: FormField) -> str | None:
    """The key under which a field's value is shared by the visit's forms (None: not shared)."""
    if field.prefill in SHARED_PREFILLS:
        return f"prefill:{field.prefill}"
    return f"id:{field.id}" if field.id in SHARED_FIELD_IDS else None


def _share(visit: CounterVisit, typed_in: VisitForm, facts: dict[str, object]) -> None:
    """Fill the same question where it is still blank on the visit's other forms. Typed once,
    counted once: these values keep the clerk as their source but add nothing to the count."""
    for other in visit.forms.exclude(pk=typed_in.pk):
        procedure = get_procedure(visit.municipality, other.procedure_code)
        if procedure is None:
            continue
        form = procedure.form(other.form_version)
        answers, sources, changed = answers_of(other), dict(other.sources), False
        for path in blanks(form, answers):
            field = field_at(form, path)
            typed_there = path in (answers.get(RAW) or {})  # the clerk's own typing stays
            fact = fact_of(field) if field is not None and "-" not in path and not typed_there else None
            if fact in facts:
                try:
                    answers[path] = clean_scalar(field, facts[fact])
                except FieldError:
                    continue
                sources[path], changed = Source.CLERK, True
        if changed:
            other.answers, other.sources = encrypt_json(answers, visit.municipality_id), sources
            other.save(update_fields=["answers", "sources"])


def group_items(form: FormDefinition, answers: dict) -> list[tuple[str, int, str]]:
    """(group id, index, how the clerk's page names it) for every item of the form's groups."""
    found = []
    for step in form.steps:
        for field in step.fields:
            if field.type == FieldType.GROUP and engine.visible(field, answers):
                for index, item in enumerate(answers.get(field.id) or []):
                    who = item.get("name") or next((str(v) for v in item.values() if v), "")
                    found.append((field.id, index, f"{field.item_label or field.label}{index + 1} {who}".strip()))
    return found


def _renumbered(by_path: dict, group_id: str, index: int) -> dict:
    """Paths of a group's items after item `index` is taken out: the later ones move up."""
    result = {}
    for path, value in by_path.items():
        group, _, rest = path.partition("-")
        position, _, sub_id = rest.partition("-")
        if group != group_id or not position.isdigit():
            result[path] = value
        elif int(position) != index:
            moved = int(position) - (int(position) > index)
            result[f"{group_id}-{moved}-{sub_id}"] = value
    return result


@transaction.atomic
def drop_item(visit_form: VisitForm, group_id: str, index: int, actor: Actor) -> None:
    """The clerk takes out an item the register put in (a member who is not moving, say); the
    items after it move up with their sources. Counted as one field typed by the clerk."""
    visit, visit_form = _changeable(visit_form)
    answers = answers_of(visit_form)
    items = answers.get(group_id)
    if not isinstance(items, list) or not 0 <= index < len(items):
        raise BundleRefused(_("その項目は見つかりません。"))
    del items[index]
    if answers.get(RAW):
        answers[RAW] = _renumbered(answers[RAW], group_id, index)
    sources = _renumbered(visit_form.sources, group_id, index)
    visit_form.answers, visit_form.sources = encrypt_json(answers, visit.municipality_id), sources
    visit_form.save(update_fields=["answers", "sources"])
    visit.fields_typed_by_clerk += 1
    visit.save(update_fields=["fields_typed_by_clerk"])
    audit.record(visit.municipality, actor, "counter_drop_item", "counter_visit", visit.public_id,
                 procedure=visit_form.procedure_code, group=group_id, index=index)


# --- what the navigator's answers and the register settle beyond the prefill -----------------

ADULT_PENSION_AGES = range(20, 60)  # 国民年金法第7条: 20 to 59 years old, the 第1号被保険者


def _surely_aged(person, on, ages: range) -> bool:
    """Whether the person's age on `on` is in `ages` whatever day a 生年月日 partly 不詳 is (the
    oldest and the youngest they can be): a value is filled only when the register settles it."""
    oldest = age_on(person.birth_date, on)
    youngest = age_on(last_day(person.birth_date, person.birth_date_precision), on)
    return oldest in ages and youngest in ages



# Forms whose payments go only to an account in the applicant's own name (児童手当: 「請求者ご
# 本人の名義の口座に限ります」; 子ども医療費助成: 「保護者名義の口座です」, the 保護者 who applies).
OWN_ACCOUNT_FORMS = ("child-allowance-claim", "child-medical-subsidy")


def _settle(form: FormDefinition, procedure_code: str, filled, household, answers: dict) -> None:
    """Fill what the visitor already said once at this counter, so the clerk is not made to ask
    it again form by form:
    - 「マイナンバーカードを持っていますか」 answered yes (the people moving have one): each
      mover's マイナンバーカード is 「持っている（引き続き使う）」 (source: the navigator);
    - the whole household moving in (its head among the movers) makes a new household at the
      new address; part of it moving in joins the household already there (source: register);
    - 国民健康保険 after the move: a child's insurance is 国民健康保険 and its 被保険者 is the
      世帯主 (as the form's own help says), and a claimant aged 20 to 59 in 国民健康保険 is in
      国民年金 (国民年金法第7条第1項第1号) (source: the navigator);
    - the 口座名義 of a form paid only into the applicant's own account (OWN_ACCOUNT_FORMS) is
      the applicant's フリガナ (source: register).
    Only empty fields are filled, only with a value the field accepts; the clerk can correct
    any of them at the visitor's word."""
    fields = {f.id: f for step in form.steps for f in step.fields}
    set_values: list[tuple[str, FormField, object, str]] = []
    movers = fields.get("movers")
    if movers is not None and movers.type == FieldType.GROUP:
        has_card = next((f for f in movers.fields if f.id == "has_card"), None)
        if has_card is not None and answers.get("card") == "yes":
            for index, _ in enumerate(filled.answers.get("movers") or []):
                set_values.append((f"movers-{index}-has_card", has_card, "continue", Source.NAVIGATOR))
        kind = fields.get("household_kind")
        if kind is not None and household is not None and filled.answers.get("movers"):
            moving = len(filled.answers["movers"])
            whole = moving >= len(household.members)
            set_values.append(("household_kind", kind, "new" if whole else "join", Source.REGISTER))
    if answers.get("insurance") == "nhi":
        children = fields.get("children")
        if children is not None and children.type == FieldType.GROUP and household is not None:
            subs = {f.id: f for f in children.fields}
            for index, _ in enumerate(filled.answers.get("children") or []):
                if "insurance_kind" in subs:
                    set_values.append((f"children-{index}-insurance_kind", subs["insurance_kind"], "nhi",
                                       Source.NAVIGATOR))
                if "insurance_holder" in subs:
                    set_values.append((f"children-{index}-insurance_holder", subs["insurance_holder"],
                                       household.head.name, Source.REGISTER))
        pension = fields.get("claimant_pension")
        if pension is not None and household is not None and \
                _surely_aged(household.signer, household.on, ADULT_PENSION_AGES):
            set_values.append(("claimant_pension", pension, "kokumin", Source.NAVIGATOR))
    holder = fields.get("account_holder_kana")
    if holder is not None and procedure_code in OWN_ACCOUNT_FORMS and household is not None:
        set_values.append(("account_holder_kana", holder, household.signer.kana, Source.REGISTER))
    for path, field, value, source in set_values:
        if value_at(filled.answers, path) not in (None, ""):
            continue
        try:
            clean = clean_scalar(field, value)
        except FieldError:
            continue
        _put(filled.answers, path, field, clean)
        filled.sources[path] = source


# --- asked once per family ----------------------------------------------------------------------


@dataclass
class FamilyField:
    """One input for a sub-field every item of a group is missing (each mover's 国籍): typed
    once, it fills them all. `when` names the sibling it depends on (本籍 only for 国籍 日本):
    such a field is filled only for the items where that sibling's value shows it."""

    form_pk: int
    group: FormField
    sub: FormField
    paths: list[str]
    when: FormField | None = None
    when_label: str = ""

    @property
    def name(self) -> str:
        return f"family-{self.form_pk}-{self.group.id}-{self.sub.id}"

    @property
    def label(self) -> str:
        who = self.group.item_label or self.group.label
        n = len(self.paths)
        everyone = ngettext("%(label)s（%(who)s全員 %(n)s人）", "%(label)s（%(who)s全員 %(n)s人）", n) % {
            "label": self.sub.label, "who": who, "n": n}
        if self.when is None:
            return everyone
        return _("%(everyone)s（%(question)sが「%(answer)s」のとき）") % {
            "everyone": everyone, "question": self.when.label, "answer": self.when_label}


def family_fields(visit_form: VisitForm, form: FormDefinition, answers: dict,
                  missing: dict[str, str]) -> list[FamilyField]:
    """The group sub-fields blank in two or more items, and the required sub-fields that only
    they make appear (so 国籍 and then 本籍 need one save, not two)."""
    by_sub: dict[tuple[str, str], list[str]] = {}
    for path in missing:
        group_id, _, rest = path.partition("-")
        index, _, sub_id = rest.partition("-")
        if index.isdigit() and sub_id:
            by_sub.setdefault((group_id, sub_id), []).append(path)
    found = []
    for (group_id, sub_id), paths in by_sub.items():
        if len(paths) < 2:
            continue
        group = field_at(form, group_id)
        sub = field_at(form, paths[0])
        if group is None or sub is None or not sub.options and sub.type in NOT_CORRECTED_HERE:
            continue
        found.append(FamilyField(visit_form.pk, group, sub, paths))
        for other in group.fields:
            condition = other.show_if
            if condition is None or condition.field != sub_id or not other.required or \
                    other.type in (FieldType.FILE, FieldType.GROUP):
                continue
            shown = condition.equals or (condition.in_ or [""])[0]
            label = next((o.label for o in sub.options if o.value == shown), shown)
            found.append(FamilyField(visit_form.pk, group, other,
                                     [f"{group_id}-{p.split('-')[1]}-{other.id}" for p in paths], sub, label))
    return found


def family_values(family: FamilyField, text, given: dict[str, object], answers: dict) -> dict[str, object]:
    """path → the one typed value, for each item it applies to (a dependent field only where
    its sibling, as typed now or as stored, shows it)."""
    if text in (None, "", []):
        return {}
    values = {}
    for path in family.paths:
        if family.when is not None:
            sibling = f"{family.group.id}-{path.split('-')[1]}-{family.when.id}"
            value = given.get(sibling, value_at(answers, sibling))
            if not engine.matches(family.sub.show_if, value):
                continue
        values[path] = text
    return values
