"""A city's mapping file: its 宛名システム's export (other names, order, codes, cp932) imports the
same people as the standard CSV; a file of another city is refused; every message names the
row and the file's own column; a wrong mapping is refused whole before any row is read."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from madoguchi.register import csvio
from madoguchi.register.importer import ImportRefused, import_csv
from madoguchi.register.mapping import MappingError, load
from madoguchi.register.models import Resident

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "register-mapping.example.yaml"

STANDARD = [  # csvio.EXPORT_COLUMNS order
    ["1", "10000000001", "髙橋　太郎", "タカハシ　タロウ", "1980-04-01", "男", "世帯主", "デモ市本町1丁目2番3号",
     "コーポ桜101号室", "999-0001", "2020-04-01", "2020-04-01", "転入", "鹿児島県霧島市国分中央1丁目1番1号",
     "123456789018", "住民", "東京都千代田区千代田1番", "髙橋　太郎", "日本人住民", "", "", "", "", "", "", "", ""],
    ["1", "10000000002", "髙橋　﨑子", "タカハシ　サキコ", "1982-05-不詳", "女", "妻", "デモ市本町1丁目2番3号",
     "コーポ桜101号室", "999-0001", "2020-04-01", "2020-04-01", "転入", "", "", "住民",
     "東京都千代田区千代田1番", "髙橋　太郎", "日本人住民", "", "", "", "", "", "", "", ""],
    ["2", "10000000003", "NGUYEN　VAN　AN", "グエン　ヴァン　アン", "1990-不詳-不詳", "男", "世帯主", "デモ市東町5番地",
     "", "", "2024-04-01", "2024-04-01", "国外転入", "", "", "住民", "", "", "外国人住民", "ベトナム",
     "技術・人文知識・国際業務", "5年", "2029-03-31", "AB12345678CD", "中村　安", "", ""],
    ["3", "10000000004", "中村　清", "ナカムラ　キヨシ", "1940-不詳-不詳", "男", "世帯主", "デモ市東町100番地",
     "", "", "1970-01-01", "1940-12-31", "転居", "デモ市西町5番地", "", "転出予定", "", "", "日本人住民", "", "", "",
     "", "", "", "2026-12-20", "福岡県福岡市中央区天神1丁目1番1号"],
    ["4", "10000000005", "佐藤　一", "サトウ　ハジメ", "1975-07-07", "男", "世帯主", "デモ市西町7番地",
     "", "", "2001-01-01", "2001-01-01", "職権消除", "", "", "消除", "", "", "日本人住民", "", "", "", "", "", "",
     "", ""],
]

# The same people as a 宛名システム writes them (deploy/register-mapping.example.yaml): other
# names and order, an extra column, 氏 and 名 apart, 元号 codes with 00 for 不詳, codes for
# 続柄, 状態, 住民種別 and 異動事由, Shift_JIS (cp932).
CITY_HEADER = ["団体コード", "宛名番号", "住民票ｺｰﾄﾞ", "世帯ＮＯ", "漢字氏", "漢字名", "カナ氏", "カナ名", "性別",
               "生年月日", "続柄コード", "郵便番号", "住所", "方書", "住民年月日", "住定年月日", "異動事由コード",
               "前住所", "住民状態", "マイナンバー", "住民種別コード", "本籍地", "筆頭者氏名", "国籍", "在留資格",
               "在留期間", "在留期間満了日", "在留カード番号", "通称名", "転出予定日", "転出先住所"]
CITY_ROWS = [
    ["999999", "A0001", "10000000001", "00000001", "髙橋", "太郎", "ﾀｶﾊｼ", "ﾀﾛｳ", "1", "3550401", "01", "9990001",
     "デモ市本町1丁目2番3号", "コーポ桜101号室", "5020401", "5020401", "A1", "鹿児島県霧島市国分中央1丁目1番1号",
     "11", "1234 5678 9018", "1", "東京都千代田区千代田1番", "髙橋　太郎", "", "", "", "", "", "", "", ""],
    ["999999", "A0002", "10000000002", "00000001", "髙橋", "﨑子", "ﾀｶﾊｼ", "ｻｷｺ", "2", "3570500", "02", "9990001",
     "デモ市本町1丁目2番3号", "コーポ桜101号室", "5020401", "5020401", "A1", "", "11", "", "1",
     "東京都千代田区千代田1番", "髙橋　太郎", "", "", "", "", "", "", "", ""],
    ["999999", "A0003", "10000000003", "00000002", "NGUYEN", "VAN AN", "ｸﾞｴﾝ", "ｳﾞｧﾝ ｱﾝ", "1", "19900000", "01",
     "", "デモ市東町5番地", "", "20240401", "20240401", "A2", "", "11", "", "2", "", "", "ベトナム",
     "技術・人文知識・国際業務", "5年", "20290331", "AB12345678CD", "中村　安", "", ""],
    ["999999", "A0004", "10000000004", "00000003", "中村", "清", "ﾅｶﾑﾗ", "ｷﾖｼ", "1", "3150000", "01", "",
     "デモ市東町100番地", "", "3151231", "3450101", "B1", "デモ市西町5番地", "12", "", "1", "", "", "", "", "",
     "", "", "", "20261220", "福岡県福岡市中央区天神1丁目1番1号"],
    ["999999", "A0005", "10000000005", "00000004", "佐藤", "一", "ｻﾄｳ", "ﾊｼﾞﾒ", "1", "19750707", "01", "",
     "デモ市西町7番地", "", "20010101", "20010101", "C4", "", "23", "", "1", "", "", "", "", "", "", "", "",
     "", ""],
]


def _standard(path):
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(csvio.EXPORT_COLUMNS)
        writer.writerows(STANDARD)
    return path


def _city_file(path, rows=CITY_ROWS, encoding="cp932"):
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(CITY_HEADER)
        writer.writerows(rows)
    return path


def _people(city):
    """Every register field of the city's residents, by 住民票コード (the household by its
    place in the file: the two layouts number households differently)."""
    fields = [f.name for f in Resident._meta.concrete_fields
              if f.name not in ("id", "municipality", "household", "my_number", "updated_at")]
    return {r["code"]: r for r in Resident.objects.filter(municipality=city).values(*fields)}


def _households(city):
    """Who lives together, and who heads each household."""
    found = {}
    for resident in Resident.objects.filter(municipality=city).select_related("household__head"):
        head = resident.household.head
        found.setdefault(resident.household_id, (head.code if head else "", set()))[1].add(resident.code)
    return sorted((head, sorted(codes)) for head, codes in found.values())


def test_a_second_layout_in_cp932_imports_the_same_people_as_the_standard_csv(city, other_city, tmp_path):
    assert all(len(row) == len(CITY_HEADER) for row in CITY_ROWS)
    import_csv(other_city, _standard(tmp_path / "standard.csv"))
    _city_file(tmp_path / "atena.csv").read_bytes().decode("cp932")  # written in Shift_JIS
    result = import_csv(city, tmp_path / "atena.csv", layout=load(EXAMPLE))
    assert (result.created, result.households) == (5, 4)
    assert _people(city) == _people(other_city)
    assert _households(city) == _households(other_city)
    assert Resident.objects.get(municipality=city, code="10000000004").household.head.code == "10000000004"


def test_the_command_takes_the_mapping_and_the_export_writes_the_standard_columns(city, tmp_path):
    call_command("register_import", str(_city_file(tmp_path / "atena.csv")), "--mapping", str(EXAMPLE),
                 stdout=io.StringIO())
    exported = tmp_path / "out.csv"
    call_command("register_export", str(exported), stdout=io.StringIO())
    lines = exported.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == ",".join(csvio.EXPORT_COLUMNS)
    assert [line.split(",")[1:] for line in lines[1:]] == [row[1:] for row in STANDARD]


def test_a_file_of_another_city_is_refused_and_nothing_imported(city, tmp_path):
    rows = [["888888", *row[1:]] for row in CITY_ROWS]
    with pytest.raises(ImportRefused) as refused:
        import_csv(city, _city_file(tmp_path / "other.csv", rows), layout=load(EXAMPLE))
    assert {(e.line, e.column) for e in refused.value.errors} == {(n, "団体コード") for n in range(2, 7)}
    assert not Resident.objects.filter(municipality=city).exists()
    five_digits = [["99999", *row[1:]] for row in CITY_ROWS]
    assert import_csv(city, _city_file(tmp_path / "five.csv", five_digits), layout=load(EXAMPLE)).created == 5


def test_errors_name_the_row_and_the_files_own_column(city, tmp_path):
    rows = [list(row) for row in CITY_ROWS]
    rows[1][10] = "77"  # 続柄コード not in the code table
    rows[2][27] = "AB1234"  # 在留カード番号
    rows[3][4] = ""  # 漢字氏 and 漢字名 make the 氏名
    rows[3][5] = ""
    with pytest.raises(ImportRefused) as refused:
        import_csv(city, _city_file(tmp_path / "bad.csv", rows), layout=load(EXAMPLE))
    assert [(e.line, e.column) for e in refused.value.errors] == [
        (3, "続柄コード"), (4, "在留カード番号"), (5, "漢字氏・漢字名")]
    assert "77" not in " ".join(str(e) for e in refused.value.errors)
    assert not Resident.objects.filter(municipality=city).exists()


def test_a_missing_column_and_the_wrong_encoding_are_named(city, tmp_path):
    header = list(CITY_HEADER)
    header[9] = "誕生日"
    path = tmp_path / "short.csv"
    with open(path, "w", encoding="cp932", newline="") as handle:
        csv.writer(handle).writerows([header, *CITY_ROWS])
    with pytest.raises(ImportRefused) as refused:
        import_csv(city, path, layout=load(EXAMPLE))
    assert [(e.line, e.column) for e in refused.value.errors] == [(1, "生年月日")]
    utf8 = _city_file(tmp_path / "utf8.csv", encoding="utf-8")
    with pytest.raises(ImportRefused) as refused:
        import_csv(city, utf8, layout=load(EXAMPLE))
    assert refused.value.errors[0].line in (1, 2)


def _mapping(tmp_path, text):
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_wrong_mapping_is_refused_whole_with_every_problem(tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("  漢字名: 氏名\n", "  漢字名: 氏名\n  宛名番号: 宛名番号\n")  # no such column
    text = text.replace("  住定年月日: 住定日\n", "")  # a required column unmapped
    text = text.replace('"02": 妻', '"02": 嫁')  # not a 続柄 of the standard
    text = text.replace("encoding: cp932", "encoding: ebcdic-jp")
    with pytest.raises(MappingError) as wrong:
        load(_mapping(tmp_path, text))
    problems = "\n".join(wrong.value.problems)
    assert len(wrong.value.problems) == 4
    for named in ("宛名番号", "住定日", "嫁", "ebcdic-jp"):
        assert named in problems
    without_city = EXAMPLE.read_text(encoding="utf-8").replace("city_code_column: 団体コード", "")
    with pytest.raises(MappingError) as wrong:
        load(_mapping(tmp_path, without_city))
    assert any("city_code_column" in p for p in wrong.value.problems)
    table_for_nothing = "city_code_column: C\ncolumns:\n  A: 世帯番号\ncodes:\n  状態: {'1': 住民}\n"
    with pytest.raises(MappingError) as wrong:
        load(_mapping(tmp_path, table_for_nothing))
    assert any("状態" in p for p in wrong.value.problems)


def test_codes_stay_text_and_model_field_names_are_targets_too(tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8").replace("  世帯ＮＯ: 世帯番号", "  世帯ＮＯ: household")
    layout = load(_mapping(tmp_path, text))
    assert layout.sources["世帯番号"] == ("世帯ＮＯ",)
    assert layout.codes["続柄"]["02"] == "妻"
    assert layout.encoding == "cp932"
    shift_jis = load(_mapping(tmp_path, text.replace("encoding: cp932", "encoding: Shift_JIS")))
    assert shift_jis.encoding == "cp932"  # what Windows calls Shift_JIS: ①, 髙 and the like


def test_the_command_prints_the_mapping_problems(city, tmp_path):
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("register_import", str(_city_file(tmp_path / "atena.csv")), "--mapping",
                     str(_mapping(tmp_path, "columns: []\n")), stderr=err, stdout=io.StringIO())
    assert "columns" in err.getvalue()
    assert not Resident.objects.filter(municipality=city).exists()
