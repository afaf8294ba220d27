"""The procedure overrides and fees pages (/staff/city/procedures/): the list says what the city
changed and where; one procedure's window, fee note, fee lines and 歳入科目 code are changed
with every refusal next to its input; lines are added and removed without JavaScript; the
example fee follows the change; withdrawing takes the procedure off the resident's pages; no
500 for anything posted; the other city is untouched."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from madoguchi.administration import procedure_forms as forms
from madoguchi.catalog import loader
from madoguchi.catalog.fees import quote
from madoguchi.catalog.models import ProcedureOverride
from madoguchi.catalog.selectors import get_procedure
from madoguchi.core.models import AuditEvent, CityAdministrator

pytestmark = pytest.mark.django_db

CODE = "residence-certificate-copy"


@pytest.fixture(autouse=True)
def _fresh_catalogue():
    """A test's saved overrides are rolled back without a signal: each test starts and ends
    with no copy of a city's catalogue kept from another."""
    loader.forget()
    yield
    loader.forget()


@pytest.fixture
def admin_client(client, city):
    user = get_user_model().objects.create_user("proc-admin", password="x-pass-2026")
    CityAdministrator.objects.create(user=user, municipality=city)
    client.force_login(user)
    return client


def url(name, *args):
    return reverse(f"administration:{name}", args=args)


def form_data(code=CODE, slug="demo", **changes) -> dict:
    """The edit page's form as it is shown, then `changes` (line fields as line-<n>-<name>)."""
    found = forms.initial(loader.catalog_for(slug, language="ja").get(code) or loader.files_for(slug)[code])
    data = {"_action": "save", "line_count": str(len(found.lines)), "window": found.window,
            "fee_note": found.fee_note, "revenue_code": found.revenue_code}
    for line in found.lines:
        data |= {f"line-{line.index}-{n}": getattr(line, n) for n in ("code", "label", "unit_yen", "per", "origin")}
    data["exemption_count"] = str(len(found.exemptions))
    for ex in found.exemptions:
        data |= {f"exemption-{ex.index}-{n}": getattr(ex, n) for n in ("origin", "label", "legal_reason", "lines")}
    return data | {k.replace("__", "-"): v for k, v in changes.items()}


def row_of(html: str, code: str) -> str:
    found = re.search(rf'<tr data-code="{code}"[^>]*>.*?</tr>', html, re.S)
    assert found, code
    return found.group(0)


def test_the_list_shows_national_city_file_and_page_changes(admin_client, city):
    ProcedureOverride.objects.create(municipality=city, procedure_code="dog-registration", data={"window": "分室"})
    page = admin_client.get(url("procedures")).content.decode()
    assert 'data-source="city_file"' in row_of(page, CODE)  # the demo city's overrides.yaml
    assert 'data-source="city_page"' in row_of(page, "dog-registration")
    assert 'data-source="national"' in row_of(page, "moving-in")
    assert 'data-source="city_file"' in row_of(page, "bulky-waste-collection")  # its own file
    assert reverse("administration:procedure", args=[CODE]) in page


def test_the_edit_page_shows_the_procedure_as_the_city_offers_it(admin_client):
    page = admin_client.get(url("procedure", CODE)).content.decode()
    assert 'id="line-0-unit_yen"' in page and 'value="300"' in page
    assert 'value="1401-01-01"' in page  # the demo city's 歳入科目 code
    assert 'id="exemption-0-legal_reason"' in page and "デモ市手数料条例第5条第1号" in page
    assert re.search(r'name="exemption-0-lines" value="copy" checked', page)
    assert 'id="fee-example-total" data-yen="300"' in page  # one copy, no postage


