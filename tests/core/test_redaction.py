"""core.redaction: the registry of redactors, and the register's redactor it runs (支援措置): a
protected resident's address, however it is written, is masked in a text for anyone but that
resident (named by their register record or their linked account); a lifted or ended mark,
and a resident without one, mask nothing."""

from collections import namedtuple
from datetime import timedelta

import pytest
from protected_residents import (
    PLAIN_REGISTERED,
    PLAIN_WRITTEN,
    REGISTERED,
    WRITTEN,
    lift,
    link,
    masked,
    protect,
    resident_at,
)

from madoguchi.core import redaction
from madoguchi.core.models import today_in_japan
from madoguchi.identity.models import ResidentAccount
from madoguchi.register.redaction import protected_addresses

pytestmark = pytest.mark.django_db

TEXT = f"転居のお知らせ\n住所：{WRITTEN}\n以上"


@pytest.fixture
def misaki(city):
    return resident_at(city, "70000000001", REGISTERED)


@pytest.fixture
def other(city):
    return ResidentAccount.objects.create(municipality=city, email="other@example.jp")


# --- the registry --------------------------------------------------------------------------------


@pytest.fixture
def empty(monkeypatch):
    """A registry of its own for the test (the register's redactor is registered at start-up)."""
    monkeypatch.setattr(redaction, "_redactors", {})


def upper_for_strangers(municipality, recipients):
    return None if "resident:1" in recipients else str.upper


def test_the_register_registers_its_redactor_at_start_up():
    assert protected_addresses in redaction.redactors()


def test_registering_the_same_redactor_again_changes_nothing_and_another_of_its_name_is_refused(empty):
    redaction.register_redactor(upper_for_strangers)
    redaction.register_redactor(upper_for_strangers)
    assert redaction.redactors() == [upper_for_strangers]

    def impostor(municipality, recipients):
        return None
    impostor.__module__, impostor.__qualname__ = upper_for_strangers.__module__, upper_for_strangers.__qualname__
    with pytest.raises(ValueError):
        redaction.register_redactor(impostor)
    with pytest.raises(TypeError):
        redaction.register_redactor("not a function")


def test_values_are_walked_and_only_strings_change(empty, city):
    redaction.register_redactor(upper_for_strangers)
    Row = namedtuple("Row", "label value")
    answers = {"name": "abc", "n": 3, "ok": True, "none": None, "children": [{"name": "def"}],
               "rows": (Row("x", "ghi"),)}
    assert redaction.redact_values(city, answers) == {
        "name": "ABC", "n": 3, "ok": True, "none": None, "children": [{"name": "DEF"}], "rows": (Row("X", "GHI"),)}
    assert redaction.redact_values(city, answers, ["resident:1"]) == answers
    assert redaction.redact(city, "abc", ["", "resident:1"]) == "abc"


def test_without_a_redactor_nothing_changes(empty, city):
    assert redaction.redact(city, TEXT) == TEXT
    assert redaction.redact_values(city, {"a": [TEXT]}) == {"a": [TEXT]}


# --- the register's redactor --------------------------------------------------------------------


def test_a_protected_address_written_another_way_is_masked_for_anyone_else(city, staff, misaki, other):
    protect(city, staff, misaki)
    for recipients in ((), [other.ref], ["ticket:3"], [f"register:{misaki.pk + 1000}"]):
        shown = redaction.redact(city, TEXT, recipients)
        assert WRITTEN not in shown and masked() in shown
        assert shown.startswith("転居のお知らせ\n住所：") and shown.endswith("\n以上")
    assert WRITTEN not in redaction.redact(city, f"{REGISTERED}にお住まいの方へ")
    assert redaction.redact_values(city, {"address": WRITTEN})["address"] != WRITTEN


def test_the_protected_resident_reads_their_own_address(city, staff, misaki, other):
    protect(city, staff, misaki)
    assert redaction.redact(city, TEXT, [misaki.ref]) == TEXT
    mine = ResidentAccount.objects.create(municipality=city, email="misaki@example.jp")
    assert WRITTEN not in redaction.redact(city, TEXT, [mine.ref])  # not linked: nobody the register knows
    link(city, mine, misaki)
    assert redaction.redact(city, TEXT, [mine.ref]) == TEXT
    assert WRITTEN not in redaction.redact(city, TEXT, [other.ref])


def test_the_recipient_is_spared_only_their_own_address(city, staff, misaki):
    protect(city, staff, misaki)
    neighbour = resident_at(city, "70000000002", "デモ県デモ市本町一丁目9番9号", "鈴木\u3000一郎", "スズキ\u3000イチロウ")
    protect(city, staff, neighbour)
    text = f"住所：{WRITTEN}\n住所：デモ市本町1-9-9"
    shown = redaction.redact(city, text, [misaki.ref]).split("\n")
    assert shown[0] == f"住所：{WRITTEN}"
    assert "1-9-9" not in shown[1] and masked() in shown[1]


def test_an_address_without_a_mark_in_force_is_never_masked(city, staff, misaki):
    resident_at(city, "70000000003", PLAIN_REGISTERED, "田中\u3000健", "タナカ\u3000ケン")
    plain = f"住所：{PLAIN_WRITTEN}"
    assert redaction.redact(city, TEXT) == TEXT  # misaki is not marked yet
    mark = protect(city, staff, misaki)
    assert redaction.redact(city, plain) == plain
    lift(staff, mark)
    assert redaction.redact(city, TEXT) == TEXT


def test_a_mark_that_ended_or_has_not_begun_masks_nothing(city, staff, misaki):
    today = today_in_japan()
    protect(city, staff, misaki, starts_on=today - timedelta(days=400), ends_on=today - timedelta(days=1))
    assert redaction.redact(city, TEXT) == TEXT
    protect(city, staff, misaki, starts_on=today + timedelta(days=1))
    assert redaction.redact(city, TEXT) == TEXT


def test_another_citys_mark_masks_nothing_here(city, other_city, staff, misaki):
    protect(city, staff, misaki)
    assert redaction.redact(other_city, TEXT) == TEXT


def test_a_city_without_marks_costs_one_query(city, django_assert_num_queries):
    with django_assert_num_queries(1):
        mask = redaction.masker(city, ["resident:1"])
    assert mask(TEXT) == TEXT
