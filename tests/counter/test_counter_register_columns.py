"""The counter's bundle and the register's optional columns: 本籍 and 筆頭者 fill a 婚姻届 and an
出生届, a foreign resident's 国籍・地域 stands in the 本籍 the forms ask of them, a 生年月日 the
register knows only in part is never filled as a day, and a 転出予定 resident can be chosen."""

from datetime import date, timedelta

import pytest
import test_counter_services as base
from django.utils import timezone

from madoguchi.applications import prefill
from madoguchi.counter import bundle, services
from madoguchi.register.codes import DatePrecision, ResidentKind, Status
from madoguchi.register.models import Resident

pytestmark = pytest.mark.django_db

# The counter's services tests' fixtures: a demo city's clerk, a visit, the 山田 family.
clerk, actor, family, visit = base.clerk, base.actor, base.family, base.visit

DOMICILE = "東京都千代田区千代田1番"


def _with_domicile(family):
    Resident.objects.filter(household=family["head"].household).update(
        domicile=DOMICILE, domicile_head=family["head"].name)
    for person in family.values():
        person.refresh_from_db()


def _bundle(visit, actor, event, code):
    base._answer_first_options(services.start_event(visit, event), timezone.localdate() - timedelta(days=1))
    visit.refresh_from_db()
    entries = bundle.build(visit, actor)
    return next(e for e in entries if e.procedure.code == code), visit


def test_a_marriage_visit_fills_each_sides_domicile_from_the_register(visit, actor, family):
    _with_domicile(family)
    wife = family["wife"]
    Resident.objects.filter(pk=wife.pk).update(relationship="妻（未届）", domicile="大阪府大阪市北区中之島1丁目3番20号",
                                               domicile_head="佐藤\u3000一")
    services.choose(visit, actor, family["head"].pk)
    entry, visit = _bundle(visit, actor, "marriage", "marriage-registration")
    assert entry.answers["husband_domicile"] == DOMICILE
    assert entry.answers["husband_domicile_head"] == family["head"].name
    assert entry.answers["wife_domicile"] == "大阪府大阪市北区中之島1丁目3番20号"  # living with him, 未届
    assert entry.answers["wife_domicile_head"] == "佐藤\u3000一"
    form = visit.forms.get(procedure_code="marriage-registration")
    assert form.sources["husband_domicile"] == form.sources["wife_domicile_head"] == prefill.REGISTER


def test_a_marriage_visit_leaves_the_other_side_to_the_clerk(visit, actor, family):
    _with_domicile(family)  # 花子 is 妻, already married: not the one he marries now
    services.choose(visit, actor, family["wife"].pk)
    entry, _ = _bundle(visit, actor, "marriage", "marriage-registration")
    assert entry.answers["wife_domicile"] == DOMICILE
    assert "husband_domicile" not in entry.answers and "husband_domicile" in entry.blanks


def test_a_birth_visit_fills_the_parents_domicile_and_head(visit, actor, family):
    _with_domicile(family)
    services.choose(visit, actor, family["wife"].pk)
    entry, _ = _bundle(visit, actor, "birth", "birth-registration")
    assert entry.answers["domicile"] == DOMICILE
    assert entry.answers["domicile_head"] == family["head"].name
    assert entry.answers["notifier_domicile"] == DOMICILE


def test_a_foreign_parents_domicile_field_gets_the_nationality_and_no_head(visit, actor, family):
    Resident.objects.filter(pk=family["wife"].pk).update(kind=ResidentKind.FOREIGN, nationality="ベトナム",
                                                         residence_card_number="AB12345678CD")
    services.choose(visit, actor, family["wife"].pk)
    entry, _ = _bundle(visit, actor, "birth", "birth-registration")
    assert entry.answers["domicile"] == "ベトナム"
    assert "domicile_head" not in entry.answers


def test_a_birth_date_known_in_part_is_never_filled_as_a_day(visit, actor, family):
    head = family["head"]
    Resident.objects.filter(pk=head.pk).update(birth_date=date(head.birth_date.year, 1, 1),
                                               birth_date_precision=DatePrecision.YEAR)
    head.refresh_from_db()
    assert prefill.FROM_REGISTER["applicant_birth_date"](head) == ""
    assert prefill.birth_date_of(head) == ""
    assert prefill.birth_date_of(family["wife"]) == family["wife"].birth_date.isoformat()
    services.choose(visit, actor, head.pk)
    entry, _ = _bundle(visit, actor, "birth", "birth-registration")
    assert entry.answers["notifier_name"] == head.name  # the rest of him is filled
    assert "notifier_birth_date" not in entry.answers and "notifier_birth_date" in entry.blanks
    for value in entry.answers.values():
        assert head.birth_date.isoformat() not in str(value)


def test_a_resident_moving_out_can_be_chosen_one_removed_cannot(visit, actor, family):
    head, wife = family["head"], family["wife"]
    Resident.objects.filter(pk=head.pk).update(status=Status.MOVING_OUT, moving_out_on=timezone.localdate())
    Resident.objects.filter(pk=wife.pk).update(status=Status.REMOVED, latest_reason="職権消除")
    assert services.choose(visit, actor, head.pk).pk == head.pk
    with pytest.raises(services.VisitRefused):
        services.choose(visit, actor, wife.pk)
    found = services.search_by_kana(visit, actor, "ヤマダ", None)
    assert head in found and wife not in found


def test_the_movers_nationality_and_domicile_come_from_the_register(visit, actor, family):
    _with_domicile(family)
    Resident.objects.filter(pk=family["wife"].pk).update(kind=ResidentKind.FOREIGN, domicile="", domicile_head="",
                                                         nationality="ベトナム", residence_card_number="AB12345678CD")
    Resident.objects.filter(pk=family["daughter"].pk).update(domicile="", domicile_head="")  # the file says nothing
    day = timezone.localdate() - timedelta(days=3)
    entries = {e.procedure.code: e for e in base._moving_in_visit(visit, actor, family, day)}
    movers = {m["name"]: m for m in entries["moving-in"].answers["movers"]}
    head, wife, daughter = (movers[family[k].name] for k in ("head", "wife", "daughter"))
    assert (head["nationality"], head["domicile"], head["domicile_head"]) == ("japanese", DOMICILE, family["head"].name)
    assert (wife["nationality"], wife["country"], wife["residence_card_number"]) == ("foreign", "ベトナム", "AB12345678CD")
    assert "domicile" not in wife
    assert "nationality" not in daughter  # no 本籍 and no 住民種別 known: the clerk asks


@pytest.mark.parametrize(("born", "precision", "surely"), [
    (date(1990, 6, 15), "day", True),
    (date(2006, 1, 1), "year", False),  # 20 on 1 January, or not yet until 31 December
    (date(2006, 1, 1), "month", True),  # 20 since January whatever the day
    (date(1966, 12, 1), "month", False),  # turns 60 some day in December
])
def test_the_pension_kind_is_filled_only_when_a_partly_unknown_birth_date_settles_the_age(born, precision, surely):
    from types import SimpleNamespace

    from madoguchi.counter.bundle import ADULT_PENSION_AGES, _surely_aged

    person = SimpleNamespace(birth_date=born, birth_date_precision=precision)
    assert _surely_aged(person, date(2026, 12, 15), ADULT_PENSION_AGES) is surely
