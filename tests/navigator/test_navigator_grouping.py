"""Questions asked together, and the answers the register gives: what the counter's question
page is built on (navigator.rules.askable_now, navigator.services.known_answers)."""

from datetime import date

import pytest

from madoguchi.navigator import rules
from madoguchi.navigator import services as navigator
from madoguchi.navigator.loader import events
from madoguchi.navigator.services import Member, known_answers, school_stage

YAMADA = [Member("世帯主", date(1988, 5, 20)), Member("妻", date(1990, 8, 3)),
          Member("子", date(2017, 7, 15)), Member("子", date(2023, 4, 10))]
DAY = date(2026, 12, 3)


@pytest.mark.parametrize(("born", "on", "stage"), [
    (date(2023, 4, 10), date(2026, 12, 3), "age_3_5"),  # 3 years old
    (date(2024, 6, 1), date(2026, 12, 3), "age_0_2"),
    (date(2017, 7, 15), date(2026, 12, 3), "elementary"),  # the third year of primary school
    (date(2019, 4, 2), date(2026, 3, 31), "age_3_5"),  # 6, and school starts in April
    (date(2019, 4, 2), date(2026, 4, 6), "elementary"),  # born on 2 April: the first year now
    (date(2019, 4, 1), date(2025, 4, 6), "elementary"),  # born on 1 April: a year earlier
    (date(2013, 5, 1), date(2026, 4, 6), "junior_high"),
    (date(2008, 5, 1), date(2027, 3, 31), "high_school"),  # until the March after turning 18
    (date(2008, 5, 1), date(2027, 4, 1), None),
])
def test_a_childs_school_stage_counts_school_years_from_april(born, on, stage):
    assert school_stage(born, on) == stage


def test_the_register_answers_who_moves_and_the_childrens_ages():
    moving = events()["moving"]
    assert known_answers(moving, YAMADA, DAY) == {"household": "family", "children": ["age_3_5", "elementary"],
                                                  "oldest": "under65"}
    assert known_answers(moving, YAMADA[:2], DAY) == {"household": "family", "children": ["none"],
                                                      "oldest": "under65"}
    assert known_answers(moving, YAMADA[:1], DAY) == {"household": "alone", "oldest": "under65"}
    assert known_answers(moving, [], DAY) == {}
    # An event without these questions gets nothing from the register.
    assert known_answers(events()["death"], YAMADA, DAY) == {}


@pytest.mark.parametrize(("born", "band"), [
    (date(1961, 12, 4), "under65"),  # 65 tomorrow
    (date(1961, 12, 3), "from65to74"),  # 65 today
    (date(1951, 12, 4), "from65to74"),
    (date(1951, 12, 3), "over75"),
])
def test_the_register_answers_the_age_of_the_oldest_who_moves(born, band):
    moving = events()["moving"]
    assert known_answers(moving, [*YAMADA, Member("母", born)], DAY)["oldest"] == band


def test_a_partly_unknown_date_of_birth_leaves_the_oldest_to_be_asked():
    moving = events()["moving"]
    known = known_answers(moving, [*YAMADA, Member("母", date(1950, 1, 1), exact=False)], DAY)
    assert "oldest" not in known and known["household"] == "family"


def test_questions_whose_asking_waits_for_no_unanswered_one_come_together():
    moving = events()["moving"]
    known = known_answers(moving, YAMADA, DAY)
    first = [q.id for q in rules.askable_now(moving, known)]
    # The children's ages are known, so 保育所 is asked at once; the online 転出届 waits for
    # the kind of move and the card, the pension for a move from abroad, 児童扶養手当・就学援助・
    # 妊娠 for the kind of move.
    assert first == ["kind", "day", "card", "insurance", "daycare", "care_cert", "disability", "dog",
                     "licence", "car", "moped", "seal"]
    answers = {**known, "kind": "from_other_city", "day": "2026-12-01", "card": "yes", "insurance": "nhi",
               "daycare": "no", "care_cert": "no", "disability": "no", "dog": "yes",
               "licence": "yes", "car": "none", "moped": "no", "seal": "no"}
    assert [q.id for q in rules.askable_now(moving, answers)] == [
        "online_moving_out", "rearing_allowance", "school_aid", "pregnant"]
    assert rules.askable_now(moving, {**answers, "online_moving_out": "no", "rearing_allowance": "no",
                                      "school_aid": "no", "pregnant": "no"}) == []
    # Without the register every question is asked, but still not one page per question.
    assert "household" in [q.id for q in rules.askable_now(moving, {})]
    assert "daycare" not in [q.id for q in rules.askable_now(moving, {})]


@pytest.mark.django_db
def test_several_answers_are_stored_together_and_each_refusal_named(city):
    plan = navigator.start_plan(city, "moving")
    assert navigator.fill_known(plan, YAMADA, DAY) == ["household", "children", "oldest"]
    assert navigator.fill_known(plan, YAMADA, DAY) == []  # answered once; never overwritten
    errors = navigator.answer_many(plan, {"kind": ["from_other_city"], "day": ["not a day"], "card": ["maybe"],
                                          "dog": ["yes"]})
    assert set(errors) == {"day", "card"} and all(errors.values())
    plan.refresh_from_db()
    assert plan.answers["kind"] == "from_other_city" and plan.answers["dog"] == "yes"
    assert "day" not in plan.answers and "card" not in plan.answers
    # A question the answers do not ask (the pension, for a move from within Japan) is refused.
    assert set(navigator.answer_many(plan, {"pension": ["first"]})) == {"pension"}
    assert [q.id for q in navigator.questions_now(plan)][:2] == ["day", "card"]
