"""支援措置: a request by someone else for a protected resident's 住民票の写し (or a city's 附票)
is held for the 支援措置担当, online and at the counter; the requester is told nothing, and
while the hold is pending the case takes no step but 取下げ."""

import uuid
from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from madoguchi.applications import protection_holds, services
from madoguchi.applications.models import ProtectionHold, Status, Submission
from madoguchi.casework import services as casework
from madoguchi.catalog.loader import catalog_for
from madoguchi.core.actors import Actor
from madoguchi.core.models import AuditEvent
from madoguchi.identity.models import ResidentAccount
from madoguchi.notify.services import deliver_pending
from madoguchi.register import protection
from madoguchi.register.keys import kana_keys
from madoguchi.register.models import Household, RegisterLink, Resident

from conftest import login_resident
from support import card_client_answer, step_data

pytestmark = pytest.mark.django_db

CERTIFICATE = "residence-certificate-copy"


def _person(city, household, relationship, name, kana, born, code):
    whole, surname, given = kana_keys(kana)
    return Resident.objects.create(
        municipality=city, code=code, household=household, relationship=relationship, name=name,
        kana=kana, birth_date=born, gender="2", address="デモ市本町3丁目4番5号", postal_code="9990001",
        settled_on=date(2020, 4, 1), became_resident_on=date(2020, 4, 1), latest_reason="転入",
        kana_key=whole, surname_key=surname, given_key=given)


@pytest.fixture
def family(city):
    """A household of three; the wife is under a 支援措置 (against a man outside it)."""
    household = Household.objects.create(municipality=city, number="810001")
    people = {
        "head": _person(city, household, "世帯主", "守田\u3000太郎", "モリタ　タロウ", date(1980, 5, 1), "81000000001"),
        "wife": _person(city, household, "妻", "守田\u3000花子", "モリタ　ハナコ", date(1984, 6, 2), "81000000002"),
        "son": _person(city, household, "子", "守田\u3000一郎", "モリタ　イチロウ", date(2015, 7, 3), "81000000003"),
    }
    household.head = people["head"]
    household.save()
    protection.mark(city, Actor.system(), people["wife"],
                    against={"name": "加賀\u3000次郎", "kana": "カガ　ジロウ", "birth_date": "1979-01-01"})
    return people


def _account(city, resident=None, email="req@example.jp"):
    account = ResidentAccount.objects.create(municipality=city, email=email)
    if resident is not None:
        RegisterLink.objects.create(municipality=city, account=account, resident=resident,
                                    linked_by="signing_certificate")
    return account


def _answers(requester: Resident, scope: str, persons=()) -> dict:
    answers = {"requester_name": requester.name, "requester_kana": requester.kana,
               "requester_birth_date": requester.birth_date.isoformat(),
               "requester_postal_code": "9990001", "requester_address": "デモ市本町3丁目4番5号",
               "requester_phone": "0990001111", "scope": scope, "copies": 1, "purpose": "pension",
               "delivery": "counter", "declaration": True}
    if persons:
        answers["persons"] = [{"name": p.name, "kana": p.kana, "birth_date": p.birth_date.isoformat()}
                              for p in persons]
    return answers


def _online(account, answers, code=CERTIFICATE) -> Submission:
    """What a signed online request files (services.submit_draft, after the card signature)."""
    procedure = catalog_for("demo")[code]
    return services._create_submission(procedure, procedure.current_form.version, answers, {},
                                       Actor.resident(account.pk), account=account)


def _counter(resident, answers, in_person, code=CERTIFICATE, staff_user=None) -> Submission:
    procedure = catalog_for("demo")[code]
    return services.file_at_counter(resident, procedure, procedure.current_form.version, answers, {},
                                    Actor.system() if staff_user is None else Actor.staff(staff_user),
                                    visit_ref=uuid.uuid4(), in_person=in_person)


def test_a_household_request_including_a_protected_member_is_held(city, family):
    account = _account(city, family["head"])
    case = _online(account, _answers(family["head"], "household"))
    hold = ProtectionHold.objects.get(submission=case)
    assert hold.state == ProtectionHold.State.PENDING
    assert hold.protected_ids == [family["wife"].pk]
    assert case.status == Status.SUBMITTED  # no status of its own: the requester sees 受付待ち
    event = AuditEvent.objects.get(action="protection_hold", target_id=str(case.public_id))
    assert event.detail["protected"] == [family["wife"].pk] and event.detail["hold"] == hold.pk


