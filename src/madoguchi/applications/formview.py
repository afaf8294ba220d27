"""What a step page needs to draw each field: names, values as typed, errors, conditions."""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from madoguchi.applications import engine
from madoguchi.applications.fieldvalues import input_text
from madoguchi.catalog.schema import FieldType, FormField, Step

INPUT_MODES = {
    FieldType.POSTAL_CODE: ("text", "numeric", "postal-code"),
    FieldType.PHONE: ("tel", "tel", "tel"),
    FieldType.EMAIL: ("email", "email", "email"),
    FieldType.NUMBER: ("text", "numeric", ""),
    FieldType.YEN: ("text", "numeric", ""),
    FieldType.DATE: ("text", "text", ""),
    FieldType.MY_NUMBER: ("text", "numeric", "off"),
}


def _condition_text(field: FormField, step: Step, answers: dict) -> str:
    """Without JavaScript every field of the step shows; say when a conditional one applies."""
    condition = field.show_if
    if condition is None:
        return ""
    source = next((f for f in step.fields if f.id == condition.field), None)
    if source is None:
        return ""
    labels = {o.value: o.label for o in source.options}
    if condition.checked is not None:
        if condition.checked:
            return _("「%(label)s」にチェックを入れた方のみ") % {"label": source.label}
        return _("「%(label)s」にチェックを入れていない方のみ") % {"label": source.label}
    wanted = [condition.equals] if condition.equals is not None else (condition.in_ or [])
    chosen = pgettext("list of options", "・").join(str(labels.get(w, w)) for w in wanted)
    return _("「%(label)s」で「%(options)s」を選んだ方のみ") % {"label": source.label, "options": chosen}


def _field(field: FormField, name: str, value, raw: dict, errors: dict, step: Step, answers: dict):
    kind, inputmode, autocomplete = INPUT_MODES.get(field.type, ("text", "", ""))
    if field.digits:
        inputmode = "numeric"
    text = raw.get(name, input_text(field, value) if field.type not in {
        FieldType.CHECKBOX, FieldType.FILE} else "")
    return {
        "f": field,
        "name": name,
        "type": field.type.value,
        "input_type": kind,
        "inputmode": inputmode,
        "autocomplete": autocomplete,
        "text": text,
        "value": value,
        "checked": value if isinstance(value, list) else [],
        "error": errors.get(name, ""),
        "condition": _condition_text(field, step, answers),
        "show_if": field.show_if,
        "options": [{"value": o.value, "label": o.label,
                     "selected": (o.value in value) if isinstance(value, list) else o.value == value}
                    for o in field.options],
    }


def step_context(procedure, form, step: Step, index: int, answers: dict, errors: dict, draft) -> dict:
    raw = answers.get(engine.RAW, {})
    fields = []
    for field in step.fields:
        if field.show_if and field.show_if.field not in {f.id for f in step.fields} \
                and not engine.visible(field, answers):
            continue  # decided by an earlier step's answer
        if field.type == FieldType.GROUP:
            items = answers.get(field.id) or [{} for _ in range(max(field.min_items, 1))]
            entry = _field(field, field.id, None, raw, errors, step, answers)
            entry["items"] = [
                {"number": n + 1, "index": n, "fields": [
                    _field(sub, f"{field.id}-{n}-{sub.id}", item.get(sub.id), raw, errors, step, answers)
                    for sub in field.fields]}
                for n, item in enumerate(items)
            ]
            entry["count"] = len(items)
            entry["can_add"] = len(items) < field.max_items
            fields.append(entry)
            continue
        fields.append(_field(field, field.id, answers.get(field.id), raw, errors, step, answers))
    error_list = [{"name": k, "message": v} for k, v in errors.items()]
    return {
        "procedure": procedure, "form": form, "step": step, "index": index, "fields": fields,
        "errors": error_list, "draft": draft, "steps": form.steps,
        "step_number": index + 1, "step_count": len(form.steps) + 1,
        "has_files": any(f.type == FieldType.FILE for f in step.fields),
    }
