"""The one rule for a mobile number an SMS may go to (notify.phone.mobile_e164)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.core.japanese import JapaneseInputError
from madoguchi.notify.phone import NOT_MOBILE, masked, mobile_e164, national

FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


@pytest.mark.parametrize("typed", [
    "090-1234-5678", "09012345678", "090 1234 5678", "０９０－１２３４－５６７８", "+81 90-1234-5678",
    "+819012345678", "+81(0)90-1234-5678", "（090）1234-5678",
])
def test_forms_of_one_mobile_number_are_one_e164(typed):
    assert mobile_e164(typed) == "+819012345678"


@pytest.mark.parametrize("typed", ["099-224-1111", "03-1234-5678", "050-1234-5678", "0120-123-456",
                                   "020-1234-5678", "090-1234-567", "090-1234-56789", "+1 415 555 0100"])
def test_landlines_and_other_numbers_are_refused_with_a_plain_message(typed):
    with pytest.raises(JapaneseInputError) as refused:
        mobile_e164(typed)
    assert str(refused.value)  # a sentence to show next to the field


def test_a_landline_is_told_it_is_not_a_mobile():
    with pytest.raises(JapaneseInputError) as refused:
        mobile_e164("099-224-1111")
    assert refused.value.message == NOT_MOBILE


@pytest.mark.parametrize("typed", ["", "   ", "090-abcd-5678", "電話"])
def test_nothing_or_letters_are_refused(typed):
    with pytest.raises(JapaneseInputError):
        mobile_e164(typed)


@given(prefix=st.sampled_from(["070", "080", "090"]), rest=st.text("0123456789", min_size=8, max_size=8),
       hyphens=st.booleans(), wide=st.booleans(), plus=st.booleans())
def test_every_mobile_number_in_any_form_reads_back_the_same(prefix, rest, hyphens, wide, plus):
    digits = prefix + rest
    typed = f"{digits[:3]}-{digits[3:7]}-{digits[7:]}" if hyphens else digits
    if plus:
        typed = "+81" + typed[1:]
    if wide:
        typed = typed.translate(FULL_WIDTH)
    e164 = mobile_e164(typed)
    assert e164 == "+81" + digits[1:]
    assert mobile_e164(national(e164)) == e164
    assert masked(e164) == "…" + digits[-4:]


@given(st.text("0123456789", min_size=10, max_size=11).filter(lambda d: not (
        len(d) == 11 and d[:3] in ("070", "080", "090"))))
def test_no_other_string_of_digits_is_a_mobile(digits):
    with pytest.raises(JapaneseInputError):
        mobile_e164(digits)
