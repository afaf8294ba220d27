"""The counter's card read with a software card: the 券面事項入力補助 application, 4-digit PIN."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from madoguchi.core.actors import Actor
from madoguchi.core.crypto import encrypt_bytes
from madoguchi.counter import services
from madoguchi.counter.models import Identified
from madoguchi.identity.card.pkcs11 import PinError
from madoguchi.identity.card.softcard import SoftwareCard
from madoguchi.register.keys import kana_keys, my_number_hash
from madoguchi.register.models import Household, Resident

from support import require_softhsm

MY_NUMBER = "123456789018"
ADDRESS = "デモ市中央町7番8号"


@pytest.fixture
def card(settings, tmp_path):
    require_softhsm()
    settings.VAR_DIR = tmp_path
    call_command("card", "issue", "--name", "髙橋花子", "--address", ADDRESS, "--birth-date", "1980-04-01",
                 "--gender", "2", "--signing-pin", "ABC123", "--auth-pin", "1234", "--face-pin", "5678",
                 "--my-number", MY_NUMBER, stdout=io.StringIO())
    [directory] = (tmp_path / "cards").iterdir()
    return SoftwareCard(directory)


@pytest.fixture
def hanako(city):
    household = Household.objects.create(municipality=city, number="600001")
    whole, surname, given = kana_keys("タカハシ　ハナコ")
    resident = Resident.objects.create(
        municipality=city, code="60000000001", household=household, relationship="世帯主",
        name="髙橋\u3000花子", kana="タカハシ　ハナコ", birth_date="1980-04-01", gender="2", address=ADDRESS,
        settled_on=timezone.localdate(), became_resident_on=timezone.localdate(), latest_reason="転入",
        my_number=encrypt_bytes(MY_NUMBER.encode(), city), my_number_hash=my_number_hash(MY_NUMBER),
        kana_key=whole, surname_key=surname, given_key=given)
    household.head = resident
    household.save()
    return resident


def test_the_card_read_at_the_counter_identifies_the_visitor(card, hanako, staff, city):
    clerk = staff["shimin-tanto"]
    actor = Actor.staff(clerk)
    visit = services.start_visit(city, clerk, actor)
    with card.reader().open("card_face") as face:
        with pytest.raises(PinError):
            face.login("0000")
        face.login("5678")
        read = face.card_face()
    assert services.identify_by_card(visit, actor, read) == hanako
    visit.refresh_from_db()
    assert visit.visitor == hanako and visit.identified_by == Identified.CARD
