"""The register's CSV format: columns, reading and validating rows, and writing an export.

ja-only file: a fixed format (the 住民記録システム標準仕様書's column names and code words), and its
messages name those columns for the operator of register_import; they stay in its Japanese.

UTF-8 (a BOM is accepted and written, so spreadsheet programs open it as UTF-8), one row per
resident, header names as the 住民記録システム標準仕様書 names the data items. Every row is
checked before anything is written; messages are plain Japanese and name the line and the
column, never the value (a message may end up in a ticket or a log).

The export writes through `core.csvsafe` (a formula cell gets a leading apostrophe so a
spreadsheet shows it as text) and the import takes that apostrophe off again, so an exported
file imports back unchanged.
"""

import csv
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from madoguchi.core import csvsafe
from madoguchi.core.crypto import decrypt_bytes
from madoguchi.core.japanese import (
    JapaneseInputError,
    clean_name,
    format_postal_code,
    normalize_postal_code,
    parse_date,
    validate_furigana,
)
from madoguchi.identity.card.mynumber import is_valid as is_valid_my_number
from madoguchi.register.codes import HEAD, REASONS_FOR_STATUS, RELATIONSHIPS, Gender, Reason, Status

COLUMNS = ("世帯番号", "住民票コード", "氏名", "氏名フリガナ", "生年月日", "性別", "続柄", "住所",
           "方書", "郵便番号", "住定日", "住民となった日", "異動事由", "前住所", "個人番号", "状態")
_GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE, "1": Gender.MALE, "2": Gender.FEMALE}
_GENDER_WORDS = {Gender.MALE: "男", Gender.FEMALE: "女"}  # the file's words, not the page's labels
_STATUS_WORDS = {Status.RESIDENT: "住民", Status.MOVED_OUT: "転出", Status.DECEASED: "死亡"}
_STATUSES = {word: value for value, word in _STATUS_WORDS.items()}
_REASONS = set(Reason.values)
_RELATIONSHIPS = set(RELATIONSHIPS)


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.line}行目" + (f"「{self.column}」" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(slots=True)
class Row:
    """One validated resident row, in model terms."""

    line: int
    household: str
    code: str
    name: str
    kana: str
    birth_date: date
    gender: str
    relationship: str
    address: str
    address_detail: str
    postal_code: str
    settled_on: date
    became_resident_on: date
    latest_reason: str
    previous_address: str
    my_number: str
    status: str


class _Bad(Exception):
    def __init__(self, column: str, message: str):
        self.column, self.message = column, message


