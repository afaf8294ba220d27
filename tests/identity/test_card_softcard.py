"""Software My Number cards in a real SoftHSM2: keys stay inside, PINs count down and lock."""

from datetime import date

import pkcs11
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding
from pkcs11 import Attribute, ObjectClass

from madoguchi.identity.card import applications
from madoguchi.identity.card.applications import PinRuleError
from madoguchi.identity.card.pkcs11 import CardError, NotLoggedIn, PinError, PinLocked
from madoguchi.identity.card.softcard import (
    Pins,
    issue_software_card,
)
from madoguchi.identity.jpki import profile
from madoguchi.identity.jpki.ca import TestCA
from madoguchi.identity.jpki.errors import ProfileError
from madoguchi.identity.jpki.profile import BasicInfo

from support import require_softhsm

PERSON = BasicInfo(name="髙橋花子", address="東京都千代田区千代田1番1号",
                   birth_date=date(1980, 4, 1), gender="2")
PINS = Pins(signing="HANAKO2026", authentication="1234", card_face="5678")
MY_NUMBER = "123456789018"


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    require_softhsm()
    return TestCA.create(tmp_path_factory.mktemp("jpki-ca"))


@pytest.fixture(scope="module")
def issued(ca, tmp_path_factory):
    return issue_software_card(ca, PERSON, PINS, tmp_path_factory.mktemp("card") / "c",
                               my_number=MY_NUMBER)


@pytest.fixture
def card(issued):
    """The module's card with full counters: tests may lock it, the next one gets it fresh."""
    issued.counter.reset_all()
    return issued


def test_issue_makes_one_token_per_application_labelled_with_the_card(card):
    tokens = card.reader().tokens()
    assert {t.application for t in tokens} == {"signing", "authentication", "card_face"}
    assert {t.label for t in tokens} == {
        f"{card.card_id} (Digital Signature PIN)", f"{card.card_id} (User Authentication PIN)",
        f"{card.card_id} (Card Face PIN)"}
    conf = (card.directory / "softhsm2.conf").read_text()
    assert f"directories.tokendir = {card.directory / 'tokens'}\n" in conf  # never the system store


def test_private_keys_never_leave_the_token(card):
    lib = card.reader().lib  # python-pkcs11's own lib, initialised with this card's SOFTHSM2_CONF
    for key, pin in (("authentication", PINS.authentication), ("signing", PINS.signing)):
        token = lib.get_token(token_label=card.meta["labels"][key])
        with token.open(user_pin=pin) as session:
            [private] = session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY})
            assert private[Attribute.EXTRACTABLE] is False
            assert private[Attribute.SENSITIVE] is True
            with pytest.raises(pkcs11.PKCS11Error):
                private[Attribute.VALUE]
            with pytest.raises(pkcs11.AttributeSensitive):
                private[Attribute.PRIVATE_EXPONENT]


def test_authentication_signature_verifies_with_the_cards_certificate(card):
    with card.reader().open("authentication") as auth:
        cert = auth.certificate()  # readable without the PIN, as on the real card
        auth.login(PINS.authentication)
        challenge = b"\x00\x01 nonce from the server"
        signature = auth.sign(challenge)
    cert.public_key().verify(signature, challenge, padding.PKCS1v15(), hashes.SHA256())
    assert profile.is_authentication(cert)


def test_signing_certificate_carries_the_basic_4_and_the_authentication_one_does_not(card):
    reader = card.reader()
    with reader.open("signing") as signing:
        with pytest.raises(NotLoggedIn):
            signing.certificate()  # private on the card: the password first
        signing.login(PINS.signing)
        signing_cert = signing.certificate()
        payload = '{"answers":{"氏名":"髙橋花子"}}'.encode()
        signing_cert.public_key().verify(signing.sign(payload), payload,
                                         padding.PKCS1v15(), hashes.SHA256())
    with reader.open("authentication") as auth:
        auth_cert = auth.certificate()
    assert profile.is_signing(signing_cert)
    found = profile.basic_info_from(signing_cert)
    assert (found.name, found.address, found.birth_date, found.gender) == (
        PERSON.name, PERSON.address, PERSON.birth_date, PERSON.gender)
    with pytest.raises(ProfileError):
        profile.basic_info_from(auth_cert)
    der = auth_cert.public_bytes(Encoding.DER)
    for personal in (PERSON.name, PERSON.address):
        assert personal.encode() not in der


