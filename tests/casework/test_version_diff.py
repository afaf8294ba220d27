"""A corrected application's changes, field by field: the pure diff over (form, answers) pairs,
and the panel on the case page (only with two versions or more; the 個人番号 never shown)."""

import pytest
from django.urls import reverse

from madoguchi.applications import services as applications
from madoguchi.applications.fieldvalues import display
from madoguchi.applications.models import SubmissionVersion
from madoguchi.casework.review import diff
from madoguchi.catalog.schema import FormDefinition
from madoguchi.core.crypto import encrypt_json

from support import submit_via_web

# ja-only: test data (labels and answers of a form as a procedure file writes them)
FIELDS = [
    {"id": "name", "type": "name", "label": "氏名"},
    {"id": "birth_date", "type": "date", "label": "生年月日"},
    {"id": "occupation", "type": "text", "label": "職業"},
    {"id": "note", "type": "textarea", "label": "連絡事項"},
    {"id": "my_number", "type": "my_number", "label": "個人番号"},
    {"id": "proof", "type": "file", "label": "口座の確認書類"},
    {"id": "children", "type": "group", "label": "児童", "item_label": "お子さん", "fields": [
        {"id": "name", "type": "name", "label": "氏名"},
        {"id": "birth_date", "type": "date", "label": "生年月日"},
    ]},
]


def form(version=1, fields=None, relabel=None) -> FormDefinition:
    fields = [dict(f, label=(relabel or {}).get(f["id"], f["label"])) for f in (fields or FIELDS)]
    return FormDefinition(version=version, steps=[{"id": "one", "title": "申請者", "fields": fields}])  # ja-only: test data


BASE = {  # ja-only: test data
    "name": "山田\u3000太郎", "birth_date": "1988-05-20", "occupation": "会社員",
    "my_number": "123456789018", "proof": {"id": "a1", "filename": "passbook.png", "size": 10},
    "children": [{"name": "山田\u3000一郎", "birth_date": "2017-07-15"},
                 {"name": "山田\u3000さくら", "birth_date": "2023-04-10"}],
}


def changes(old: dict, new: dict, old_form=None, new_form=None):
    return diff((old_form or form(), old), (new_form or form(), new))


def by_path(result):
    return {c.path: c for c in result}


def test_the_same_answers_show_no_change():
    assert changes(BASE, dict(BASE)) == []


def test_a_changed_field_shows_its_label_and_both_values_as_displayed():
    [change] = changes(BASE, {**BASE, "birth_date": "1988-05-21"})
    assert (change.kind, change.path, change.label) == ("changed", "birth_date", "生年月日")
    date_field = form().steps[0].fields[1]
    assert change.old == display(date_field, "1988-05-20") and change.new == display(date_field, "1988-05-21")
    assert change.old != change.new and not change.masked


def test_an_added_and_a_removed_field():
    result = by_path(changes(BASE, {**{k: v for k, v in BASE.items() if k != "occupation"},
                                    "note": "平日の午前に連絡ください"}))  # ja-only: test data
    assert result["note"].kind == "added" and result["note"].old == "" and "平日" in result["note"].new
    assert result["occupation"].kind == "removed" and result["occupation"].old == "会社員"
    assert result["occupation"].new == "" and set(result) == {"note", "occupation"}


def test_a_blank_answer_counts_as_no_answer():
    assert by_path(changes(BASE, {**BASE, "occupation": ""}))["occupation"].kind == "removed"


def test_a_group_item_is_compared_item_by_item_and_names_the_item():
    children = [dict(BASE["children"][0]), {**BASE["children"][1], "birth_date": "2023-04-11"}]
    [change] = changes(BASE, {**BASE, "children": children})
    assert change.path == "children.1.birth_date" and change.item == 2
    assert "お子さん" in change.label and "2" in change.label and "生年月日" in change.label


def test_an_added_group_item_lists_its_fields_as_added():
    third = {"name": "山田\u3000次郎", "birth_date": "2025-01-01"}  # ja-only: test data
    result = changes(BASE, {**BASE, "children": [*BASE["children"], third]})
    assert {(c.path, c.kind, c.item) for c in result} == {
        ("children.2.name", "added", 3), ("children.2.birth_date", "added", 3)}


