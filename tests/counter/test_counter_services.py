"""The counter session's services: identify, build the bundle, fill blanks, confirm, sign."""

import base64
from datetime import date, timedelta

import pytest
from django.utils import timezone

from madoguchi.applications import engine
from madoguchi.core.actors import Actor
from madoguchi.core.crypto import decrypt_bytes, encrypt_bytes
from madoguchi.core.models import AuditEvent
from madoguchi.counter import bundle, services
from madoguchi.counter.models import Identified, Source, VisitStatus
from madoguchi.identity.card.mynumber import generate as new_my_number
from madoguchi.identity.card.pkcs11 import CardFace
from madoguchi.navigator import services as navigator
from madoguchi.register.keys import kana_keys, my_number_hash
from madoguchi.register.models import Household, Resident

ADDRESS = "デモ市中央町1番2号"
# A 1x1 PNG: what the tablet's canvas sends, in miniature.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def _years_ago(years: int) -> date:
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28))


def _person(city, household, relationship, name, kana, born, gender, code):
    whole, surname, given = kana_keys(kana)
    number = new_my_number()
    return Resident.objects.create(
        municipality=city, code=code, household=household, relationship=relationship, name=name,
        kana=kana, birth_date=born, gender=gender, address=ADDRESS, postal_code="8920816",
        settled_on=timezone.localdate(), became_resident_on=timezone.localdate(),
        latest_reason="転入", previous_address="東京都千代田区千代田1番1号",
        my_number=encrypt_bytes(number.encode(), city), my_number_hash=my_number_hash(number),
        kana_key=whole, surname_key=surname, given_key=given)


@pytest.fixture
def family(city):
    """A family that moved in: the parents and two children, one household."""
    household = Household.objects.create(municipality=city, number="900001")
    people = {
        "head": _person(city, household, "世帯主", "山田\u3000太郎", "ヤマダ　タロウ", _years_ago(40), "1", "90000000001"),
        "wife": _person(city, household, "妻", "山田\u3000花子", "ヤマダ　ハナコ", _years_ago(38), "2", "90000000002"),
        "son": _person(city, household, "子", "山田\u3000一郎", "ヤマダ　イチロウ", _years_ago(8), "1", "90000000003"),
        "daughter": _person(city, household, "子", "山田\u3000桜", "ヤマダ　サクラ", _years_ago(2), "2", "90000000004"),
    }
    household.head = people["head"]
    household.save()
    return people


@pytest.fixture
def clerk(staff):
    return staff["shimin-tanto"]


@pytest.fixture
def actor(clerk):
    return Actor.staff(clerk)


@pytest.fixture
def visit(city, clerk, actor):
    return services.start_visit(city, clerk, actor)


MOVING_IN = {"kind": ["from_other_city"], "household": ["family"], "card": ["yes"],
             "online_moving_out": ["no"], "insurance": ["nhi"], "pension": ["none"],
             "children": ["age_0_2", "elementary"], "daycare": ["no"], "care_cert": ["no"], "dog": ["yes"],
             "licence": ["no"], "car": ["none"], "seal": ["no"], "oldest": ["under65"], "rearing_allowance": ["no"],
             "school_aid": ["no"], "pregnant": ["no"], "disability": ["no"], "moped": ["no"]}


def _answer_all(plan, answers, day):
    while (question := navigator.next_question(plan)) is not None:
        values = [day.isoformat()] if question.id == "day" else answers[question.id]
        assert navigator.answer(plan, question.id, values) == [], question.id


def _moving_in_visit(visit, actor, family, day):
    services.choose(visit, actor, family["head"].pk)
    plan = services.start_event(visit, "moving")
    _answer_all(plan, MOVING_IN, day)
    visit.refresh_from_db()
    return bundle.build(visit, actor)


