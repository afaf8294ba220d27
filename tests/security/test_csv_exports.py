"""Every CSV Madoguchi writes neutralises formula cells (OWASP's CSV injection rule).

A cell that begins with = + - @, a tab or a carriage return (also their full-width forms, which
spreadsheets read after NFKC) is written with a leading apostrophe, so a spreadsheet shows it as
text instead of running it. The register's export must still import back unchanged.
"""

import csv
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from madoguchi.core import csvsafe
from madoguchi.register import csvio
from madoguchi.register.importer import import_csv
from madoguchi.register.models import Resident

pytestmark = pytest.mark.django_db

GOOD = [  # 世帯番号 … 状態, in csvio.COLUMNS order
    ["1", "10000000001", "髙橋　太郎", "タカハシ　タロウ", "1980-04-01", "男", "世帯主", "デモ市本町1丁目2番3号",
     "コーポ桜101号室", "999-0001", "2020-04-01", "2020-04-01", "転入", "デモ市西町5番地", "", "住民"],
]
# (column, hostile value): every text column a person types into.
HOSTILE = {
    "住所": "=cmd|' /C calc'!A0",
    "方書": "@SUM(1+1)*cmd|' /C calc'!A0",
    "前住所": "＋1+HYPERLINK(\"http://evil.example/\")",
}
FORMULA_START = re.compile(r"^[=+\-@\t\r＝＋－＠]")


def _write(path: Path, rows) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(csvio.COLUMNS)
        writer.writerows(rows)
    return path


def _export(city, path: Path) -> list[dict[str, str]]:
    call_command("register_export", str(path), "--municipality", city.slug, stdout=io.StringIO())
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("value", ["=1+1", "+81", "-5", "@A1", "\t=1", "\r=1", "＝1+1", "＋1", "－1", "＠A1"])
def test_formula_cells_get_a_leading_apostrophe(value):
    assert csvsafe.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["田中　花子", "1990-02-03", "999-0001", "", "a=b", " =x"])
def test_plain_cells_are_written_unchanged(value):
    assert csvsafe.neutralise(value) == value


@pytest.mark.parametrize("value", ["=1+1", "'=1", "'", "''", "－1", "田中", "", "-"])
def test_unescape_reverses_neutralise(value):
    assert csvsafe.unescape(csvsafe.neutralise(value)) == value


def test_the_wrapper_neutralises_every_cell_it_writes():
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(["=a", 5, None, "@b"])
    writer.writerows([["+c"], ["d"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'=a", "5", "", "'@b"], ["'+c"], ["d"]]


def test_register_export_neutralises_formula_cells_and_imports_back_unchanged(city, tmp_path):
    import_csv(city, _write(tmp_path / "in.csv", GOOD))
    Resident.objects.filter(municipality=city, code="10000000001").update(
        address=HOSTILE["住所"], address_detail=HOSTILE["方書"], previous_address=HOSTILE["前住所"])

    rows = _export(city, tmp_path / "out.csv")

    for row in rows:
        for column, cell in row.items():
            assert not FORMULA_START.match(cell), (column, "a formula cell reached the file")
    row = rows[0]
    assert {column: row[column] for column in HOSTILE} == {c: "'" + v for c, v in HOSTILE.items()}

    Resident.objects.filter(municipality=city, code="10000000001").update(
        address="デモ市本町1丁目2番3号", address_detail="", previous_address="")
    result = import_csv(city, tmp_path / "out.csv")
    assert result.updated == 1
    back = Resident.objects.get(municipality=city, code="10000000001")
    assert (back.address, back.address_detail, back.previous_address) == (
        HOSTILE["住所"], HOSTILE["方書"], HOSTILE["前住所"])


def test_no_csv_is_written_outside_the_shared_writer():
    """A new export must go through core.csvsafe: a plain csv.writer would skip the rule."""
    source = Path(csvsafe.__file__).resolve().parents[1]
    offenders = [str(p.relative_to(source)) for p in source.rglob("*.py")
                 if p.name != "csvsafe.py" and re.search(r"csv\.(writer|DictWriter)\(", p.read_text())]
    assert offenders == []
