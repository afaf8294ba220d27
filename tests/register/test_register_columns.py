"""The register's optional columns (本籍, 住民種別, 在留資格 …), 不詳 dates and the 転出予定 and 消除
states: read from the CSV, kept, written back unchanged; a file without them still imports."""

import csv
import io
from datetime import date

import pytest
from django.core.management import call_command

from madoguchi.register import csvio
from madoguchi.register.codes import DatePrecision, ResidentKind, Status
from madoguchi.register.dates import born_on, format_partial, parse_partial
from madoguchi.register.importer import ImportRefused, import_csv
from madoguchi.register.models import Household, Resident

pytestmark = pytest.mark.django_db

BASE = {  # one row per person, by column; a missing optional column is empty
    "taro": {"世帯番号": "1", "住民票コード": "10000000001", "氏名": "髙橋　太郎", "氏名フリガナ": "タカハシ　タロウ",
             "生年月日": "1980-04-01", "性別": "男", "続柄": "世帯主", "住所": "デモ市本町1丁目2番3号",
             "方書": "コーポ桜101号室", "郵便番号": "999-0001", "住定日": "2020-04-01", "住民となった日": "2020-04-01",
             "異動事由": "転入", "前住所": "鹿児島県霧島市国分中央1丁目1番1号", "個人番号": "123456789018",
             "状態": "住民", "本籍": "東京都千代田区千代田1番", "筆頭者": "髙橋　太郎", "住民種別": "日本人住民"},
    "sakiko": {"世帯番号": "1", "住民票コード": "10000000002", "氏名": "髙橋　﨑子", "氏名フリガナ": "タカハシ　サキコ",
               "生年月日": "昭和57年5月不詳日", "性別": "女", "続柄": "妻", "住所": "デモ市本町1丁目2番3号",
               "住定日": "2020-04-01", "住民となった日": "2020-04-01", "異動事由": "転入", "状態": "住民",
               "本籍": "東京都千代田区千代田1番", "筆頭者": "髙橋　太郎"},
    "an": {"世帯番号": "2", "住民票コード": "10000000003", "氏名": "NGUYEN VAN AN", "氏名フリガナ": "グエン　ヴァン　アン",
           "生年月日": "1990-不詳-不詳", "性別": "男", "続柄": "世帯主", "住所": "デモ市東町5番地",
           "住定日": "2024-04-01", "住民となった日": "2024-04-01", "異動事由": "国外転入", "状態": "住民",
           "住民種別": "外国人住民", "国籍・地域": "ベトナム", "在留資格": "技術・人文知識・国際業務", "在留期間": "5年",
           "在留期間の満了の日": "2029-03-31", "在留カード等の番号": "ab12345678cd", "通称": "中村　安"},
    "kiyoshi": {"世帯番号": "3", "住民票コード": "10000000004", "氏名": "中村　清", "氏名フリガナ": "ナカムラ　キヨシ",
                "生年月日": "昭和15年不詳月不詳日", "性別": "男", "続柄": "世帯主", "住所": "デモ市東町100番地",
                "住定日": "1970-01-01", "住民となった日": "1940-12-31", "異動事由": "転居", "状態": "転出予定",
                "転出予定日": "2026-12-20", "転出先": "福岡県福岡市中央区天神1丁目1番1号"},
    "hajime": {"世帯番号": "4", "住民票コード": "10000000005", "氏名": "佐藤　一", "氏名フリガナ": "サトウ　ハジメ",
               "生年月日": "1975-07-07", "性別": "男", "続柄": "世帯主", "住所": "デモ市西町7番地",
               "住定日": "2001-01-01", "住民となった日": "2001-01-01", "異動事由": "職権消除", "状態": "消除"},
}


def write(path, people, columns=csvio.EXPORT_COLUMNS):
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows([[person.get(c, "") for c in columns] for person in people])
    return path


def _export(city, path):
    call_command("register_export", str(path), "--municipality", city.slug, stdout=io.StringIO())
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _refused(city, tmp_path, *people):
    with pytest.raises(ImportRefused) as refused:
        import_csv(city, write(tmp_path / "bad.csv", people))
    assert not Resident.objects.filter(municipality=city).exists()
    return [(e.line, e.column) for e in refused.value.errors]


