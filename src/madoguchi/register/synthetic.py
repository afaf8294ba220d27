"""A synthetic register for demos and benchmarks: a Kagoshima-sized city in デモ市.

Households are drawn by type (single, elderly single, couple, couple with children, single
parent, three generations) with ages from a population pyramid, names with correct readings,
addresses with 町名・丁目・番地, move histories and well-formed 個人番号 (valid check digit,
drawn at random: they belong to nobody). The same seed gives the same register, and a fixed
demo household comes first (docs/register.md lists it).

ja-only file: demo data (synthetic households, names, addresses and 続柄 codes).
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate

from madoguchi.identity.card.mynumber import check_digit
from madoguchi.register.codes import HEAD, Gender, Reason
from madoguchi.register.names import BUILDINGS, GIVEN, OTHER_CITIES, PYRAMID, SURNAMES, TOWNS

REFERENCE_DATE = date(2026, 10, 1)  # ages and dates are counted from this day, not today
CITY = "デモ市"
SPACE = "\u3000"


@dataclass(slots=True)
class Person:
    household: str
    code: str
    relationship: str
    name: str
    kana: str
    birth_date: date
    gender: str
    address: str
    address_detail: str
    postal_code: str
    settled_on: date
    became_resident_on: date
    latest_reason: str
    previous_address: str
    my_number: str
    notified_on: date | None = None
    history: list = field(default_factory=list)  # (moved_on, reason, previous, new), oldest first


# --- the fixed demo household: a 転入 family of four (and a dog, registered separately) -------

DEMO_HOUSEHOLD = "00000001"
DEMO_ADDRESS = ("デモ市本町2丁目3番4号", "", "9990001")
DEMO_PREVIOUS = "福岡県福岡市中央区天神一丁目1番1号"
DEMO_MOVED_ON, DEMO_NOTIFIED_ON = date(2026, 9, 28), date(2026, 10, 1)
DEMO_FAMILY = [  # relationship, name, kana, birth date, gender, first 11 digits of the 個人番号
    (HEAD, "山田\u3000太郎", "ヤマダ\u3000タロウ", date(1988, 5, 20), Gender.MALE, "90000000011"),
    ("妻", "山田\u3000花子", "ヤマダ\u3000ハナコ", date(1990, 8, 3), Gender.FEMALE, "90000000022"),
    ("子", "山田\u3000一郎", "ヤマダ\u3000イチロウ", date(2017, 7, 15), Gender.MALE, "90000000033"),
    ("子", "山田\u3000さくら", "ヤマダ\u3000サクラ", date(2023, 4, 10), Gender.FEMALE, "90000000044"),
]


def demo_household() -> list[Person]:
    address, detail, postal = DEMO_ADDRESS
    people = []
    for i, (relationship, name, kana, born, gender, first11) in enumerate(DEMO_FAMILY, start=1):
        people.append(Person(
            household=DEMO_HOUSEHOLD, code=f"9{i:010d}", relationship=relationship, name=name,
            kana=kana, birth_date=born, gender=gender, address=address, address_detail=detail,
            postal_code=postal, settled_on=DEMO_MOVED_ON, became_resident_on=DEMO_MOVED_ON,
            latest_reason=Reason.MOVE_IN, previous_address=DEMO_PREVIOUS,
            my_number=first11 + str(check_digit(first11)), notified_on=DEMO_NOTIFIED_ON,
            history=[(DEMO_MOVED_ON, Reason.MOVE_IN, DEMO_PREVIOUS, address)]))
    return people


# --- drawing --------------------------------------------------------------------------------

_YEAR_WEIGHTS = [PYRAMID[min(age // 5, len(PYRAMID) - 1)] for age in range(105)]
_TYPES = [("single", 20), ("elderly_single", 18), ("couple", 26), ("couple_children", 22),
          ("single_parent", 8), ("three_generations", 6)]
_TYPE_NAMES = [t for t, _ in _TYPES]
_TYPE_CUM = list(accumulate(w for _, w in _TYPES))
_SURNAME_CUM = list(accumulate(w for *_, w in SURNAMES))


@lru_cache(maxsize=256)
def _ages(lo: int, hi: int) -> tuple[list[int], list[int]]:
    ages = list(range(lo, hi + 1))
    return ages, list(accumulate(_YEAR_WEIGHTS[a] for a in ages))


def _generation(born: date) -> str:
    return "old" if born.year < 1960 else "mid" if born.year < 1990 else "new"


class Generator:
    """Draws households one at a time; `households()` yields lists of Person."""

    def __init__(self, seed: int = 0, reference: date = REFERENCE_DATE):
        self.rng = random.Random(seed)
        self.today = reference
        self.numbers: set[str] = set()
        self.resident_seq = 100  # codes 9000000001… belong to the fixed household
        self.household_seq = 1

    # small draws
    def age(self, lo: int, hi: int) -> int:
        lo, hi = max(0, lo), min(104, hi)
        ages, cum = _ages(lo, max(lo, hi))
        return self.rng.choices(ages, cum_weights=cum)[0]

    def born(self, age: int) -> date:
        return self.today - timedelta(days=age * 365 + age // 4 + self.rng.randrange(1, 365))

    def my_number(self) -> str:
        while True:
            first11 = f"{self.rng.randrange(10**11):011d}"
            number = first11 + str(check_digit(first11))
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    def given(self, born: date, gender: str) -> tuple[str, str]:
        kanji, kana, _ = self.rng.choice(GIVEN[(_generation(born), gender)])
        return kanji, kana

    def surname(self) -> tuple[str, str]:
        kanji, kana, _ = self.rng.choices(SURNAMES, cum_weights=_SURNAME_CUM)[0]
        return kanji, kana

    def address(self) -> tuple[str, str, str]:
        index = self.rng.randrange(len(TOWNS))
        town, chome = TOWNS[index]
        rng = self.rng
        if chome:
            street = f"{town}{rng.randint(1, chome)}丁目{rng.randint(1, 30)}番{rng.randint(1, 25)}号"
        else:
            street = f"{town}{rng.randint(1, 3000)}番地"
        detail = ""
        if rng.random() < 0.35:
            detail = f"{rng.choice(BUILDINGS)}{rng.randint(1, 8)}{rng.randint(1, 12):02d}号室"
        return f"{CITY}{street}", detail, f"9990{index + 1:03d}"

    def elsewhere(self) -> str:
        rng = self.rng
        return f"{rng.choice(OTHER_CITIES)}{rng.randint(1, 5)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号"

    # households
    def members(self) -> list[tuple[str, int, str, bool]]:
        """(relationship, age, gender, takes the head's surname) for one household."""
        rng, kind = self.rng, self.rng.choices(_TYPE_NAMES, cum_weights=_TYPE_CUM)[0]
        male, female = Gender.MALE, Gender.FEMALE
        if kind == "single":
            return [(HEAD, self.age(18, 64), rng.choice((male, female)), True)]
        if kind == "elderly_single":
            return [(HEAD, self.age(65, 104), female if rng.random() < 0.7 else male, True)]
        if kind in ("couple", "couple_children"):
            if kind == "couple":  # mostly couples whose children have left
                head = self.age(55, 95) if rng.random() < 0.8 else self.age(25, 54)
            else:
                head = self.age(25, 58)
            spouse = max(20, head + rng.randint(-6, 3))
            people = [(HEAD, head, male, True), ("妻", spouse, female, True)]
            if rng.random() < 0.08:
                people = [(HEAD, head, female, True), ("夫", spouse, male, True)]
            if kind == "couple_children":
                people += self.children(min(head, spouse), rng.choice((1, 1, 2, 2, 2, 3)))
            return people
        if kind == "single_parent":
            parent = self.age(24, 55)
            gender = female if rng.random() < 0.85 else male
            return [(HEAD, parent, gender, True), *self.children(parent, rng.choice((1, 1, 2)))]
        head = self.age(32, 55)  # three generations: the middle generation heads the household
        spouse = max(25, head + rng.randint(-5, 3))
        grand = min(104, max(head, spouse) + rng.randint(24, 36))
        people = [(HEAD, head, male, True), ("妻", spouse, female, True),
                  ("母", grand, female, True)]
        if rng.random() < 0.5:
            people.append(("父", min(104, grand + rng.randint(0, 5)), male, True))
        return people + self.children(min(head, spouse), rng.choice((1, 2, 3)))

    def children(self, parent_age: int, count: int) -> list[tuple[str, int, str, bool]]:
        oldest = min(parent_age - 18, 24)
        youngest = max(0, parent_age - 45)
        if oldest < youngest:
            return []
        return [("子", self.age(youngest, oldest), self.rng.choice((Gender.MALE, Gender.FEMALE)), True)
                for _ in range(count)]

    def household(self) -> list[Person]:
        rng = self.rng
        self.household_seq += 1
        number = f"{self.household_seq:08d}"
        members = self.members()
        surname, surname_kana = self.surname()
        address, detail, postal = self.address()
        here = address + (SPACE + detail if detail else "")
        head_age = members[0][1]
        settled = self.today - timedelta(days=rng.randrange(30, 365 * max(1, min(head_age - 17, 40))))
        moved_in = rng.random() < 0.6
        came = settled if moved_in else settled - timedelta(days=rng.randrange(365, 365 * 15))
        before = self.elsewhere() if moved_in else self.address()[0]
        people = []
        for relationship, age, gender, _ in members:
            born = self.born(age)
            given, given_kana = self.given(born, gender)
            self.resident_seq += 1
            if born >= settled:  # born here after the move
                person_settled, person_came, reason, previous = born, born, Reason.BIRTH, ""
                history = [(born, Reason.BIRTH, "", here)]
            else:
                person_came = max(came, born)
                person_settled, previous = settled, before
                reason = Reason.MOVE_IN if moved_in else Reason.MOVE_WITHIN
                history = [(settled, reason, before, here)]
                if not moved_in:
                    history.insert(0, (person_came, Reason.BIRTH if person_came == born else Reason.MOVE_IN,
                                       "" if person_came == born else self.elsewhere(), before))
            people.append(Person(
                household=number, code=f"9{self.resident_seq:010d}", relationship=relationship,
                name=f"{surname}{SPACE}{given}", kana=f"{surname_kana}{SPACE}{given_kana}",
                birth_date=born, gender=gender, address=address, address_detail=detail,
                postal_code=postal, settled_on=person_settled, became_resident_on=person_came,
                latest_reason=reason, previous_address=previous, my_number=self.my_number(),
                notified_on=person_settled + timedelta(days=rng.randrange(0, 14)), history=history))
        return people

    def households(self, residents: int):
        """The fixed demo household, then drawn ones until `residents` people exist."""
        made = 0
        demo = demo_household()
        self.numbers.update(p.my_number for p in demo)
        if residents >= len(demo):
            made += len(demo)
            yield demo
        while made < residents:
            people = self.household()[: residents - made]
            made += len(people)
            yield people
