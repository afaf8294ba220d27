"""和暦 conversion and date parsing."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.core.japanese import (
    ERAS,
    JapaneseInputError,
    Wareki,
    format_wareki,
    from_wareki,
    parse_date,
    to_wareki,
)

FIRST = date(1868, 1, 25)
LAST = date(2100, 12, 31)
DATES = st.dates(min_value=FIRST, max_value=LAST)
FORMAT_HINT = "日付は 令和6年4月1日 や 2024-04-01 のように入力してください"


def all_days():
    d = FIRST
    while d <= LAST:
        yield d
        d += timedelta(days=1)


# --- the era table -----------------------------------------------------------


def test_era_table():
    assert [(e.name, e.letter, e.start) for e in ERAS] == [
        ("明治", "M", date(1868, 1, 25)),
        ("大正", "T", date(1912, 7, 30)),
        ("昭和", "S", date(1926, 12, 25)),
        ("平成", "H", date(1989, 1, 8)),
        ("令和", "R", date(2019, 5, 1)),
    ]


def test_meiji_start_is_documented():
    import madoguchi.core.japanese.era as era_module

    assert "慶応4年1月1日" in era_module.__doc__
    assert "1868-01-25" in era_module.__doc__


# --- to_wareki / format_wareki -------------------------------------------------

BOUNDARIES = [
    # (last day of an era, its 和暦) , (first day of the next, its 和暦)
    (date(1912, 7, 29), "明治45年7月29日", date(1912, 7, 30), "大正元年7月30日"),
    (date(1926, 12, 24), "大正15年12月24日", date(1926, 12, 25), "昭和元年12月25日"),
    (date(1989, 1, 7), "昭和64年1月7日", date(1989, 1, 8), "平成元年1月8日"),
    (date(2019, 4, 30), "平成31年4月30日", date(2019, 5, 1), "令和元年5月1日"),
]


@pytest.mark.parametrize(("last", "last_text", "first", "first_text"), BOUNDARIES)
def test_era_boundaries(last, last_text, first, first_text):
    assert format_wareki(last) == last_text
    assert format_wareki(first) == first_text
    assert parse_date(last_text) == last
    assert parse_date(first_text) == first


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(1868, 1, 25), "明治元年1月25日"),
        (date(1869, 1, 1), "明治2年1月1日"),
        (date(1926, 12, 31), "昭和元年12月31日"),
        (date(1927, 1, 1), "昭和2年1月1日"),
        (date(1989, 12, 31), "平成元年12月31日"),
        (date(2019, 12, 31), "令和元年12月31日"),
        (date(2020, 1, 1), "令和2年1月1日"),
        (date(2024, 4, 1), "令和6年4月1日"),
    ],
)
def test_format_wareki(d, expected):
    assert format_wareki(d) == expected
    assert str(to_wareki(d)) == expected


def test_gannen_can_be_switched_off():
    assert format_wareki(date(2019, 5, 1), gannen=False) == "令和1年5月1日"
    assert format_wareki(date(2020, 5, 1), gannen=False) == "令和2年5月1日"


def test_wareki_fields_and_unpacking():
    w = to_wareki(date(2019, 5, 1))
    assert w == Wareki("令和", 1, 5, 1)
    assert (w.era, w.year, w.month, w.day) == ("令和", 1, 5, 1)
    assert tuple(w) == ("令和", 1, 5, 1)


@pytest.mark.parametrize("d", [date(1868, 1, 24), date(1800, 1, 1), date(1, 1, 1)])
def test_dates_before_meiji_are_rejected(d):
    with pytest.raises(JapaneseInputError, match="明治より前"):
        to_wareki(d)


# --- from_wareki ---------------------------------------------------------------


@pytest.mark.parametrize("era", ["令和", "R", "r", "Ｒ"])
def test_from_wareki_accepts_name_or_letter(era):
    assert from_wareki(era, 6, 4, 1) == date(2024, 4, 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("平成", 31, 5, 1),
            "平成は31年4月30日までです。令和元年5月1日以降は令和で入力してください",
        ),
        (
            ("昭和", 64, 1, 8),
            "昭和は64年1月7日までです。平成元年1月8日以降は平成で入力してください",
        ),
        (
            ("H", 40, 1, 1),
            "平成は31年4月30日までです。令和元年5月1日以降は令和で入力してください",
        ),
        (("令和", 1, 4, 30), "令和は元年5月1日からです。それより前は平成で入力してください"),
        (("平成", 1, 1, 7), "平成は元年1月8日からです。それより前は昭和で入力してください"),
        (("大正", 1, 7, 29), "大正は元年7月30日からです。それより前は明治で入力してください"),
        (("明治", 1, 1, 24), "明治は元年1月25日からです。それより前の日付は入力できません"),
        (("令和", 6, 2, 30), "存在しない日付です"),
        (("令和", 6, 13, 1), "存在しない日付です"),
        (("令和", 0, 5, 1), "年は元年（1年）以降で入力してください"),
        (("令和", 99999, 5, 1), "存在しない日付です"),
    ],
)
def test_from_wareki_errors_tell_the_resident_what_to_do(args, message):
    with pytest.raises(JapaneseInputError) as exc:
        from_wareki(*args)
    assert str(exc.value) == message


@pytest.mark.parametrize("era", ["慶応", "X", "", "令"])
def test_from_wareki_unknown_era(era):
    with pytest.raises(JapaneseInputError, match="元号は 明治・大正・昭和・平成・令和"):
        from_wareki(era, 1, 1, 1)


def test_leap_days_follow_the_gregorian_year():
    assert from_wareki("令和", 2, 2, 29) == date(2020, 2, 29)
    assert from_wareki("平成", 12, 2, 29) == date(2000, 2, 29)
    with pytest.raises(JapaneseInputError, match="存在しない日付です"):
        from_wareki("令和", 3, 2, 29)


# --- round trips over every day ----------------------------------------------


def test_every_day_round_trips_through_wareki():
    for d in all_days():
        w = to_wareki(d)
        assert from_wareki(*w) == d, d
        assert parse_date(str(w)) == d, d


@given(DATES, st.booleans())
def test_parse_date_reads_format_wareki(d, gannen):
    assert parse_date(format_wareki(d, gannen=gannen)) == d


@given(DATES, st.sampled_from([".", "/", "-"]), st.booleans())
def test_parse_date_reads_letter_forms(d, sep, lower):
    w = to_wareki(d)
    letter = next(e.letter for e in ERAS if e.name == w.era)
    text = f"{letter.lower() if lower else letter}{w.year}{sep}{w.month}{sep}{w.day}"
    assert parse_date(text) == d


@given(DATES)
def test_parse_date_reads_iso_and_compact(d):
    assert parse_date(d.isoformat()) == d
    assert parse_date(d.strftime("%Y%m%d")) == d
    assert parse_date(f"{d.year}年{d.month}月{d.day}日") == d


@given(DATES)
def test_era_year_is_always_positive_and_consistent(d):
    w = to_wareki(d)
    era = next(e for e in ERAS if e.name == w.era)
    assert w.year >= 1
    assert era.start <= d
    assert (w.month, w.day) == (d.month, d.day)
    assert d.year == era.start.year + w.year - 1


# --- parse_date --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-04-01", date(2024, 4, 1)),
        ("2024/4/1", date(2024, 4, 1)),
        ("2024.4.1", date(2024, 4, 1)),
        ("2024年4月1日", date(2024, 4, 1)),
        ("2024年4月1", date(2024, 4, 1)),
        ("20240401", date(2024, 4, 1)),
        ("令和6年4月1日", date(2024, 4, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("令和1年5月1日", date(2019, 5, 1)),
        ("R6.4.1", date(2024, 4, 1)),
        ("r6/4/1", date(2024, 4, 1)),
        ("R6-04-01", date(2024, 4, 1)),
        ("H31.4.30", date(2019, 4, 30)),
        ("S64.1.7", date(1989, 1, 7)),
        ("T15.12.24", date(1926, 12, 24)),
        ("M45.7.29", date(1912, 7, 29)),
        ("２０２４－０４－０１", date(2024, 4, 1)),
        ("２０２４年４月１日", date(2024, 4, 1)),
        ("Ｒ６．４．１", date(2024, 4, 1)),
        (" 令和 ６年 ４月 １日 ", date(2024, 4, 1)),
        ("令和６年\u3000４月１日", date(2024, 4, 1)),
        ("2024‐04‐01", date(2024, 4, 1)),
        ("平成三十一年四月三十日", date(2019, 4, 30)),
        ("令和六年十二月二十五日", date(2024, 12, 25)),
        ("二〇二四年四月一日", date(2024, 4, 1)),
        ("二千二十四年四月一日", date(2024, 4, 1)),
        ("\u337b31年4月30日", date(2019, 4, 30)),  # ㍻ one-character era sign
    ],
)
def test_parse_date_accepts(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    ["abc", "2024", "2024-04", "4/1/2024", "24-4-1", "令和6年4月", "2024/04-01", "R6", "Z6.4.1"],
)
def test_parse_date_rejects_unknown_forms_with_a_hint(text):
    with pytest.raises(JapaneseInputError) as exc:
        parse_date(text)
    assert str(exc.value) == FORMAT_HINT


@pytest.mark.parametrize(
    "text", ["2024年2月30日", "2023-02-29", "令和6年2月30日", "20241301", "2024/4/31"]
)
def test_parse_date_rejects_dates_that_do_not_exist(text):
    with pytest.raises(JapaneseInputError) as exc:
        parse_date(text)
    assert str(exc.value) == "存在しない日付です"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("平成31年5月1日", "令和元年5月1日以降は令和で入力してください"),
        ("H31.5.1", "平成は31年4月30日までです"),
        ("令和1年4月30日", "それより前は平成で入力してください"),
        ("昭和64年1月8日", "昭和は64年1月7日までです"),
    ],
)
def test_parse_date_reports_wrong_era(text, fragment):
    with pytest.raises(JapaneseInputError) as exc:
        parse_date(text)
    assert fragment in str(exc.value)


@pytest.mark.parametrize("text", ["", "   ", "\u3000", None])
def test_parse_date_requires_input(text):
    with pytest.raises(JapaneseInputError) as exc:
        parse_date(text)
    assert str(exc.value) == "日付を入力してください"
