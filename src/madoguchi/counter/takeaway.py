"""The take-away sheet: what the visit's family still has to do elsewhere once the counter has
filed its forms — 転入学 at the school, 運転免許 at the police, the マイナンバーカード's 継続利用
at its own window — with the place, what to bring and the last day.

It reads the same navigator result the visit's bundle was built from (navigator.result_for on
the visit's plan), so the sheet and the filed forms never disagree about what the answers call
for; what the counter filed is left out. The plan is disposed of after a month while the visit
keeps the event and answers it copied, so an old visit reads its list from that copy.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from django.utils import translation

from madoguchi.core import i18n
from madoguchi.counter.models import CounterVisit
from madoguchi.navigator import services as navigator
from madoguchi.navigator.models import NavigatorPlan

LEGACY = {"easy": i18n.EASY}  # the tablet's old name for やさしい日本語
FIRST_SENTENCE = re.compile(r"^.+?[。！？]")  # ja-only: Japanese full stops (a pattern)


def first_sentence(text: str) -> str:
    """A catalogue or navigator text up to its first full stop: what a screen has room for (the
    tablet's purpose of a form, a last day's rule); the whole text when it has no stop."""
    found = FIRST_SENTENCE.match(text.strip())
    return found.group(0) if found else text.strip()


@dataclass
class Leftover:
    """One procedure left: the navigator's item (title, place, documents, notes — read through
    as attributes) and its last day, short for the screen and in full for the printed sheet."""

    item: navigator.Item

    def __getattr__(self, name):
        if name == "item":  # not set yet (copy, pickle): no recursion
            raise AttributeError(name)
        return getattr(self.item, name)

    @property
    def last_day_in_full(self) -> str:
        """The date when the procedure counts from the event's day, else the procedure's own
        words (「すみやかに」, the card's 90 days), else nothing."""
        return self.item.deadline_label or self.item.deadline_text

    @property
    def last_day(self) -> str:
        """The same, to its first sentence: what the screen has room for."""
        if self.item.deadline_label:
            return self.item.deadline_label
        return first_sentence(self.item.deadline_text)


@dataclass
class Takeaway:
    """The sheet's content: the life event, its day, and the procedures left."""

    event_title: str
    day_label: str
    items: list[Leftover] = field(default_factory=list)
    language: str = "ja"

    def __bool__(self) -> bool:
        return bool(self.items)


def language_of(visit: CounterVisit, lang: str | None = None) -> str:
    """The sheet's language: `lang` when Madoguchi speaks it ("easy" is やさしい日本語), else the
    visitor's language chosen on the visit, else 日本語."""
    asked = i18n.supported(LEGACY.get(lang or "", lang))
    if lang is not None:
        return asked or "ja"
    return i18n.supported(getattr(visit, "language", "")) or "ja"


def _plan(visit: CounterVisit, lang: str) -> NavigatorPlan | None:
    """The visit's plan in `lang` (an unsaved copy: the resident's own choice of language on
    the plan stays as it was), or one rebuilt from the visit's copy of the answers."""
    if visit.plan_id is not None:
        plan = copy.copy(visit.plan)
    elif visit.event:
        plan = NavigatorPlan(municipality=visit.municipality, event=visit.event, answers=dict(visit.answers))
    else:
        return None
    plan.lang = i18n.supported(lang) or i18n.DEFAULT
    return plan


def takeaway_for(visit: CounterVisit, lang: str | None = None) -> Takeaway:
    """What the navigator's answers call for that this visit did not file, soonest last day
    first (the navigator's own order), in `lang` or the visitor's language (language_of).
    Empty when the visit has no event yet."""
    language = language_of(visit, lang)
    plan = _plan(visit, language)
    if plan is None:
        return Takeaway(event_title="", day_label="", language=language)
    try:
        with translation.override(language):
            result = navigator.result_for(plan, visit.municipality)
    except KeyError:  # an event retired from the navigator since the visit
        return Takeaway(event_title="", day_label="", language=language)
    filed = set(visit.forms.values_list("procedure_code", flat=True))
    return Takeaway(event_title=result.title, day_label=result.day_label, language=language,
                    items=[Leftover(item) for item in result.items if item.code not in filed])