def test_changing_the_fee_saves_audits_and_shows_the_new_example(admin_client, city, other_city):
    response = admin_client.post(url("procedure", CODE), form_data(line__0__unit_yen="３５０",
                                                                    window="別館1階"))
    assert response.status_code == 302 and response["Location"] == url("procedure", CODE)
    page = admin_client.get(response["Location"]).content.decode()
    assert 'id="fee-example-total" data-yen="350"' in page
    assert quote(get_procedure(city, CODE), {"copies": 2}).total_yen == 700
    assert get_procedure(city, CODE).window == "別館1階"
    event = AuditEvent.objects.get(action="city.procedure_override")
    assert event.target_id == CODE and event.detail["before"] is None
    assert event.detail["after"]["data"]["window"] == "別館1階"
    assert event.actor_ref.startswith("staff:")
    assert quote(loader.catalog_for(other_city.slug)[CODE], {"copies": 2}).total_yen == 600
    resident_page = admin_client.get(reverse("applications:procedure", args=[CODE])).content.decode()
    assert "350" in resident_page


def test_a_refusal_is_shown_next_to_its_input(admin_client):
    response = admin_client.post(url("procedure", CODE), form_data(line__0__unit_yen="-1"))
    assert response.status_code == 400
    page = response.content.decode()
    error = re.search(r'<p class="error" id="line-0-error">(.*?)</p>', page, re.S)
    assert error and "greater than or equal to 0" in error.group(1)
    assert re.search(r'id="line-0-unit_yen"[^>]*aria-describedby="line-0-error"', page)
    assert 'id="error-summary"' in page
    assert 'value="-1"' in page  # what was typed stays
    assert not ProcedureOverride.objects.exists()


def test_removing_a_line_an_exemption_names_is_refused_in_the_fee_block(admin_client):
    data = form_data(line__0__code="copies")  # the exemption waives the line `copy`
    response = admin_client.post(url("procedure", CODE), data)
    assert response.status_code == 400
    error = re.search(r'<p class="error" id="fees-error">(.*?)</p>', response.content.decode(), re.S)
    assert error and "names unknown lines: copy" in error.group(1)


def test_lines_are_added_and_removed_without_javascript_and_nothing_is_saved_until_save(admin_client, city):
    added = admin_client.post(url("procedure", CODE), form_data(_action="add_line"))
    page = added.content.decode()
    assert added.status_code == 200 and 'id="line-3-code"' in page and 'value="extra1"' in page
    assert not ProcedureOverride.objects.exists()
    data = form_data(_action="save", line_count="4", line__3__code="extra1", line__3__label="証明書の手数料加算",
                     line__3__unit_yen="50", line__3__per="", line__3__origin="")
    assert admin_client.post(url("procedure", CODE), data).status_code == 302
    assert quote(get_procedure(city, CODE), {"copies": 1}).total_yen == 350
    removed = admin_client.post(url("procedure", CODE), form_data(_action="remove_line:1"))
    assert 'id="line-3-code"' not in removed.content.decode() and 'id="line-2-code"' in removed.content.decode()
    assert quote(get_procedure(city, CODE), {"copies": 1}).total_yen == 350  # not saved yet


def test_a_line_counted_per_copy(admin_client, city):
    data = form_data(code="dog-registration", line__0__per="")
    data |= {"line_count": "1"}
    response = admin_client.post(url("procedure", "dog-registration"), data | {"line-0-unit_yen": "2,800円"})
    assert response.status_code == 302
    assert quote(get_procedure(city, "dog-registration"), {}).total_yen == 2800


def test_removing_every_line_makes_it_free(admin_client, city):
    data = form_data(code="dog-registration") | {"line_count": "0"}
    assert admin_client.post(url("procedure", "dog-registration"), data).status_code == 302
    assert quote(get_procedure(city, "dog-registration"), {}).total_yen == 0
    assert ProcedureOverride.objects.get().data["fees"] is None


def test_saving_what_the_files_say_stores_nothing(admin_client):
    response = admin_client.post(url("procedure", CODE), form_data())
    assert response.status_code == 302
    assert not ProcedureOverride.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="city.procedure").exists()


