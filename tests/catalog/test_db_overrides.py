"""A city's overrides saved through its pages (catalog.models.ProcedureOverride): layered over its
files through the same validator, for its city only, dropped from the cache on change (here at
once, elsewhere within the freshness bound), and priced into submissions made after the change
only."""

import html

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse

from madoguchi.administration import procedure_forms as forms
from madoguchi.applications import services as applications
from madoguchi.catalog import loader, overrides
from madoguchi.catalog.fees import quote
from madoguchi.catalog.loader import CatalogError, OverrideError, catalog, catalog_for
from madoguchi.catalog.models import ProcedureOverride
from madoguchi.catalog.selectors import get_procedure, procedures_for
from madoguchi.core import cities
from madoguchi.core.actors import Actor
from madoguchi.core.models import AuditEvent, CityAdministrator
from madoguchi.identity.models import ResidentAccount

from support import api_answers, at_once

pytestmark = pytest.mark.django_db

CODE = "residence-certificate-copy"
SYSTEM = Actor.system()


@pytest.fixture(autouse=True)
def _fresh_catalogue():
    """A test's saved overrides are rolled back without a signal: each test starts and ends
    with no copy of a city's catalogue kept from another."""
    loader.forget()
    yield
    loader.forget()


@pytest.fixture
def city_dir(settings, tmp_path):
    """An empty catalogue folder for the demo city (its files = the national ones)."""
    settings.MADOGUCHI_MUNICIPAL_CATALOG_DIR = tmp_path
    (tmp_path / "demo" / "procedures").mkdir(parents=True)
    loader.reload()
    yield tmp_path / "demo"
    loader.reload()


@pytest.fixture
def admin_client(client, city):
    user = get_user_model().objects.create_user("city-admin-test", password="x-pass-2026")
    CityAdministrator.objects.create(user=user, municipality=city)
    client.force_login(user)
    return client


def _fee(municipality, answers=None, language="ja"):
    return quote(catalog_for(municipality.slug, language)[CODE], answers or {"copies": 1}).total_yen


def _page_post(procedure, found: forms.OverrideInput) -> dict:
    data = {"_action": "save", "line_count": str(len(found.lines)), "window": found.window,
            "fee_note": found.fee_note, "revenue_code": found.revenue_code}
    for line in found.lines:
        data |= {f"line-{line.index}-{name}": getattr(line, name)
                 for name in ("code", "label", "unit_yen", "per", "origin")}
    data["exemption_count"] = str(len(found.exemptions))
    for ex in found.exemptions:
        data |= {f"exemption-{ex.index}-{n}": getattr(ex, n) for n in ("origin", "label", "legal_reason", "lines")}
    return data


def _unit(found, index, value):
    found.lines[index].unit_yen = value


def _code(found, index, value):
    found.lines[index].code = value