def test_a_partial_request_naming_the_protected_person_is_held(city, family):
    account = _account(city, family["head"])
    wife = family["wife"]
    answers = _answers(family["head"], "partial", [family["son"], wife])
    answers["persons"][1]["kana"] = "もりた はなこ"  # typed in hiragana with a plain space
    case = _online(account, answers)
    assert ProtectionHold.objects.get(submission=case).protected_ids == [wife.pk]


def test_a_partial_request_without_a_protected_person_is_not_held(city, family):
    account = _account(city, family["head"])
    case = _online(account, _answers(family["head"], "partial", [family["son"]]))
    assert not ProtectionHold.objects.filter(submission=case).exists()
    assert not AuditEvent.objects.filter(action="protection_hold").exists()


def test_the_protected_person_asking_for_their_own_is_not_held(city, family):
    wife = family["wife"]
    account = _account(city, wife)
    case = _online(account, _answers(wife, "self"))
    assert not ProtectionHold.objects.filter(submission=case).exists()


def test_someone_typing_the_protected_persons_identity_is_held(city, family):
    """An account the register does not know (or knows as someone else) asking in her name."""
    for account in (_account(city), _account(city, family["head"], email="head@example.jp")):
        case = _online(account, _answers(family["wife"], "self"))
        assert ProtectionHold.objects.get(submission=case).protected_ids == [family["wife"].pk]


def test_a_household_marked_under_one_request_may_ask_for_each_other(city):
    """Mother and child protected under the same 申出: the mother asking for the household's
    certificate is not the one the protection is against."""
    household = Household.objects.create(municipality=city, number="810002")
    mother = _person(city, household, "世帯主", "逃田\u3000良子", "ニゲタ　ヨシコ", date(1988, 1, 2), "81000000011")
    child = _person(city, household, "子", "逃田\u3000光", "ニゲタ　ヒカル", date(2016, 3, 4), "81000000012")
    protection.mark(city, Actor.system(), mother, household=True, reference="R8-001")
    case = _online(_account(city, mother), _answers(mother, "partial", [mother, child]))
    assert not ProtectionHold.objects.filter(submission=case).exists()


def test_a_lifted_mark_holds_nothing_and_other_procedures_are_never_held(city, family):
    measure = family["wife"].support_measures.get()
    protection.lift(measure, Actor.system(), "申出の取下げ")
    case = _online(_account(city), _answers(family["wife"], "self"))
    assert not ProtectionHold.objects.filter(submission=case).exists()
    protection.mark(city, Actor.system(), family["wife"])
    procedure = catalog_for("demo")["dog-registration"]
    other = services.file_at_counter(family["wife"], procedure, procedure.current_form.version,
                                     {"owner_name": family["wife"].name}, {}, Actor.system(),
                                     visit_ref=uuid.uuid4(), in_person=False)
    assert not ProtectionHold.objects.filter(submission=other).exists()


def test_a_proxy_at_the_counter_for_a_protected_person_is_held(city, family, staff):
    """A 代理人 files in the protected person's name: the form is filled from her record."""
    wife = family["wife"]
    case = _counter(wife, _answers(wife, "self"), in_person=False, staff_user=staff["shimin-tanto"])
    assert case.resident == wife and case.channel == "counter"
    assert ProtectionHold.objects.get(submission=case).protected_ids == [wife.pk]


def test_the_protected_person_at_the_counter_in_person_is_not_held(city, family):
    wife = family["wife"]
    case = _counter(wife, _answers(wife, "self"), in_person=True)
    assert not ProtectionHold.objects.filter(submission=case).exists()
    head = family["head"]  # her household member at the counter, for the whole household: held
    case = _counter(head, _answers(head, "household"), in_person=True)
    assert ProtectionHold.objects.get(submission=case).protected_ids == [wife.pk]


def test_a_pending_hold_stops_every_step_but_withdrawal(city, family, staff):
    account = _account(city, family["head"])
    case = _online(account, _answers(family["head"], "household"))
    clerk = staff["shimin-tanto"]
    with pytest.raises(casework.CaseActionError) as refused:
        casework.accept(case, clerk, Actor.staff(clerk))
    assert refused.value.code == "protection-hold-pending"
    with pytest.raises(casework.CaseActionError) as refused:
        casework.return_for_correction(case, clerk, Actor.staff(clerk), "写真が不鮮明です", reason="attachment")
    assert refused.value.code == "protection-hold-pending"
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED and case.events.count() == 1
    services.withdraw(case, Actor.resident(account.pk))
    case.refresh_from_db()
    assert case.status == Status.WITHDRAWN