def test_withdraw_reinstate_and_reset(admin_client, city):
    resident_url = reverse("applications:procedure", args=[CODE])
    assert admin_client.get(resident_url).status_code == 200
    assert admin_client.post(url("procedure_withdraw", CODE)).status_code == 302
    assert admin_client.get(resident_url).status_code == 404
    page = admin_client.get(url("procedure", CODE)).content.decode()
    assert 'id="withdrawn-notice"' in page and 'id="procedure-reinstate"' in page
    assert "data-withdrawn" in row_of(admin_client.get(url("procedures")).content.decode(), CODE)
    assert admin_client.post(url("procedure_reinstate", CODE)).status_code == 302
    assert admin_client.get(resident_url).status_code == 200
    admin_client.post(url("procedure", CODE), form_data(window="臨時窓口"))
    assert 'id="procedure-reset"' in admin_client.get(url("procedure", CODE)).content.decode()
    admin_client.post(url("procedure_reset", CODE))
    assert not ProcedureOverride.objects.exists()
    assert [e.action for e in AuditEvent.objects.filter(target_type="procedure").order_by("id")] == [
        "city.procedure_withdraw", "city.procedure_reinstate", "city.procedure_override", "city.procedure_reset"]


def test_an_unknown_procedure_is_not_found(admin_client):
    assert admin_client.get(url("procedure", "no-such-procedure")).status_code == 404
    assert admin_client.post(url("procedure_withdraw", "no-such-procedure")).status_code == 404
    assert admin_client.get(url("procedure_withdraw", CODE)).status_code == 405


@pytest.mark.parametrize("junk", [
    {"line_count": "abc"}, {"line_count": "-3"}, {"line_count": "99999"}, {"_action": "remove_line:abc"},
    {"_action": "remove_line:99"}, {"_action": "<script>"}, {"line-0-unit_yen": "9" * 40},
    {"line-0-per": "no_such_field"}, {"line-0-per": "keep"}, {"line-0-origin": "forged"},
    {"window": "x" * 5000}, {"revenue_code": "\x00"}, {"line-0-code": ""},
    {"exemption_count": "x"}, {"exemption-0-origin": "-1"}, {"exemption-0-lines": ["\x00", "nope"]},
    {"_action": "remove_exemption:5"},
])
def test_nothing_a_client_posts_makes_a_500(admin_client, junk):
    response = admin_client.post(url("procedure", CODE), form_data() | junk)
    assert response.status_code in (200, 302, 400)


def test_the_page_speaks_english(admin_client):
    admin_client.cookies["django_language"] = "en"
    page = admin_client.get(url("procedures"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in page


def test_an_exemption_is_changed_and_removed_but_its_condition_stays(admin_client, city):
    data = form_data(exemption__0__legal_reason="デモ市手数料条例第6条第2号", exemption__0__lines=["copy", "postage"])
    assert admin_client.post(url("procedure", CODE), data).status_code == 302
    exemption = get_procedure(city, CODE).fees.exemptions[0]
    assert exemption.legal_reason == "デモ市手数料条例第6条第2号"
    assert exemption.lines == ["copy", "postage"]
    assert exemption.when == loader.files_for("demo")[CODE].fees.exemptions[0].when
    pension = {"copies": 1, "purpose": "pension", "delivery": "mail"}
    assert quote(get_procedure(city, CODE), pension).total_yen == 0  # postage waived too

    removed = admin_client.post(url("procedure", CODE), form_data(_action="remove_exemption:0"))
    assert removed.status_code == 200 and 'id="exemption-0-label"' not in removed.content.decode()
    data = form_data() | {"exemption_count": "0"}
    assert admin_client.post(url("procedure", CODE), data).status_code == 302
    assert not get_procedure(city, CODE).fees.exemptions
    assert quote(get_procedure(city, CODE), pension).total_yen == 410


def test_an_exemption_without_its_legal_reason_is_refused_next_to_it(admin_client):
    response = admin_client.post(url("procedure", CODE), form_data(exemption__0__legal_reason=""))
    assert response.status_code == 400
    error = re.search(r'<p class="error" id="exemption-0-error">(.*?)</p>', response.content.decode(), re.S)
    assert error and "at least 1 character" in error.group(1)
    assert not ProcedureOverride.objects.exists()


def test_a_forged_exemption_origin_is_ignored(admin_client, city):
    data = form_data() | {"exemption_count": "2", "exemption-1-origin": "7", "exemption-1-label": "x",
                          "exemption-1-legal_reason": "y"}
    assert admin_client.post(url("procedure", CODE), data).status_code == 302
    assert len(get_procedure(city, CODE).fees.exemptions) == 1
