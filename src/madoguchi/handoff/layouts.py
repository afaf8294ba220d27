"""The CSV layout of a procedure's hand-off file, and its Table Schema.

One row per case and event. The columns are the fixed ones below, then one per answer of the
form the case was filed with (a repeating group such as 児童 gives `children.1.name` …
`children.<max_items>.name`), then one per item the procedure's decision states
(`decision.<id>`). Column names are the form's field ids (ASCII, stable across wording
changes); each column's Japanese title and type are published as a Frictionless Table Schema
(`schema-v<form version>.json` beside the files, written by the file target), so a vendor's
importer can read and check the file with any Table Schema tool.

Cells: dates ISO 8601 (2026-04-01), times ISO 8601 with offset, integers as digits, yes/no as
true/false, choices as the option's value (several joined by ";"), a file as its name, empty
for no answer. A cell that a spreadsheet would run as a formula starts with one apostrophe
(core/csvsafe.py; `unescape` removes it).
"""

from dataclasses import dataclass, field

from madoguchi.catalog.schema import FieldType, FormDefinition, Procedure

SEPARATOR = ";"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Table Schema type: string, integer, boolean, date, datetime
    title: str
    enum: tuple[str, ...] = ()
    path: tuple = field(default=())  # where the value is in the payload's data

    def descriptor(self) -> dict:
        described = {"name": self.name, "type": self.type, "title": self.title}
        if self.type == "datetime":
            described["format"] = "any"
        if self.enum:
            described["constraints"] = {"enum": list(self.enum)}
        return described


FIXED = (
    Column("handoff_id", "string", "連携ID（webhook-id と同じ。再送しても同じ）", path=("handoff_id",)),  # ja-only: the published layout (Table Schema titles)
    Column("event", "string", "契機（accepted: 受付 / decided: 決定）", ("accepted", "decided"), ("event",)),  # ja-only: the published layout
    Column("event_at", "datetime", "契機の日時", path=("event_at",)),  # ja-only: the published layout
    Column("city_code", "string", "地方公共団体コード", path=("city", "code")),  # ja-only: the published layout
    Column("procedure_code", "string", "手続コード", path=("case", "procedure_code")),  # ja-only: the published layout
    Column("receipt_number", "string", "受付番号", path=("case", "receipt_number")),  # ja-only: the published layout
    Column("form_version", "integer", "様式の版", path=("case", "form_version")),  # ja-only: the published layout
    Column("version", "integer", "申請内容の版（補正で増える）", path=("case", "version")),  # ja-only: the published layout
    Column("channel", "string", "経路（online: 電子申請 / counter: 窓口）", ("online", "counter"), ("case", "channel")),  # ja-only: the published layout
    Column("department", "string", "担当課コード", path=("case", "department")),  # ja-only: the published layout
    Column("submitted_at", "datetime", "申請日時", path=("case", "submitted_at")),  # ja-only: the published layout
    Column("decision_outcome", "string", "決定（approve: 承認 / reject: 却下）", ("approve", "reject"), ("decision", "outcome")),  # ja-only: the published layout
    Column("decision_notice_number", "string", "通知番号", path=("decision", "notice_number")),  # ja-only: the published layout
    Column("decision_decided_at", "datetime", "決定日時", path=("decision", "decided_at")),  # ja-only: the published layout
    Column("decision_reason", "string", "決定の理由", path=("decision", "reason")),  # ja-only: the published layout
)

_ANSWER_TYPES = {FieldType.DATE: "date", FieldType.NUMBER: "integer", FieldType.YEN: "integer"}
_DECISION_TYPES = {"yen": "integer", "number": "integer", "date": "date"}


def _answer_column(form_field, name: str, title: str, path: tuple) -> Column:
    if form_field.type == FieldType.CHECKBOX and not form_field.options:
        return Column(name, "boolean", title, path=path)
    enum = tuple(o.value for o in form_field.options) if form_field.type in {FieldType.SELECT, FieldType.RADIO} else ()
    return Column(name, _ANSWER_TYPES.get(form_field.type, "string"), title, enum, path)


def columns(procedure: Procedure, form: FormDefinition, include_my_number: bool = False) -> list[Column]:
    found = list(FIXED)
    for step in form.steps:
        for f in step.fields:
            if f.type == FieldType.MY_NUMBER and not include_my_number:
                continue
            if f.type != FieldType.GROUP:
                found.append(_answer_column(f, f.id, f.label, ("answers", f.id)))
                continue
            for index in range(1, f.max_items + 1):
                for inner in f.fields:
                    if inner.type == FieldType.MY_NUMBER and not include_my_number:
                        continue
                    found.append(_answer_column(
                        inner, f"{f.id}.{index}.{inner.id}", f"{f.item_label or f.label}{index} {inner.label}",
                        ("answers", f.id, index - 1, inner.id)))
    seen = set()
    for rules in (procedure.decision.approve, procedure.decision.reject) if procedure.decision else ():
        for d in rules:
            if d.id not in seen:
                seen.add(d.id)
                enum = tuple(o.value for o in d.options) if d.type == "choice" else ()
                found.append(Column(f"decision.{d.id}", _DECISION_TYPES.get(d.type, "string"),
                                    f"決定: {d.label}", enum, ("decision", "content", d.id)))  # ja-only: the published layout
    return found


def table_schema(columns_: list[Column]) -> dict:
    """The Table Schema of the layout, checked by frictionless (a malformed one raises)."""
    from frictionless import Schema

    schema = Schema.from_descriptor({
        "fields": [c.descriptor() for c in columns_],
        "missingValues": [""],
        "primaryKey": ["handoff_id"],
    })
    return schema.to_descriptor()


def _value_at(data: dict, path: tuple):
    value = data
    for step in path:
        if isinstance(value, dict):
            value = value.get(step)
        elif isinstance(value, list) and isinstance(step, int):
            value = value[step] if step < len(value) else None
        else:
            return None
        if value is None:
            return None
    return value


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):  # a file: its name; a child in a decision: its item number
        return str(value.get("filename") or value.get("item") or value.get("name") or "")
    if isinstance(value, list):
        return SEPARATOR.join(cell(v) for v in value)
    return str(value)


def row(columns_: list[Column], payload: dict) -> list[str]:
    data = payload["data"]
    return [cell(_value_at(data, c.path)) for c in columns_]
