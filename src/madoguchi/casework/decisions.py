"""What a decision states (支給額, 支給開始月, 対象児童 …, or 受理), as the procedure file's
`decision:` defines it: one validator for the page and the API, stored on the Decision, shown to
the approver and printed on the 決定通知書.

A proposal stores its content as JSON: each field's id, label, type, typed value (yen and
numbers as int, months as "YYYY-MM", dates as ISO, choices as option values, children as the
application's items) and the text as the notice prints it. The approver reads those printed
rows, the notice prints the same rows, and the approval carries a digest of them
(`digest`), so what is approved is what was shown, even if the file or the proposal changes in
between.

A 届出 (kind: notification) is 受理 and states nothing. It is not a 処分 (行政手続法第2条第7号,
第37条: the duty to notify is fulfilled when a formally complete 届出 reaches the office), so it
carries no 教示 and a Japanese city sends no 決定通知書 or 受理通知書 for it: the resident learns
it was 受理 from My Page and the status mail, and what follows (a new card, a 鑑札) is its own
document. A defective 届出 is returned for correction (差戻し), never refused.
"""

import hashlib
import json
import re
import unicodedata
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.applications import fieldvalues
from madoguchi.applications import services as applications
from madoguchi.catalog.schema import DecisionField, FieldType, FormField, Kind, Option
from madoguchi.core import japanese as ja
from madoguchi.core.pdf.common import wareki_date, wareki_year

OUTCOMES = ("approve", "reject")
MONTH = re.compile(r"(\d{4})[-/.年](\d{1,2})月?")  # ja-only: input pattern (2026-12, 2026年12月)
EARLIEST_YEAR = 1989  # 平成: no decision of ours starts before
YEARS_AHEAD = 10


class ContentRefused(Exception):
    """The content as sent cannot be stored: `errors` maps each field id to a plain message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(_("決定内容を確認してください（%(n)s件）。") % {"n": len(errors)})
        self.errors = errors


def _fail(message: str):
    raise fieldvalues.FieldError(message)


def is_receipt(procedure) -> bool:
    """A 届出: its decision is 受理, without content, choice or notice (see the module)."""
    return procedure.kind == Kind.NOTIFICATION


def fields_for(procedure, outcome: str) -> list[DecisionField]:
    if procedure.decision is None or is_receipt(procedure) or outcome not in OUTCOMES:
        return []
    return list(getattr(procedure.decision, outcome))


def submitted(fields, outcome: str) -> dict:
    """The content as sent: the API's `content` object, or the page's `<outcome>-<id>` inputs
    (several values for ticked boxes)."""
    content = fields.get("content")
    if isinstance(content, dict):
        return content
    if not hasattr(fields, "getlist"):
        return {}
    prefix = f"{outcome}-"
    return {key[len(prefix):]: fields.getlist(key) for key in fields if key.startswith(prefix)}


def validate(procedure, outcome: str, raw: dict, answers: dict) -> list[dict]:
    """The content's fields in the file's order, each cleaned to its typed value and the text the
    notice prints; ContentRefused naming each field that cannot be. Fields not in the file are
    refused too (a client misspelling an id must not lose its value silently)."""
    raw = raw if isinstance(raw, dict) else {}
    defined = fields_for(procedure, outcome)
    errors = {key: _("この決定にはない項目です。") for key in raw if key not in {f.id for f in defined}}
    cleaned = []
    for field in defined:
        try:
            value = _clean(field, raw.get(field.id), answers)
        except fieldvalues.FieldError as exc:
            errors[field.id] = str(exc)
            continue
        if value is None:
            continue
        cleaned.append({"id": field.id, "label": field.label, "type": field.type, "value": value,
                        "printed": printed(field, value)})
    if errors:
        raise ContentRefused(errors)
    return cleaned


def _blank(value) -> bool:
    if isinstance(value, list):
        return all(_blank(v) for v in value)
    return value is None or (isinstance(value, str) and not value.strip())


def _clean(field: DecisionField, value, answers: dict):
    many = field.type in {"choices", "children"}
    if isinstance(value, list) and not many:
        if len(value) > 1:
            _fail(_("%(label)sは1つだけ入力してください") % {"label": field.label})
        value = value[0] if value else None
    if many and value is not None and not isinstance(value, list):
        value = [value]
    if _blank(value):
        if field.required:
            _fail(fieldvalues.required_message(_as_form_field(field)))
        return None
    if field.type == "month":
        return _month(field, value)
    if field.type == "children":
        return _children(field, value, answers)
    if field.type in {"yen", "number"} and isinstance(value, bool):
        _fail(_("%(label)sは数字で入力してください") % {"label": field.label})
    if field.type not in {"yen", "number", "choices"} and not isinstance(value, str):
        _fail(_("%(label)sは文字列で送ってください") % {"label": field.label})
    if field.type == "choices" and not all(isinstance(v, str) for v in value):
        _fail(_("%(label)sを一覧から選んでください") % {"label": field.label})
    return fieldvalues.clean_scalar(_as_form_field(field), value)


def _as_form_field(field: DecisionField) -> FormField:
    """The form engine's field for the same rule, so a 支給額 is read as any amount of yen is."""
    kind = {"text": FieldType.TEXT, "yen": FieldType.YEN, "number": FieldType.NUMBER,
            "date": FieldType.DATE, "choice": FieldType.RADIO, "choices": FieldType.CHECKBOX,
            "month": FieldType.TEXT, "children": FieldType.CHECKBOX}[field.type]
    options = field.options or ([Option(value="x", label="x")] if kind == FieldType.CHECKBOX else [])
    return FormField(id=field.id, type=kind, label=field.label, options=options,
                     max_length=field.max_length, min_value=field.min_value, max_value=field.max_value)


