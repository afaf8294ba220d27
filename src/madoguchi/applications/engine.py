"""The form engine: which fields show, reading a step's input, checking a whole form.

Answers are a dict of field id → clean value; a group holds a list of such dicts.
What a resident typed that did not pass is kept under RAW (path → text), so a saved
draft never loses it. Input names: `field`, and `group-<n>-field` inside a group.
"""

from dataclasses import dataclass
from dataclasses import field as dc_field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from madoguchi.applications import attachments
from madoguchi.applications.fieldvalues import (
    FieldError,
    clean_scalar,
    display,
    from_json,
    input_text,
    named,
    required_message,
)
from madoguchi.catalog.schema import Condition, FieldType, FormDefinition, FormField, Step
from madoguchi.core.i18n.content import Fallback

RAW = "__raw__"


def unanswered(value) -> bool:
    """Nothing given. Not `value in (None, "", [])`: 0 == False, and a 0 yen answer counts."""
    return value is None or value is False or value == "" or value == []


def matches(condition: Condition, value) -> bool:
    if condition.checked is not None:
        return bool(value) == condition.checked
    if condition.equals is not None:
        return value == condition.equals or (isinstance(value, list) and condition.equals in value)
    return value in (condition.in_ or [])


def visible(field: FormField, answers: dict, item: dict | None = None) -> bool:
    if field.show_if is None:
        return True
    name = field.show_if.field
    scope = item if item is not None and (name in item or name not in answers) else answers
    return matches(field.show_if, scope.get(field.show_if.field))


@dataclass
class StepResult:
    answers: dict
    errors: dict[str, str] = dc_field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def group_count(data, group: FormField, answers: dict) -> int:
    try:
        count = int(data.get(f"{group.id}-count", ""))
    except ValueError:
        count = len(answers.get(group.id) or []) or max(group.min_items, 1)
    return max(0, min(count, group.max_items))


def _read_value(field: FormField, data, name: str):
    if field.type == FieldType.CHECKBOX:
        return data.getlist(name) if field.options else (data.get(name) == "on" or None)
    value = data.get(name, "")
    return value if value.strip() else None


def _read_field(field, data, name, previous, scope, raw, errors, files, account):
    """Read one scalar or file field into scope[field.id]; record raw text and errors."""
    raw.pop(name, None)
    if field.type == FieldType.FILE:
        upload = files.get(name) if files else None
        if upload is not None and upload.size:
            try:
                stored = attachments.store(account, upload.name, attachments.read_upload(upload),
                                           field.accept)
            except attachments.AttachmentRejected as exc:
                errors[name] = named(field, str(exc))
                return
            scope[field.id] = {"id": str(stored.public_id), "filename": stored.filename,
                               "size": stored.size}
        elif data.get(f"{name}-remove") == "on":
            scope.pop(field.id, None)
        elif previous is not None:
            scope[field.id] = previous
        return
    value = _read_value(field, data, name)
    if value is None:
        scope.pop(field.id, None)
        return
    try:
        scope[field.id] = clean_scalar(field, value)
    except FieldError as exc:
        scope.pop(field.id, None)
        errors[name] = str(exc)
        if isinstance(value, str):
            raw[name] = value


def read_step(step: Step, data, files, answers: dict, account, strict: bool) -> StepResult:
    """Read a step's POST. `strict` (the 次へ button) also reports missing required fields."""
    merged = dict(answers)
    raw = dict(merged.get(RAW, {}))
    errors: dict[str, str] = {}
    for field in step.fields:
        if field.type == FieldType.GROUP:
            items = []
            previous_items = answers.get(field.id) or []
            for index in range(group_count(data, field, answers)):
                item: dict = {}
                prev_item = previous_items[index] if index < len(previous_items) else {}
                for sub in field.fields:
                    if not visible(sub, merged, item):
                        continue  # a hidden field stores nothing, not even an upload
                    name = f"{field.id}-{index}-{sub.id}"
                    _read_field(sub, data, name, prev_item.get(sub.id), item, raw, errors,
                                files=files, account=account)
                items.append(item)
            merged[field.id] = items
            continue
        if not visible(field, merged):
            merged.pop(field.id, None)
            continue
        _read_field(field, data, field.id, answers.get(field.id), merged, raw, errors,
                    files=files, account=account)
    _drop_hidden(step, merged, raw, errors)
    if raw:
        merged[RAW] = raw
    else:
        merged.pop(RAW, None)
    if strict:
        for name, message in required_errors(step, merged).items():
            errors.setdefault(name, message)
    return StepResult(merged, errors)