def test_card_face_identifies_the_visitor_and_is_audited_with_the_visit(visit, actor, family):
    head = family["head"]
    number = decrypt_bytes(head.my_number).decode()
    face = CardFace(name=head.name, address=ADDRESS, birth_date=head.birth_date.isoformat(),
                    gender="1", my_number=number)
    assert services.identify_by_card(visit, actor, face) == head
    visit.refresh_from_db()
    assert visit.visitor == head and visit.identified_by == Identified.CARD
    lookup = AuditEvent.objects.get(action="register_lookup")
    assert lookup.detail["reason"] == f"counter-session:{visit.pk}"
    assert number not in str(lookup.detail)


def test_an_unknown_card_is_refused_with_a_plain_message(visit, actor, family):
    face = CardFace(name="佐藤 次郎", address=ADDRESS, birth_date="1970-01-01", gender="1", my_number="")
    with pytest.raises(services.VisitRefused, match="フリガナと生年月日"):
        services.identify_by_card(visit, actor, face)
    visit.refresh_from_db()
    assert visit.visitor is None


def test_kana_search_then_choice_and_a_proxy_for_another_resident(visit, actor, family, city):
    found = services.search_by_kana(visit, actor, "やまだ はなこ", family["wife"].birth_date)
    assert found == [family["wife"]]
    services.choose(visit, actor, family["wife"].pk, represented=True)
    services.set_proxy(visit, "佐藤 次郎", "兄")
    visit.refresh_from_db()
    assert visit.subject == family["wife"] and visit.visitor is None
    assert (visit.proxy_name, visit.proxy_relationship) == ("佐藤 次郎", "兄")
    with pytest.raises(services.VisitRefused):
        services.set_proxy(visit, "佐藤 次郎", "")


def test_another_citys_resident_cannot_be_chosen(visit, actor, family, other_city):
    household = Household.objects.create(municipality=other_city, number="1")
    stranger = _person(other_city, household, "世帯主", "鈴木 一", "スズキ　ハジメ", _years_ago(30), "1", "1")
    with pytest.raises(services.VisitRefused):
        services.choose(visit, actor, stranger.pk)


def test_moving_in_bundle_is_prefilled_from_register_and_navigator(visit, actor, family):
    day = timezone.localdate() - timedelta(days=3)
    entries = {e.procedure.code: e for e in _moving_in_visit(visit, actor, family, day)}
    assert {"moving-in", "nhi-enrollment", "child-allowance-claim", "child-medical-subsidy",
            "dog-registration-change"} <= set(entries)
    assert all(e.procedure.channel in ("counter", "online") for e in entries.values())

    moving_in = entries["moving-in"]
    assert moving_in.answers["new_address"] == ADDRESS
    assert moving_in.answers["moved_date"] == day.isoformat()
    assert moving_in.answers["previous_place"] == "domestic"
    assert [m["name"] for m in moving_in.answers["movers"]] == ["山田\u3000太郎", "山田\u3000花子", "山田\u3000一郎", "山田\u3000桜"]
    assert {m["relationship"] for m in moving_in.answers["movers"]} == {"世帯主", "妻", "子"}
    assert moving_in.form.sources["moved_date"] == Source.NAVIGATOR
    assert moving_in.form.sources["movers-0-name"] == Source.REGISTER

    nhi = entries["nhi-enrollment"]
    assert nhi.answers["reason"] == "moved_in"
    assert nhi.answers["head_my_number"] == decrypt_bytes(family["head"].my_number).decode()
    assert {m["relationship"] for m in nhi.answers["members"]} == {"head", "spouse", "child"}

    allowance = entries["child-allowance-claim"]
    assert allowance.answers["has_spouse"] == "yes"
    assert allowance.answers["spouse_name"] == "山田\u3000花子"
    assert [c["name"] for c in allowance.answers["children"]] == ["山田\u3000一郎", "山田\u3000桜"]
    assert all(c["relationship"] == "child" and c["living"] == "together"
               for c in allowance.answers["children"])
    assert "children-0-name" not in allowance.blanks
    assert "bank_name" in allowance.blanks  # nobody knows the account: the clerk asks
    assert "account_proof" not in allowance.blanks  # papers are checked at the counter

    dog = entries["dog-registration-change"]
    assert dog.answers["change_kind"] == "moved_in"
    assert dog.answers["owner_name"] == "山田\u3000太郎"

    visit.refresh_from_db()
    assert visit.fields_prefilled == sum(len(e.form.sources) for e in entries.values()) > 40
    assert visit.fields_written_by_visitor == 0
    assert visit.event == "moving" and visit.answers["insurance"] == "nhi"


