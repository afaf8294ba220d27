"""The procedure catalogue: every shipped file loads, and a broken file names its path,
the field's location and the reason. No database is needed."""

from pathlib import Path

import pytest
import yaml

import madoguchi.catalog
from madoguchi.catalog.fees import quote
from madoguchi.catalog.loader import CatalogError, load_directories, load_file
from madoguchi.catalog.schema import FieldType, FormField, Procedure

PROCEDURES = Path(madoguchi.catalog.__file__).resolve().parent / "procedures"
SHIPPED = sorted(PROCEDURES.glob("*.yaml"))

# The procedures the catalogue must offer, with their category and department.
EXPECTED = {
    "child-allowance-claim": ("子育て", "kodomo"),
    "child-allowance-status-report": ("子育て", "kodomo"),
    "child-allowance-change": ("子育て", "kodomo"),
    "care-insurance-card-reissue": ("介護", "kaigo"),
    "care-insurance-copayment-card-reissue": ("介護", "kaigo"),
    "residence-certificate-copy": ("証明書", "shimin"),
    "pregnancy-notification": ("子育て", "kenko"),
    "dog-registration": ("届出", "kankyo"),
    "dog-registration-change": ("届出", "kankyo"),
}

PREFILL_TYPES = {
    "applicant_name": FieldType.NAME,
    "applicant_kana": FieldType.KANA,
    "applicant_birth_date": FieldType.DATE,
    "applicant_address": FieldType.ADDRESS,
    "applicant_postal_code": FieldType.POSTAL_CODE,
    "applicant_phone": FieldType.PHONE,
    "applicant_email": FieldType.EMAIL,
    "applicant_domicile": FieldType.ADDRESS,
    "applicant_domicile_head": FieldType.NAME,
    "applicant_nationality": FieldType.TEXT,
    "applicant_residence_status": FieldType.TEXT,
    "applicant_residence_card_number": FieldType.TEXT,
    "applicant_common_name": FieldType.NAME,
}


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Procedure]:
    return load_directories([PROCEDURES])


# --- the shipped files ---------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_file_loads_and_its_code_is_its_file_name(path):
    procedure = load_file(path)
    assert procedure.code == path.stem


def test_at_least_eight_procedures_are_shipped(catalogue):
    assert len(SHIPPED) >= 8
    assert len(catalogue) == len(SHIPPED)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_expected_procedure_is_present_in_its_category_and_department(catalogue, code):
    category, department = EXPECTED[code]
    assert code in catalogue
    assert catalogue[code].category == category
    assert catalogue[code].department == department


def test_every_department_and_category_is_represented(catalogue):
    departments = {p.department for p in catalogue.values()}
    categories = {p.category for p in catalogue.values()}
    assert {"kodomo", "kaigo", "shimin", "kenko", "kankyo"} <= departments
    assert {"子育て", "介護", "証明書", "届出"} <= categories


def _conditional_fields(form):
    """Each field with a show_if, with the field it names (a group item looks at its
    siblings first, then at the form's top-level fields)."""
    top = {f.id: f for step in form.steps for f in step.fields}
    for step in form.steps:
        for field in step.fields:
            if field.show_if:
                yield field.id, field.show_if, top[field.show_if.field]
            siblings = {sub.id: sub for sub in field.fields}
            for sub in field.fields:
                if sub.show_if:
                    target = siblings.get(sub.show_if.field) or top[sub.show_if.field]
                    yield f"{field.id}.{sub.id}", sub.show_if, target


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_conditions_name_real_answers(path):
    """The schema checks that show_if names an earlier field, not that the value exists:
    a typo in `equals` would hide a field for ever. Check it here."""
    procedure = load_file(path)
    for form in procedure.forms:
        for where, condition, target in _conditional_fields(form):
            label = f"{path.name} v{form.version} {where}"
            if condition.checked is not None:
                assert target.type == FieldType.CHECKBOX and not target.options, label
                continue
            if target.type == FieldType.CHECKBOX:
                # several boxes may be ticked: `equals` reads "this one is ticked";
                # `in` compares the whole list with single values and never matches
                assert condition.equals is not None, f"{label}: use equals on a checkbox"
            values = [condition.equals] if condition.equals is not None else condition.in_
            assert target.options, f"{label}: '{target.id}' has no options to compare with"
            known = {o.value for o in target.options}
            assert set(values) <= known, f"{label}: {set(values) - known} not among {known}"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_prefill_matches_the_field_type(path):
    procedure = load_file(path)
    for form in procedure.forms:
        for step in form.steps:
            for field in _all_fields(step.fields):
                if field.prefill:
                    assert field.type == PREFILL_TYPES[field.prefill], f"{path.name} {field.id}"