def _drop_hidden(step: Step, answers: dict, raw: dict, errors: dict) -> None:
    """A field hidden by its condition keeps no value and no error."""
    for field in step.fields:
        if not visible(field, answers):
            answers.pop(field.id, None)
            for key in [k for k in list(raw) + list(errors) if k == field.id or k.startswith(f"{field.id}-")]:
                raw.pop(key, None)
                errors.pop(key, None)
            continue
        if field.type == FieldType.GROUP:
            for index, item in enumerate(answers.get(field.id) or []):
                for sub in field.fields:
                    if not visible(sub, answers, item):
                        item.pop(sub.id, None)
                        name = f"{field.id}-{index}-{sub.id}"
                        raw.pop(name, None)
                        errors.pop(name, None)


def unchecked_message(field: FormField) -> str:
    """A value typed earlier that did not pass (kept as typed): named, like every message."""
    return _("%(label)sの入力内容を確認してください") % {"label": field.label}


def required_errors(step: Step, answers: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    raw = answers.get(RAW, {})
    for field in step.fields:
        if not visible(field, answers):
            continue
        if field.type == FieldType.GROUP:
            items = answers.get(field.id) or []
            if len(items) < field.min_items:
                errors[field.id] = ngettext("%(label)sを%(n)s件以上入力してください", "%(label)sを%(n)s件以上入力してください",
                                           field.min_items) % {"label": field.label, "n": field.min_items}
            for index, item in enumerate(items):
                for sub in field.fields:
                    name = f"{field.id}-{index}-{sub.id}"
                    if name in raw:
                        errors[name] = unchecked_message(sub)
                    elif sub.required and visible(sub, answers, item) and unanswered(item.get(sub.id)):
                        errors[name] = required_message(sub)
            continue
        if field.id in raw:
            errors[field.id] = unchecked_message(field)
        elif field.required and unanswered(answers.get(field.id)):
            errors[field.id] = required_message(field)
    return errors


def first_incomplete_step(form: FormDefinition, answers: dict) -> int | None:
    for index, step in enumerate(form.steps):
        if required_errors(step, answers):
            return index
    return None


def item_field_label(group, n: int, sub) -> str:
    """A field of a group's n-th item as one message (お子さん1 氏名 / "Child 1: Name"), a
    Fallback when a part of it is shown in Japanese for want of a translation."""
    item = group.item_label or group.label
    # Translators: a field of the n-th item of a repeated group, e.g. "Child 1: Name".
    label = _("%(item)s%(n)s %(field)s") % {"item": item, "n": n, "field": sub.label}
    return Fallback(label) if isinstance(item, Fallback) or isinstance(sub.label, Fallback) else label


def group_items(answers: dict, group_id: str) -> list[dict]:
    """The items of a repeated group's answer. Anything else (text, a list holding non-items,
    from an older version or a bulk loader) reads as no items: the pages that show every
    version of a case must not fail on one odd answer."""
    items = answers.get(group_id)
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def summary(form: FormDefinition, answers: dict) -> list[dict]:
    """Steps with (label, display value) rows, for the 確認画面, the receipt and the case page."""
    sections = []
    for index, step in enumerate(form.steps):
        rows: list[tuple[str, str]] = []
        for field in step.fields:
            if not visible(field, answers):
                continue
            if field.type == FieldType.GROUP:
                for n, item in enumerate(group_items(answers, field.id), start=1):
                    for sub in field.fields:
                        if visible(sub, answers, item):
                            rows.append((item_field_label(field, n, sub), display(sub, item.get(sub.id))))
                continue
            rows.append((field.label, display(field, answers.get(field.id))))
        sections.append({"index": index, "title": step.title, "rows": rows})
    return sections


def labelled_sources(form: FormDefinition, sources: dict) -> list[tuple[str, str]]:
    """(field label, source) for values that did not come from the resident's typing; a group
    item's field (`children-0-name`) reads as the summary labels it (お子さん1 氏名)."""
    labels = {}
    for step in form.steps:
        for field in step.fields:
            labels[field.id] = field.label
            if field.type == FieldType.GROUP:
                for n in range(field.max_items):
                    labels.update({f"{field.id}-{n}-{sub.id}": item_field_label(field, n + 1, sub)
                                   for sub in field.fields})
    return [(labels.get(k, k), v) for k, v in sources.items() if v != "resident"]


def flat_rows(form: FormDefinition, answers: dict) -> list[tuple[str, str]]:
    return [row for section in summary(form, answers) for row in section["rows"]]


def _answered_fields(form: FormDefinition, answers: dict, kind: FieldType):
    """(label, value) for every answer of a type, top-level and inside each group item."""
    for step in form.steps:
        for field in step.fields:
            grouped = field.type == FieldType.GROUP
            scopes = group_items(answers, field.id) if grouped else [answers]
            for n, scope in enumerate(scopes, start=1):
                for f in (field.fields if grouped else [field]):
                    if f.type == kind and scope.get(f.id):
                        yield (f"{field.label}{n} {f.label}" if grouped else f.label), scope[f.id]


def attachment_ids(form: FormDefinition, answers: dict) -> list[str]:
    """The ids of the files an answer set names, top-level and inside groups."""
    return [value["id"] for _, value in _answered_fields(form, answers, FieldType.FILE)
            if isinstance(value, dict)]


def my_numbers(form: FormDefinition, answers: dict) -> list[tuple[str, str]]:
    """(label, 個人番号) for every my_number answer: only for the deliberate reveal."""
    return list(_answered_fields(form, answers, FieldType.MY_NUMBER))


UNKNOWN_FIELD = gettext_lazy("この手続にない項目です")
FILE_NOT_FOUND = gettext_lazy("添付ファイルが見つかりません。画面から添付したファイルの id を送ってください")


def _path(name: str) -> str:
    """The API's path for a form input name: `children-0-birth_date` → `children.0.birth_date`
    (field ids never contain a hyphen, so the mapping is exact)."""
    return name.replace("-", ".")


def _clean_file(value, find_attachment) -> dict:
    """A file answer names an attachment the caller owns, by id or as {"id": …}; it is stored
    as the form stores an upload (id, file name, size), read from the attachment itself."""
    ident = value.get("id") if isinstance(value, dict) else value
    found = find_attachment(ident) if isinstance(ident, str) and len(ident) <= 64 else None
    if found is None:
        raise FieldError(str(FILE_NOT_FOUND))
    return found


def _named_errors(field: FormField, call):
    """Run a cleaner; its refusal is re-raised naming the field (the API's details read as the
    pages' messages do)."""
    try:
        return call()
    except FieldError as exc:
        raise FieldError(named(field, str(exc))) from None


def _clean_value(field: FormField, value, find_attachment):
    if field.type == FieldType.FILE:
        return None if unanswered(value) else _named_errors(
            field, lambda: _clean_file(value, find_attachment))
    return None if value is None else from_json(field, value)


def _clean_group(field: FormField, value, clean: dict, errors: dict, find_attachment) -> None:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        errors[field.id] = _("%(label)sは項目のリスト（オブジェクトの配列）で送ってください") % {"label": field.label}
        return
    if len(value) > field.max_items:
        errors[field.id] = ngettext("%(label)sは%(n)s件までです", "%(label)sは%(n)s件までです", field.max_items) % {
            "label": field.label, "n": field.max_items}
        return
    items = []
    for index, given in enumerate(value):
        item: dict = {}
        known = {sub.id for sub in field.fields}
        errors.update({f"{field.id}.{index}.{key}": str(UNKNOWN_FIELD)
                       for key in given if key not in known})
        for sub in field.fields:
            if not visible(sub, clean, item):
                continue  # a hidden field keeps no value
            try:
                cleaned = _clean_value(sub, given.get(sub.id), find_attachment)
            except FieldError as exc:
                errors[f"{field.id}.{index}.{sub.id}"] = str(exc)
                continue
            if cleaned is not None:
                item[sub.id] = cleaned
        items.append(item)
    clean[field.id] = items


def validate_answers(form: FormDefinition, answers: dict,
                     find_attachment=lambda ident: None) -> tuple[dict, dict[str, str]]:
    """Check a complete answer set sent through the API with the form pages' rules: each value
    goes through the same cleaner (`fieldvalues`), groups item by item within `max_items`,
    files must name an attachment `find_attachment` returns (the caller's own), conditions
    and required fields as on the pages. Returns (clean answers, path → message); the paths
    are dotted (`children.0.birth_date`), and the answers can be submitted when it is empty."""
    errors = {key: str(UNKNOWN_FIELD) for key in answers if key not in form.field_ids()}
    clean: dict = {}
    for step in form.steps:
        for field in step.fields:
            if not visible(field, clean):
                continue  # decided by the answers before it, as on the pages
            value = answers.get(field.id)
            if field.type == FieldType.GROUP:
                if value is not None:
                    _clean_group(field, value, clean, errors, find_attachment)
                continue
            try:
                cleaned = _clean_value(field, value, find_attachment)
            except FieldError as exc:
                errors[field.id] = str(exc)
                continue
            if cleaned is not None:
                clean[field.id] = cleaned
        for name, message in required_errors(step, clean).items():
            errors.setdefault(_path(name), message)
    return clean, errors


__all__ = [
    "RAW", "StepResult", "attachment_ids", "first_incomplete_step", "flat_rows", "input_text",
    "read_step", "required_errors", "summary", "validate_answers", "visible",
]
