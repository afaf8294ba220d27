"""Answers for any form as an API client sends them (the security tests' shared builder)."""

from madoguchi.applications import engine
from madoguchi.catalog.schema import FieldType

from support import valid_value


def api_value(field, attachment_id: str):
    """A valid JSON value for one field, as a client following the form definition sends it."""
    if field.type == FieldType.FILE:
        return attachment_id
    if field.type == FieldType.CHECKBOX:
        return [field.options[0].value] if field.options else True
    return valid_value(field)


def valid_answers(form, attachment_id: str) -> dict:
    """Complete valid answers for any form: groups get max(min_items, 1) items; only the
    fields that show for the values chosen so far are filled."""
    answers: dict = {}
    for step in form.steps:
        for field in step.fields:
            if not engine.visible(field, answers):
                continue
            if field.type == FieldType.GROUP:
                items = []
                for _ in range(max(field.min_items, 1)):
                    item: dict = {}
                    for sub in field.fields:
                        if engine.visible(sub, answers, item):
                            item[sub.id] = api_value(sub, attachment_id)
                    items.append(item)
                answers[field.id] = items
                continue
            answers[field.id] = api_value(field, attachment_id)
    return answers


