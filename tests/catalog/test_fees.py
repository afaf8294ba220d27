"""Fee rules in procedure files (`fees:`, `payment:`) and `quote()`: each kind of rule, the
validation that names what is wrong, a city's overrides, and money in whole yen."""

import copy
from pathlib import Path

import pytest
import yaml

from madoguchi.catalog import loader
from madoguchi.catalog.fees import DEFERRED_NOTE, FeeLine, FeeQuote, quote
from madoguchi.catalog.loader import CatalogError, apply_overrides, catalog, catalog_for, load_file
from madoguchi.catalog.schema import Procedure


def _procedure(fees: dict | None = None, **extra) -> dict:
    """A small procedure with a number field, a radio, a checkbox and a group."""
    data = {
        "code": "sample-fee", "title": "見本の証明書", "summary": "テスト用", "category": "証明書",
        "kind": "application", "department": "shimin", "legal_basis": "なし",
        "forms": [{"version": 1, "steps": [{"id": "main", "title": "入力", "fields": [
            {"id": "copies", "type": "number", "label": "通数", "min_value": 1, "max_value": 10},
            {"id": "name", "type": "name", "label": "氏名"},
            {"id": "delivery", "type": "radio", "label": "受取方法",
             "options": [{"value": "mail", "label": "郵送"}, {"value": "counter", "label": "窓口"}]},
            {"id": "express", "type": "checkbox", "label": "速達",
             "show_if": {"field": "delivery", "equals": "mail"}},
            {"id": "purpose", "type": "select", "label": "使いみち",
             "options": [{"value": "pension", "label": "年金"}, {"value": "other", "label": "その他"}]},
            {"id": "certificates", "type": "group", "label": "証明書", "fields": [
                {"id": "kind", "type": "select", "label": "種類",
                 "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]},
                {"id": "copies", "type": "number", "label": "通数"},
                {"id": "note", "type": "text", "label": "備考"},
            ]},
        ]}]}],
    }
    if fees is not None:
        data["fees"] = fees
    return data | extra


def _make(fees: dict, **extra) -> Procedure:
    return Procedure.model_validate(_procedure(fees, **extra))


PER_COPY = {"code": "copy", "label": "証明書", "unit_yen": 300, "per": {"field": "copies"}}
POSTAGE = {"code": "postage", "label": "郵送料", "unit_yen": 110,
           "when": {"field": "delivery", "equals": "mail"}}
EXPRESS = {"code": "express", "label": "速達料", "unit_yen": 300,
           "when": {"field": "express", "checked": True}}


# --- each kind of rule ------------------------------------------------------------------------

def test_a_fixed_fee_is_one_line():
    fee = quote(_make({"lines": [{"code": "fee", "label": "手数料", "unit_yen": 500}]}), {})
    assert fee.lines == (FeeLine("fee", "手数料", 500, 1, 500),)
    assert fee.total_yen == 500 and fee.due and not fee.deferred


def test_per_copy_multiplies_the_number_answer():
    procedure = _make({"lines": [PER_COPY]})
    assert quote(procedure, {"copies": 2}).total_yen == 600
    assert quote(procedure, {"copies": "3"}).total_yen == 900  # as a form may keep it
    # no copies answered (or nonsense): no line, nothing due, never an error
    for answers in ({}, {"copies": None}, {"copies": "abc"}, {"copies": True}, {"copies": -2}):
        assert quote(procedure, answers).lines == (), answers
        assert quote(procedure, answers).total_yen == 0


def test_per_item_of_a_group_counts_items_or_their_own_copies():
    items = {"certificates": [{"kind": "a", "copies": 2}, {"kind": "b", "copies": 1},
                              {"kind": "a", "copies": 1}]}
    per_item = _make({"lines": [{"code": "cert", "label": "証明書", "unit_yen": 450,
                                 "per": {"group": "certificates"}}]})
    assert quote(per_item, items).lines[0].quantity == 3
    by_kind = _make({"lines": [
        {"code": "a", "label": "種類A", "unit_yen": 450,
         "per": {"group": "certificates", "field": "copies", "when": {"field": "kind", "equals": "a"}}},
        {"code": "b", "label": "種類B", "unit_yen": 750,
         "per": {"group": "certificates", "field": "copies", "when": {"field": "kind", "in": ["b"]}}},
    ]})
    fee = quote(by_kind, items)
    assert [(x.code, x.quantity, x.amount_yen) for x in fee.lines] == [("a", 3, 1350), ("b", 1, 750)]
    assert fee.total_yen == 2100
    assert quote(by_kind, {"certificates": "not a list"}).lines == ()


def test_a_line_by_an_answer_postage_and_express():
    procedure = _make({"lines": [PER_COPY, POSTAGE, EXPRESS]})
    counter = quote(procedure, {"copies": 2, "delivery": "counter"})
    assert [x.code for x in counter.lines] == ["copy"] and counter.total_yen == 600
    mail = quote(procedure, {"copies": 2, "delivery": "mail"})
    assert [x.code for x in mail.lines] == ["copy", "postage"] and mail.total_yen == 710
    express = quote(procedure, {"copies": 2, "delivery": "mail", "express": True})
    assert express.total_yen == 1010
    assert [(x.label, x.unit_yen, x.quantity, x.amount_yen) for x in express.lines] == [
        ("証明書", 300, 2, 600), ("郵送料", 110, 1, 110), ("速達料", 300, 1, 300)]


def test_an_exemption_by_an_answer_waives_its_lines_and_names_the_legal_reason():
    procedure = _make({"lines": [PER_COPY, POSTAGE], "exemptions": [
        {"label": "公的年金の請求に使う証明書", "legal_reason": "手数料条例第5条第1号",
         "when": {"field": "purpose", "equals": "pension"}, "lines": ["copy"]}]})
    fee = quote(procedure, {"copies": 2, "delivery": "mail", "purpose": "pension"})
    assert fee.exemptions == (("公的年金の請求に使う証明書", "手数料条例第5条第1号"),)
    copy_line, postage = fee.lines
    assert copy_line.exempt and copy_line.amount_yen == 0 and copy_line.quantity == 2
    assert not postage.exempt and fee.total_yen == 110
    other = quote(procedure, {"copies": 2, "delivery": "mail", "purpose": "other"})
    assert other.exemptions == () and other.total_yen == 710


def test_an_exemption_without_lines_waives_everything():
    procedure = _make({"lines": [PER_COPY, POSTAGE], "exemptions": [
        {"label": "災害", "legal_reason": "条例", "when": {"field": "purpose", "equals": "pension"}}]})
    fee = quote(procedure, {"copies": 1, "delivery": "mail", "purpose": "pension"})
    assert all(x.exempt for x in fee.lines) and fee.total_yen == 0 and not fee.due


def test_deferred_means_the_amount_is_fixed_after_review():
    always = quote(_make({"deferred": True}), {})
    assert always.deferred and always.total_yen == 0 and not always.due
    assert always.deferred_note == DEFERRED_NOTE == "金額は審査後に決まります"
    sometimes = _make({"lines": [PER_COPY], "deferred": {"field": "purpose", "equals": "other"},
                       "deferred_note": "枚数を確認してお知らせします"})
    assert quote(sometimes, {"copies": 2, "purpose": "pension"}).total_yen == 600
    later = quote(sometimes, {"copies": 2, "purpose": "other"})
    assert later.deferred and later.total_yen == 0 and later.deferred_note == "枚数を確認してお知らせします"
    assert later.lines[0].amount_yen == 600  # shown as a guide, not charged now


def test_no_fee_and_the_older_fee_yen():
    free = quote(_make(None), {})
    assert free.empty and free.total_yen == 0 and not free.due
    old = Procedure.model_validate(_procedure(None, fee_yen=300))
    assert quote(old, {}).lines == (FeeLine("fee", "手数料", 300, 1, 300),)


def test_the_revenue_code_and_unpaid_visibility_come_from_payment():
    procedure = _make({"lines": [PER_COPY]}, payment={"revenue_code": "1401-01-01"})
    assert quote(procedure, {"copies": 1}).revenue_code == "1401-01-01"
    assert procedure.payment.unpaid_visible is False  # the default: only paid cases show
    assert _make({"lines": [PER_COPY]}, payment={"unpaid_visible": True}).payment.unpaid_visible


def test_the_quote_round_trips_through_json():
    procedure = _make({"lines": [PER_COPY, POSTAGE], "exemptions": [
        {"label": "年金", "legal_reason": "条例", "when": {"field": "purpose", "equals": "pension"},
         "lines": ["copy"]}]}, payment={"revenue_code": "R1"})
    fee = quote(procedure, {"copies": 2, "delivery": "mail", "purpose": "pension"})
    stored = fee.as_json()
    assert yaml.safe_load(yaml.safe_dump(stored)) == stored  # plain data only
    assert FeeQuote.from_json(stored) == fee
    assert FeeQuote.from_json({}) == FeeQuote() and FeeQuote.from_json(None).empty
    assert all(type(x["amount_yen"]) is int for x in stored["lines"])


def test_a_fixed_quote_takes_whole_yen_only():
    assert FeeQuote.fixed(1200).total_yen == 1200
    for bad in (-1, 1.5, 100.0, "100", True):
        with pytest.raises(ValueError):
            FeeQuote.fixed(bad)


# --- validation -------------------------------------------------------------------------------

@pytest.mark.parametrize(("fees", "reason"), [
    ({"lines": [{"code": "c", "label": "x", "unit_yen": 300.0}]}, "valid integer"),
    ({"lines": [{"code": "c", "label": "x", "unit_yen": 300.5}]}, "valid integer"),
    ({"lines": [{"code": "c", "label": "x", "unit_yen": "300"}]}, "valid integer"),
    ({"lines": [{"code": "c", "label": "x", "unit_yen": -1}]}, "greater than or equal to 0"),
    ({"lines": [{"code": "c", "label": "x", "unit_yen": 1, "per": {"field": "nope"}}]},
     "'nope' is not a number field of the form"),
    ({"lines": [{"code": "c", "label": "x", "unit_yen": 1, "per": {"field": "name"}}]},
     "'name' is not a number field of the form"),
    ({"lines": [{"code": "c", "label": "x", "unit_yen": 1, "per": {"group": "copies"}}]},
     "'copies' is not a group of the form"),
    ({"lines": [{"code": "c", "label": "x", "unit_yen": 1,
                 "per": {"group": "certificates", "field": "note"}}]},
     "'note' is not a number field of group 'certificates'"),
    ({"lines": [{"code": "c", "label": "x", "unit_yen": 1,
                 "per": {"group": "certificates", "when": {"field": "colour", "equals": "a"}}}]},
     "'colour' is not a field of the form group 'certificates'"),
    ({"lines": [{"code": "c", "label": "x", "unit_yen": 1, "per": {"when": {"field": "kind", "equals": "a"}}}]},
     "per needs a number field"),
    ({"lines": [{"code": "c", "label": "x", "unit_yen": 1,
                 "when": {"field": "delivery", "equals": "drone"}}]},
     "['drone'] are not all options of 'delivery'"),
    ({"lines": [{"code": "c", "label": "x", "unit_yen": 1, "when": {"field": "ghost", "equals": "a"}}]},
     "'ghost' is not a field of the form"),
    ({"lines": [{"code": "c", "label": "x", "unit_yen": 1, "when": {"field": "delivery", "checked": True}}]},
     "'checked' needs a single yes/no checkbox"),
    ({"lines": [{"code": "c", "label": "x", "unit_yen": 1}, {"code": "c", "label": "y", "unit_yen": 2}]},
     "fee line codes must be unique"),
    ({"lines": [PER_COPY], "exemptions": [{"label": "年金", "legal_reason": "条例",
                                           "when": {"field": "purpose", "equals": "pension"},
                                           "lines": ["postage"]}]},
     "exemption '年金' names unknown lines: postage"),
    ({"lines": [PER_COPY], "exemptions": [{"label": "年金", "legal_reason": "",
                                           "when": {"field": "purpose", "equals": "pension"}}]},
     "legal_reason"),
    ({"lines": [PER_COPY], "exemptions": [{"label": "年金", "legal_reason": "条例",
                                           "when": {"field": "purpose", "equals": "widow"}}]},
     "['widow'] are not all options of 'purpose'"),
    ({"deferred": {"field": "ghost", "equals": "x"}}, "fees.deferred: 'ghost'"),
    ({}, "a fees block needs lines, or deferred"),
    ({"lines": [{"code": "c", "label": "x", "unit_yen": 1, "price": 2}]}, "Extra inputs are not permitted"),
])
def test_a_broken_fees_block_names_the_file_the_place_and_the_reason(tmp_path, fees, reason):
    path = tmp_path / "sample-fee.yaml"
    path.write_text(yaml.safe_dump(_procedure(fees), allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_file(path)
    assert str(path) in str(info.value)
    assert reason in str(info.value), str(info.value)


def test_fee_yen_and_fees_together_are_refused():
    with pytest.raises(ValueError, match="either as fee_yen or as fees"):
        _make({"lines": [PER_COPY]}, fee_yen=300)


def test_a_procedure_without_a_form_may_only_have_unconditional_fees():
    counter = {k: v for k, v in _procedure().items() if k != "forms"} | {"channel": "counter"}
    Procedure.model_validate(counter | {"fees": {"lines": [{"code": "c", "label": "1通", "unit_yen": 300}]}})
    with pytest.raises(ValueError, match="not a number field of the form"):
        Procedure.model_validate(counter | {"fees": {"lines": [PER_COPY]}})


def test_payment_settings_are_validated():
    with pytest.raises(ValueError, match="unpaid_visible"):
        _make({"lines": [PER_COPY]}, payment={"unpaid_visible": "maybe"})
    with pytest.raises(ValueError, match="Extra inputs"):
        _make({"lines": [PER_COPY]}, payment={"account": "x"})


# --- the shipped files ------------------------------------------------------------------------

def test_no_shipped_file_keeps_a_plain_fee_yen():
    """The shipped procedures state their fees as rules (an older city file may still say
    `fee_yen`, which is read as one fixed line)."""
    assert all(p.fee_yen == 0 for p in catalog().values())
    assert all(p.fee_yen == 0 for p in catalog_for("demo").values())


def test_two_copies_of_the_residence_certificate_by_post():
    """The issue's example: 2 通 by post is 600円 plus the demo city's postage, not 300円."""
    national = catalog()["residence-certificate-copy"]
    demo = catalog_for("demo")["residence-certificate-copy"]
    answers = {"copies": 2, "delivery": "mail", "purpose": "employment"}
    for procedure in (national, demo):
        fee = quote(procedure, answers)
        assert [(x.code, x.amount_yen) for x in fee.lines] == [("copy", 600), ("postage", 110)]
        assert fee.total_yen == 710
    assert quote(demo, answers | {"express": True}).total_yen == 1010
    assert quote(demo, answers | {"delivery": "counter"}).total_yen == 600
    pension = quote(demo, answers | {"purpose": "pension"})
    assert pension.total_yen == 110 and pension.exemptions[0][0] == "公的年金の請求に使う証明書"
    assert quote(national, answers | {"purpose": "pension"}).total_yen == 710  # only where a city says so
    assert quote(demo, answers).revenue_code == "1401-01-01"


def test_family_register_certificates_by_kind_and_copies():
    procedure = catalog_for("demo")["family-register-certificate"]
    fee = quote(procedure, {"certificates": [{"kind": "zenbu", "copies": 2}, {"kind": "kaisei", "copies": 1},
                                             {"kind": "kojin", "copies": 1}],
                            "delivery": "counter", "purpose": "inheritance"})
    assert [(x.code, x.quantity, x.amount_yen) for x in fee.lines] == [("koseki", 3, 1350), ("joseki", 1, 750)]
    assert fee.total_yen == 2100


def test_the_demo_city_bulky_waste_is_paid_after_review_and_shown_unpaid():
    procedure = catalog_for("demo")["bulky-waste-collection"]
    fee = quote(procedure, {"items": [{"item": "ソファ", "count": 1}]})
    assert fee.deferred and fee.total_yen == 0 and not fee.due
    assert procedure.payment.unpaid_visible


def test_fixed_fees_of_the_certificates_and_registrations():
    base = catalog()
    assert quote(base["seal-certificate"], {}).total_yen == 300
    assert quote(base["seal-registration"], {}).total_yen == 300
    assert quote(base["dog-registration"], {}).total_yen == 3000
    assert quote(base["dog-registration-change"], {}).empty


# --- a city's overrides -----------------------------------------------------------------------

def _overrides(tmp_path: Path, procedures: dict) -> Path:
    path = tmp_path / "overrides.yaml"
    path.write_text(yaml.safe_dump({"procedures": procedures}, allow_unicode=True), encoding="utf-8")
    return path


def test_a_city_replaces_the_whole_fees_block(tmp_path):
    base = catalog()
    path = _overrides(tmp_path, {"residence-certificate-copy": {"fees": {
        "lines": [{"code": "copy", "label": "住民票の写し", "unit_yen": 350, "per": {"field": "copies"}}]}}})
    changed = apply_overrides(dict(base), path)["residence-certificate-copy"]
    fee = quote(changed, {"copies": 2, "delivery": "mail"})
    assert [x.code for x in fee.lines] == ["copy"] and fee.total_yen == 700  # no postage line left
    assert quote(base["residence-certificate-copy"], {"copies": 2, "delivery": "mail"}).total_yen == 710


def test_a_city_fee_yen_replaces_the_rules_and_fees_replace_a_fee_yen(tmp_path):
    base = catalog()
    changed = apply_overrides(dict(base), _overrides(tmp_path, {"dog-registration": {"fee_yen": 2500}}))
    assert quote(changed["dog-registration"], {}).total_yen == 2500
    legacy = {"legacy": Procedure.model_validate(_procedure(None, code="legacy", fee_yen=200))}
    path = _overrides(tmp_path, {"legacy": {"fees": {"lines": [PER_COPY]}}})
    assert quote(apply_overrides(legacy, path)["legacy"], {"copies": 3}).total_yen == 900


def test_a_city_changes_payment_settings_key_by_key(tmp_path):
    first = apply_overrides(dict(catalog()), _overrides(tmp_path, {
        "seal-registration": {"payment": {"revenue_code": "R-9"}}}))
    path = _overrides(tmp_path, {"seal-registration": {"payment": {"unpaid_visible": True}}})
    second = apply_overrides(first, path)["seal-registration"]
    assert second.payment.revenue_code == "R-9" and second.payment.unpaid_visible


def test_a_city_fee_rule_must_fit_the_form(tmp_path):
    path = _overrides(tmp_path, {"residence-certificate-copy": {"fees": {"lines": [
        {"code": "copy", "label": "写し", "unit_yen": 300, "per": {"field": "number_of_copies"}}]}}})
    with pytest.raises(CatalogError) as info:
        apply_overrides(dict(catalog()), path)
    assert str(path) in str(info.value)
    assert "procedures.residence-certificate-copy: invalid override" in str(info.value)
    assert "'number_of_copies' is not a number field of the form" in str(info.value)


def test_a_city_float_fee_is_refused(tmp_path):
    path = _overrides(tmp_path, {"seal-registration": {"fees": {"lines": [
        {"code": "r", "label": "登録", "unit_yen": 300.0}]}}})
    with pytest.raises(CatalogError, match="valid integer"):
        apply_overrides(dict(catalog()), path)


def test_overrides_leave_the_base_rules_alone(tmp_path):
    base = dict(catalog())
    before = copy.deepcopy(base["residence-certificate-copy"].fees)
    apply_overrides(base, _overrides(tmp_path, {"residence-certificate-copy": {"fees": {"deferred": True}}}))
    assert base["residence-certificate-copy"].fees == before
    loader.reload()
