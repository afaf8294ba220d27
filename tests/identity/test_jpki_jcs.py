"""RFC 8785 canonical JSON: the RFC's own examples, its number table, and properties."""

import json
import math
import random
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.identity.jpki.jcs import canonicalize, serialize_number

# RFC 8785 section 3.2.2 sample input, written with the RFC's escapes.
RFC_SAMPLE = r'''{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}'''
RFC_SAMPLE_CANONICAL = (
    '{"literals":[null,true,false],'
    '"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
    '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
)

# RFC 8785 section 3.2.3, sorting of object properties.
RFC_SORTING = r'''{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}'''
RFC_SORTED_VALUES = ["Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis",
                     "Euro Sign", "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh"]

# RFC 8785 appendix B: IEEE 754 bit patterns and their ECMAScript serialisation.
RFC_NUMBERS = [
    ("0000000000000000", "0"), ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"), ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"), ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"), ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"), ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"), ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"), ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"), ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


def test_the_rfc_sample_canonicalises_as_published():
    assert canonicalize(json.loads(RFC_SAMPLE)) == RFC_SAMPLE_CANONICAL.encode("utf-8")


def test_properties_are_sorted_by_utf16_code_units_as_in_the_rfc():
    data = json.loads(RFC_SORTING)
    output = canonicalize(data).decode("utf-8")
    assert list(json.loads(output).values()) == RFC_SORTED_VALUES
    assert output.startswith('{"\\r":"Carriage Return","1":"One","\u0080":"Control",')
    # Code point order would put U+FB33 before U+1F600; UTF-16 puts the surrogates (D83D) first.
    assert output.index("\U0001f600") < output.index("\ufb33")


@pytest.mark.parametrize(("bits", "expected"), RFC_NUMBERS)
def test_numbers_serialise_as_ecmascript_does(bits, expected):
    value = struct.unpack(">d", bytes.fromhex(bits))[0]
    assert serialize_number(value) == expected
    assert canonicalize([value]) == f"[{expected}]".encode()


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused(value):
    with pytest.raises(ValueError):
        canonicalize({"x": value})


@pytest.mark.parametrize(("value", "expected"), [
    (0, "0"), (-0.0, "0"), (7, "7"), (-12, "-12"), (10**21, "1e+21"), (10**20, "100000000000000000000"),
    (2**53, "9007199254740992"), (1e-7, "1e-7"), (1.5e-7, "1.5e-7"), (0.1, "0.1"), (100.0, "100"),
    (123456.789, "123456.789"),
])
def test_integers_and_edge_numbers(value, expected):
    assert canonicalize(value) == expected.encode()


def test_integers_that_a_double_cannot_hold_are_refused_not_rounded():
    with pytest.raises(ValueError):
        canonicalize(2**53 + 1)
    with pytest.raises(ValueError):
        canonicalize(10**400)


def test_literals_are_not_numbers():
    assert canonicalize([True, False, None, 1]) == b"[true,false,null,1]"


@pytest.mark.parametrize(("text", "expected"), [
    ("\u001f", '"\\u001f"'), ("\u0000", '"\\u0000"'), ("\b\f\n\r\t", '"\\b\\f\\n\\r\\t"'),
    ("\u007f", '"\u007f"'), ("\u2028", '"\u2028"'), ("/", '"/"'), ('"\\', '"\\"\\\\"'),
    ("髙橋 﨑子", '"髙橋 﨑子"'), ("\ufa19", '"\ufa19"'),
])
def test_only_the_mandatory_escapes(text, expected):
    assert canonicalize(text) == expected.encode("utf-8")


def test_invalid_inputs_are_refused():
    with pytest.raises(ValueError):
        canonicalize("\ud800")  # lone surrogate
    with pytest.raises(TypeError):
        canonicalize({1: "x"})
    with pytest.raises(TypeError):
        canonicalize({"when": object()})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=25,
)


def _shuffled(value, rng):
    if isinstance(value, dict):
        items = [(k, _shuffled(v, rng)) for k, v in value.items()]
        rng.shuffle(items)
        return dict(items)
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


@given(json_values, st.randoms(use_true_random=False))
def test_key_order_does_not_matter(value, rng):
    assert canonicalize(_shuffled(value, rng)) == canonicalize(value)


@given(json_values)
def test_canonical_json_round_trips_and_is_a_fixed_point(value):
    """Read back as I-JSON (every number a double), the value and the bytes are unchanged."""
    output = canonicalize(value)
    parsed = json.loads(output, parse_int=float)
    assert parsed == value
    assert canonicalize(parsed) == output


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_double_survives_its_serialisation(value):
    text = serialize_number(value)
    assert float(text) == value
    assert text == "0" or not text.lstrip("-").startswith("0") or text.lstrip("-").startswith("0.")


bmp_no_floats = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(st.characters(max_codepoint=0xD7FF), max_size=8), children,
                      max_size=5),
    max_leaves=25,
)


@given(bmp_no_floats)
def test_matches_the_standard_library_where_their_rules_coincide(value):
    """Without floats, and with keys below the surrogate range, sorting by code point equals
    sorting by UTF-16 unit and Python's escaping equals RFC 8785's."""
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonicalize(value) == expected.encode("utf-8")


def test_shuffle_helper_really_reorders():
    rng = random.Random(3)
    data = {str(i): i for i in range(20)}
    assert list(_shuffled(data, rng)) != list(data)
