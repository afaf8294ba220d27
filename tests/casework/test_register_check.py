"""The register check of an online application: the applicant's 基本4情報 and the children
against the register, each look-up audited with the case as reason, only when a clerk asks;
counter cases are not looked up; another department cannot run it."""

import re

import pytest
from django.urls import reverse

from madoguchi.applications import services as applications
from madoguchi.applications.models import Channel, SubmissionVersion
from madoguchi.casework import review
from madoguchi.catalog.selectors import procedure_of_record
from madoguchi.core.actors import Actor
from madoguchi.core.crypto import encrypt_json
from madoguchi.core.models import AuditEvent
from madoguchi.register import protection
from madoguchi.register.codes import Reason, Status
from madoguchi.register.models import RegisterLink, Resident
from madoguchi.register.seeding import generate_register

from support import submit_via_web

pytestmark = pytest.mark.django_db

CODE = "child-allowance-claim"
TARO = {  # ja-only: test data (the fixed demo household of docs/register.md)
    "claimant_name": "山田 太郎", "claimant_kana": "ヤマダ タロウ", "claimant_birth_date": "1988-05-20",
    "claimant_address": "デモ市本町2丁目3番4号", "claimant_postal_code": "999-0001",
    "children-0-name": "山田 一郎", "children-0-kana": "ヤマダ イチロウ",
    "children-0-birth_date": "2017-07-15", "children-0-living": "together",
}


@pytest.fixture
def register(city):
    generate_register(city, 40, seed=1)
    return city


@pytest.fixture
def taro(register):
    return Resident.objects.get(municipality=register, code="90000000001")


def apply(client, **changes):
    return submit_via_web(client, CODE, {**TARO, **changes})


def check(client, staff, case, user="kodomo-tanto"):
    """POST the check as `user`; the response and {row label: data-check} of its rows."""
    client.force_login(staff[user])
    response = client.post(reverse("casework:register_check", args=[case.public_id]))
    page = response.content.decode()
    return response, page


def states(page: str) -> list[str]:
    return re.findall(r'<tr class="check" data-check="([a-z-]+)"', page)


def overall(page: str) -> str:
    return re.search(r'id="register-check-result" data-check="([a-z-]+)"', page).group(1)


def lookups(city) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(municipality=city, action="register_lookup").order_by("pk"))


def test_the_demo_applicant_and_child_match(client, resident_client, staff, taro):
    case = apply(resident_client)
    response, page = check(client, staff, case)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert overall(page) == "match"
    assert states(page) == ["match"] * 4  # 氏名, 生年月日, 住所, お子さん1


def test_another_households_address_is_a_mismatch_showing_the_registered_one(
        client, resident_client, staff, taro):
    other = Resident.objects.filter(municipality=taro.municipality, status=Status.RESIDENT) \
        .exclude(household=taro.household).first()
    case = apply(resident_client, claimant_address=other.full_address)
    _, page = check(client, staff, case)
    assert overall(page) == "mismatch"
    assert states(page) == ["match", "match", "mismatch", "match"]
    assert taro.full_address in page  # the register's address beside what was written


def test_a_protected_applicants_registered_address_is_not_shown_beside_a_wrong_one(
        client, resident_client, staff, taro):
    """支援措置: whoever applied with her name may be the one the protection is against."""
    protection.mark(taro.municipality, Actor.staff(staff["shimin-shien"]), taro)
    other = Resident.objects.filter(municipality=taro.municipality, status=Status.RESIDENT) \
        .exclude(household=taro.household).first()
    case = apply(resident_client, claimant_address=other.full_address)
    _, page = check(client, staff, case)
    assert states(page) == ["match", "match", "mismatch", "match"]
    assert taro.full_address not in page and str(protection.MASKED) in page


@pytest.mark.parametrize("child", [
    {"children-0-name": "山田 次郎", "children-0-kana": "ヤマダ ジロウ"},  # ja-only: test data
    {"children-0-birth_date": "2017-07-16"},  # 一郎's name, another birth date
])
def test_a_child_not_in_the_household_is_flagged_without_showing_the_household(
        client, resident_client, staff, taro, child):
    case = apply(resident_client, **child)
    _, page = check(client, staff, case)
    assert states(page) == ["match", "match", "match", "mismatch"]
    assert 'id="register-check-children"' in page
    assert "さくら" not in page and "花子" not in page  # the household's other members stay unseen


def test_a_different_name_is_found_by_kana_and_birth_date_and_flagged(client, resident_client, staff, taro):
    case = apply(resident_client, claimant_name="山田 太朗")  # ja-only: test data
    _, page = check(client, staff, case)
    assert states(page)[:3] == ["mismatch", "match", "match"]


def test_a_resident_who_moved_out_is_named_as_a_former_resident(client, resident_client, staff, taro):
    Resident.objects.filter(pk=taro.pk).update(status=Status.MOVED_OUT, latest_reason=Reason.MOVE_OUT)
    case = apply(resident_client)
    result = review.register_check(case, procedure_of_record(case.municipality, CODE),
                                   Actor.staff(staff["kodomo-tanto"]))
    assert result.rows[0].state == review.MISMATCH and result.rows[0].note == str(review.MOVED_OUT)
    assert result.children[0].state == review.NOT_FOUND  # no current household to compare with


