"""Life-event files and their logic: broken files are named with the item and the reason,
conditions use three-valued logic, and a question is asked only while it can change the list."""

from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from django.utils import formats, translation

from madoguchi.catalog.loader import catalog
from madoguchi.navigator import services
from madoguchi.navigator.loader import EVENTS_DIR, EventFileError, events, load_file
from madoguchi.navigator.rules import Condition, Decider, next_question, pending
from madoguchi.navigator.texts import deadline_text

KNOWN = {"moving-in", "nhi-enrollment", "dog-registration-change", "school-transfer"}


def text(ja: str) -> dict:
    return {"ja": ja}  # other languages are in the overlay files (events/i18n/)


def minimal() -> dict:
    """A small valid event: the day, then two questions, then three rules."""
    return {
        "id": "sample", "order": 1, "title": text("見本"), "summary": text("見本の出来事"),
        "day": "day",
        "questions": [
            {"id": "day", "type": "date", "text": text("いつですか")},
            {"id": "insurance", "type": "choice", "text": text("保険は"),
             "options": [{"value": "nhi", "label": text("国保")},
                         {"value": "employee", "label": text("会社")}]},
            {"id": "dog", "type": "yesno", "text": text("犬は"),
             "ask_if": {"q": "insurance", "is": "nhi"}},
        ],
        "rules": [
            {"procedure": "moving-in"},
            {"procedure": "nhi-enrollment", "when": {"q": "insurance", "is": "nhi"}},
            {"procedure": "dog-registration-change", "when": {"q": "dog", "is": "yes"}},
        ],
    }


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / f"{data['id']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def refused(tmp_path: Path, data: dict) -> str:
    path = write(tmp_path, data)
    with pytest.raises(EventFileError) as failure:
        load_file(path, KNOWN)
    message = str(failure.value)
    assert str(path) in message
    return message


# --- the files ----------------------------------------------------------------------------------


def test_every_shipped_event_loads_against_the_catalogue():
    shipped = sorted(p.stem for p in EVENTS_DIR.glob("*.yaml"))
    assert shipped == sorted(["moving", "birth", "marriage", "divorce", "death", "job", "care",
                              "childcare"])
    loaded = events()
    assert list(loaded) == ["moving", "birth", "marriage", "divorce", "death", "job", "care",
                            "childcare"]
    for event in loaded.values():
        assert all(rule.procedure in catalog() for rule in event.rules)
        day = event.question(event.day)
        assert day.type == "date" and event.questions.index(day) <= 1


def test_the_minimal_event_loads(tmp_path):
    event = load_file(write(tmp_path, minimal()), KNOWN)
    assert [q.id for q in event.questions] == ["day", "insurance", "dog"]


def test_an_unknown_procedure_code_is_named(tmp_path):
    data = minimal()
    data["rules"][1]["procedure"] = "nhi-enrolment"
    message = refused(tmp_path, data)
    assert "rules.1.procedure: unknown procedure 'nhi-enrolment'" in message


def test_a_condition_on_an_unknown_question_is_named(tmp_path):
    data = minimal()
    data["rules"][2]["when"] = {"q": "cat", "is": "yes"}
    message = refused(tmp_path, data)
    assert "rules.2 (dog-registration-change).when: 'cat' is an unknown question" in message


def test_a_value_that_is_not_an_option_is_named(tmp_path):
    data = minimal()
    data["rules"][1]["when"] = {"q": "insurance", "in": ["nhi", "kokuho"]}
    message = refused(tmp_path, data)
    assert "rules.1 (nhi-enrollment).when: 'kokuho' is not an option of 'insurance'" in message


def test_a_yes_no_question_takes_yes_or_no_only(tmp_path):
    data = minimal()
    data["rules"][2]["when"] = {"q": "dog", "is": "maybe"}
    assert "'maybe' is not an option of 'dog' (yes, no)" in refused(tmp_path, data)


def test_an_ask_if_on_a_later_question_is_named(tmp_path):
    data = minimal()
    data["questions"][1]["ask_if"] = {"q": "dog", "is": "yes"}
    message = refused(tmp_path, data)
    assert "questions.1 (insurance).ask_if: 'dog' is a later question" in message


def test_an_ask_if_on_the_question_itself_is_named(tmp_path):
    data = minimal()
    data["questions"][2]["ask_if"] = {"q": "dog", "is": "yes"}
    assert "questions.2 (dog).ask_if: 'dog' is a later question" in refused(tmp_path, data)


def test_includes_needs_a_multi_question_and_a_multi_needs_includes(tmp_path):
    data = minimal()
    data["rules"][1]["when"] = {"q": "insurance", "includes": "nhi"}
    assert "'includes' needs a multi question, 'insurance' is choice" in refused(tmp_path, data)


def test_the_day_must_be_a_date_question_that_is_always_asked(tmp_path):
    data = minimal()
    data["day"] = "insurance"
    assert "day: 'insurance' must be a date question that is always asked" in refused(tmp_path, data)


