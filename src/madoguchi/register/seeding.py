"""Writing a synthetic register into the database in bulk (see synthetic.py for the data)."""

from dataclasses import dataclass
from itertools import chain, islice

from django.db import transaction

from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.core.crypto import encrypt_bytes
from madoguchi.register.bulk import insert
from madoguchi.register.importer import refresh_heads
from madoguchi.register.keys import kana_keys, my_number_hash
from madoguchi.register.models import Household, Movement, Resident
from madoguchi.register.synthetic import Generator

HOUSEHOLDS_PER_BATCH = 1000


class RegisterNotEmpty(Exception):
    """The city already has a register; a synthetic one is only written into an empty one."""


@dataclass(frozen=True)
class Generated:
    residents: int
    households: int


def generate_register(municipality, residents: int, seed: int = 0) -> Generated:
    """`residents` synthetic residents for the city, in one transaction."""
    if Resident.objects.filter(municipality=municipality).exists():
        raise RegisterNotEmpty(municipality.slug)
    generator = Generator(seed)
    households = generator.households(residents)
    people_count = household_count = 0
    with transaction.atomic():
        while batch := list(islice(households, HOUSEHOLDS_PER_BATCH)):
            people_count += _store(municipality, batch)
            household_count += len(batch)
        refresh_heads(municipality)
        audit.record(municipality, Actor.system(), "register_generate", "register", "synthetic",
                     residents=people_count, households=household_count, seed=seed)
    return Generated(people_count, household_count)


def _store(municipality, batch) -> int:
    stored = [Household(municipality=municipality, number=people[0].household) for people in batch]
    insert(stored)
    ids = {h.number: h.pk for h in stored}
    people = list(chain.from_iterable(batch))
    residents = []
    for p in people:
        whole, surname, given = kana_keys(p.kana)
        residents.append(Resident(
            municipality=municipality, code=p.code, household_id=ids[p.household],
            relationship=p.relationship, name=p.name, kana=p.kana, birth_date=p.birth_date,
            gender=p.gender, address=p.address, address_detail=p.address_detail,
            postal_code=p.postal_code, settled_on=p.settled_on, became_resident_on=p.became_resident_on,
            latest_reason=p.latest_reason, previous_address=p.previous_address,
            my_number=encrypt_bytes(p.my_number.encode(), municipality), my_number_hash=my_number_hash(p.my_number),
            kana_key=whole, surname_key=surname, given_key=given))
    insert(residents)
    insert(
        [Movement(resident_id=r.pk, moved_on=moved_on, notified_on=p.notified_on, reason=reason,
                  previous_address=previous, new_address=new)
         for p, r in zip(people, residents, strict=True) for moved_on, reason, previous, new in p.history])
    return len(residents)
