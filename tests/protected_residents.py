"""Shared steps of the 支援措置 redaction tests: a resident under a mark, their address as the
register writes it and as someone else types it, and a resident account linked to them."""

from django.utils import timezone

from madoguchi.core.actors import Actor
from madoguchi.register import protection
from madoguchi.register.keys import kana_keys
from madoguchi.register.models import Household, RegisterLink, Resident

# The register writes 一丁目2番3号; a mail, a message or a form answer writes 1-2-3.
REGISTERED = "デモ県デモ市本町一丁目2番3号"
WRITTEN = "デモ市本町1-2-3"
# Someone whose address is not protected.
PLAIN_REGISTERED = "デモ県デモ市栄町四丁目5番6号"
PLAIN_WRITTEN = "デモ市栄町4-5-6"


def resident_at(city, code: str, address: str, name: str = "佐藤\u3000美咲", kana: str = "サトウ\u3000ミサキ"):
    household = Household.objects.create(municipality=city, number=code[-6:])
    whole, surname, given = kana_keys(kana)
    today = timezone.localdate()
    person = Resident.objects.create(
        municipality=city, code=code, household=household, relationship="世帯主", name=name, kana=kana,
        birth_date="1985-06-15", gender="2", address=address, settled_on=today, became_resident_on=today,
        latest_reason="転入", kana_key=whole, surname_key=surname, given_key=given)
    household.head = person
    household.save()
    return person


def protect(city, staff, person, **dates):
    """Mark `person` as under a 支援措置 (by the demo city's 支援措置担当)."""
    [mark] = protection.mark(city, Actor.staff(staff["shimin-shien"]), person, **dates)
    return mark


def lift(staff, mark) -> None:
    protection.lift(mark, Actor.staff(staff["shimin-shien"]), "本人からの申出の取下げ")


def link(city, account, person) -> RegisterLink:
    """The account proved with the card to be `person`."""
    return RegisterLink.objects.create(municipality=city, account=account, resident=person,
                                       linked_by="signing_certificate")


def masked() -> str:
    """What a masked address reads as, in the active language, without its brackets or spaces."""
    return str(protection.MASKED).strip("（）() ")