def _month(field: DecisionField, value) -> str:
    """A month as YYYY-MM, from 2026-12 (the browser's month input), 2026年12月, 令和8年12月 or
    R8.12."""
    if not isinstance(value, str):
        _fail(_("%(label)sは文字列で送ってください") % {"label": field.label})
    text = unicodedata.normalize("NFKC", value).strip().replace(" ", "")
    if match := MONTH.fullmatch(text):
        year, month = int(match[1]), int(match[2])
    else:
        try:  # 和暦: the form engine's reading of a date, on the month's first day
            day = ja.parse_date(text + ("1日" if text.endswith("月") else ".1"))  # ja-only: input pattern
        except ja.JapaneseInputError:
            _fail(_("%(label)sは「2026-12」や「令和8年12月」のように入力してください") % {"label": field.label})
        year, month = day.year, day.month
    if not 1 <= month <= 12:
        _fail(_("%(label)sの月は1から12で入力してください") % {"label": field.label})
    latest = timezone.localdate().year + YEARS_AHEAD
    if not EARLIEST_YEAR <= year <= latest:
        _fail(_("%(label)sは%(first)s年から%(last)s年までの月で入力してください")
                          % {"label": field.label, "first": EARLIEST_YEAR, "last": latest})
    return f"{year:04d}-{month:02d}"


def children_of(field: DecisionField, answers: dict) -> list[dict]:
    """The children the application lists in the field's group: item number, name, birth date."""
    items = answers.get(field.group) or []
    return [{"item": n, "name": str(item.get("name", "")), "birth_date": item.get("birth_date") or None}
            for n, item in enumerate(items) if isinstance(item, dict)]


def _children(field: DecisionField, value: list, answers: dict) -> list[dict]:
    listed = {child["item"]: child for child in children_of(field, answers)}
    chosen = []
    for item in value:
        number = item if isinstance(item, int) and not isinstance(item, bool) else \
            int(item) if isinstance(item, str) and item.strip().isdigit() else None
        if number not in listed:
            _fail(_("%(label)sは申請に記載されたお子さんから選んでください") % {"label": field.label})
        if listed[number] not in chosen:
            chosen.append(listed[number])
    return sorted(chosen, key=lambda child: child["item"])


