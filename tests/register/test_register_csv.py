"""CSV import and export: every row checked, nothing written on error, idempotent, round trip."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from madoguchi.core.crypto import decrypt_bytes
from madoguchi.core.models import AuditEvent
from madoguchi.register import csvio
from madoguchi.register.importer import ImportRefused, import_csv
from madoguchi.register.models import Household, Movement, Resident
from madoguchi.register.seeding import generate_register

pytestmark = pytest.mark.django_db

GOOD = [  # 世帯番号 … 状態, in csvio.COLUMNS order
    ["1", "10000000001", "髙橋　太郎", "タカハシ　タロウ", "1980-04-01", "男", "世帯主", "デモ市本町1丁目2番3号",
     "コーポ桜101号室", "999-0001", "2020-04-01", "2020-04-01", "転入", "鹿児島県霧島市国分中央1丁目1番1号",
     "123456789018", "住民"],
    ["1", "10000000002", "髙橋　﨑子", "たかはし　さきこ", "昭和57年5月6日", "女", "妻", "デモ市本町1丁目2番3号",
     "コーポ桜101号室", "9990001", "令和2年4月1日", "R2.4.1", "転入", "", "", "住民"],
    ["2", "10000000003", "中村　清", "ナカムラ　キヨシ", "1940-01-02", "1", "世帯主", "デモ市東町100番地",
     "", "", "1970-01-01", "1940-01-02", "転居", "デモ市西町5番地", "", "住民"],
]


def _write(path, rows, bom=True):
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(csvio.COLUMNS)
        writer.writerows(rows)
    return path


def _exported(city, tmp_path, name):
    path = tmp_path / name
    call_command("register_export", str(path), "--municipality", city.slug, stdout=io.StringIO())
    return path.read_text(encoding="utf-8-sig")


def test_import_reads_both_calendars_hiragana_and_keeps_variant_kanji(city, tmp_path):
    result = import_csv(city, _write(tmp_path / "r.csv", GOOD))
    assert (result.created, result.updated, result.households) == (3, 0, 2)
    wife = Resident.objects.get(municipality=city, code="10000000002")
    assert wife.name == "髙橋\u3000﨑子"
    assert wife.kana == "タカハシ\u3000サキコ"
    assert str(wife.birth_date) == "1982-05-06"
    assert str(wife.settled_on) == "2020-04-01"
    assert wife.postal_code == "9990001"
    head = Resident.objects.get(municipality=city, code="10000000001")
    assert Household.objects.get(municipality=city, number="1").head == head
    assert decrypt_bytes(head.my_number) == b"123456789018"
    assert b"123456789018" not in bytes(head.my_number)
    assert Movement.objects.filter(resident=head, reason="転入").count() == 1
    assert AuditEvent.objects.filter(action="register_import", detail__created=3).exists()


def test_a_bad_file_is_refused_whole_with_every_line_and_reason(city, tmp_path):
    rows = [list(r) for r in GOOD]
    rows[1][4] = "2024-02-30"  # line 3: no such day
    rows[2][6] = "長男"  # line 4: not a 続柄 of the standard
    extra = list(GOOD[0])
    extra[1], extra[14] = "10000000009", "123456789019"  # line 5: wrong check digit
    rows.append(extra)
    with pytest.raises(ImportRefused) as refused:
        import_csv(city, _write(tmp_path / "bad.csv", rows))
    found = {(e.line, e.column) for e in refused.value.errors}
    assert {(3, "生年月日"), (4, "続柄"), (5, "個人番号")} <= found
    assert len(refused.value.errors) == 3
    assert "存在しない" in str(next(e for e in refused.value.errors if e.line == 3))
    assert not Resident.objects.filter(municipality=city).exists()
    assert not Household.objects.filter(municipality=city).exists()


def test_two_heads_and_duplicate_codes_are_reported(city, tmp_path):
    second = list(GOOD[1])
    second[6] = "世帯主"
    copy = list(GOOD[2])
    with pytest.raises(ImportRefused) as refused:
        import_csv(city, _write(tmp_path / "bad.csv", [GOOD[0], second, GOOD[2], copy]))
    messages = [str(e) for e in refused.value.errors]
    assert any(m.startswith("3行目「続柄」") and "2人" in m for m in messages)
    assert any(m.startswith("5行目「住民票コード」") and "4行目" in m for m in messages)


def test_missing_columns_and_status_reason_mismatch(city, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("世帯番号,氏名\n1,山田\n", encoding="utf-8")
    with pytest.raises(ImportRefused) as refused:
        import_csv(city, path)
    assert {e.column for e in refused.value.errors} >= {"住民票コード", "生年月日", "個人番号"}
    moved = list(GOOD[2])
    moved[15] = "死亡"  # 異動事由 is still 転居
    with pytest.raises(ImportRefused) as refused:
        import_csv(city, _write(tmp_path / "m.csv", [GOOD[0], GOOD[1], moved], bom=False))
    assert [(e.line, e.column) for e in refused.value.errors] == [(4, "異動事由")]


def test_reimport_updates_by_resident_code_and_records_the_move(city, tmp_path):
    import_csv(city, _write(tmp_path / "a.csv", GOOD))
    moved = [list(r) for r in GOOD]
    moved[2][7], moved[2][12], moved[2][10] = "デモ市南町3丁目4番5号", "転居", "2025-06-01"
    result = import_csv(city, _write(tmp_path / "b.csv", moved))
    assert (result.created, result.updated, result.households) == (0, 3, 0)
    assert Resident.objects.filter(municipality=city).count() == 3
    kiyoshi = Resident.objects.get(municipality=city, code="10000000003")
    assert kiyoshi.address == "デモ市南町3丁目4番5号"
    assert list(kiyoshi.movements.values_list("new_address", flat=True)) == [
        "デモ市東町100番地", "デモ市南町3丁目4番5号"]
    assert Movement.objects.filter(resident__municipality=city).count() == 4  # unchanged rows add none


def test_export_round_trips_through_import(city, other_city, tmp_path):
    generate_register(city, 120, seed=3)
    first = _exported(city, tmp_path, "first.csv")
    assert first.splitlines()[0] == ",".join(csvio.EXPORT_COLUMNS)
    call_command("register_import", str(tmp_path / "first.csv"), "--municipality", other_city.slug,
                 stdout=io.StringIO())
    assert _exported(other_city, tmp_path, "second.csv") == first
    assert (tmp_path / "first.csv").read_bytes().startswith("\ufeff".encode())


def test_import_command_lists_errors_and_fails(city, tmp_path):
    rows = [list(r) for r in GOOD]
    rows[0][3] = "Taro"
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("register_import", str(_write(tmp_path / "x.csv", rows)), stderr=err,
                     stdout=io.StringIO())
    assert "2行目「氏名フリガナ」: フリガナはカタカナで入力してください" in err.getvalue()
    assert "Taro" not in err.getvalue()
    assert not Resident.objects.exists()
