"""Life events as data: the questions a resident is asked and the rules that turn answers
into procedures, with the three-valued logic that decides which question is still worth asking.

An answer that has not been given yet is unknown; a rule whose condition is still unknown is
undecided. A question is asked only while some undecided rule depends on it, so a household is
never asked about a car when no remaining procedure turns on the car.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from madoguchi.core.i18n import content

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Value = Annotated[str, Field(pattern=r"^[a-z0-9_]+$", max_length=64)]

YES, NO = "yes", "no"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Text(Strict):
    """One text of an event file, in Japanese; its other languages are in the overlay files
    beside the event files (events/i18n/<language>/<event>.po, core/i18n/content.py)."""

    ja: Annotated[str, Field(min_length=1)]
    _directory: Path | None = PrivateAttr(default=None)
    _name: str = PrivateAttr(default=content.COMMON)

    def bind(self, directory: Path, name: str) -> None:
        """Where the translations of this text are: set by the loader for each event file."""
        self._directory, self._name = directory, name

    def get(self, lang: str | None) -> str:
        """The text in `lang`: the Japanese itself, a translation, or a content.Fallback."""
        if self._directory is None:
            return content.translate(Path("."), content.COMMON, self.ja, lang) if lang else self.ja
        return content.translate(self._directory, self._name, self.ja, lang)


class QuestionType(StrEnum):
    CHOICE = "choice"  # one of the options
    MULTI = "multi"  # any of the options (an `exclusive` one stands alone, e.g. いない)
    YESNO = "yesno"  # yes or no
    DATE = "date"  # the day of the event


class Option(Strict):
    value: Value
    label: Text
    exclusive: bool = False


class Condition(Strict):
    """{q, is} | {q, in} | {q, includes} | {all} | {any} | {not}."""

    q: Identifier | None = None
    is_: Value | None = Field(default=None, alias="is")
    in_: Annotated[list[Value], Field(min_length=1)] | None = Field(default=None, alias="in")
    includes: Value | None = None
    all_: Annotated[list[Condition], Field(min_length=1)] | None = Field(default=None, alias="all")
    any_: Annotated[list[Condition], Field(min_length=1)] | None = Field(default=None, alias="any")
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def one_form(self):
        tests = [self.is_ is not None, self.in_ is not None, self.includes is not None]
        combinators = [self.all_ is not None, self.any_ is not None, self.not_ is not None]
        if self.q is not None:
            if sum(tests) != 1 or any(combinators):
                raise ValueError("a condition on a question needs exactly one of: is, in, includes")
        elif any(tests) or sum(combinators) != 1:
            raise ValueError("a condition is {q, is|in|includes} or exactly one of: all, any, not")
        return self

    def leaves(self):
        """Every {q, …} test inside this condition."""
        if self.q is not None:
            yield self
        for child in [*(self.all_ or []), *(self.any_ or []), *([self.not_] if self.not_ else [])]:
            yield from child.leaves()

    def questions(self) -> set[str]:
        return {leaf.q for leaf in self.leaves()}


class Question(Strict):
    id: Identifier
    text: Text
    help: Text | None = None
    type: QuestionType
    options: list[Option] = []
    ask_if: Condition | None = None
    future: bool = False  # a date question: the day may lie ahead (a planned move)

    @model_validator(mode="after")
    def options_fit_type(self):
        if self.type in {QuestionType.CHOICE, QuestionType.MULTI} and len(self.options) < 2:
            raise ValueError(f"a {self.type} question needs at least two options")
        if self.type in {QuestionType.YESNO, QuestionType.DATE} and self.options:
            raise ValueError(f"a {self.type} question takes no options")
        if self.future and self.type != QuestionType.DATE:
            raise ValueError("only a date question can allow a future day")
        values = [o.value for o in self.options]
        if len(values) != len(set(values)):
            raise ValueError("option values must be unique")
        if any(o.exclusive for o in self.options) and self.type != QuestionType.MULTI:
            raise ValueError("only a multi question has an exclusive option")
        return self

    def values(self) -> list[str]:
        if self.type == QuestionType.YESNO:
            return [YES, NO]
        return [o.value for o in self.options]


class Rule(Strict):
    procedure: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
    when: Condition | None = None
    note: Text | None = None
    # Done at the department's counter although it can be done online (e.g. 転出届 to abroad,
    # or without a My Number card for マイナポータル).
    at_counter: bool = False


class Event(Strict):
    id: Identifier
    order: int
    title: Text
    summary: Text
    day: Identifier  # the date question whose answer is the day deadlines count from
    questions: Annotated[list[Question], Field(min_length=1)]
    rules: Annotated[list[Rule], Field(min_length=1)]

    def question(self, question_id: str) -> Question:
        return next(q for q in self.questions if q.id == question_id)

    def texts(self) -> Iterator[Text]:
        """Every text shown to a resident: title, summary, questions, help, options, notes."""
        yield self.title
        yield self.summary
        for question in self.questions:
            yield question.text
            if question.help:
                yield question.help
            for option in question.options:
                yield option.label
        for rule in self.rules:
            if rule.note:
                yield rule.note

    def problems(self) -> list[str]:
        """What is wrong between the questions and the rules, each with where it is.
        (Procedure codes are checked by the loader, against the catalogue.)"""
        problems: list[str] = []
        earlier: dict[str, Question] = {}
        for index, question in enumerate(self.questions):
            where = f"questions.{index} ({question.id})"
            if question.id in earlier:
                problems.append(f"{where}: the id is used twice")
            if question.ask_if is not None:
                problems += check_condition(question.ask_if, earlier, f"{where}.ask_if",
                                            later={q.id for q in self.questions[index:]})
            earlier[question.id] = question
        day = earlier.get(self.day)
        if day is None:
            problems.append(f"day: '{self.day}' is not a question of the event")
        elif day.type != QuestionType.DATE or day.ask_if is not None:
            problems.append(f"day: '{self.day}' must be a date question that is always asked")
        for index, rule in enumerate(self.rules):
            if rule.when is not None:
                problems += check_condition(rule.when, earlier, f"rules.{index} ({rule.procedure}).when")
        return problems


def check_condition(condition: Condition, known: dict[str, Question], where: str,
                    later: set[str] = frozenset()) -> list[str]:
    problems = []
    for leaf in condition.leaves():
        question = known.get(leaf.q)
        if question is None:
            reason = "a later question" if leaf.q in later else "an unknown question"
            problems.append(f"{where}: '{leaf.q}' is {reason}")
            continue
        if question.type == QuestionType.DATE:
            problems.append(f"{where}: '{leaf.q}' is a date; conditions test choices")
            continue
        if leaf.includes is not None and question.type != QuestionType.MULTI:
            problems.append(f"{where}: 'includes' needs a multi question, '{leaf.q}' is {question.type}")
        if leaf.includes is None and question.type == QuestionType.MULTI:
            problems.append(f"{where}: '{leaf.q}' is a multi question; test it with 'includes'")
        tested = [leaf.is_] if leaf.is_ is not None else leaf.in_ or [leaf.includes]
        for value in tested:
            if value not in question.values():
                problems.append(f"{where}: '{value}' is not an option of '{leaf.q}' "
                                f"({', '.join(question.values())})")
    return problems


# --- deciding ---------------------------------------------------------------------------------

NOT_ASKED = object()  # the question does not apply (its ask_if is false): no option holds
UNKNOWN = object()  # not answered yet


class Decider:
    """Evaluates conditions over one set of answers with three-valued logic
    (True, False, None for undecided)."""

    def __init__(self, event: Event, answers: dict):
        self.event = event
        self.answers = answers
        self._questions = {q.id: q for q in event.questions}
        self._values: dict[str, object] = {}

    def value(self, question_id: str):
        """The answer in force: NOT_ASKED where the question does not apply, UNKNOWN where it
        is not answered yet (or its ask_if is still undecided)."""
        if question_id not in self._values:
            question = self._questions[question_id]
            applies = True if question.ask_if is None else self.holds(question.ask_if)
            if applies is False:
                found = NOT_ASKED
            elif applies is None or question_id not in self.answers:
                found = UNKNOWN
            else:
                found = self.answers[question_id]
            self._values[question_id] = found
        return self._values[question_id]

    def holds(self, condition: Condition) -> bool | None:
        if condition.q is not None:
            value = self.value(condition.q)
            if value is NOT_ASKED:
                return False
            if value is UNKNOWN:
                return None
            if condition.includes is not None:
                return condition.includes in value
            if condition.is_ is not None:
                return value == condition.is_
            return value in condition.in_
        if condition.not_ is not None:
            inner = self.holds(condition.not_)
            return None if inner is None else not inner
        results = [self.holds(c) for c in (condition.all_ or condition.any_)]
        decisive = condition.any_ is not None  # True decides an any, False decides an all
        if decisive in results:
            return decisive
        return None if None in results else not decisive

    def applies(self, rule: Rule) -> bool | None:
        return True if rule.when is None else self.holds(rule.when)

    def asks(self, question: Question) -> bool | None:
        return True if question.ask_if is None else self.holds(question.ask_if)


def dependencies(event: Event) -> dict[str, set[str]]:
    """Per question: itself and, transitively, the questions its ask_if depends on (an answer
    in force needs both)."""
    deps: dict[str, set[str]] = {}
    for question in event.questions:  # ask_if names earlier questions only
        found = {question.id}
        for other in question.ask_if.questions() if question.ask_if else ():
            found |= deps[other]
        deps[question.id] = found
    return deps


def rule_dependencies(event: Event) -> list[set[str]]:
    deps = dependencies(event)
    return [set().union(*(deps[q] for q in rule.when.questions())) if rule.when else set()
            for rule in event.rules]


def pending(event: Event, answers: dict) -> list[Question]:
    """The questions still to ask, in order, as far as can be told now: each applies (or may)
    and feeds a rule whose outcome is still undecided. The day of the event is always asked."""
    decider = Decider(event, answers)
    open_rules = [deps for rule, deps in zip(event.rules, rule_dependencies(event), strict=True)
                  if decider.applies(rule) is None]
    found = []
    for question in event.questions:
        if question.id in answers and decider.asks(question):
            continue
        if decider.asks(question) is False:
            continue
        if question.id == event.day or any(question.id in deps for deps in open_rules):
            found.append(question)
    return found


def next_question(event: Event, answers: dict) -> Question | None:
    """The next question to ask, or None when every rule is decided."""
    for question in pending(event, answers):
        if Decider(event, answers).asks(question):
            return question
    return None


def in_force(event: Event, answers: dict) -> list[Question]:
    """The answered questions that apply, in order: what the summary of answers shows."""
    decider = Decider(event, answers)
    return [q for q in event.questions if q.id in answers and decider.asks(q)]


def matching_rules(event: Event, answers: dict) -> list[Rule]:
    """The rules that apply once every needed question is answered."""
    decider = Decider(event, answers)
    return [rule for rule in event.rules if decider.applies(rule)]


def askable_now(event: Event, answers: dict) -> list[Question]:
    """The questions that can be asked together now, in order: still pending, and whose ask_if
    is already decided true (none of them waits for the answer to another unanswered question).
    The counter asks these on one page; the next page asks what their answers open up."""
    decider = Decider(event, answers)
    return [q for q in pending(event, answers) if decider.asks(q) is True]
