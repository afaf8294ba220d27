"""What the 引越し answers settle in the forms, so the counter does not ask it again form by form:
where the family came from is one answer, given once, for every form that asks it."""

import pytest

from madoguchi.applications.prefill import event_choices
from madoguchi.catalog.loader import catalog


@pytest.mark.parametrize("kind, place", [("from_other_city", "domestic"), ("from_abroad", "abroad")])
def test_where_the_family_came_from_is_settled_in_every_form_that_asks_it(kind, place):
    settled = event_choices("moving", {"kind": kind})
    for code in ("moving-in", "vaccination-moving-in"):
        assert settled[code]["previous_place"] == place
        form = catalog()[code].current_form
        options = {o.value for step in form.steps for f in step.fields if f.id == "previous_place"
                   for o in f.options}
        assert place in options, code  # a value the form accepts


def test_other_events_and_moves_settle_nothing():
    assert event_choices("death", {"kind": "from_other_city"}) == {}
    assert event_choices("moving", {"kind": "within"}) == {}
