"""The synthetic register: deterministic, and plausible enough to demo and benchmark with."""

import io
from collections import Counter
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from madoguchi.identity.card.mynumber import is_valid
from madoguchi.register.codes import HEAD
from madoguchi.register.models import Household, Movement, Resident
from madoguchi.register.names import GIVEN, SURNAMES
from madoguchi.register.synthetic import DEMO_HOUSEHOLD, REFERENCE_DATE, Generator


def _people(residents=3000, seed=11):
    return [p for household in Generator(seed).households(residents) for p in household]


def _age(born: date) -> int:
    on = REFERENCE_DATE
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def test_the_same_seed_gives_the_same_register():
    first, again, other = _people(seed=5), _people(seed=5), _people(seed=6)
    assert first == again
    assert [p.my_number for p in first] != [p.my_number for p in other]
    assert len(first) == 3000


def test_names_have_their_readings():
    surnames = {(k, r) for k, r, _ in SURNAMES}
    given = {(k, r) for names in GIVEN.values() for k, r, _ in names}
    people = _people()
    for person in people[4:]:
        surname, first = person.name.split("\u3000")
        surname_kana, first_kana = person.kana.split("\u3000")
        assert (surname, surname_kana) in surnames
        assert (first, first_kana) in given
    assert any(p.name.startswith(("髙橋", "山﨑", "渡邉")) for p in people)


def test_households_have_one_head_and_plausible_ages():
    households: dict[str, list] = {}
    for person in _people():
        households.setdefault(person.household, []).append(person)
    for members in households.values():
        assert [m.relationship for m in members].count(HEAD) == 1
        assert len({(m.address, m.address_detail) for m in members}) == 1
        head = members[0]
        assert head.relationship == HEAD and _age(head.birth_date) >= 18
        for child in (m for m in members if m.relationship == "子"):
            parents = [m for m in members if m.relationship in (HEAD, "妻", "夫")]
            assert all(_age(p.birth_date) - _age(child.birth_date) >= 18 for p in parents)
        for m in members:
            assert m.birth_date <= m.became_resident_on <= m.settled_on <= REFERENCE_DATE
    sizes = Counter(len(m) for m in households.values())
    assert sizes[1] > 0 and sizes[2] > 0 and sizes[4] > 0
    ages = [_age(p.birth_date) for p in _people()]
    assert min(ages) >= 0 and max(ages) <= 105
    assert 40 <= sum(ages) / len(ages) <= 52  # Japan's mean age is about 48


def test_my_numbers_are_valid_and_unique():
    numbers = [p.my_number for p in _people()]
    assert all(is_valid(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)


def test_the_fixed_demo_family_comes_first():
    family = next(Generator(99).households(10))
    assert [p.name for p in family] == ["山田\u3000太郎", "山田\u3000花子", "山田\u3000一郎", "山田\u3000さくら"]
    assert {p.household for p in family} == {DEMO_HOUSEHOLD}
    assert {p.latest_reason for p in family} == {"転入"}
    assert _age(family[3].birth_date) == 3 and 6 <= _age(family[2].birth_date) <= 12


@pytest.mark.django_db
def test_generate_command_writes_the_register_once(city):
    out = io.StringIO()
    call_command("register_generate", "--residents", "250", "--seed", "4", stdout=out)
    assert Resident.objects.filter(municipality=city).count() == 250
    assert not Household.objects.filter(municipality=city, head__isnull=True).exists()
    assert Movement.objects.filter(resident__municipality=city).count() >= 250
    call_command("register_generate", "--residents", "10", "--if-empty", stdout=io.StringIO())
    assert Resident.objects.filter(municipality=city).count() == 250
    with pytest.raises(CommandError):
        call_command("register_generate", "--residents", "10", stdout=io.StringIO())