def test_each_new_column_is_stored_and_exported_back_unchanged(city, other_city, tmp_path):
    import_csv(city, write(tmp_path / "in.csv", BASE.values()))
    taro = Resident.objects.get(municipality=city, code="10000000001")
    assert (taro.domicile, taro.domicile_head, taro.kind) == ("東京都千代田区千代田1番", "髙橋\u3000太郎",
                                                             ResidentKind.JAPANESE)
    an = Resident.objects.get(municipality=city, code="10000000003")
    assert an.kind == ResidentKind.FOREIGN
    assert (an.nationality, an.residence_status, an.residence_period) == ("ベトナム", "技術・人文知識・国際業務", "5年")
    assert an.residence_expires_on == date(2029, 3, 31)
    assert an.residence_card_number == "AB12345678CD"
    assert an.common_name == "中村\u3000安"
    exported = _export(city, tmp_path / "out.csv")
    by_code = {row["住民票コード"]: row for row in exported}
    for key, person in BASE.items():
        row = by_code[person["住民票コード"]]
        for column in ("本籍", "筆頭者", "国籍・地域", "在留資格", "在留期間", "在留期間の満了の日", "転出予定日", "転出先"):
            assert row[column] == person.get(column, ""), (key, column)
    assert by_code["10000000003"]["在留カード等の番号"] == "AB12345678CD"
    assert by_code["10000000001"]["住民種別"] == "日本人住民"
    assert by_code["10000000003"]["住民種別"] == "外国人住民"
    # The export imports into another city and exports identically.
    call_command("register_import", str(tmp_path / "out.csv"), "--municipality", other_city.slug,
                 stdout=io.StringIO())
    assert _export(other_city, tmp_path / "again.csv") == exported


def test_unknown_dates_stay_unknown_through_import_and_export(city, tmp_path):
    import_csv(city, write(tmp_path / "in.csv", BASE.values()))
    sakiko = Resident.objects.get(municipality=city, code="10000000002")
    assert (sakiko.birth_date, sakiko.birth_date_precision) == (date(1982, 5, 1), DatePrecision.MONTH)
    kiyoshi = Resident.objects.get(municipality=city, code="10000000004")
    assert (kiyoshi.birth_date, kiyoshi.birth_date_precision) == (date(1940, 1, 1), DatePrecision.YEAR)
    taro = Resident.objects.get(municipality=city, code="10000000001")
    assert taro.birth_date_precision == DatePrecision.DAY
    by_code = {row["住民票コード"]: row for row in _export(city, tmp_path / "out.csv")}
    assert by_code["10000000002"]["生年月日"] == "1982-05-不詳"
    assert by_code["10000000004"]["生年月日"] == "1940-不詳-不詳"
    assert by_code["10000000003"]["生年月日"] == "1990-不詳-不詳"
    assert by_code["10000000001"]["生年月日"] == "1980-04-01"


def test_partly_unknown_dates_in_every_writing():
    month, year = DatePrecision.MONTH, DatePrecision.YEAR
    for text, expected in [("1945-05-不詳", (date(1945, 5, 1), month)), ("昭和20年5月不詳日", (date(1945, 5, 1), month)),
                           ("昭和20年5月日不詳", (date(1945, 5, 1), month)), ("3200500", (date(1945, 5, 1), month)),
                           ("19450500", (date(1945, 5, 1), month)), ("1945-不詳-不詳", (date(1945, 1, 1), year)),
                           ("昭和20年不詳月不詳日", (date(1945, 1, 1), year)), ("S20.不詳.不詳", (date(1945, 1, 1), year)),
                           ("1945年月日不詳", (date(1945, 1, 1), year)), ("1945-05-20", (date(1945, 5, 20), "day"))]:
        assert parse_partial(text) == expected, text
        assert parse_partial(format_partial(*expected)) == expected
    for wrong in ("1945-不詳-20", "昭和64年2月不詳日", "令和元年4月不詳日", "1945-13-不詳"):
        with pytest.raises(ValueError):
            parse_partial(wrong)


def test_a_file_without_the_optional_columns_still_imports(city, tmp_path):
    people = [BASE["taro"], {**BASE["sakiko"], "生年月日": "1982-05-06"}]
    result = import_csv(city, write(tmp_path / "old.csv", people, columns=csvio.COLUMNS))
    assert result.created == 2
    taro = Resident.objects.get(municipality=city, code="10000000001")
    assert (taro.domicile, taro.kind, taro.birth_date_precision) == ("", ResidentKind.JAPANESE, DatePrecision.DAY)


def test_moving_out_is_current_and_heads_its_household_removed_is_not(city, tmp_path):
    import_csv(city, write(tmp_path / "in.csv", BASE.values()))
    kiyoshi = Resident.objects.get(municipality=city, code="10000000004")
    assert kiyoshi.status == Status.MOVING_OUT
    assert (kiyoshi.moving_out_on, kiyoshi.moving_out_to) == (date(2026, 12, 20), "福岡県福岡市中央区天神1丁目1番1号")
    assert Household.objects.get(municipality=city, number="3").head == kiyoshi
    hajime = Resident.objects.get(municipality=city, code="10000000005")
    assert hajime.status == Status.REMOVED
    assert Household.objects.get(municipality=city, number="4").head is None


