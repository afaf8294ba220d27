"""The 手続ナビ through the API: its events, and a plan by the token in its QR code."""

from django.utils import timezone

from madoguchi.navigator import services

BIRTH = {"insurance": "nhi", "allowance": "first", "single_parent": "no", "daycare": "no"}


def _answered(city, event: str, answers: dict):
    plan = services.start_plan(city, event)
    while (question := services.next_question(plan)) is not None:
        value = timezone.localdate().isoformat() if question.id == "day" else answers[question.id]
        assert services.answer(plan, question.id, [value]) == []
    return plan


def test_events_list_questions_and_rules(client, city):
    """The events as written, in Japanese (their translations are the overlay files)."""
    rows = client.get("/api/navigator/events").json()
    birth = next(e for e in rows if e["id"] == "birth")
    assert birth["title"]["ja"]
    assert any(r["procedure"] == "birth-registration" for r in birth["rules"])


def test_a_plan_by_token_gives_the_procedures_with_places_and_deadlines(client, city):
    plan = _answered(city, "birth", BIRTH)
    body = client.get(f"/api/navigator/plans/{plan.token}", {"lang": "en"}).json()
    assert body["complete"] is True and body["event"] == "birth"
    procedures = {p["procedure"]: p for p in body["procedures"]}
    assert {"birth-registration", "child-allowance-claim", "nhi-enrollment"} <= set(procedures)
    assert procedures["birth-registration"]["deadline"]
    assert procedures["child-allowance-claim"]["startable"] is True
    assert procedures["birth-registration"]["title"] == "Birth registration" or \
        procedures["birth-registration"]["title"].isascii()
    plan.refresh_from_db()
    assert plan.lang == "ja"  # reading in English does not change the resident's plan


def test_an_unfinished_plan_lists_no_procedures_yet(client, city):
    plan = services.start_plan(city, "death")
    body = client.get(f"/api/navigator/plans/{plan.token}").json()
    assert body == {"event": "death", "answers": {}, "complete": False, "procedures": []}


def test_another_citys_plan_is_not_found(client, city, other_city):
    plan = services.start_plan(other_city, "birth")
    assert client.get(f"/api/navigator/plans/{plan.token}").status_code == 404


def test_a_plan_stored_before_stale_answers_were_dropped_shows_only_answers_still_asked(client, city):
    """A plan saved before answers no longer asked were dropped (or written behind the
    services' back) keeps them in its row until its next save; the API never shows them."""
    plan = _answered(city, "birth", BIRTH)
    plan.answers = {**plan.answers, "not_a_question": ["x"]}
    plan.save(update_fields=["answers"])
    body = client.get(f"/api/navigator/plans/{plan.token}").json()
    assert "not_a_question" not in body["answers"]
    assert set(body["answers"]) == set(BIRTH) | {"day"}