@pytest.mark.parametrize(("field", "pin"), [
    ("signing", "ABCDEF"), ("signing", "123456"), ("signing", "abc123"), ("signing", "AB12C"),
    ("signing", "A1" * 8 + "B"), ("signing", "ＡＢＣ１２３"), ("authentication", "123"),
    ("authentication", "12345"), ("authentication", "12a4"), ("card_face", "abcd"),
    ("card_face", ""),
])
def test_issue_refuses_pins_the_card_would_refuse(ca, tmp_path, field, pin):
    pins = Pins(**{**PINS.__dict__, field: pin})
    with pytest.raises(PinRuleError) as caught:
        issue_software_card(ca, PERSON, pins, tmp_path / "c")
    assert caught.value.application.key == field
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize(("key", "pin"), [
    ("signing", "A12345"), ("signing", "ABCDEFGHIJKLMNO1"), ("signing", "1A2B3C"),
    ("authentication", "0000"), ("card_face", "9999"),
])
def test_pin_rules_accept_the_cards_own_forms(key, pin):
    applications.get(key).check_pin(pin)


@pytest.mark.parametrize(("key", "right", "maximum"), [
    ("signing", PINS.signing, 5), ("authentication", PINS.authentication, 3),
    ("card_face", PINS.card_face, 3),
])
def test_wrong_pins_count_down_then_lock_and_the_right_pin_is_refused(card, key, right, maximum):
    wrong = "ZZZZ9999" if key == "signing" else "0000"
    with card.reader().open(key) as app:
        for remaining in range(maximum, 1, -1):
            assert app.remaining_tries().remaining == remaining  # reported before each try
            with pytest.raises(PinError) as caught:
                app.login(wrong)
            assert caught.value.remaining == remaining - 1
            assert f"あと{remaining - 1}回" in caught.value.message or remaining - 1 == 1
        assert "次に間違えるとロックされます" in app.remaining_tries().message(app.application)
        with pytest.raises(PinLocked):
            app.login(wrong)
        assert app.remaining_tries().locked
    with card.reader().open(key) as app:  # a new session, even a new process: still locked
        with pytest.raises(PinLocked) as caught:
            app.login(right)
        assert "市区町村の窓口" in caught.value.message
        with pytest.raises(NotLoggedIn):
            app.sign(b"x") if key != "card_face" else app.card_face()


def test_a_correct_pin_resets_the_count(card):
    with card.reader().open("authentication") as app:
        for _ in range(2):
            with pytest.raises(PinError):
                app.login("9999")
        assert app.remaining_tries().remaining == 1
        app.login(PINS.authentication)
        assert app.remaining_tries().remaining == 3
    with card.reader().open("signing") as app:
        with pytest.raises(PinError):
            app.login("WRONG1")
        app.login(PINS.signing)
        assert app.remaining_tries().remaining == 5


def test_the_other_applications_counters_are_their_own(card):
    with card.reader().open("card_face") as app, pytest.raises(PinError):
        app.login("0000")
    reader = card.reader()
    assert [reader.open(k).remaining_tries().remaining
            for k in ("signing", "authentication", "card_face")] == [5, 3, 2]


def test_card_face_needs_its_own_pin_and_gives_the_my_number(card):
    reader = card.reader()
    with reader.open("card_face") as face:
        with pytest.raises(NotLoggedIn):
            face.card_face()
        with pytest.raises(PinError):
            face.login(PINS.authentication)  # another application's PIN is just a wrong PIN
        face.login(PINS.card_face)
        data = face.card_face()
    assert data.my_number == MY_NUMBER
    assert (data.name, data.address, data.birth_date, data.gender) == (
        PERSON.name, PERSON.address, "1980-04-01", "2")
    with reader.open("authentication") as auth:
        auth.login(PINS.authentication)
        with pytest.raises(CardError):
            auth.card_face()


def test_a_non_empty_directory_is_never_overwritten(ca, card):
    with pytest.raises(FileExistsError):
        issue_software_card(ca, PERSON, PINS, card.directory)
    assert card.reader().open("authentication").remaining_tries().remaining == 3
