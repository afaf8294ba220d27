"""A condition that can never be met would hide a field for good: the schema refuses it."""

import pytest
from pydantic import ValidationError

from madoguchi.catalog.schema import FormDefinition

RADIO = {"id": "kind", "type": "radio", "label": "種類",
         "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]}
BOX = {"id": "agree", "type": "checkbox", "label": "同意"}


def form(*fields):
    return {"version": 1, "steps": [{"id": "s", "title": "S", "fields": list(fields)}]}


def dependent(**condition):
    return {"id": "detail", "type": "text", "label": "詳細", "show_if": condition}


def test_a_valid_condition_loads():
    FormDefinition.model_validate(form(RADIO, dependent(field="kind", equals="b")))
    FormDefinition.model_validate(form(BOX, dependent(field="agree", checked=True)))


@pytest.mark.parametrize("fields, reason", [
    ((RADIO, dependent(field="kind", equals="c")), "not all options"),
    ((RADIO, dependent(field="kind", **{"in": ["a", "x"]})), "not all options"),
    ((RADIO, dependent(field="kind", checked=True)), "single yes/no checkbox"),
    ((dependent(field="detail", equals="x"),), "not an earlier field"),
    ((dependent(field="kind", equals="a"), RADIO), "not an earlier field"),
    ((RADIO, dependent(field="kind", equals="a", checked=True)), "exactly one"),
])
def test_impossible_conditions_are_refused(fields, reason):
    with pytest.raises(ValidationError, match=reason):
        FormDefinition.model_validate(form(*fields))