def test_a_household_of_moving_out_members_needs_its_head(city, tmp_path):
    wife = {**BASE["sakiko"], "世帯番号": "3", "住民票コード": "10000000006", "状態": "転出予定",
            "転出予定日": "2026-12-20"}
    taro, kiyoshi = BASE["taro"], {**BASE["kiyoshi"], "続柄": "子"}
    assert (4, "世帯番号") in _refused(city, tmp_path, taro, {**BASE["sakiko"]}, kiyoshi, wife)


def test_moving_out_needs_its_day_and_the_states_need_their_reason(city, tmp_path):
    no_day = {**BASE["kiyoshi"], "転出予定日": ""}
    assert _refused(city, tmp_path, no_day) == [(2, "転出予定日")]
    removed = {**BASE["hajime"], "異動事由": "転居"}
    assert _refused(city, tmp_path, removed) == [(2, "異動事由")]
    resident_leaving = {**BASE["taro"], "転出先": "福岡市"}
    assert _refused(city, tmp_path, resident_leaving) == [(2, "転出先")]
    unknown_state = {**BASE["taro"], "状態": "転出中"}
    assert _refused(city, tmp_path, unknown_state) == [(2, "状態")]


def test_foreign_and_japanese_columns_belong_to_their_kind(city, tmp_path):
    no_nationality = {**BASE["an"], "国籍・地域": ""}
    assert _refused(city, tmp_path, no_nationality) == [(2, "国籍・地域")]
    domicile = {**BASE["an"], "本籍": "東京都千代田区千代田1番"}
    assert _refused(city, tmp_path, domicile) == [(2, "本籍")]
    japanese_with_status = {**BASE["taro"], "在留資格": "永住者"}
    assert _refused(city, tmp_path, japanese_with_status) == [(2, "在留資格")]
    bad_card = {**BASE["an"], "在留カード等の番号": "A123456789CD"}
    assert _refused(city, tmp_path, bad_card) == [(2, "在留カード等の番号")]
    bad_kind = {**BASE["an"], "住民種別": "特別永住者"}
    assert _refused(city, tmp_path, bad_kind) == [(2, "住民種別")]
    bad_expiry = {**BASE["an"], "在留期間の満了の日": "2029-02-30"}
    assert _refused(city, tmp_path, bad_expiry) == [(2, "在留期間の満了の日")]


def test_an_unknown_birth_date_is_checked_only_where_it_is_certainly_wrong(city, tmp_path):
    # Born some time in 1940, a resident from 31 December 1940: possible, accepted above.
    future = {**BASE["taro"], "生年月日": f"{date.today().year + 1}-不詳-不詳"}
    assert _refused(city, tmp_path, future) == [(2, "生年月日")]
    half = {**BASE["taro"], "生年月日": "1980-不詳-20"}
    assert _refused(city, tmp_path, half) == [(2, "生年月日")]


def test_a_city_code_column_must_be_the_citys(city, tmp_path):
    columns = (*csvio.COLUMNS, csvio.CITY_CODE)
    taro = {**BASE["taro"], csvio.CITY_CODE: "888888"}
    with pytest.raises(ImportRefused) as refused:
        import_csv(city, write(tmp_path / "c.csv", [taro], columns=columns))
    assert [(e.line, e.column) for e in refused.value.errors] == [(2, csvio.CITY_CODE)]
    assert not Resident.objects.filter(municipality=city).exists()
    for code in (city.code, city.code[:5]):
        import_csv(city, write(tmp_path / "c.csv", [{**taro, csvio.CITY_CODE: code}], columns=columns))
    assert Resident.objects.filter(municipality=city).count() == 1


def test_a_typed_birth_date_finds_the_residents_it_can_be(city, tmp_path):
    import_csv(city, write(tmp_path / "in.csv", BASE.values()))
    found = set(Resident.objects.filter(municipality=city).filter(born_on(date(1982, 5, 20)))
                .values_list("code", flat=True))
    assert found == {"10000000002"}  # 昭和57年5月不詳日
    assert set(Resident.objects.filter(born_on(date(1940, 11, 3))).values_list("code", flat=True)) == {"10000000004"}
    assert set(Resident.objects.filter(born_on(date(1980, 4, 1))).values_list("code", flat=True)) == {"10000000001"}
    assert not Resident.objects.filter(born_on(date(1980, 4, 2))).exists()