def test_papers_read_as_checked_at_the_counter_not_as_blanks(visit, actor, family):
    entries = _moving_in_visit(visit, actor, family, timezone.localdate())
    allowance = next(e for e in entries if e.procedure.code == "child-allowance-claim")
    form = allowance.procedure.current_form
    rows = dict(engine.flat_rows(form, bundle.for_display(form, allowance.answers)))
    assert rows["請求者名義の口座が確認できるもの"] == bundle.PAPERS_AT_COUNTER
    assert rows["口座番号"] == "（未入力）"  # a real blank stays one
    assert "account_proof" not in bundle.answers_of(allowance.form)  # only the display changes


def test_moving_in_alone_lists_only_the_visitor_as_mover(visit, actor, family):
    services.choose(visit, actor, family["wife"].pk)
    plan = services.start_event(visit, "moving")
    _answer_all(plan, {**MOVING_IN, "household": ["alone"]}, timezone.localdate())
    visit.refresh_from_db()
    moving_in = next(e for e in bundle.build(visit, actor) if e.procedure.code == "moving-in")
    assert [m["name"] for m in moving_in.answers["movers"]] == [family["wife"].name]
    assert moving_in.answers["household_head_name"] == family["head"].name


def test_household_look_up_for_the_bundle_is_audited_with_the_visit(visit, actor, family):
    _moving_in_visit(visit, actor, family, timezone.localdate())
    household = AuditEvent.objects.get(action="register_lookup", target_id="household")
    assert household.detail["reason"] == visit.ref
    assert sorted(household.detail["matched"]) == sorted(p.pk for p in family.values())


def test_without_a_visitor_only_the_navigator_fills(visit, actor):
    plan = services.start_event(visit, "moving")
    _answer_all(plan, MOVING_IN, timezone.localdate())
    visit.refresh_from_db()
    nhi = next(e for e in bundle.build(visit, actor) if e.procedure.code == "nhi-enrollment")
    assert nhi.answers == {"reason": "moved_in", "start_date": timezone.localdate().isoformat()}
    assert "head_name" in nhi.blanks


def test_a_qr_plan_is_loaded_by_token_and_an_unknown_token_refused(visit, actor, family, city):
    plan = navigator.start_plan(city, "moving")
    _answer_all(plan, MOVING_IN, timezone.localdate())
    with pytest.raises(services.VisitRefused):
        services.load_plan(visit, "not-a-token")
    assert services.load_plan(visit, plan.token) == plan
    services.choose(visit, actor, family["head"].pk)
    visit.refresh_from_db()
    assert "moving-in" in {e.procedure.code for e in bundle.build(visit, actor)}


def test_a_plan_of_another_city_is_not_found(visit, other_city):
    plan = navigator.start_plan(other_city, "moving")
    with pytest.raises(services.VisitRefused):
        services.load_plan(visit, plan.token)