def test_the_id_must_match_the_file_name(tmp_path):
    data = minimal()
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(EventFileError, match="id: 'sample' must match the file name"):
        load_file(path, KNOWN)


def test_schema_errors_name_the_path_of_the_item(tmp_path):
    data = minimal()
    data["questions"][1]["options"][0]["label"] = {"ja": "国保", "en": "NHI"}  # not inline any more
    message = refused(tmp_path, data)
    assert "questions.1.options.0.label.en: Extra inputs are not permitted" in message
    data = minimal()
    data["rules"][1]["when"] = {"q": "insurance", "is": "nhi", "in": ["nhi"]}
    assert "exactly one of: is, in, includes" in refused(tmp_path, data)


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    data = minimal()
    data["rules"][0]["procedure"] = "no-such-procedure"
    data["rules"][1]["when"] = {"q": "insurance", "is": "kokuho"}
    message = refused(tmp_path, data)
    assert "no-such-procedure" in message and "kokuho" in message


def test_not_yaml_is_reported_with_the_path(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(EventFileError, match=r"broken\.yaml: not valid YAML"):
        load_file(path, KNOWN)


# --- three-valued logic -------------------------------------------------------------------------


def holds(answers: dict, condition: dict):
    return Decider(events()["moving"], answers).holds(Condition.model_validate(condition))


@pytest.mark.parametrize(("answers", "condition", "expected"), [
    ({}, {"q": "kind", "is": "within"}, None),
    ({"kind": "within"}, {"q": "kind", "is": "within"}, True),
    ({"kind": "within"}, {"not": {"q": "kind", "is": "within"}}, False),
    ({}, {"not": {"q": "kind", "is": "within"}}, None),
    ({"kind": "to_abroad"}, {"all": [{"q": "kind", "is": "within"}, {"q": "dog", "is": "yes"}]},
     False),  # one false part decides an all, whatever the unknown dog
    ({"kind": "within"}, {"all": [{"q": "kind", "is": "within"}, {"q": "dog", "is": "yes"}]},
     None),
    ({"kind": "within"}, {"any": [{"q": "kind", "is": "within"}, {"q": "dog", "is": "yes"}]},
     True),  # one true part decides an any
    ({"household": "alone"}, {"q": "children", "includes": "age_0_2"}, False),  # not asked
    ({"household": "family"}, {"q": "children", "includes": "age_0_2"}, None),
    ({"household": "family", "children": ["age_0_2", "elementary"]},
     {"q": "children", "includes": "elementary"}, True),
    ({"household": "alone", "children": ["age_0_2"]},
     {"q": "children", "includes": "age_0_2"}, False),  # a stale answer no longer counts
])
def test_conditions_are_true_false_or_undecided(answers, condition, expected):
    assert holds(answers, condition) is expected


# --- skipping -----------------------------------------------------------------------------------


def asked(event_id: str, answers: dict) -> list[str]:
    event, given, order = events()[event_id], {}, []
    while (question := next_question(event, given)) is not None:
        given[question.id] = answers.get(question.id, "2026-04-01")
        order.append(question.id)
    return order


DEATH_UNDER_40 = {"age": "under40", "insurance": "employee", "dependents": ["none"],
                  "pension": "no", "survivors": "no", "householder": "no", "income": "no",
                  "real_estate": "no", "large_estate": "no", "licence": "no", "car": "none",
                  "child_allowance": "no", "dog": "no"}


def test_a_death_before_forty_never_asks_about_long_term_care():
    assert "care_cert" not in asked("death", DEATH_UNDER_40)
    assert "care_cert" in asked("death", {**DEATH_UNDER_40, "age": "from40to64"})


def test_a_death_at_seventy_five_never_asks_which_insurance_or_about_child_allowance():
    order = asked("death", {**DEATH_UNDER_40, "age": "over75"})
    assert "insurance" not in order and "dependents" not in order
    assert "child_allowance" not in order and "care_cert" not in order


def test_a_move_abroad_never_asks_about_the_car_dog_licence_or_seal():
    order = asked("moving", {"kind": "to_abroad", "household": "alone", "card": "no", "foreign": "no",
                             "insurance": "employee", "oldest": "under65", "pension": "second",
                             "care_cert": "no", "disability": "no", "moped": "no", "tax_ties": "no"})
    assert order == ["kind", "day", "household", "card", "foreign", "insurance", "oldest", "pension",
                     "care_cert", "disability", "moped", "tax_ties"]
    assert not {"car", "dog", "licence", "seal", "online_moving_out"} & set(order)


def test_the_car_is_asked_only_while_a_car_procedure_is_still_open():
    within = {"kind": "within", "household": "alone", "card": "no", "insurance": "employee",
              "dog": "no", "licence": "no", "car": "none"}
    assert "car" in asked("moving", within)
    assert "car" not in asked("moving", {**within, "kind": "to_other_city", "care_cert": "no"})
    assert "car" not in asked("marriage", {"name_change": "no", "move": "none",
                                           "insurance": "employee"})


def test_pending_shrinks_as_answers_decide_rules():
    event = events()["moving"]
    before = {q.id for q in pending(event, {})}
    after = {q.id for q in pending(event, {"kind": "to_abroad", "day": "2026-04-01"})}
    assert {"car", "dog", "licence", "seal", "card"} <= before
    # children and what follows them: only if the family moves; disability_support: only with a 手帳
    assert after == {"household", "children", "child_allowance", "rearing_allowance", "card", "foreign",
                     "insurance", "oldest", "pension", "care_cert", "disability", "disability_support",
                     "moped", "tax_ties"}
    assert not {"car", "dog", "licence", "seal", "school_aid", "pregnant"} & after


def test_the_day_is_asked_even_where_no_rule_needs_it():
    assert asked("care", {"age": "under40"}) == ["day", "age"]


# --- deadlines ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "day", "last"), [
    ("moving-in", date(2026, 11, 23), date(2026, 12, 7)),  # 14 days from the next day
    ("birth-registration", date(2026, 12, 1), date(2026, 12, 14)),  # 戸籍法: the birthday is day 1
    ("death-registration", date(2026, 12, 1), date(2026, 12, 7)),  # 戸籍法: 7 days with the day
    ("cremation-permit", date(2026, 12, 1), date(2026, 12, 7)),  # with the 死亡届
    ("child-allowance-claim", date(2026, 12, 31), date(2027, 1, 15)),  # 15 days from the next day
    ("divorce-surname-keep", date(2026, 1, 10), date(2026, 4, 10)),
])
def test_deadlines_count_from_the_event_day_as_the_law_does(code, day, last):
    assert services.deadline_for(catalog()[code], day) == last


