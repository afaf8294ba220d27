"""支援措置 in the register: a protected resident's address is masked on every look-up, shown
only to a 支援措置担当 who gives a reason (audited each time); marks have a period, are
extended and lifted with a record; the staff pages refuse everyone else."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from madoguchi.core.actors import Actor
from madoguchi.core.models import AuditEvent
from madoguchi.register import protection
from madoguchi.register.models import Resident, SupportMeasure
from madoguchi.register.seeding import generate_register
from madoguchi.register.selectors import find_by_kana, find_by_my_number, household_members

pytestmark = pytest.mark.django_db

TARO_BORN = date(1988, 5, 20)
TARO_NUMBER = "900000000117"
REASON = "counter-session:5"


@pytest.fixture
def register(city):
    generate_register(city, 60, seed=2)
    return city


@pytest.fixture
def taro(register):
    return Resident.objects.get(municipality=register, kana_key__startswith="ヤマダタロウ", birth_date=TARO_BORN)


@pytest.fixture
def support_user(staff):
    return staff["shimin-shien"]


@pytest.fixture
def support(support_user):
    return Actor.staff(support_user)


@pytest.fixture
def clerk(staff):
    return Actor.staff(staff["shimin-tanto"])


def test_a_mark_is_in_force_for_its_period_only(register, taro, support):
    today = protection.today_in_japan()
    [mark] = protection.mark(register, support, taro, starts_on=today + timedelta(days=1))
    assert mark.ends_on == today + timedelta(days=protection.DEFAULT_DAYS)
    assert not protection.is_protected(taro)
    assert protection.is_protected(taro, on=today + timedelta(days=1))
    assert not protection.is_protected(taro, on=mark.ends_on + timedelta(days=1))


def test_marking_the_household_marks_each_current_member(register, taro, support, clerk):
    made = protection.mark(register, support, taro, household=True, reference="R8-001")
    members = household_members(register, clerk, REASON, taro)
    assert {m.resident_id for m in made} == {m.pk for m in members}
    assert all(m.protected for m in members)
    assert {m.reference for m in made} == {"R8-001"}


def test_every_look_up_flags_the_protected_record_and_its_audit_names_it(register, taro, support, clerk):
    protection.mark(register, support, taro)
    found = find_by_kana(register, clerk, REASON, "ヤマダ タロウ", TARO_BORN)
    assert [r.protected for r in found] == [True]
    assert find_by_my_number(register, clerk, REASON, TARO_NUMBER).protected
    event = AuditEvent.objects.filter(action="register_lookup").latest("id")
    assert event.detail["protected"] == [taro.pk]


def test_the_person_the_protection_is_against_is_stored_encrypted(register, taro, support):
    [mark] = protection.mark(register, support, taro, against={"name": "加害 太郎", "birth_date": "1980-01-01"})
    assert "加害".encode() not in bytes(mark.against)
    assert protection.against_of(mark) == {"name": "加害 太郎", "birth_date": "1980-01-01"}
    event = AuditEvent.objects.get(action="support_measure_mark")
    assert "加害" not in str(event.detail) and event.detail["against_known"] is True


def test_reveal_needs_the_right_and_a_reason_and_is_audited_each_time(register, taro, support, clerk, staff):
    protection.mark(register, support, taro)
    with pytest.raises(protection.ProtectionRefused):
        protection.reveal(register, staff["shimin-tanto"], clerk, taro.pk, "転居届の確認")
    with pytest.raises(protection.ProtectionRefused):
        protection.reveal(register, staff["shimin-shien"], support, taro.pk, "  ")
    assert not AuditEvent.objects.filter(action="register_protected_view").exists()
    for _ in range(2):
        shown = protection.reveal(register, staff["shimin-shien"], support, taro.pk, "支援措置の延長審査")
        assert shown.address == taro.address
    events = AuditEvent.objects.filter(action="register_protected_view")
    assert events.count() == 2
    assert {e.detail["reason"] for e in events} == {"支援措置の延長審査"}
    assert all(e.subject_ref == taro.ref for e in events)


def test_extend_and_lift_are_recorded_and_a_lifted_mark_protects_no_more(register, taro, support):
    [mark] = protection.mark(register, support, taro)
    later = mark.ends_on + timedelta(days=365)
    protection.extend(mark, support, later)
    with pytest.raises(protection.ProtectionRefused):
        protection.extend(mark, support, later)  # not later than now
    with pytest.raises(protection.ProtectionRefused):
        protection.lift(mark, support, "")
    protection.lift(mark, support, "本人からの申出の取下げ")
    mark.refresh_from_db()
    assert mark.lifted_on == protection.today_in_japan() and mark.lifted_by == support.ref
    assert not protection.is_protected(taro)
    assert SupportMeasure.objects.filter(pk=mark.pk).exists()  # never deleted
    assert list(AuditEvent.objects.filter(target_type="support_measure").values_list("action", flat=True)
                .order_by("id")) == ["support_measure_mark", "support_measure_extend", "support_measure_lift"]
    with pytest.raises(protection.ProtectionRefused):
        protection.extend(mark, support, later + timedelta(days=1))


def test_an_end_before_the_start_is_refused(register, taro, support):
    with pytest.raises(protection.ProtectionRefused):
        protection.mark(register, support, taro, starts_on=date(2026, 4, 1), ends_on=date(2026, 3, 31))
    assert not SupportMeasure.objects.exists()


# --- the staff pages ----------------------------------------------------------------------------


def _search(client, **data):
    return client.post(reverse("register:search"), {"reason": "窓口受付 A-1", **data})


def test_the_look_up_page_masks_the_address_and_reveals_it_to_the_right_role(register, taro, support, client, staff):
    protection.mark(register, support, taro)
    client.force_login(staff["shimin-tanto"])
    page = _search(client, kana="ヤマダ タロウ", birth_date="1988-05-20").content.decode()
    assert f'data-protected="{taro.pk}"' in page
    assert taro.address not in page
    assert f'id="reveal-{taro.pk}"' not in page  # no right: no button
    refused = _search(client, reveal=str(taro.pk), reveal_reason="見たい")
    assert refused.status_code == 400 and taro.address not in refused.content.decode()

    client.force_login(staff["shimin-shien"])
    page = _search(client, kana="ヤマダ タロウ", birth_date="1988-05-20").content.decode()
    assert f'id="reveal-{taro.pk}"' in page and taro.address not in page
    assert _search(client, reveal=str(taro.pk), reveal_reason="").status_code == 400
    shown = _search(client, reveal=str(taro.pk), reveal_reason="DV支援の確認")
    assert shown.status_code == 200 and taro.address in shown.content.decode()
    assert AuditEvent.objects.filter(action="register_protected_view", subject_ref=taro.ref).count() == 1


def test_the_support_pages_are_for_the_support_role_only(register, taro, client, staff):
    client.force_login(staff["shimin-tanto"])
    assert client.get(reverse("register:support")).status_code == 403
    assert client.post(reverse("register:support_new", args=[taro.pk]), {}).status_code == 403
    assert not SupportMeasure.objects.exists()


def test_marking_extending_and_lifting_from_the_pages(register, taro, client, staff):
    client.force_login(staff["shimin-shien"])
    bad = client.post(reverse("register:support_new", args=[taro.pk]), {"ends_on": "いつか"})
    assert bad.status_code == 400 and not SupportMeasure.objects.exists()
    made = client.post(reverse("register:support_new", args=[taro.pk]),
                       {"starts_on": "", "ends_on": "", "reference": "R8-2", "household": "on",
                        "against_name": "加害 太郎", "against_birth_date": "3550101"})
    assert made.status_code == 302
    marks = SupportMeasure.objects.filter(reference="R8-2")
    assert marks.count() == 4  # the household
    mark = marks.get(resident=taro)
    assert protection.against_of(mark)["birth_date"] == "1980-01-01"  # the 7-digit 元号 code: 昭和55年1月1日
    page = client.get(reverse("register:support")).content.decode()
    assert f'id="measure-{mark.pk}"' in page and taro.address not in page
    client.post(reverse("register:support"), {"measure": mark.pk, "action": "extend", "ends_on": "2099-03-31"})
    mark.refresh_from_db()
    assert mark.ends_on == date(2099, 3, 31)
    assert client.post(reverse("register:support"), {"measure": mark.pk, "action": "lift"}).status_code == 400
    client.post(reverse("register:support"), {"measure": mark.pk, "action": "lift", "lift_reason": "申出の取下げ"})
    mark.refresh_from_db()
    assert mark.lifted_on is not None
