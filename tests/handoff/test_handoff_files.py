"""The file export: the layout and its Table Schema, CP932 and its refusal, formula cells, the
atomic write, one file per case and event whatever repeats, the JSON file; one row per case,
target and event whatever enqueues it."""

import csv
import io
import json
import os
from datetime import timedelta

import handoff_support
import pytest
from django.db import transaction
from django.utils import timezone
from frictionless import Resource, Schema
from handoff_support import CODE, accepted_case, file_target

from madoguchi.core import csvsafe
from madoguchi.handoff import config, layouts, services
from madoguchi.handoff.models import Handoff, State
from madoguchi.handoff.payload import body, build
from madoguchi.handoff.targets.file import FileTarget

pytestmark = pytest.mark.django_db
targets = handoff_support.targets  # the fixture


def deliver(now=None) -> int:
    return services.deliver_pending(now=now)


def files_in(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_accepted_case_becomes_one_csv_in_the_published_layout(resident_client, staff, targets):
    targets.write(file_target(encoding="utf-8-sig"))
    case = accepted_case(resident_client, staff, {"claimant_occupation": "会社員"})  # ja-only: test data
    [handoff] = Handoff.objects.filter(submission=case)
    assert (handoff.event, handoff.state, handoff.target) == ("accepted", State.PENDING, "jidou-teate")

    assert deliver() == 1
    handoff.refresh_from_db()
    assert handoff.state == State.DELIVERED and handoff.attempts == 1
    folder = targets.out / "jidou-teate" / CODE
    assert files_in(folder) == [f"{case.receipt_number}_accepted.csv", "schema-v1.json"]
    data = (folder / f"{case.receipt_number}_accepted.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with the BOM, as configured
    header, row = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    values = dict(zip(header, row, strict=True))
    assert values["handoff_id"] == str(handoff.public_id)
    assert values["receipt_number"] == case.receipt_number and values["event"] == "accepted"
    assert values["claimant_occupation"] == "会社員"  # ja-only: test data
    assert values["children.1.name"] == "髙橋\u3000﨑子"  # ja-only: test data (support.valid_value, a name keeps a full-width space)
    assert values["children.2.name"] == ""  # one child: the other columns are empty
    assert values["decision_outcome"] == ""
    assert "claimant_my_number" not in header  # no 個人番号 unless the target says so

    # The published Table Schema describes the file, and the file passes it.
    schema = Schema.from_descriptor(json.loads((folder / "schema-v1.json").read_text()))
    assert [f.name for f in schema.fields] == header
    report = Resource(path=f"{case.receipt_number}_accepted.csv", basepath=str(folder), schema=schema,
                      encoding="utf-8-sig").validate()
    assert report.valid, report.flatten(["type", "note"])


def test_cp932_file_holds_variant_kanji(resident_client, staff, targets):
    targets.write(file_target(encoding="cp932"))
    case = accepted_case(resident_client, staff)
    assert deliver() == 1
    path = targets.out / "jidou-teate" / CODE / f"{case.receipt_number}_accepted.csv"
    text = path.read_bytes().decode("cp932")
    assert "髙橋\u3000﨑子" in text  # ja-only: test data (IBM extensions of CP932)
    schema = Schema.from_descriptor(json.loads((path.parent / "schema-v1.json").read_text()))
    assert Resource(path=path.name, basepath=str(path.parent), schema=schema, encoding="cp932").validate().valid


def test_a_value_cp932_cannot_hold_fails_at_once_and_writes_nothing(resident_client, staff, targets, caplog):
    targets.write(file_target(encoding="cp932"))
    case = accepted_case(resident_client, staff, {"claimant_name": "𠮷田 花子"})  # ja-only: test data (not in CP932)
    assert deliver() == 0
    handoff = Handoff.objects.get(submission=case)
    assert handoff.state == State.FAILED  # trying again cannot help: no retries
    assert handoff.last_error == "unencodable_cp932:claimant_name"  # the column, never the value
    assert "𠮷" not in handoff.last_error and "𠮷" not in caplog.text  # ja-only: test data
    folder = targets.out / "jidou-teate" / CODE
    assert not any(name.endswith(".csv") or name.endswith(".part") for name in files_in(folder))


def test_formula_cells_are_neutralised(resident_client, staff, targets):
    targets.write(file_target())
    case = accepted_case(resident_client, staff, {"claimant_occupation": "=cmd|' /C calc'!A0"})
    deliver()
    text = (targets.out / "jidou-teate" / CODE / f"{case.receipt_number}_accepted.csv").read_text()
    assert "'=cmd|" in text and ",=cmd" not in text
    assert csvsafe.unescape("'=cmd|' /C calc'!A0") == "=cmd|' /C calc'!A0"


def test_the_write_is_atomic(resident_client, staff, targets, monkeypatch):
    targets.write(file_target())
    case = accepted_case(resident_client, staff)

    def power_cut(source, destination):
        raise OSError("disk went away")

    monkeypatch.setattr(os, "replace", power_cut)
    assert deliver() == 0
    folder = targets.out / "jidou-teate" / CODE
    assert files_in(folder) == []  # neither a half file nor a temporary one is left
    handoff = Handoff.objects.get(submission=case)
    assert handoff.state == State.PENDING and handoff.last_error == "write_failed:OSError"
    monkeypatch.undo()
    assert deliver(now=handoff.next_attempt_at) == 1
    assert files_in(folder) == [f"{case.receipt_number}_accepted.csv", "schema-v1.json"]


def test_a_repeated_delivery_overwrites_the_same_file(resident_client, staff, targets):
    """A worker killed after writing and before recording: its lease runs out, another worker
    writes again, and the folder still holds one file for the case and event, the same bytes."""
    targets.write(file_target())
    case = accepted_case(resident_client, staff)
    now = timezone.now()
    claimed = services._claim(now)  # the first worker claims and writes, then dies
    target = config.target(case.municipality, claimed.target)
    target.deliver(claimed, build(claimed))
    folder = targets.out / "jidou-teate" / CODE
    first = (folder / f"{case.receipt_number}_accepted.csv").read_bytes()
    assert deliver(now=now + timedelta(seconds=1)) == 0  # the lease still holds
    assert deliver(now=now + timedelta(hours=1)) == 1  # then another worker delivers again
    assert files_in(folder) == [f"{case.receipt_number}_accepted.csv", "schema-v1.json"]
    assert (folder / f"{case.receipt_number}_accepted.csv").read_bytes() == first
    handoff = Handoff.objects.get(submission=case)
    assert (handoff.state, handoff.attempts, handoff.interruptions) == (State.DELIVERED, 2, 1)


def test_json_file_is_the_payload(resident_client, staff, targets):
    targets.write(file_target(format="json", include_my_number=True))
    case = accepted_case(resident_client, staff)
    deliver()
    handoff = Handoff.objects.get(submission=case)
    data = (targets.out / "jidou-teate" / CODE / f"{case.receipt_number}_accepted.json").read_bytes()
    assert data == body(build(handoff, include_my_number=True))
    payload = json.loads(data)
    assert payload["type"] == "case.accepted"
    assert payload["data"]["case"]["receipt_number"] == case.receipt_number
    assert payload["data"]["answers"]["claimant_my_number"]  # this target asked for it
    assert "claimant_my_number" not in build(handoff)["data"]["answers"]


def test_one_row_per_case_target_and_event(resident_client, staff, targets):
    targets.write(file_target(), file_target(name="second", directory="second"))
    case = accepted_case(resident_client, staff)
    assert Handoff.objects.filter(submission=case).count() == 2
    with transaction.atomic():
        services.enqueue(case, "accepted")
        services.enqueue(case, "accepted")
    assert Handoff.objects.filter(submission=case).count() == 2
    deliver()
    services.enqueue(case, "accepted")  # after delivery too: nothing new, nothing resent
    assert Handoff.objects.filter(submission=case, state=State.PENDING).count() == 0
    services.enqueue(case, "decided", decision={"outcome": "approve", "notice_number": "1",
                                                "decided_at": None, "reason": "", "content": {}})
    assert Handoff.objects.filter(submission=case).count() == 4


def test_decided_rows_carry_the_decision(resident_client, staff, targets):
    targets.write(file_target(events=["decided"]))
    case = accepted_case(resident_client, staff)
    assert not Handoff.objects.filter(submission=case).exists()  # this target takes decisions only
    with transaction.atomic():
        services.enqueue(case, "decided", decision={
            "outcome": "approve", "notice_number": "デモ市こど第1号", "decided_at": "2026-12-04T10:00:00+09:00",  # ja-only: test data
            "reason": "", "content": {}})
    deliver()
    text = (targets.out / "jidou-teate" / CODE / f"{case.receipt_number}_decided.csv").read_text()
    header, row = csv.reader(io.StringIO(text))
    values = dict(zip(header, row, strict=True))
    assert values["decision_outcome"] == "approve" and values["decision_notice_number"] == "デモ市こど第1号"  # ja-only: test data
    assert Handoff.objects.get(submission=case).decision  # stored encrypted, read back as text


def test_other_procedures_and_cities_without_a_file_hand_off_nothing(resident_client, staff, targets):
    targets.write(file_target(procedures=["child-allowance-change"]))
    case = accepted_case(resident_client, staff)
    assert not Handoff.objects.filter(submission=case).exists()


def test_a_broken_settings_file_does_not_stop_the_department(resident_client, staff, targets):
    path = targets.write(file_target())
    path.write_text("targets:\n  - name: x\n    kind: fax\n", encoding="utf-8")
    case = accepted_case(resident_client, staff)  # 受付 still works
    assert case.status == "accepted"
    assert not Handoff.objects.filter(submission=case).exists()
    assert config.problems(case.municipality)  # and the city administrator is told (staff page)


def test_layout_columns_follow_the_form():
    from madoguchi.catalog.loader import catalog

    procedure = catalog()[CODE]
    names = [c.name for c in layouts.columns(procedure, procedure.current_form)]
    assert names[:len(layouts.FIXED)] == [c.name for c in layouts.FIXED]
    assert "children.10.birth_date" in names and "children.11.birth_date" not in names
    assert len(names) == len(set(names))
    layouts.table_schema(layouts.columns(procedure, procedure.current_form))  # frictionless accepts it


def test_file_target_settings_are_checked(targets):
    with pytest.raises(Exception):  # noqa: B017, PT011 - pydantic's ValidationError
        FileTarget.Settings.model_validate(file_target(encoding="latin-1"))
    with pytest.raises(Exception):  # noqa: B017, PT011
        FileTarget.Settings.model_validate(file_target(procedures=[]))


def test_the_layout_command_prints_the_published_schema():
    from io import StringIO

    from django.core.management import CommandError, call_command

    from madoguchi.catalog.loader import catalog

    out = StringIO()
    call_command("handoff_layout", CODE, "--format", "json", stdout=out)
    procedure = catalog()[CODE]
    assert json.loads(out.getvalue()) == layouts.table_schema(layouts.columns(procedure, procedure.current_form))
    out = StringIO()
    call_command("handoff_layout", CODE, stdout=out)
    assert "| `children.1.birth_date` | date |" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("handoff_layout", "no-such-procedure", stdout=StringIO())


def test_run_handoffs_once_delivers_what_is_due(resident_client, staff, targets):
    from io import StringIO

    from django.core.management import call_command

    targets.write(file_target())
    case = accepted_case(resident_client, staff)
    out = StringIO()
    call_command("run_handoffs", "--once", stdout=out)
    assert out.getvalue().strip() == "delivered 1"
    assert Handoff.objects.get(submission=case).state == State.DELIVERED


def test_an_unknown_event_is_a_programming_error(resident_client, staff, targets):
    targets.write(file_target())
    case = accepted_case(resident_client, staff)
    with pytest.raises(ValueError, match="unknown hand-off event"):
        services.enqueue(case, "withdrawn")