def test_the_fee_can_still_be_paid_while_held(city, family):
    account = _account(city, family["head"])
    answers = _answers(family["head"], "household") | {"purpose": "employment"}
    case = _online(account, answers)
    assert case.status == Status.AWAITING_PAYMENT and ProtectionHold.objects.get(submission=case).pending
    services.payment_received(case, Actor.system())
    assert case.status == Status.SUBMITTED


def test_the_guard_is_the_one_place(city, family):
    """No status of its own: workflow.TRANSITIONS is unchanged, the guard reads the hold."""
    case = _online(_account(city, family["head"]), _answers(family["head"], "household"))
    with pytest.raises(protection_holds.HeldForProtection):
        protection_holds.guard(case, "accept", {})
    protection_holds.guard(case, "withdraw", {})
    ProtectionHold.objects.filter(submission=case).update(state=ProtectionHold.State.REFUSED)
    protection_holds.guard(case, "accept", {})
    protection_holds.guard(case, "reject", {})
    protection_holds.guard(case, "propose_decision", {"outcome": "reject"})
    for action, detail in (("approve", {}), ("propose_decision", {"outcome": "approve"})):
        with pytest.raises(protection_holds.HeldForProtection) as refused:
            protection_holds.guard(case, action, detail)
        assert refused.value.code == "protection-hold-refused"


def test_a_city_procedure_for_the_fuhyo_is_held_when_listed(city, family, settings):
    """The rule is data: a city lists its own procedure (here the 戸籍 certificate stands in for
    a 附票 procedure with the same requester fields) with where its form names people."""
    wife = family["wife"]
    answers = {"requester_name": wife.name, "requester_kana": wife.kana,
               "requester_birth_date": wife.birth_date.isoformat()}
    case = _counter(wife, answers, in_person=False, code="family-register-certificate")
    assert not ProtectionHold.objects.filter(submission=case).exists()
    settings.MADOGUCHI_PROTECTED_CERTIFICATES = {"family-register-certificate": {"scope": ""}}
    case = _counter(wife, answers, in_person=False, code="family-register-certificate")
    assert ProtectionHold.objects.get(submission=case).protected_ids == [wife.pk]
    assert protection_holds.rule_for("family-register-attachment-copy").scope == ""


def test_the_audit_holds_no_names_or_numbers(city, family):
    case = _online(_account(city, family["head"]), _answers(family["head"], "partial", [family["wife"]]))
    for event in AuditEvent.objects.filter(target_id=str(case.public_id)):
        text = str(event.detail)
        for person in family.values():
            assert person.name not in text and person.kana not in text
            assert person.birth_date.isoformat() not in text and person.code not in text
        assert "本町" not in text


# --- the requester's side, through the pages ---------------------------------------------------

def _signed_online(client, account, card, changes: dict) -> Submission:
    """Through the pages: fill each step (`changes` over valid values), sign with the card."""
    login_resident(client, account)
    procedure = catalog_for("demo")[CERTIFICATE]
    client.post(reverse("applications:start", args=[CERTIFICATE]))
    draft = account.drafts.latest("id")
    for index, step in enumerate(procedure.current_form.steps):
        data = step_data(step)
        data |= {k: v for k, v in changes.items() if k in data}
        response = client.post(reverse("applications:step", args=[draft.public_id, index]), data)
        assert response.status_code == 302, response.content.decode()[:2000]
    client.post(reverse("applications:confirm", args=[draft.public_id]))
    draft.refresh_from_db()
    card_client_answer(draft.signing_challenge.public_id, card.signing_cert, card.sign)
    client.post(reverse("applications:sign", args=[draft.public_id]))
    return Submission.objects.get(draft=draft)


