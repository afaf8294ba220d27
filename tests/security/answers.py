"""Answers for any form as an API client sends them (the security tests' shared builder)."""

from madoguchi.applications import engine
from madoguchi.catalog.schema import FieldType

from support import valid_value


def _first(choices):
    return choices[0]


def api_value(field, attachment_id: str, pick=_first):
    """A valid JSON value for one field, as a client following the form definition sends it;
    `pick` chooses among a choice field's options (the first by default)."""
    if field.type == FieldType.FILE:
        return attachment_id
    if field.type in {FieldType.SELECT, FieldType.RADIO}:
        return pick(field.options).value
    if field.type == FieldType.CHECKBOX:
        return [pick(field.options).value] if field.options else pick([True, False])
    return valid_value(field)


def valid_answers(form, attachment_id: str, pick=_first) -> dict:
    """Complete valid answers for any form: groups get max(min_items, 1) items (or as many as
    `pick` chooses, up to 3); only the fields that show for the values chosen so far are
    filled, so other options open other conditional fields."""
    answers: dict = {}
    for step in form.steps:
        for field in step.fields:
            if not engine.visible(field, answers):
                continue
            if field.type == FieldType.GROUP:
                items = []
                least = max(field.min_items, 1)
                for _ in range(pick(list(range(least, max(least, min(field.max_items, 3)) + 1)))):
                    item: dict = {}
                    for sub in field.fields:
                        if engine.visible(sub, answers, item):
                            item[sub.id] = api_value(sub, attachment_id, pick)
                    items.append(item)
                answers[field.id] = items
                continue
            answers[field.id] = api_value(field, attachment_id, pick)
    return answers