def test_clerk_fills_blanks_counted_and_checked(visit, actor, family):
    entries = _moving_in_visit(visit, actor, family, timezone.localdate())
    allowance = next(e for e in entries if e.procedure.code == "child-allowance-claim")
    typed = {"claimant_phone": "160時間", "bank_name": "デモ銀行", "claimant_occupation": "会社員"}
    errors = bundle.fill_blanks(allowance.form, allowance.procedure, typed, actor)
    assert set(errors) == {"claimant_phone"}
    # One wrong value loses nothing: the others are stored, the wrong one kept as typed.
    kept = next(e for e in bundle.entries(visit) if e.form.pk == allowance.form.pk)
    assert kept.answers["bank_name"] == "デモ銀行" and kept.answers["claimant_occupation"] == "会社員"
    assert kept.form.sources["bank_name"] == Source.CLERK
    assert kept.raw == {"claimant_phone": "160時間"} and "claimant_phone" not in kept.answers
    assert kept.blanks["claimant_phone"] == errors["claimant_phone"]  # still to fix, saying why
    assert "bank_name" not in kept.blanks and engine.RAW not in kept.answers
    visit.refresh_from_db()
    assert visit.fields_typed_by_clerk == 2
    with pytest.raises(services.VisitRefused):
        services.confirm(visit, actor)  # a value kept as typed is not an answer

    values = {"claimant_phone": "099-224-1111", "bank_name": "デモ銀行", "children-1-relationship": "adopted"}
    assert bundle.fill_blanks(allowance.form, allowance.procedure, values, actor) == {}
    allowance.form.refresh_from_db()
    answers = bundle.answers_of(allowance.form)
    assert answers["bank_name"] == "デモ銀行" and answers["children"][1]["relationship"] == "adopted"
    assert answers["claimant_phone"] == "0992241111" and engine.RAW not in answers
    assert allowance.form.sources["claimant_phone"] == Source.CLERK
    assert allowance.form.sources["children-1-relationship"] == Source.CLERK
    visit.refresh_from_db()
    assert visit.fields_typed_by_clerk == 4  # the bank typed again, unchanged, counts once
    assert bundle.fill_blanks(allowance.form, allowance.procedure, {"account_proof": "x"}, actor)


def test_a_rebuild_keeps_what_the_clerk_typed(visit, actor, family):
    entries = _moving_in_visit(visit, actor, family, timezone.localdate())
    visit.refresh_from_db()
    prefilled = visit.fields_prefilled
    allowance = next(e for e in entries if e.procedure.code == "child-allowance-claim")
    values = {"bank_name": "デモ銀行", "children-0-relationship": "adopted"}
    assert bundle.fill_blanks(allowance.form, allowance.procedure, values, actor) == {}
    rebuilt = next(e for e in bundle.build(visit, actor) if e.procedure.code == "child-allowance-claim")
    assert rebuilt.answers["bank_name"] == "デモ銀行"
    assert rebuilt.answers["children"][0]["relationship"] == "adopted"
    assert rebuilt.form.sources["children-0-relationship"] == Source.CLERK
    visit.refresh_from_db()
    assert visit.fields_prefilled == prefilled - 1  # the relationship is the clerk's now


def test_a_rebuild_and_a_dropped_item_keep_what_was_typed_wrong(visit, actor, family):
    entries = _moving_in_visit(visit, actor, family, timezone.localdate())
    subsidy = next(e for e in entries if e.procedure.code == "child-medical-subsidy")
    typed = {"children-1-insurance_kind": "bogus", "guardian_phone": "160時間"}
    assert set(bundle.fill_blanks(subsidy.form, subsidy.procedure, typed, actor)) == set(typed)
    rebuilt = next(e for e in bundle.build(visit, actor) if e.procedure.code == "child-medical-subsidy")
    assert rebuilt.raw == typed
    bundle.drop_item(rebuilt.form, "children", 0, actor)  # the second child's typing moves up
    dropped = next(e for e in bundle.entries(visit) if e.form.pk == rebuilt.form.pk)
    assert dropped.raw == {"children-0-insurance_kind": "bogus", "guardian_phone": "160時間"}
    assert "children-0-insurance_kind" in dropped.blanks and "children-1-insurance_kind" not in dropped.blanks


def _answer_first_options(plan, day):
    while (question := navigator.next_question(plan)) is not None:
        if question.type == "date":
            values = [day.isoformat()]
        elif question.type == "yesno":
            values = ["no"]
        else:
            values = [question.options[0].value]
        assert navigator.answer(plan, question.id, values) == [], question.id