def _digits(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("-", "").replace(" ", "").strip()


def _required(value: str, column: str) -> str:
    value = value.strip()
    if not value:
        raise _Bad(column, "入力されていません")
    return value


def _text(value: str, column: str, limit: int, required: bool = True) -> str:
    value = _required(value, column) if required else value.strip()
    if len(value) > limit:
        raise _Bad(column, f"{limit}文字以内にしてください")
    return value


def _date(value: str, column: str) -> date:
    try:
        return parse_date(_required(value, column))
    except JapaneseInputError as exc:
        raise _Bad(column, str(exc)) from None


def _number(value: str, column: str, length: int | None, limit: int = 15) -> str:
    digits = _digits(_required(value, column))
    if not digits.isascii() or not digits.isdigit():
        raise _Bad(column, "数字で入力してください")
    if length and len(digits) != length:
        raise _Bad(column, f"{length}桁の数字で入力してください")
    if len(digits) > limit:
        raise _Bad(column, f"{limit}桁以内の数字で入力してください")
    return digits


def _japanese(func, value: str, column: str) -> str:
    try:
        return func(value)
    except JapaneseInputError as exc:
        raise _Bad(column, str(exc)) from None


def _my_number(value: str) -> str:
    digits = _digits(value)
    if not digits:
        return ""
    if not is_valid_my_number(digits):
        raise _Bad("個人番号", "12桁の数字で、検査用数字が正しい番号にしてください")
    return digits


def _choice(value: str, column: str, allowed) -> str:
    value = _required(value, column)
    if value not in allowed:
        raise _Bad(column, "標準の区分にない値です")
    return value


def parse_row(line: int, raw: dict[str, str]) -> Row:
    """One CSV record to a Row; `_Bad` for the first problem of the row's columns."""
    birth = _date(raw["生年月日"], "生年月日")
    row = Row(
        line=line,
        household=_number(raw["世帯番号"], "世帯番号", None),
        code=_number(raw["住民票コード"], "住民票コード", 11),
        name=_japanese(clean_name, raw["氏名"], "氏名"),
        kana=_japanese(validate_furigana, raw["氏名フリガナ"], "氏名フリガナ"),
        birth_date=birth,
        gender=_GENDERS.get(_required(raw["性別"], "性別")) or _raise("性別", "男 か 女 にしてください"),
        relationship=_choice(raw["続柄"], "続柄", _RELATIONSHIPS),
        address=_text(raw["住所"], "住所", 200),
        address_detail=_text(raw["方書"], "方書", 100, required=False),
        postal_code=(_japanese(normalize_postal_code, raw["郵便番号"], "郵便番号")
                     if raw["郵便番号"].strip() else ""),
        settled_on=_date(raw["住定日"], "住定日"),
        became_resident_on=_date(raw["住民となった日"], "住民となった日"),
        latest_reason=_choice(raw["異動事由"], "異動事由", _REASONS),
        previous_address=_text(raw["前住所"], "前住所", 200, required=False),
        my_number=_my_number(raw["個人番号"]),
        status=_STATUSES.get(raw["状態"].strip() or "住民") or _raise("状態", "住民・転出・死亡 のどれかにしてください"),
    )
    _check_dates(row)
    allowed = REASONS_FOR_STATUS.get(row.status)
    if allowed is not None and row.latest_reason not in allowed:
        raise _Bad("異動事由", "状態と異動事由が合っていません（転出なら転出、死亡なら死亡）")
    return row


def _check_dates(row: Row) -> None:
    today = date.today()
    if row.birth_date > today:
        raise _Bad("生年月日", "未来の日付です")
    if row.became_resident_on < row.birth_date:
        raise _Bad("住民となった日", "生年月日より前の日付です")
    if row.settled_on < row.became_resident_on:
        raise _Bad("住定日", "住民となった日より前の日付です")


def _raise(column: str, message: str):
    raise _Bad(column, message)


def open_csv(path: Path):
    return open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - the caller closes it


def rows(path: Path) -> Iterator[Row | RowError]:
    """Each record as a Row, or a RowError; header problems come first as line 1 errors."""
    with open_csv(path) as handle:
        reader = csv.reader(handle)
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            yield RowError(1, "", "ファイルが空です")
            return
        except UnicodeDecodeError:
            yield RowError(1, "", "UTF-8 のファイルにしてください")
            return
        missing = [c for c in COLUMNS if c not in header]
        for column in missing:
            yield RowError(1, column, "この列がありません")
        if missing:
            return
        index = {name: header.index(name) for name in COLUMNS}
        line = reader.line_num
        try:
            for record in reader:
                start, line = line + 1, reader.line_num
                if not any(cell.strip() for cell in record):
                    continue
                if len(record) != len(header):
                    yield RowError(start, "", f"列の数が{len(header)}ではありません")
                    continue
                try:
                    yield parse_row(start, {name: csvsafe.unescape(record[i]) for name, i in index.items()})
                except _Bad as bad:
                    yield RowError(start, bad.column, bad.message)
        except UnicodeDecodeError:
            yield RowError(line + 1, "", "UTF-8 として読めない文字があります")
        except csv.Error:
            yield RowError(line + 1, "", "CSV として読めません（引用符の対応を確認してください）")


def validate(path: Path) -> tuple[list[RowError], int]:
    """Every error of the file (per row and across rows), and the number of good rows."""
    errors: list[RowError] = []
    codes: dict[str, int] = {}
    numbers: dict[str, int] = {}
    heads: dict[str, int] = {}
    first_line: dict[str, int] = {}
    count = 0
    for item in rows(path):
        if isinstance(item, RowError):
            errors.append(item)
            continue
        count += 1
        if item.code in codes:
            errors.append(RowError(item.line, "住民票コード", f"{codes[item.code]}行目と重複しています"))
        codes.setdefault(item.code, item.line)
        if item.my_number:
            if item.my_number in numbers:
                errors.append(RowError(item.line, "個人番号", f"{numbers[item.my_number]}行目と重複しています"))
            numbers.setdefault(item.my_number, item.line)
        if item.status != Status.RESIDENT:
            continue
        first_line.setdefault(item.household, item.line)
        if item.relationship == HEAD:
            if item.household in heads:
                errors.append(RowError(item.line, "続柄",
                                       f"同じ世帯に世帯主が2人います（{heads[item.household]}行目）"))
            heads.setdefault(item.household, item.line)
    for household, line in first_line.items():
        if household not in heads:
            errors.append(RowError(line, "世帯番号", "この世帯に世帯主（住民）がいません"))
    errors.sort(key=lambda e: e.line)
    return errors, count


def record_of(resident, with_my_number: bool = True) -> list[str]:
    """One exported row; dates in 西暦 (YYYY-MM-DD), which import reads back unchanged."""
    number = decrypt_bytes(resident.my_number).decode() if with_my_number and resident.my_number else ""
    return [
        resident.household.number, resident.code, resident.name, resident.kana,
        resident.birth_date.isoformat(), _GENDER_WORDS[Gender(resident.gender)], resident.relationship,
        resident.address, resident.address_detail,
        format_postal_code(resident.postal_code) if resident.postal_code else "",
        resident.settled_on.isoformat(), resident.became_resident_on.isoformat(),
        resident.latest_reason, resident.previous_address, number, _STATUS_WORDS[Status(resident.status)],
    ]


def write(path: Path, residents, with_my_number: bool = True) -> int:
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csvsafe.writer(handle, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for resident in residents:
            writer.writerow(record_of(resident, with_my_number))
            count += 1
    return count