def _all_fields(fields: list[FormField]):
    for field in fields:
        yield field
        yield from field.fields


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_option_values_are_unique(path):
    procedure = load_file(path)
    for form in procedure.forms:
        for step in form.steps:
            for field in _all_fields(step.fields):
                values = [o.value for o in field.options]
                assert len(values) == len(set(values)), f"{path.name} {field.id}"


# --- broken files --------------------------------------------------------------------


def _valid() -> dict:
    return {
        "code": "sample",
        "title": "見本の届出",
        "summary": "テスト用の手続きです。",
        "category": "届出",
        "kind": "notification",
        "department": "shimin",
        "legal_basis": "なし",
        "forms": [
            {
                "version": 1,
                "steps": [
                    {
                        "id": "main",
                        "title": "入力",
                        "fields": [
                            {"id": "name", "type": "name", "label": "氏名", "required": True},
                            {
                                "id": "kind",
                                "type": "radio",
                                "label": "種別",
                                "options": [
                                    {"value": "a", "label": "A"},
                                    {"value": "b", "label": "B"},
                                ],
                            },
                        ],
                    }
                ],
            }
        ],
    }


def _fields(data: dict) -> list:
    return data["forms"][0]["steps"][0]["fields"]


def _write(directory: Path, data: dict, name: str | None = None) -> Path:
    path = directory / f"{name or data['code']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _error(path: Path) -> str:
    with pytest.raises(CatalogError) as info:
        load_file(path)
    message = str(info.value)
    assert str(path) in message
    return message


def test_a_valid_sample_loads(tmp_path):
    assert load_file(_write(tmp_path, _valid())).code == "sample"


def test_yaml_syntax_error_names_path_and_line(tmp_path):
    path = tmp_path / "sample.yaml"
    path.write_text("code: sample\ntitle: [見本の届出\nsummary: x\n", encoding="utf-8")
    message = _error(path)
    assert "not valid YAML" in message
    assert "line" in message


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path):
    path = tmp_path / "sample.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    assert "must hold one mapping" in _error(path)


def test_unknown_key_names_its_location(tmp_path):
    data = _valid()
    _fields(data)[0]["colour"] = "red"
    message = _error(_write(tmp_path, data))
    assert "forms.0.steps.0.fields.0.colour: Extra inputs are not permitted" in message


def test_missing_title_is_reported(tmp_path):
    data = _valid()
    del data["title"]
    message = _error(_write(tmp_path, data))
    assert "  title: Field required" in message


def test_radio_without_options_is_reported(tmp_path):
    data = _valid()
    del _fields(data)[1]["options"]
    message = _error(_write(tmp_path, data))
    assert "forms.0.steps.0.fields.1: " in message
    assert "a radio field needs options" in message


def test_unquoted_yes_as_an_option_value_is_refused(tmp_path):
    """YAML reads a bare yes/no as a boolean: option values must be quoted."""
    path = tmp_path / "sample.yaml"
    text = yaml.safe_dump(_valid(), allow_unicode=True, sort_keys=False)
    path.write_text(text.replace("value: a", "value: yes"), encoding="utf-8")
    message = _error(path)
    assert "forms.0.steps.0.fields.1.options.0.value: Input should be a valid string" in message


def test_duplicate_field_id_is_reported(tmp_path):
    data = _valid()
    data["forms"][0]["steps"].append(
        {"id": "more", "title": "続き", "fields": [{"id": "name", "type": "text", "label": "再び"}]}
    )
    message = _error(_write(tmp_path, data))
    assert "  forms.0: " in message
    assert "field id 'name' is used twice" in message


def test_duplicate_id_inside_a_group_is_reported(tmp_path):
    data = _valid()
    sub = {"id": "who", "type": "name", "label": "氏名"}
    _fields(data).append({"id": "people", "type": "group", "label": "人", "fields": [sub, sub]})
    message = _error(_write(tmp_path, data))
    assert "field id 'people.who' is used twice" in message


def test_show_if_on_an_unknown_field_is_reported(tmp_path):
    data = _valid()
    _fields(data).append(
        {
            "id": "detail",
            "type": "text",
            "label": "詳細",
            "show_if": {"field": "nowhere", "equals": "a"},
        }
    )
    message = _error(_write(tmp_path, data))
    assert "  forms.0: " in message
    assert "field 'detail' depends on 'nowhere', which is not an earlier field" in message