def test_the_label_comes_from_each_versions_own_form():
    old_form, new_form = form(1), form(2, relabel={"occupation": "請求者の職業"})  # ja-only: test data
    [change] = changes(BASE, {**BASE, "occupation": "自営業"}, old_form, new_form)  # ja-only: test data
    assert change.label == "請求者の職業" and change.old_label == "職業"
    [removed] = changes(BASE, {k: v for k, v in BASE.items() if k != "occupation"},
                        form(1, relabel={"occupation": "旧職業"}), new_form)  # ja-only: test data
    assert removed.label == "旧職業" and removed.kind == "removed"


def test_a_field_only_the_newer_form_has_is_added():
    newer = form(2, [*FIELDS, {"id": "phone", "type": "phone", "label": "電話番号"}])  # ja-only: test data
    [change] = changes(BASE, {**BASE, "phone": "0992241111"}, form(1), newer)
    assert change.kind == "added" and change.label == "電話番号" and change.new == display(
        newer.steps[0].fields[-1], "0992241111")


def test_a_changed_my_number_is_marked_without_either_value():
    [change] = changes(BASE, {**BASE, "my_number": "900000000117"})
    assert change.kind == "changed" and change.masked
    assert change.old == "" and change.new == ""
    [added] = changes({k: v for k, v in BASE.items() if k != "my_number"}, BASE)
    assert added.masked and added.new == ""


def test_a_replaced_file_is_a_change_even_under_the_same_name():
    [change] = changes(BASE, {**BASE, "proof": {**BASE["proof"], "id": "b2"}})
    assert change.kind == "changed" and change.file and change.old == change.new == "passbook.png"


@pytest.mark.parametrize("odd", [
    None, [], "text", {"children": "not a list"}, {"children": ["not an item", None, 3]},
    {"birth_date": 19880520, "my_number": 12, "proof": "a1", "name": ["山田"]},  # ja-only: test data
    {"unknown_field": "kept from an older form"},
])
def test_odd_answers_never_break_the_diff(odd):
    assert isinstance(changes(BASE, odd), list)
    assert isinstance(changes(odd, BASE), list)


# --- the case page ---------------------------------------------------------------------------

CODE = "child-allowance-claim"


@pytest.fixture
def case(resident_client):
    return submit_via_web(resident_client, CODE)


def add_version(case, **changed):
    version = case.current_version
    answers = {**applications.answers_of(version), **changed}
    SubmissionVersion.objects.create(
        submission=case, number=version.number + 1, form_version=version.form_version,
        answers=encrypt_json(answers, case.municipality_id), sources={},
        actor_kind=version.actor_kind, actor_ref=version.actor_ref)


def case_page(client, staff, case) -> str:
    client.force_login(staff["kodomo-tanto"])
    response = client.get(reverse("casework:case", args=[case.public_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_one_version_shows_no_diff_panel(client, staff, case):
    assert 'id="version-diff"' not in case_page(client, staff, case)


def test_a_correction_shows_exactly_the_changed_field(client, staff, case):
    add_version(case, claimant_occupation="自営業")  # ja-only: test data
    page = case_page(client, staff, case)
    assert 'id="diff-1-2"' in page
    assert page.count('class="change"') == 1
    assert 'data-path="claimant_occupation"' in page and "自営業" in page


def test_a_changed_my_number_shows_neither_number_on_the_page(client, staff, case):
    before = applications.answers_of(case.current_version)["claimant_my_number"]
    add_version(case, claimant_my_number="900000000117")
    page = case_page(client, staff, case)
    assert 'data-path="claimant_my_number"' in page and 'data-masked="true"' in page
    diff_panel = page.split('id="version-diff"')[1].split("</section>")[0]
    assert before[-4:] not in diff_panel and "0117" not in diff_panel
    assert "900000000117" not in page and before not in page


def test_odd_answers_of_an_older_version_do_not_break_the_page(client, staff, case):
    add_version(case, children="not a list", claimant_birth_date=20170715, claimant_name=None)
    page = case_page(client, staff, case)
    assert 'id="version-diff"' in page and 'data-path="children.0.name"' in page  # removed
    add_version(case, children=[{"name": "山田"}, "x"])  # ja-only: test data
    assert 'id="diff-2-3"' in case_page(client, staff, case)
