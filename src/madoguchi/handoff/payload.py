"""What a hand-off carries: one JSON object, the same for every target and every attempt.

It is the HTTP body (the Standard Webhooks shape: `type`, `timestamp`, `data`), the JSON file,
and the source of the CSV row (layouts.py). It is built from the records at delivery time but
only from what does not change: the submission's version handed off (a correction adds a
version, it never alters one), the decision as it was approved, and the hand-off's own time,
so a re-delivery writes the same bytes.
"""

import json

from madoguchi.applications.services import answers_of
from madoguchi.catalog.schema import FieldType, FormDefinition
from madoguchi.catalog.selectors import procedure_of_record

PAYLOAD_VERSION = 1


def _without_my_number(form: FormDefinition, answers: dict) -> dict:
    """The answers less every 個人番号 (top level and in groups)."""
    kept = dict(answers)
    for step in form.steps:
        for field in step.fields:
            if field.type == FieldType.MY_NUMBER:
                kept.pop(field.id, None)
            elif field.type == FieldType.GROUP and isinstance(kept.get(field.id), list):
                inner = {f.id for f in field.fields if f.type == FieldType.MY_NUMBER}
                if inner:
                    kept[field.id] = [{k: v for k, v in item.items() if k not in inner}
                                      if isinstance(item, dict) else item for item in kept[field.id]]
    return kept


def build(handoff, include_my_number: bool = False) -> dict:
    case = handoff.submission
    city = case.municipality
    procedure = procedure_of_record(city, case.procedure_code, language="ja")
    version = case.versions.get(number=handoff.version)
    form = procedure.form(version.form_version)
    answers = answers_of(version)
    if not include_my_number:
        answers = _without_my_number(form, answers)
    return {
        "type": f"case.{handoff.event}",
        "timestamp": handoff.created_at.isoformat(),
        "data": {
            "payload_version": PAYLOAD_VERSION,
            "handoff_id": str(handoff.public_id),
            "event": handoff.event,
            "event_at": handoff.created_at.isoformat(),
            "city": {"code": city.code, "name": city.name},
            "case": {
                "receipt_number": case.receipt_number,
                "procedure_code": case.procedure_code,
                "procedure_title": procedure.title,
                "form_version": version.form_version,
                "version": version.number,
                "channel": case.channel,
                "department": case.department.code,
                "submitted_at": case.submitted_at.isoformat(),
            },
            "answers": answers,
            "decision": json.loads(handoff.decision) if handoff.decision else None,
        },
    }


def body(payload: dict) -> bytes:
    """The payload as sent and written: UTF-8 JSON, keys in a fixed order, so the same payload
    is the same bytes (the signature and the file's content repeat exactly)."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