def test_someone_not_in_the_register_is_not_found(client, resident_client, staff, taro):
    case = apply(resident_client, claimant_name="佐藤 花子", claimant_kana="サトウ ハナコ")  # ja-only: test data
    _, page = check(client, staff, case)
    assert overall(page) == "not-found"
    assert states(page) == ["not-found", "not-found"]  # the applicant, then the child (no household)


def test_a_linked_account_is_checked_against_its_record_and_household(
        client, resident, resident_client, staff, taro):
    RegisterLink.objects.create(account=resident, municipality=taro.municipality, resident=taro,
                                linked_by="signing_certificate")
    other = Resident.objects.filter(municipality=taro.municipality, status=Status.RESIDENT) \
        .exclude(household=taro.household).first()
    case = apply(resident_client, claimant_address=other.full_address)
    result = review.register_check(case, procedure_of_record(case.municipality, CODE),
                                   Actor.staff(staff["kodomo-tanto"]))
    assert result.found_by == "link"
    assert [r.state for r in result.rows] == ["match", "match", "mismatch"]
    assert [r.state for r in result.children] == ["match"]
    [event] = lookups(taro.municipality)  # only the household: the link is the applicant
    assert event.target_id == "household" and taro.pk in event.detail["matched"]


def test_each_look_up_is_one_audit_event_naming_the_case_and_a_page_view_makes_none(
        client, resident_client, staff, taro):
    case = apply(resident_client, claimant_name="山田 太朗")  # ja-only: test data  (3 look-ups)
    client.force_login(staff["kodomo-tanto"])
    page = client.get(reverse("casework:case", args=[case.public_id])).content.decode()
    assert 'id="register-check-button"' in page
    assert lookups(case.municipality) == []
    result = review.register_check(case, procedure_of_record(case.municipality, CODE),
                                   Actor.staff(staff["kodomo-tanto"]))
    events = lookups(case.municipality)
    assert len(events) == result.lookups == 3  # 基本4情報, フリガナ, 世帯
    assert [e.target_id for e in events] == ["basic_info", "kana", "household"]
    for event in events:
        assert case.receipt_number in event.detail["reason"]
        assert event.actor_ref == Actor.staff(staff["kodomo-tanto"]).ref
        assert "山田" not in str(event.detail)


def test_another_department_cannot_run_it_and_a_get_changes_nothing(client, resident_client, staff, taro):
    case = apply(resident_client)
    response, _ = check(client, staff, case, user="kankyo-tanto")
    assert response.status_code == 404
    client.force_login(staff["kodomo-tanto"])
    assert client.get(reverse("casework:register_check", args=[case.public_id])).status_code == 405
    assert lookups(case.municipality) == []


def test_a_counter_case_came_from_the_register_and_is_not_looked_up(client, resident_client, staff, taro):
    case = apply(resident_client)
    type(case).objects.filter(pk=case.pk).update(channel=Channel.COUNTER, resident=taro)
    client.force_login(staff["kodomo-tanto"])
    page = client.get(reverse("casework:case", args=[case.public_id])).content.decode()
    assert 'data-check="from-register"' in page and 'id="register-check-button"' not in page
    _, result = check(client, staff, case)
    assert 'data-check="none"' in result
    assert lookups(case.municipality) == []


def test_a_form_without_the_applicants_birth_date_offers_no_check(client, resident_client, staff, taro):
    case = submit_via_web(resident_client, "dog-registration-change")
    client.force_login(staff["kankyo-tanto"])
    page = client.get(reverse("casework:case", args=[case.public_id])).content.decode()
    assert 'id="register-check-button"' not in page


def test_odd_answers_from_an_older_version_give_a_page_not_a_500(client, resident_client, staff, taro):
    case = apply(resident_client)
    version = case.current_version
    odd = {**applications.answers_of(version), "claimant_birth_date": 19880520,
           "claimant_address": ["not", "text"], "children": ["x", {"name": 3}, None]}
    SubmissionVersion.objects.create(submission=case, number=2, form_version=version.form_version,
                                     answers=encrypt_json(odd, case.municipality_id), sources={},
                                     actor_kind=version.actor_kind, actor_ref=version.actor_ref)
    response, page = check(client, staff, case)
    assert response.status_code == 200
    assert overall(page) in {"mismatch", "not-found"}


def test_the_applicants_sex_is_compared_when_the_form_asks_it(taro):
    """国民年金 (a counter form, so no online case): 性別 beside the applicant's name is compared."""
    form = procedure_of_record(taro.municipality, "national-pension-enrollment").current_form
    who = review.applicant_fields(form)
    assert who.sex is not None and who.sex.id == "insured_sex" and who.children is None
    answers = {"insured_name": "山田\u3000太郎", "insured_birth_date": "1988-05-20",  # ja-only: test data
               "address": "デモ市本町二丁目3-4", "insured_sex": "female"}  # ja-only: test data
    rows = review._applicant_rows(who, answers, taro)
    assert [r.state for r in rows] == ["match", "match", "match", "mismatch"]
    assert rows[-1].note == str(review.SEX_DIFFERS)
    assert review._applicant_rows(who, {**answers, "insured_sex": "male"}, taro)[-1].state == "match"