def test_an_okuyami_visit_the_family_member_notifies_the_death(visit, actor, family):
    wife, head = family["wife"], family["head"]
    face = CardFace(name=wife.name, address=ADDRESS, birth_date=wife.birth_date.isoformat(), gender="2",
                    my_number=decrypt_bytes(wife.my_number).decode())
    services.identify_by_card(visit, actor, face)
    services.choose(visit, actor, head.pk, represented=True)
    services.set_proxy(visit, wife.name, "妻")
    day = timezone.localdate() - timedelta(days=1)
    _answer_first_options(services.start_event(visit, "death"), day)
    visit.refresh_from_db()
    death = next(e for e in bundle.build(visit, actor) if e.procedure.code == "death-registration")
    assert death.answers["deceased_name"] == head.name
    assert death.answers["deceased_birth_date"] == head.birth_date.isoformat()
    assert death.answers["deceased_sex"] == "male"
    assert death.answers["death_date"] == day.isoformat()
    assert death.answers["notifier_name"] == wife.name  # the one who came, not the deceased
    assert death.answers["notifier_birth_date"] == wife.birth_date.isoformat()
    assert "death_place" in death.blanks


def _fill_every_blank(visit, actor):
    """What the clerk would type: a valid value for every blank."""
    samples = {"phone": "099-224-1111", "date": "2020-04-01", "kana": "ヤマダ　タロウ",
               "name": "山田\u3000太郎", "address": ADDRESS, "text": "デモ", "postal_code": "8920816",
               "my_number": new_my_number(), "checkbox": True, "number": "60"}
    for entry in bundle.entries(visit):
        form = entry.procedure.form(entry.form.form_version)
        while entry.blanks:
            values = {}
            for path in entry.blanks:
                field = bundle.field_at(form, path)
                if field.id == "account_number":
                    values[path] = "1234567"
                else:
                    values[path] = field.options[0].value if field.options else samples[field.type]
            assert bundle.fill_blanks(entry.form, entry.procedure, values, actor) == {}
            entry.form.refresh_from_db()
            entry = next(e for e in bundle.entries(visit) if e.form.pk == entry.form.pk)


def test_confirm_needs_no_blanks_then_the_visitor_signs_once(visit, actor, family):
    _moving_in_visit(visit, actor, family, timezone.localdate())
    with pytest.raises(services.VisitRefused, match="入力されていない"):
        services.confirm(visit, actor)
    with pytest.raises(services.VisitRefused):
        services.sign(visit, actor, PNG)
    _fill_every_blank(visit, actor)
    services.confirm(visit, actor)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CHECKED
    with pytest.raises(bundle.BundleRefused):
        bundle.build(visit, actor)
    with pytest.raises(services.VisitRefused):
        services.sign(visit, actor, b"GIF89a not a png")
    signature = services.sign(visit, actor, PNG)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SIGNED and visit.signed_at is not None
    assert decrypt_bytes(signature.image) == PNG and bytes(signature.image) != PNG
    assert visit.fields_written_by_visitor == 0
    with pytest.raises(services.VisitRefused):
        services.sign(visit, actor, PNG)


def test_a_group_short_of_its_minimum_is_typed_item_by_item(visit, actor, family):
    """The two witnesses of a 婚姻届 are nobody in the register: the clerk types them."""
    from madoguchi.catalog.selectors import get_procedure
    from madoguchi.core.crypto import encrypt_json
    from madoguchi.counter.models import VisitForm

    procedure = get_procedure(visit.municipality, "marriage-registration")
    form = procedure.current_form
    visit_form = VisitForm.objects.create(visit=visit, procedure_code=procedure.code,
                                          form_version=form.version, answers=encrypt_json({}, visit.municipality))
    missing = bundle.blanks(form, {})
    assert "witnesses" not in missing
    assert {"witnesses-0-name", "witnesses-1-name", "witnesses-1-domicile"} <= set(missing)
    assert bundle.label_of(form, "witnesses-1-name").endswith("2 氏名")
    witness = {"name": "鈴木\u3000一", "birth_date": "1970-01-01", "address": ADDRESS, "domicile": ADDRESS}
    values = {f"witnesses-{i}-{k}": v for i in range(2) for k, v in witness.items()}
    assert bundle.fill_blanks(visit_form, procedure, values, actor) == {}
    visit_form.refresh_from_db()
    answers = bundle.answers_of(visit_form)
    assert [w["name"] for w in answers["witnesses"]] == ["鈴木\u3000一", "鈴木\u3000一"]
    assert not any(path.startswith("witnesses") for path in bundle.blanks(form, answers))


