"""A city changes fees, departments and windows of national procedures and adds its own,
without copying the national files; channels decide what can be started here."""

from pathlib import Path

import pytest
import yaml
from django.urls import reverse

from madoguchi.catalog import loader
from madoguchi.catalog.fees import quote
from madoguchi.catalog.i18n import localized
from madoguchi.catalog.loader import CatalogError, apply_overrides, catalog, catalog_for
from madoguchi.catalog.schema import Channel, Procedure
from madoguchi.catalog.selectors import get_procedure, procedure_of_record, procedures_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def city_dir(settings, tmp_path):
    """An empty municipal catalogue folder for the demo city; caches reset around the test."""
    settings.MADOGUCHI_MUNICIPAL_CATALOG_DIR = tmp_path
    (tmp_path / "demo" / "procedures").mkdir(parents=True)
    loader.reload()
    yield tmp_path / "demo"
    loader.reload()


def _overrides(directory: Path, data: dict) -> Path:
    path = directory / "overrides.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    loader.reload()
    return path


def test_an_override_changes_one_city_and_not_the_national_file(city, other_city, city_dir):
    _overrides(city_dir, {"procedures": {"dog-registration": {"fee_yen": 2500,
                                                             "window": "保健所分室"}}})
    assert quote(get_procedure(city, "dog-registration"), {}).total_yen == 2500
    assert get_procedure(city, "dog-registration").window == "保健所分室"
    assert quote(get_procedure(other_city, "dog-registration"), {}).total_yen == 3000
    assert quote(catalog()["dog-registration"], {}).total_yen == 3000
    # the form is kept, not copied
    assert get_procedure(city, "dog-registration").forms == catalog()["dog-registration"].forms


def test_the_procedure_page_shows_the_city_window_and_fee(client, city, city_dir):
    _overrides(city_dir, {"procedures": {"dog-registration": {"fee_yen": 2500,
                                                             "window": "保健所分室"}}})
    page = client.get(reverse("applications:procedure", args=["dog-registration"])).content.decode()
    assert 'id="fee-rules"' in page and "2,500" in page and "保健所分室" in page  # the city's fee and window


def test_a_city_moves_a_procedure_to_another_department(city, city_dir):
    _overrides(city_dir, {"procedures": {"dog-registration": {"department": "shimin"}}})
    assert get_procedure(city, "dog-registration").department == "shimin"


def test_a_withdrawn_procedure_is_gone_but_old_records_stay_readable(city, city_dir):
    _overrides(city_dir, {"withdrawn": ["child-allowance-donation"]})
    assert get_procedure(city, "child-allowance-donation") is None
    assert "child-allowance-donation" not in {p.code for p in procedures_for(city)}
    assert procedure_of_record(city, "child-allowance-donation").code == "child-allowance-donation"


def test_a_local_procedure_is_offered_by_its_city_only(city, other_city, city_dir):
    local = catalog()["dog-registration"].model_dump(mode="json", by_alias=True, exclude_unset=True)
    local |= {"code": "cat-subsidy", "title": "猫の不妊手術費の補助"}
    (city_dir / "procedures" / "cat-subsidy.yaml").write_text(
        yaml.safe_dump(local, allow_unicode=True), encoding="utf-8")
    loader.reload()
    assert get_procedure(city, "cat-subsidy").title == "猫の不妊手術費の補助"
    assert get_procedure(other_city, "cat-subsidy") is None


def test_the_shipped_demo_city_has_its_own_procedure_and_window(city, other_city):
    loader.reload()
    assert get_procedure(city, "bulky-waste-collection").online
    assert get_procedure(other_city, "bulky-waste-collection") is None
    assert "証明書コーナー" in get_procedure(city, "residence-certificate-copy").window


@pytest.mark.parametrize(("data", "reason"), [
    ({"procedures": {"no-such-procedure": {"fee_yen": 1}}}, "not in the catalogue"),
    ({"procedures": {"dog-registration": {"forms": []}}}, "cannot override forms"),
    ({"procedures": {"dog-registration": {"code": "x"}}}, "cannot override code"),
    ({"procedures": {"dog-registration": {"fee_yen": -5}}}, "fee_yen"),
    ({"procedures": {"dog-registration": {"channel": "elsewhere"}}}, "office"),
    ({"procedures": {"dog-registration": "3000"}}, "give the fields"),
    ({"withdrawn": ["no-such-procedure"]}, "not in the catalogue"),
    ({"fees": {}}, "`procedures:` and `withdrawn:` only"),
])
def test_a_broken_override_names_the_file_the_procedure_and_the_reason(city_dir, data, reason):
    path = _overrides(city_dir, data)
    with pytest.raises(CatalogError) as info:
        catalog_for("demo")
    assert str(path) in str(info.value)
    assert reason in str(info.value)