BAD = {
    "a negative amount": lambda f: _unit(f, 0, "-300"),
    "an amount with a fraction": lambda f: _unit(f, 0, "300.5"),
    "an amount in words": lambda f: _unit(f, 0, "三百"),
    "two lines with one code": lambda f: _code(f, 1, "copy"),
    "a code with capitals": lambda f: _code(f, 0, "Copy"),
    "an empty label": lambda f: setattr(f.lines[0], "label", ""),
    "a revenue code too long": lambda f: setattr(f, "revenue_code", "1" * 40),
    "a line counted by a text answer": lambda f: setattr(f.lines[0], "per", "requester_name"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_data_is_refused_by_the_file_and_the_page_in_the_same_words(admin_client, city, city_dir, case):
    national = catalog()[CODE]
    found = forms.initial(national)
    BAD[case](found)
    entry = forms.values(found, national)

    # the file: overrides.yaml holding that very entry
    path = city_dir / "overrides.yaml"
    path.write_text(yaml.safe_dump({"procedures": {CODE: entry}}, allow_unicode=True), encoding="utf-8")
    loader.reload()
    with pytest.raises(CatalogError) as from_file:
        loader.files_for("demo")
    problems = from_file.value.__cause__.problems
    assert problems and all(p.message in str(from_file.value) for p in problems)
    path.unlink()
    loader.reload()

    # the pages: the service, then the page itself
    with pytest.raises(OverrideError) as from_service:
        overrides.change(city, CODE, entry, SYSTEM)
    assert from_service.value.problems == problems
    response = admin_client.post(reverse("administration:procedure", args=[CODE]), _page_post(national, found))
    assert response.status_code == 400
    page = response.content.decode()
    for problem in problems:
        assert html.escape(problem.message) in page
    assert 'class="error"' in page
    assert not ProcedureOverride.objects.exists()  # nothing invalid reaches the table
    assert not AuditEvent.objects.filter(action__startswith="city.procedure").exists()


def test_the_model_refuses_invalid_data_whoever_saves_it(city):
    row = ProcedureOverride(municipality=city, procedure_code=CODE, data={"fees": {"lines": [
        {"code": "copy", "label": "写し", "unit_yen": 300.0}]}})
    with pytest.raises(OverrideError, match="valid integer"):
        row.save()
    with pytest.raises(OverrideError, match="cannot override forms"):
        ProcedureOverride(municipality=city, procedure_code=CODE, data={"forms": []}).save()
    with pytest.raises(OverrideError, match="not in the catalogue"):
        ProcedureOverride(municipality=city, procedure_code="no-such-thing", withdrawn=True).save()
    assert not ProcedureOverride.objects.exists()


def test_an_override_applies_to_its_city_only(city, other_city):
    before_other = _fee(other_city)
    overrides.change(city, CODE, {"fees": {"lines": [
        {"code": "copy", "label": "住民票の写し", "unit_yen": 350, "per": {"field": "copies"}}]},
        "window": "本庁舎2階"}, SYSTEM)
    assert _fee(city, {"copies": 2}) == 700
    assert get_procedure(city, CODE).window == "本庁舎2階"
    assert _fee(other_city) == before_other == 300  # the national fee
    assert catalog_for(other_city.slug) is catalog()  # the other city shares the national catalogue
    assert catalog()[CODE].fees.lines[0].unit_yen == 300  # the national file is untouched


def test_database_overrides_apply_after_the_city_files(city):
    """The demo city's overrides.yaml sets the exemption and 歳入科目 code; the page's change of
    the amount goes over it and keeps both, and payment changes key by key."""
    files = loader.files_for("demo")[CODE]
    assert files.payment.revenue_code == "1401-01-01" and files.fees.exemptions
    found = forms.initial(files)
    found.lines[0].unit_yen = "400"
    overrides.change(city, CODE, forms.values(found, files), SYSTEM)
    changed = get_procedure(city, CODE)
    assert changed.fees.lines[0].unit_yen == 400
    assert changed.fees.exemptions == files.fees.exemptions
    assert changed.payment.revenue_code == "1401-01-01"
    assert changed.window == files.window
    row = ProcedureOverride.objects.get(municipality=city, procedure_code=CODE)
    assert set(row.data) == {"fees"}  # what equals the files is not stored
    assert quote(changed, {"copies": 1, "purpose": "pension"}).total_yen == 0  # still exempt


def test_withdraw_and_reinstate(city, other_city):
    overrides.change(city, CODE, {"window": "別館"}, SYSTEM)
    overrides.withdraw(city, CODE, SYSTEM)
    assert get_procedure(city, CODE) is None
    assert CODE not in {p.code for p in procedures_for(city)}
    assert CODE in catalog_for(other_city.slug)
    overrides.reinstate(city, CODE, SYSTEM)
    assert get_procedure(city, CODE).window == "別館"  # its saved change is back with it
    overrides.reset(city, CODE, SYSTEM)
    assert not ProcedureOverride.objects.exists()
    assert get_procedure(city, CODE).window == loader.files_for("demo")[CODE].window
    actions = list(AuditEvent.objects.filter(target_type="procedure").values_list("action", flat=True))
    assert actions == ["city.procedure_override", "city.procedure_withdraw", "city.procedure_reinstate",
                       "city.procedure_reset"]


def test_each_change_is_audited_with_before_and_after(city):
    overrides.change(city, CODE, {"window": "別館"}, SYSTEM)
    overrides.change(city, CODE, {"window": "別館"}, SYSTEM)  # no change: no event
    overrides.change(city, CODE, {"window": "本館"}, SYSTEM)
    first, second = AuditEvent.objects.filter(action="city.procedure_override").order_by("id")
    assert first.target_id == CODE and first.municipality == city
    assert first.detail == {"before": None, "after": {"data": {"window": "別館"}, "withdrawn": False}}
    assert second.detail["before"]["data"] == {"window": "別館"}
    assert second.detail["after"]["data"] == {"window": "本館"}


def test_the_cache_of_every_language_is_dropped_on_save_and_delete(city):
    english = catalog_for("demo", "en")
    assert catalog_for("demo", "en") is english  # kept
    assert _fee(city, language="en") == 300
    overrides.change(city, CODE, {"fees": {"lines": [{"code": "copy", "label": "住民票の写し",
                                                      "unit_yen": 250, "per": {"field": "copies"}}]}}, SYSTEM)
    for language in ("ja", "en", "vi", "ja-easy"):
        assert _fee(city, language=language) == 250, language
    assert catalog_for("demo", "en") is not english
    ProcedureOverride.objects.get().delete()
    assert _fee(city, language="en") == 300


def test_another_process_sees_a_change_within_the_freshness_bound(city, monkeypatch, settings):
    """A change another process made sends no signal here: this process's copy is used until it
    is MADOGUCHI_CITY_CACHE_SECONDS old, then the city's rows are read again."""
    settings.MADOGUCHI_CITY_CACHE_SECONDS = 5
    now = [1000.0]
    monkeypatch.setattr(cities, "_clock", lambda: now[0])
    loader.forget()
    assert _fee(city) == 300
    row = ProcedureOverride.objects.create(municipality=city, procedure_code=CODE, data={"fee_note": "x"})
    loader.forget()  # as if the row had been written elsewhere: read, then changed behind our back
    assert _fee(city) == 300
    fees = {"lines": [{"code": "copy", "label": "住民票の写し", "unit_yen": 600, "per": {"field": "copies"}}]}
    ProcedureOverride.objects.filter(pk=row.pk).update(data={"fees": fees}, updated_at=row.updated_at.replace(
        year=row.updated_at.year + 1))
    now[0] += 4
    assert _fee(city) == 300  # still within the bound
    now[0] += 2
    assert _fee(city) == 600  # read again
    ProcedureOverride.objects.filter(pk=row.pk).delete()  # a bulk delete: no signal either
    now[0] += 6
    assert _fee(city) == 300


def test_a_saved_override_that_no_longer_fits_is_reported_not_fatal(city, caplog):
    """If a file changes under a saved override (here: the row written around the validator),
    the city's catalogue still loads, without that change, and the pages say why."""
    ProcedureOverride.objects.bulk_create([ProcedureOverride(
        municipality=city, procedure_code=CODE, data={"fees": {"lines": [
            {"code": "copy", "label": "写し", "unit_yen": 300, "per": {"field": "no_such_field"}}]}})])
    loader.forget()
    assert _fee(city) == 300  # the files' fee
    assert "no_such_field" in loader.broken_overrides("demo")[CODE]
    entry = overrides.entry(city, CODE)
    assert entry.broken and not entry.changed_by_page
    from madoguchi.catalog.checks import saved_overrides

    warnings = saved_overrides(None, databases=["default"])
    assert [w.id for w in warnings] == ["madoguchi.W013"] and CODE in warnings[0].msg
    assert saved_overrides(None) == []  # a database check only


def test_a_submission_priced_after_the_change_pays_the_new_fee_and_one_before_keeps_its_quote(city):
    account = ResidentAccount.objects.create(municipality=city, email="fee-change@example.jp")
    actor = Actor.resident(account.pk)
    code = "dog-registration-change"  # a file-free form

    def price(yen):
        overrides.change(city, code, {"fees": {"lines": [{"code": "change", "label": "変更手数料",
                                                          "unit_yen": yen}]}}, SYSTEM)

    def submit(key):
        procedure = get_procedure(city, code)
        submission, created = applications.submit_answers(
            account, procedure, api_answers(procedure.current_form), actor, idempotency_key=key)
        assert created
        return submission

    price(200)
    before = submit("before-change")
    assert before.fee_quote.total_yen == 200
    price(450)
    after = submit("after-change")
    assert after.fee_quote.total_yen == 450
    before.refresh_from_db()
    assert before.fee_quote.total_yen == 200  # stored at submit, never re-priced


def test_a_city_without_overrides_holds_no_copy_of_the_national_catalogue(city, other_city):
    """For the 43-city deployment: a city with no folder and no saved override shares the
    national catalogue and its translations; one override copies the dict, not the procedures."""
    assert catalog_for(other_city.slug, "en") is catalog_for("nowhere-else", "en")
    overrides.change(other_city, CODE, {"window": "町役場"}, SYSTEM)
    changed = catalog_for(other_city.slug, "en")
    national = catalog_for("nowhere-else", "en")
    assert changed[CODE] is not national[CODE]
    assert all(changed[c] is national[c] for c in national if c != CODE)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a row race: run with DATABASE_URL=postgres://…")
def test_two_first_saves_of_one_procedure_at_once_make_one_row(city, audit_log_flushable):
    """Two administrators save the same procedure's first change at once: one row, both changes
    applied in turn (the second sees the first's row), two audit events."""
    outcomes = at_once(
        lambda: overrides.change(city, CODE, {"window": "東館"}, SYSTEM),
        lambda: overrides.change(city, CODE, {"fee_note": "窓口でお支払いください。"}, SYSTEM),
    )
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    row = ProcedureOverride.objects.get(municipality=city, procedure_code=CODE)
    assert row.data == {"window": "東館", "fee_note": "窓口でお支払いください。"}
    assert AuditEvent.objects.filter(action="city.procedure_override").count() == 2