def test_the_requester_sees_only_the_usual_status(client, city, family, card):
    """Signed online (the card), for the whole household: held, and My Page, the case's page and
    the mail say 受付待ち as for any request, nothing of a 支援措置."""
    account = _account(city, family["head"])
    case = _signed_online(client, account, card, {"scope": "household", "purpose": "pension",
                                                  "delivery": "counter"})
    assert ProtectionHold.objects.get(submission=case).pending
    assert case.status == Status.SUBMITTED
    for url in (reverse("applications:mypage"), reverse("applications:submission", args=[case.public_id])):
        page = client.get(url).content.decode()
        assert "受付待ち" in page
        assert "支援措置" not in page and "protection" not in page.lower()
    deliver_pending()
    assert mail.outbox and all("支援措置" not in m.body and "支援措置" not in m.subject for m in mail.outbox)


def test_the_signature_names_the_protected_requester_herself(client, city, card):
    """No register link, but the verified signing certificate's 基本4情報 are hers: her own
    request is not held (another account signing with someone else's card would be)."""
    household = Household.objects.create(municipality=city, number="810003")
    whole, surname, given = kana_keys("タカハシ　サキコ")
    herself = Resident.objects.create(
        municipality=city, code="81000000021", household=household, relationship="世帯主",
        name="髙橋　﨑子", kana="タカハシ　サキコ", birth_date=date(1985, 7, 14), gender="2",
        address="東京都千代田区霞が関二丁目1番2号", address_detail="中央合同庁舎第2号館　窓口マンション1201号室",
        settled_on=date(2020, 4, 1), became_resident_on=date(2020, 4, 1), latest_reason="転入",
        kana_key=whole, surname_key=surname, given_key=given)
    protection.mark(city, Actor.system(), herself)
    typed = {"requester_kana": "タカハシ　サキコ", "requester_birth_date": "1985-07-14", "scope": "self",
             "purpose": "pension", "delivery": "counter"}
    case = _signed_online(client, _account(city), card, typed)
    assert not ProtectionHold.objects.filter(submission=case).exists()


def test_a_correction_naming_a_protected_person_is_held_again(city, family, staff):
    """After 差戻し the resident's corrected version adds the protected wife: held from then on."""
    account = _account(city, family["head"])
    answers = _answers(family["head"], "partial", [family["son"]])
    case = _online(account, answers)
    clerk = staff["shimin-tanto"]
    casework.return_for_correction(case, clerk, Actor.staff(clerk), "必要な人を確認してください", reason="missing")
    case.refresh_from_db()
    draft = services.start_correction(case, account)
    corrected = _answers(family["head"], "partial", [family["son"], family["wife"]])
    services._resubmit(draft, corrected, Actor.resident(account.pk))  # what submit_draft runs once signed
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    assert ProtectionHold.objects.get(submission=case).protected_ids == [family["wife"].pk]
    with pytest.raises(casework.CaseActionError):
        casework.accept(case, clerk, Actor.staff(clerk))


def test_a_protected_person_whose_birth_day_is_unknown_is_still_found(city, family):
    """日不詳 in the register (stored as the 1st): the day typed on the form still matches."""
    wife = family["wife"]
    Resident.objects.filter(pk=wife.pk).update(birth_date=date(1984, 6, 1), birth_date_precision="month")
    answers = _answers(family["head"], "partial", [wife])
    answers["persons"][0]["birth_date"] = "1984-06-20"
    case = _online(_account(city, family["head"]), answers)
    assert ProtectionHold.objects.get(submission=case).protected_ids == [wife.pk]


def test_a_wrong_setting_is_named_at_start_up(settings):
    from madoguchi.applications.apps import check_protected_certificates

    assert check_protected_certificates() == []
    settings.MADOGUCHI_PROTECTED_CERTIFICATES = {"city-fuhyo": {"scope": "", "people": "persons"},
                                                 "other": "persons"}
    problems = [e.msg for e in check_protected_certificates()]
    assert any("city-fuhyo" in p and "'people'" in p for p in problems)
    assert any("'other'" in p for p in problems)
    assert all(e.id == "madoguchi.E030" for e in check_protected_certificates())
    from django.core.exceptions import ImproperlyConfigured
    with pytest.raises(ImproperlyConfigured):
        protection_holds.rule_for("city-fuhyo")
    settings.MADOGUCHI_PROTECTED_CERTIFICATES = '{"city-fuhyo": {"scope": ""'  # the environment's JSON, cut
    assert [e.id for e in check_protected_certificates()] == ["madoguchi.E030"]
    settings.MADOGUCHI_PROTECTED_CERTIFICATES = '{"city-fuhyo": {"scope": ""}}'
    assert check_protected_certificates() == []
    assert protection_holds.rule_for("city-fuhyo").scope == ""