def test_apply_overrides_leaves_its_input_alone(tmp_path):
    path = tmp_path / "overrides.yaml"
    path.write_text("procedures:\n  dog-registration:\n    fee_yen: 1\n", encoding="utf-8")
    base = dict(catalog())
    changed = apply_overrides(base, path)
    assert quote(changed["dog-registration"], {}).total_yen == 1
    assert quote(base["dog-registration"], {}).total_yen == 3000


# --- channels ----------------------------------------------------------------------------


def _procedure(**changes) -> dict:
    data = catalog()["dog-registration"].model_dump(mode="json", by_alias=True, exclude_unset=True)
    return data | changes


@pytest.mark.parametrize(("changes", "reason"), [
    ({"channel": "online", "forms": []}, "needs a form"),
    ({"channel": "mynaportal"}, "needs its url"),
    ({"channel": "elsewhere", "office": "警察署", "department": None}, "no form here"),
    ({"channel": "elsewhere", "forms": [], "department": None}, "names its office"),
    ({"channel": "counter", "office": "警察署"}, "only a procedure done elsewhere"),
    ({"channel": "counter", "department": None}, "names its department"),
    ({"channel": "elsewhere", "office": "市役所", "forms": [], "department": None}, "office"),
    ({"channel": "mynaportal", "url": "http://myna.go.jp/"}, "url"),
])
def test_channel_rules_are_enforced(changes, reason):
    with pytest.raises(ValueError, match=reason):
        Procedure.model_validate(_procedure(**changes))


def test_a_procedure_done_elsewhere_is_listed_in_every_city(other_city):
    elsewhere = Procedure.model_validate(_procedure(
        code="dog-registration", channel="elsewhere", office="警察署", forms=[], department=None))
    assert localized(elsewhere, "en").office == "police station"  # the office's name, translated
    with pytest.raises(LookupError):
        _ = elsewhere.current_form


def test_counter_and_portal_procedures_explain_where_to_go(client, city):
    counter = next(p for p in procedures_for(city) if p.channel == Channel.COUNTER)
    page = client.get(reverse("applications:procedure", args=[counter.code])).content.decode()
    assert 'id="apply-counter"' in page and 'id="start-application"' not in page
    portal = next(p for p in procedures_for(city) if p.channel == Channel.MYNAPORTAL)
    page = client.get(reverse("applications:procedure", args=[portal.code])).content.decode()
    assert 'id="apply-mynaportal"' in page and portal.url in page and 'id="start-application"' not in page
    other = next(p for p in procedures_for(city) if p.channel == Channel.ELSEWHERE)
    page = client.get(reverse("applications:procedure", args=[other.code])).content.decode()
    assert 'id="apply-office"' in page and other.office in page and 'id="start-application"' not in page


def test_the_api_lists_channels_and_refuses_offline_submissions(client, city, resident):
    listed = {p["code"]: p for p in client.get("/api/procedures").json()}
    counter = next(c for c, p in listed.items() if p["channel"] == "counter")
    elsewhere = next(c for c, p in listed.items() if p["channel"] == "elsewhere")
    assert listed[elsewhere]["office"] and listed[elsewhere]["department"] is None
    assert listed[elsewhere]["form_version"] is None
    detail = client.get(f"/api/procedures/{elsewhere}").json()
    assert detail["form"] is None and detail["office"] == listed[elsewhere]["office"]
    from madoguchi.applications import services
    from madoguchi.core.actors import Actor

    with pytest.raises(services.SubmissionRefused) as refused:
        services.submit_answers(resident, get_procedure(city, counter), {}, Actor.resident(resident.pk),
                                idempotency_key="k1")
    assert set(refused.value.errors) == {"procedure"}  # refused as a whole, not for a field


def test_the_system_check_reports_a_broken_city_folder(city_dir):
    from madoguchi.catalog.checks import catalogue_files

    assert catalogue_files(None) == []
    _overrides(city_dir, {"withdrawn": ["no-such-procedure"]})
    errors = catalogue_files(None)
    assert [e.id for e in errors] == ["madoguchi.E010"]
    assert "overrides.yaml" in errors[0].msg


def test_the_system_check_reports_a_broken_synonym_file(monkeypatch, tmp_path):
    from madoguchi.catalog import checks
    from madoguchi.catalog.search import load_synonyms

    broken = tmp_path / "synonyms.yaml"
    broken.write_text("groups: [[引越し]]\nunknown: 1\n", encoding="utf-8")
    monkeypatch.setattr(checks, "synonyms", lambda: load_synonyms(broken))
    errors = checks.catalogue_files(None)
    assert [e.id for e in errors] == ["madoguchi.E011"]
    assert "synonyms.yaml" in errors[0].msg
