"""The card's rules without a token: 個人番号 check digit, labels, tries from token flags."""

from types import SimpleNamespace

import pytest
from pkcs11 import TokenFlag

from madoguchi.identity.card import applications, messages, mynumber
from madoguchi.identity.card.pkcs11 import CardApplication, PinLocked


@pytest.mark.parametrize(("number", "valid"), [
    ("123456789018", True), ("123456789012", False), ("12345678901", False),
    ("12345678901８", False), ("", False),
])
def test_my_number_check_digit(number, valid):
    assert mynumber.is_valid(number) is valid


def test_generated_test_numbers_are_well_formed():
    assert all(mynumber.is_valid(mynumber.generate()) for _ in range(50))


@pytest.mark.parametrize(("label", "key"), [
    ("JPKI (User Authentication PIN)", "authentication"),  # OpenSC and a real card
    ("JPKI (Digital Signature PIN)", "signing"),
    ("a1b2c3 (Card Face PIN)", "card_face"),
    ("User Authentication PIN", "authentication"),  # OpenSC when the card label does not fit
    ("JPKI", None), ("SoftHSM token", None),
])
def test_applications_are_found_by_the_pin_name_in_the_token_label(label, key):
    found = applications.for_label(label + "   ")
    assert (found.key if found else None) == key


def test_software_labels_fit_pkcs11s_32_bytes():
    for app in applications.APPLICATIONS.values():
        assert len(app.token_label("abcdef").encode()) <= 32
    with pytest.raises(ValueError):
        applications.AUTHENTICATION.token_label("abcdefg")


def _card_with_flags(key, flags):
    """A CardApplication over a real card's token as OpenSC reports it (no software counter)."""
    token = SimpleNamespace(label="JPKI (x)", open=lambda **kw: SimpleNamespace(close=lambda: None),
                            slot=SimpleNamespace(get_token=lambda: SimpleNamespace(flags=flags)))
    return CardApplication(SimpleNamespace(counter=None), applications.get(key), token)


@pytest.mark.parametrize(("key", "flags", "remaining"), [
    ("authentication", TokenFlag(0), 3),
    ("authentication", TokenFlag.USER_PIN_COUNT_LOW, 2),
    ("authentication", TokenFlag.USER_PIN_COUNT_LOW | TokenFlag.USER_PIN_FINAL_TRY, 1),
    ("authentication", TokenFlag.USER_PIN_LOCKED, 0),
    ("signing", TokenFlag(0), 5),
    ("signing", TokenFlag.USER_PIN_COUNT_LOW, None),  # 2–4: PKCS#11 does not say which
    ("signing", TokenFlag.USER_PIN_FINAL_TRY, 1),
])
def test_a_real_cards_tries_come_from_the_token_flags(key, flags, remaining):
    tries = _card_with_flags(key, flags).remaining_tries()
    assert tries.remaining == remaining
    text = tries.message(applications.get(key))
    assert ("市区町村の窓口" in text) is (remaining == 0)
    if remaining is None:
        assert "残り4回以下" in text


def test_lock_messages_send_the_resident_to_the_counter():
    for key in applications.APPLICATIONS:
        assert "お住まいの市区町村の窓口" in PinLocked(applications.get(key)).message
        assert str(messages.PIN_NAMES[key]) in messages.locked(key)