def test_show_if_on_a_later_field_is_reported(tmp_path):
    data = _valid()
    _fields(data)[0]["show_if"] = {"field": "kind", "equals": "a"}
    message = _error(_write(tmp_path, data))
    assert "field 'name' depends on 'kind', which is not an earlier field" in message


def test_show_if_needs_exactly_one_test(tmp_path):
    data = _valid()
    _fields(data).append(
        {
            "id": "detail",
            "type": "text",
            "label": "詳細",
            "show_if": {"field": "kind", "equals": "a", "checked": True},
        }
    )
    message = _error(_write(tmp_path, data))
    assert "forms.0.steps.0.fields.2.show_if: " in message
    assert "exactly one of" in message


def test_group_inside_a_group_is_reported(tmp_path):
    data = _valid()
    inner = {
        "id": "inner",
        "type": "group",
        "label": "内側",
        "fields": [{"id": "x", "type": "text", "label": "X"}],
    }
    _fields(data).append({"id": "outer", "type": "group", "label": "外側", "fields": [inner]})
    message = _error(_write(tmp_path, data))
    assert "forms.0.steps.0.fields.2: " in message
    assert "groups do not nest" in message


def test_address_field_outside_the_step_is_reported(tmp_path):
    data = _valid()
    _fields(data).append(
        {"id": "zip", "type": "postal_code", "label": "郵便番号", "address_field": "home"}
    )
    message = _error(_write(tmp_path, data))
    assert "address_field 'home' is not in the step" in message


def test_form_versions_not_ascending_are_reported(tmp_path):
    data = _valid()
    second = yaml.safe_load(yaml.safe_dump(data["forms"][0]))
    data["forms"][0]["version"] = 2
    second["version"] = 1
    data["forms"].append(second)
    message = _error(_write(tmp_path, data))
    assert "  forms: " in message
    assert "form versions must be unique and ascending" in message


def test_code_not_matching_the_file_name_is_reported(tmp_path):
    message = _error(_write(tmp_path, _valid(), name="other-name"))
    assert "code 'sample' must match the file name" in message


def test_a_broken_file_stops_the_whole_directory(tmp_path):
    _write(tmp_path, _valid())
    broken = _valid()
    broken["code"] = "broken"
    del broken["title"]
    path = _write(tmp_path, broken)
    with pytest.raises(CatalogError, match="broken.yaml"):
        load_directories([tmp_path])
    assert path.exists()


# --- directories and versions --------------------------------------------------------


def test_a_later_directory_overrides_a_procedure_by_code(tmp_path):
    base, city = tmp_path / "base", tmp_path / "city"
    base.mkdir()
    city.mkdir()
    national = _valid()
    _write(base, national)
    other = _valid()
    other["code"] = "base-only"
    _write(base, other)
    local = _valid()
    local["title"] = "デモ市の見本の届出"
    _write(city, local)

    procedures = load_directories([base, city])

    assert sorted(procedures) == ["base-only", "sample"]
    assert procedures["sample"].title == "デモ市の見本の届出"
    assert load_directories([city, base])["sample"].title == "見本の届出"


def test_the_shipped_catalogue_can_be_overridden(tmp_path):
    local = yaml.safe_load((PROCEDURES / "dog-registration.yaml").read_text(encoding="utf-8"))
    local["fees"] = {"lines": [{"code": "registration", "label": "登録手数料", "unit_yen": 2500}]}
    _write(tmp_path, local)
    procedures = load_directories([PROCEDURES, tmp_path])
    assert quote(procedures["dog-registration"], {}).total_yen == 2500
    assert len(procedures) == len(SHIPPED)


def test_form_returns_old_versions_and_refuses_unknown_ones(tmp_path):
    data = _valid()
    newer = yaml.safe_load(yaml.safe_dump(data["forms"][0]))
    newer["version"] = 2
    newer["steps"][0]["fields"].append({"id": "email", "type": "email", "label": "メール"})
    data["forms"].append(newer)
    procedure = load_file(_write(tmp_path, data))

    assert procedure.form(1).version == 1
    assert "email" not in procedure.form(1).field_ids()
    assert "email" in procedure.form(2).field_ids()
    assert procedure.current_form is procedure.form(2)
    with pytest.raises(KeyError):
        procedure.form(3)
    with pytest.raises(KeyError):
        procedure.form(0)


def test_shipped_dog_registration_change_keeps_its_first_form(catalogue):
    procedure = catalogue["dog-registration-change"]
    assert [f.version for f in procedure.forms] == [1, 2]
    assert "previous_owner_name" not in procedure.form(1).field_ids()
    assert "previous_owner_name" in procedure.current_form.field_ids()
    with pytest.raises(KeyError):
        procedure.form(99)
