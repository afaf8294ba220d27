"""Start a plan, record answers, and turn the answers into the resident's list of procedures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from madoguchi.catalog.i18n import in_language
from madoguchi.catalog.loader import catalog
from madoguchi.catalog.schema import Channel, Procedure
from madoguchi.catalog.selectors import department_for, procedures_for
from madoguchi.core import i18n
from madoguchi.core.japanese import JapaneseInputError, parse_date
from madoguchi.core.japanese.calendar import age_on, next_open_day
from madoguchi.core.models import Department, Municipality
from madoguchi.navigator import rules
from madoguchi.navigator.loader import events
from madoguchi.navigator.models import NavigatorPlan
from madoguchi.navigator.rules import Event, Question, QuestionType
from madoguchi.navigator.texts import DEFAULT_LANG, count_text, day_text, deadline_text, texts

ONLINE, COUNTER, ELSEWHERE = "online", "counter", "elsewhere"
GROUPS = (ONLINE, COUNTER, ELSEWHERE)
PAST_YEARS, FUTURE_DAYS = 5, 366


def event_of(plan: NavigatorPlan) -> Event:
    return events()[plan.event]


def start_plan(municipality: Municipality, event_id: str, lang: str = DEFAULT_LANG) -> NavigatorPlan:
    """A new, empty plan; raises LookupError for an event that does not exist."""
    if event_id not in events():
        raise LookupError(event_id)
    return NavigatorPlan.objects.create(
        municipality=municipality, event=event_id, lang=i18n.supported(lang) or DEFAULT_LANG)


# --- who may change a plan ----------------------------------------------------------------------

# The session's list of the plans it made (ids, newest last): the token only lets a browser
# read a plan (its QR code is shown at the counter, on the resident's other devices); changing
# the answers needs the browser that made it. Kept in the session, so it survives logging in
# (identity.session.start_session cycles the key, keeping the data) and ends with it.
OWN_PLANS = "navigator_plans"
OWN_PLANS_KEPT = 50


def remember_owner(session, plan: NavigatorPlan) -> None:
    """Mark `plan` as made by this browser session."""
    kept = [pk for pk in session.get(OWN_PLANS, []) if pk != plan.pk]
    session[OWN_PLANS] = [*kept, plan.pk][-OWN_PLANS_KEPT:]


def may_change(session, plan: NavigatorPlan) -> bool:
    """Whether this browser session may change the plan's answers on the navigator's pages.
    (The counter changes a plan through its visit, counter/views.py, with the clerk's rights.)"""
    return plan.pk in session.get(OWN_PLANS, [])


def copy_plan(plan: NavigatorPlan, lang: str = DEFAULT_LANG) -> NavigatorPlan:
    """A new plan with the same event and answers (in force only): what a browser that may only
    read a plan starts from to change the answers for itself."""
    copy = NavigatorPlan.objects.create(
        municipality=plan.municipality, event=plan.event,
        answers=in_force_answers(event_of(plan), plan.answers),
        lang=i18n.supported(lang) or plan.lang)
    return copy


def set_lang(plan: NavigatorPlan, lang: str) -> None:
    """The plan follows the page's language (a plan opened with ?lang= on another device)."""
    lang = i18n.supported(lang)
    if lang and plan.lang != lang:
        plan.lang = lang
        plan.save(update_fields=["lang", "updated_at"])


def next_question(plan: NavigatorPlan) -> Question | None:
    return rules.next_question(event_of(plan), plan.answers)


def progress(plan: NavigatorPlan) -> tuple[int, int]:
    """(answered so far, at most how many more): the question page's progress hint."""
    event = event_of(plan)
    return len(rules.in_force(event, plan.answers)), len(rules.pending(event, plan.answers))


def previous_question(plan: NavigatorPlan, question: Question) -> Question | None:
    """The answered question before `question`, for the back link."""
    event = event_of(plan)
    answered = rules.in_force(event, plan.answers)
    order = [q.id for q in event.questions]
    before = [q for q in answered if order.index(q.id) < order.index(question.id)]
    return before[-1] if before else None


def askable(plan: NavigatorPlan, question_id: str) -> Question | None:
    """The question if it exists and applies to the answers so far."""
    event = event_of(plan)
    question = next((q for q in event.questions if q.id == question_id), None)
    if question is None or rules.Decider(event, plan.answers).asks(question) is not True:
        return None
    return question


def answer(plan: NavigatorPlan, question_id: str, values: list[str]) -> list[str]:
    """Check and store one answer; returns plain error messages in the plan's language (none
    when stored). Only option values and the event's day are kept, never free text."""
    t = texts(plan.lang)
    question = askable(plan, question_id)
    if question is None:
        return [t["err_not_asked"]]
    value, errors = _clean(question, [v.strip() for v in values if v.strip()], plan.lang)
    if errors:
        return errors
    store_answers(plan, {**plan.answers, question.id: value})
    return []


# --- stale answers -----------------------------------------------------------------------------


def in_force_answers(event: Event, answers: dict) -> dict:
    """`answers` without those to questions the other answers no longer ask (their ask_if is
    false, or the event no longer has the question). An ask_if still undecided (an earlier
    question not answered yet) keeps its answer: the question may yet be asked."""
    decider = rules.Decider(event, answers)
    questions = {q.id: q for q in event.questions}
    return {question_id: value for question_id, value in answers.items()
            if question_id in questions and decider.asks(questions[question_id]) is not False}


def store_answers(plan: NavigatorPlan, answers: dict) -> None:
    """Save the plan's answers, dropping those no longer asked: the one place every change of
    answers goes through (the pages, the counter), so an answer to a question that a changed
    answer no longer asks neither stays in the plan nor is copied into a visit or a form, and
    the question is asked afresh if a later change makes it apply again."""
    plan.answers = in_force_answers(event_of(plan), answers)
    plan.save(update_fields=["answers", "updated_at"])


def drop_stale(plan: NavigatorPlan) -> list[str]:
    """Drop the stale answers of a plan saved before they were dropped on saving (the counter
    does so when it loads a plan from its QR code); returns the question ids dropped."""
    kept = in_force_answers(event_of(plan), plan.answers)
    dropped = [q for q in plan.answers if q not in kept]
    if dropped:
        store_answers(plan, kept)
    return dropped


def questions_now(plan: NavigatorPlan) -> list[Question]:
    """What can be asked on one page now (rules.askable_now); empty when every rule is decided."""
    return rules.askable_now(event_of(plan), plan.answers)


def answer_many(plan: NavigatorPlan, given: dict[str, list[str]]) -> dict[str, list[str]]:
    """Several answers from one page, checked one by one as `answer` checks each (in the
    event's order, so a question that an earlier answer makes apply is checked after it).
    Returns question id → plain error messages; what passes is stored even when another fails."""
    order = [q.id for q in event_of(plan).questions]
    errors = {}
    for question_id in sorted(given, key=lambda q: order.index(q) if q in order else len(order)):
        found = answer(plan, question_id, given[question_id])
        if found:
            errors[question_id] = found
    return errors


@dataclass(frozen=True)
class Member:
    """One person of the household as the register has them, named by nobody: what the
    navigator may read to answer its own questions (it does not read the register itself)."""

    relationship: str  # 続柄 to the head (世帯主, 妻, 子, …)
    birth_date: date
    exact: bool = True  # False for a 生年月日 partly 不詳 in the register: no age is read from it


# A moving child's school stage, as the 引越し event's `children` options name them.
SCHOOL_STAGES = ((0, "elementary"), (6, "junior_high"), (9, "high_school"))


def school_stage(born: date, on: date) -> str | None:
    """The `children` option a child born on `born` falls under on `on`, or None for an adult.
    Japanese school years start in April; a child born from 2 April to 1 April of the next year
    enters primary school in the April after turning six (学校教育法第17条, and 年齢計算ニ関スル
    法律: a birthday on 1 April counts as reached on 31 March)."""
    school_year = on.year if on.month >= 4 else on.year - 1
    enters = born.year + (7 if (born.month, born.day) >= (4, 2) else 6)
    grade = school_year - enters  # 0: the first year of primary school
    if grade < 0:
        age = age_on(born, on)
        return "age_0_2" if age < 3 else "age_3_5"
    stage = next((name for start, name in reversed(SCHOOL_STAGES) if grade >= start))
    return stage if grade < 12 else None


def known_answers(event: Event, members: list[Member], on: date) -> dict[str, object]:
    """The answers the register gives for the household of the visitor: who moves (the
    household of more than one is the family), the ages of the children (続柄 子 under 18 by
    school stage) and the age of the oldest who moves (介護保険 at 65, 後期高齢者医療 at 75), read
    only from exact dates of birth. Only questions of the event with these options are
    answered."""
    known: dict[str, object] = {}
    questions = {q.id: q for q in event.questions}
    household = questions.get("household")
    if household is not None and set(household.values()) == {"alone", "family"} and members:
        known["household"] = "family" if len(members) > 1 else "alone"
    children = questions.get("children")
    if children is not None and members and known.get("household") != "alone":
        stages = {school_stage(m.birth_date, on) for m in members if m.relationship == "子"} - {None}  # ja-only: the register's relationship value
        chosen = [v for v in children.values() if v in stages] or ["none"]
        if set(chosen) <= set(children.values()):
            known["children"] = chosen
    oldest = questions.get("oldest")
    if oldest is not None and known.get("household") and all(m.exact for m in members):
        age = max(age_on(m.birth_date, on) for m in members)
        band = "over75" if age >= 75 else "from65to74" if age >= 65 else "under65"
        if band in oldest.values():
            known["oldest"] = band
    return known


def fill_known(plan: NavigatorPlan, members: list[Member], on: date) -> list[str]:
    """Store the register's answers (known_answers) in a plan not yet answered there; returns
    the ids answered, for the page to mark as known from the register."""
    known = {k: v for k, v in known_answers(event_of(plan), members, on).items() if k not in plan.answers}
    if known:
        store_answers(plan, {**plan.answers, **known})
    return list(known)


def forget_answers(plan: NavigatorPlan, question_ids) -> None:
    """Take answers back out of the plan (the counter's 「住民記録の回答を使わずに質問する」): their
    questions are asked again."""
    store_answers(plan, {k: v for k, v in plan.answers.items() if k not in set(question_ids)})


def _clean(question: Question, values: list[str], lang: str):
    t = texts(lang)
    if question.type == QuestionType.DATE:
        return _clean_date(question, values[0] if values else "", t)
    allowed = question.values()
    if question.type == QuestionType.MULTI:
        chosen = [v for v in allowed if v in values]  # in the file's order, duplicates dropped
        if not chosen or len(chosen) != len(set(values)):
            return None, [t["err_choose_some"]]
        alone = [o for o in question.options if o.exclusive and o.value in chosen]
        if alone and len(chosen) > 1:
            return None, [t["err_exclusive"] % {"label": alone[0].label.get(lang)}]
        return chosen, []
    if len(values) != 1 or values[0] not in allowed:
        return None, [t["err_choose"]]
    return values[0], []


def _clean_date(question: Question, text: str, t: dict) -> tuple[str | None, list[str]]:
    try:
        day = parse_date(text)
    except JapaneseInputError:
        return None, [t["err_date"]]
    today = timezone.localdate()
    if day > today and not question.future:
        return None, [t["err_future"]]
    if day > today + timedelta(days=FUTURE_DAYS):
        return None, [t["err_too_far"]]
    if day < today.replace(year=today.year - PAST_YEARS, day=min(today.day, 28)):
        return None, [t["err_too_old"]]
    return day.isoformat(), []


def is_complete(plan: NavigatorPlan) -> bool:
    return next_question(plan) is None


def given_event_day(plan: NavigatorPlan) -> date | None:
    """The event's day as the plan was told it; None when the event asks none or it is unanswered."""
    value = plan.answers.get(event_of(plan).day)
    return date.fromisoformat(value) if value else None


def event_day(plan: NavigatorPlan) -> date:
    """The event's day, today when the plan was not told one (the result's deadlines count from it)."""
    return given_event_day(plan) or timezone.localdate()


def counter_url(plan: NavigatorPlan, request) -> str:
    """What the counter's QR reader opens: the plan, with the same answers, on the city's
    own host name (a city served on its own domain finds its plans only there)."""
    return request.build_absolute_uri(reverse("navigator:plan", args=[plan.token]))


# --- the result ---------------------------------------------------------------------------------


# Applied for together with the 死亡届, so it shares the 死亡届's last day.
WITH_FAMILY_REGISTER = frozenset({"cremation-permit"})


def counts_event_day(procedure: Procedure) -> bool:
    """Periods under the 戸籍法 count the event's day as the first day (戸籍法第43条第1項: a
    birth on the 1st is due by the 14th); other periods start the next day (民法第140条: a
    move on the 1st is due by the 15th)."""
    family_register = procedure.legal_basis.startswith("戸籍法")  # ja-only: the catalogue's law name
    return family_register or procedure.code in WITH_FAMILY_REGISTER


def deadline_for(procedure: Procedure, day: date) -> date | None:
    """The last day, from the event's day and the procedure's deadline_days (None without);
    a last day on which offices are closed moves to the next open day."""
    if procedure.deadline_days is None:
        return None
    days = procedure.deadline_days - 1 if counts_event_day(procedure) else procedure.deadline_days
    return next_open_day(day + timedelta(days=days))


@dataclass
class Item:
    """One procedure on the resident's list, in the page's language."""

    code: str
    title: str
    group: str
    procedure: Procedure | None  # None: the city does not offer it
    place: str = ""
    documents: list[str] = field(default_factory=list)
    deadline: date | None = None
    deadline_label: str = ""
    deadline_text: str = ""
    notes: list[str] = field(default_factory=list)
    mynaportal_url: str = ""
    startable: bool = False
    order: int = 0

    @property
    def offered(self) -> bool:
        return self.procedure is not None


@dataclass
class Group:
    key: str
    heading: str
    lead: str
    items: list[Item]
    count: str = ""


@dataclass
class Answered:
    question: Question
    text: str
    answer: str


@dataclass
class Result:
    event: Event
    lang: str
    day: date
    day_label: str
    items: list[Item]
    groups: list[Group]
    answers: list[Answered]

    @property
    def title(self) -> str:
        return self.event.title.get(self.lang)


def title_of(procedure: Procedure, lang: str) -> str:
    """The title in `lang` (a content.Fallback in Japanese while untranslated)."""
    return procedure.title if procedure.language == lang else in_language(procedure, lang).title


def answer_label(question: Question, value, lang: str) -> str:
    t = texts(lang)
    if question.type == QuestionType.DATE:
        return day_text(date.fromisoformat(value), lang)
    if question.type == QuestionType.YESNO:
        return t["yes"] if value == rules.YES else t["no"]
    labels = {o.value: o.label.get(lang) for o in question.options}
    chosen = value if isinstance(value, list) else [value]
    # Translators: between the options chosen in one answer (、 in Japanese, a comma in English)
    separator = pgettext("list separator", "、")
    return separator.join(labels.get(v, v) for v in chosen)


def answers_of(plan: NavigatorPlan) -> list[Answered]:
    event = event_of(plan)
    return [Answered(q, q.text.get(plan.lang), answer_label(q, plan.answers[q.id], plan.lang))
            for q in rules.in_force(event, plan.answers)]


class _City:
    """What the city offers, read once per result rather than once per procedure: its
    procedures (what get_procedure would find, with one query) and their departments (kept per
    process, core/cities.py)."""

    def __init__(self, municipality: Municipality, lang: str):
        self.municipality = municipality
        self.offered = {p.code: p for p in procedures_for(municipality, lang)}

    def department(self, procedure: Procedure) -> Department:
        return department_for(self.municipality, procedure)  # the city's per-process copy


def _document(d, lang: str) -> str:
    name = d.name
    return name if d.required else gettext("%(document)s（該当する方のみ）") % {"document": name}


def _item(city: _City, code: str, found: dict, day: date, lang: str, order: int) -> Item:
    t = texts(lang)
    notes = found["notes"]
    municipality = city.municipality
    procedure = city.offered.get(code)
    if procedure is None:
        known = catalog().get(code)
        return Item(code=code, title=title_of(known, lang) if known else code, group=ELSEWHERE,
                    procedure=None, place=t["ask_city"], order=order,
                    notes=[*notes, t["not_offered"] % {"city": municipality.name}])
    item = Item(code=code, title=title_of(procedure, lang), group=COUNTER, procedure=procedure,
                notes=notes, order=order, deadline_text=procedure.deadline)
    item.documents = [
        _document(d, lang)
        for d in procedure.documents
    ]
    item.deadline = deadline_for(procedure, day)
    if item.deadline:
        item.deadline_label = deadline_text(item.deadline, lang)
    if procedure.channel == Channel.ELSEWHERE:
        item.group = ELSEWHERE
        item.place = procedure.office
    elif procedure.channel == Channel.MYNAPORTAL and not found["at_counter"]:
        item.group, item.mynaportal_url = ONLINE, procedure.url or ""
        item.place = t["mynaportal_place"]
    else:
        department = city.department(procedure)
        window = procedure.window or department.shown_counter
        item.place = (pgettext("department and window", "%(department)s（%(window)s）")
                      % {"department": department.shown_name, "window": window}) if window else department.shown_name
        if procedure.channel == Channel.ONLINE and not found["at_counter"]:
            item.group, item.startable = ONLINE, True
    return item


def _sort_key(item: Item):
    """Soonest deadline first; those without a date keep the event file's order after them."""
    return (item.deadline is None, item.deadline or date.max, item.order)


def result_for(plan: NavigatorPlan, municipality: Municipality) -> Result:
    """The procedures the answers call for, grouped by where they are done (see GROUPS)."""
    event, lang = event_of(plan), plan.lang
    day = event_day(plan)
    needed: dict[str, dict] = {}  # code → its notes, and whether a rule sends it to the counter
    for rule in rules.matching_rules(event, plan.answers):
        found = needed.setdefault(rule.procedure, {"notes": [], "at_counter": False})
        if rule.note and rule.note.get(lang) not in found["notes"]:
            found["notes"].append(rule.note.get(lang))
        found["at_counter"] |= rule.at_counter
    city = _City(municipality, lang)
    items = sorted((_item(city, code, found, day, lang, order)
                    for order, (code, found) in enumerate(needed.items())), key=_sort_key)
    t = texts(lang)
    groups = [Group(key, t[f"group_{key}"], t[f"group_{key}_lead"],
                    [i for i in items if i.group == key]) for key in GROUPS]
    for group in groups:
        group.count = count_text(len(group.items))
    return Result(event=event, lang=lang, day=day, day_label=day_text(day, lang), items=items,
                  groups=[g for g in groups if g.items], answers=answers_of(plan))