def printed(field: DecisionField, value) -> str:
    """The value as the 決定通知書 prints it (Japanese only: legal text), with the field's suffix."""
    t = field.type
    if t == "yen":
        text = f"{value:,}円"  # ja-only: 決定通知書 (legal text)
    elif t == "number":
        text = f"{value:,}"
    elif t == "month":
        year, month = (int(part) for part in value.split("-"))
        text = f"{wareki_year(date(year, month, 1))}{month}月"  # ja-only: 決定通知書 (legal text)
    elif t == "date":
        text = wareki_date(date.fromisoformat(value))
    elif t == "choice":
        text = next(o.label for o in field.options if o.value == value)
    elif t == "choices":
        text = "・".join(o.label for o in field.options if o.value in value)  # ja-only: 決定通知書
    elif t == "children":
        text = "、".join(_child(child) for child in value)  # ja-only: 決定通知書 (legal text)
    else:
        text = value
    return f"{text}{field.suffix}"


def _child(child: dict) -> str:
    if not child.get("birth_date"):
        return child["name"]
    return f"{child['name']}（{wareki_date(date.fromisoformat(child['birth_date']))}生）"  # ja-only: 決定通知書


def to_json(content: list[dict]) -> str:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_of(decision) -> list[dict]:
    """The stored content (a decision proposed before content existed states none)."""
    return json.loads(decision.content) if decision.content else []


def rows(decision) -> list[tuple[str, str]]:
    """(label, printed text) of each field, as the approver reads them and the notice prints them."""
    return [(field["label"], field["printed"]) for field in content_of(decision)]


def digest(decision) -> str:
    """What the approver approves: the outcome, the reason and the content as stored. Posted with
    the approval; a proposal changed since the page was loaded no longer matches."""
    text = json.dumps([decision.outcome, decision.reason, content_of(decision)], ensure_ascii=False,
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def case_context(request, case, procedure, form: dict | None = None) -> dict:
    """The decision panel of a case page: the proposal's fields (with what was typed and the
    refusals when a proposal came back), and the pending proposal's rows and digest."""
    form = form or {}
    values, errors = form.get("values", {}), form.get("errors", {})
    pending = case.decisions.filter(state="pending").last()
    answers = {}
    if case.status == "accepted" and any(fields_for(procedure, o) for o in OUTCOMES):
        answers = applications.answers_of(case.current_version)
    panels = {outcome: [_widget(field, outcome, values, errors, answers, form)
                        for field in fields_for(procedure, outcome)] for outcome in OUTCOMES}
    return {"receipt": is_receipt(procedure), "approve_fields": panels["approve"],
            "reject_fields": panels["reject"],
            "outcome": values.get("outcome", ["approve"])[0] if values else "approve",
            "reason": (values.get("reason") or [""])[0], "reason_error": errors.get("reason", ""),
            "pending_rows": rows(pending) if pending else [],
            "digest": digest(pending) if pending else ""}


def _widget(field: DecisionField, outcome: str, values: dict, errors: dict, answers: dict, form: dict) -> dict:
    name = f"{outcome}-{field.id}"
    sent = values.get(name)
    if sent is None:
        sent = [] if form else ([field.default] if isinstance(field.default, str) else list(field.default or []))
    choices = []
    if field.type in {"choice", "choices"}:
        choices = [{"value": o.value, "label": o.label, "checked": o.value in sent} for o in field.options]
    elif field.type == "children":
        choices = [{"value": str(c["item"]), "label": _child(c),
                    "checked": str(c["item"]) in sent or not form} for c in children_of(field, answers)]
    return {"f": field, "name": name, "id": f"decision-{outcome}-{field.id}",
            "value": sent[0] if sent else "", "choices": choices,
            "error": errors.get(field.id, "") if values.get("outcome", [""])[0] == outcome else "",
            "input_type": "text"}


def for_handoff(decision) -> dict:
    """The decision as the business systems receive it (handoff): outcome, notice number, day,
    and what it states, machine-readable: each field's id and typed value (yen as int, months as
    "YYYY-MM", dates as ISO, options as their values, children as the application's item number,
    name and birth date)."""
    return {"outcome": decision.outcome, "notice_number": decision.notice_number,
            "decided_at": decision.approved_at.isoformat() if decision.approved_at else None,
            "reason": decision.reason,
            "content": {field["id"]: field["value"] for field in content_of(decision)}}