def test_the_phone_and_the_bank_account_are_typed_once_for_the_whole_visit(visit, actor, family):
    entries = {e.procedure.code: e for e in _moving_in_visit(visit, actor, family, timezone.localdate())}
    nhi = entries["nhi-enrollment"]
    assert nhi.answers["previous_municipality"] == "東京都千代田区"  # read off the 前住所
    assert nhi.form.sources["previous_municipality"] == Source.REGISTER
    phones = {"moving-in": "notifier_phone", "nhi-enrollment": "phone",
              "child-allowance-claim": "claimant_phone", "child-medical-subsidy": "guardian_phone",
              "dog-registration-change": "owner_phone"}
    assert all(path in entries[code].blanks for code, path in phones.items())
    moving_in = entries["moving-in"]
    assert bundle.fill_blanks(moving_in.form, moving_in.procedure, {"notifier_phone": "0992241111"},
                              actor) == {}
    account = {"bank_name": "デモ銀行", "branch_name": "本店", "account_type": "ordinary",
               "account_number": "1234567"}
    claim = entries["child-allowance-claim"]
    # Both pay only into the applicant's own account: its 名義 is the applicant's フリガナ.
    for code in ("child-allowance-claim", "child-medical-subsidy"):
        assert entries[code].answers["account_holder_kana"] == family["head"].kana
        assert entries[code].form.sources["account_holder_kana"] == Source.REGISTER
    assert bundle.fill_blanks(claim.form, claim.procedure, account, actor) == {}

    after = {e.procedure.code: e for e in bundle.entries(visit)}
    for code, path in phones.items():
        assert after[code].answers[path] == after["moving-in"].answers["notifier_phone"]
        assert path not in after[code].blanks and after[code].form.sources[path] == Source.CLERK
    subsidy = after["child-medical-subsidy"]
    assert {k: subsidy.answers[k] for k in account} == {k: after["child-allowance-claim"].answers[k]
                                                        for k in account}
    visit.refresh_from_db()
    assert visit.fields_typed_by_clerk == 1 + len(account)  # typed once, not once per form


def test_who_made_the_form_is_known_from_who_came(visit, actor, family, city, clerk):
    entries = {e.procedure.code: e for e in _moving_in_visit(visit, actor, family, timezone.localdate())}
    assert entries["moving-in"].answers["notifier_type"] == "self"  # the head, who moved in
    assert entries["nhi-enrollment"].answers["notifier"] == "head"
    assert entries["moving-in"].form.sources["notifier_type"] == Source.REGISTER

    okuyami = services.start_visit(city, clerk, actor)
    services.choose(okuyami, actor, family["wife"].pk)
    services.choose(okuyami, actor, family["head"].pk, represented=True)
    _answer_first_options(services.start_event(okuyami, "death"), timezone.localdate())
    okuyami.refresh_from_db()
    death = next(e for e in bundle.build(okuyami, actor) if e.procedure.code == "death-registration")
    assert death.answers["notifier_role"] == "relative_cohabiting"  # his wife, same household

    by_proxy = services.start_visit(city, clerk, actor)
    services.choose(by_proxy, actor, family["head"].pk, represented=True)
    services.set_proxy(by_proxy, "佐藤\u3000一", "友人")
    _answer_all(services.start_event(by_proxy, "moving"), MOVING_IN, timezone.localdate())
    by_proxy.refresh_from_db()
    moving_in = next(e for e in bundle.build(by_proxy, actor) if e.procedure.code == "moving-in")
    assert moving_in.answers["notifier_type"] == "proxy"
    assert "proxy_address" in moving_in.blanks  # the 代理人's own address: the clerk asks