def test_a_procedure_without_a_fixed_period_has_no_deadline_date():
    assert services.deadline_for(catalog()["care-need-certification"], date(2026, 1, 1)) is None


def test_deadlines_are_written_in_each_language():
    last = date(2026, 12, 7)
    assert deadline_text(last, "ja") == "2026年12月7日（月）まで（令和8年12月7日）"
    assert deadline_text(last, "ja-easy").startswith("2026年12月7日（月）まで")
    assert deadline_text(date(2019, 5, 1), "ja").endswith("（令和元年5月1日）")
    for lang in ("en", "vi", "pt-br"):  # Django's date format of the language, and no 和暦
        with translation.override(lang):
            written = deadline_text(last, lang)
            assert formats.date_format(last, "DATE_FORMAT") in written
            assert "令和" not in written and "（月）" not in written


def test_the_year_boundary_and_weekday_are_right():
    last = services.deadline_for(catalog()["moving-in"], date(2026, 12, 25))
    assert last == date(2027, 1, 8) and last - date(2026, 12, 25) == timedelta(days=14)
    assert deadline_text(last, "ja").startswith("2027年1月8日（金）まで")


# --- words --------------------------------------------------------------------------------------


def test_every_event_text_has_an_overlay_entry_in_easy_japanese_and_english():
    """The texts that were inline (ja/easy/en) live in events/i18n/<language>/<event>.po."""
    from madoguchi.core.i18n import content
    from madoguchi.navigator.loader import events

    for event in events().values():
        for item in event.texts():
            for lang in ("ja-easy", "en"):
                assert not isinstance(item.get(lang), content.Fallback), (event.id, lang, item.ja)
            assert item.get("ja") == item.ja


def test_an_event_text_without_a_translation_is_a_marked_fallback(tmp_path):
    from madoguchi.core.i18n import content
    from madoguchi.navigator.rules import Text

    text = Text(ja="まだ訳のない文")
    text.bind(tmp_path, "sample")
    assert text.get("ja") == "まだ訳のない文" and not isinstance(text.get("ja"), content.Fallback)
    assert text.get("ja-easy") == "まだ訳のない文"  # Japanese is read on a やさしい日本語 page (langattr adds no lang="ja")
    assert isinstance(text.get("ko"), content.Fallback)  # shown in Japanese, marked lang="ja"


@pytest.mark.parametrize(("code", "day", "last"), [
    ("death-registration", date(2026, 12, 27), date(2027, 1, 4)),  # 1月2日 → after 年末年始
    ("birth-registration", date(2026, 11, 22), date(2026, 12, 7)),  # 12月5日 is a Saturday
    ("moving-in", date(2026, 4, 15), date(2026, 4, 30)),  # 4月29日 昭和の日
    ("moving-in", date(2026, 4, 20), date(2026, 5, 7)),  # 5月4日 → 5月6日 振替休日 → 7日
])
def test_a_last_day_on_which_offices_are_closed_moves_to_the_next_open_day(code, day, last):
    assert services.deadline_for(catalog()[code], day) == last
