"""The register's CSV format: columns, reading and validating rows, and writing an export.

ja-only file: a fixed format (the 住民記録システム標準仕様書's column names and code words), and its
messages name those columns for the operator of register_import; they stay in its Japanese.

UTF-8 (a BOM is accepted and written, so spreadsheet programs open it as UTF-8), one row per
resident, header names as the 住民記録システム標準仕様書 names the data items. Every row is
checked before anything is written; messages are plain Japanese and name the line and the
column, never the value (a message may end up in a ticket or a log).

COLUMNS are in every file; OPTIONAL_COLUMNS (本籍, 在留資格 and the rest) may be left out, and a
file without them reads as empty values. A city's own 宛名システム export reads through a
`Layout` (register.mapping builds one from the city's mapping file): its column names, its code
tables and its encoding, turned into these columns before the same checks; a message then names
the file's own column.

The export writes through `core.csvsafe` (a formula cell gets a leading apostrophe so a
spreadsheet shows it as text) and the import takes that apostrophe off again, so an exported
file imports back unchanged.
"""

import csv
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
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
from madoguchi.register.codes import (
    CURRENT,
    HEAD,
    REASONS_FOR_STATUS,
    RELATIONSHIPS,
    DatePrecision,
    Gender,
    Reason,
    ResidentKind,
    Status,
)
from madoguchi.register.dates import format_partial, last_day, parse_partial

COLUMNS = ("世帯番号", "住民票コード", "氏名", "氏名フリガナ", "生年月日", "性別", "続柄", "住所",
           "方書", "郵便番号", "住定日", "住民となった日", "異動事由", "前住所", "個人番号", "状態")
OPTIONAL_COLUMNS = ("本籍", "筆頭者", "住民種別", "国籍・地域", "在留資格", "在留期間", "在留期間の満了の日",
                    "在留カード等の番号", "通称", "転出予定日", "転出先")
EXPORT_COLUMNS = COLUMNS + OPTIONAL_COLUMNS
# Read when the file has it and checked against the city's 全国地方公共団体コード; never stored.
CITY_CODE = "市区町村コード"
# The columns whose value every row must have (the others may be empty).
REQUIRED = ("世帯番号", "住民票コード", "氏名", "氏名フリガナ", "生年月日", "性別", "続柄", "住所",
            "住定日", "住民となった日", "異動事由")
_GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE, "1": Gender.MALE, "2": Gender.FEMALE}
_GENDER_WORDS = {Gender.MALE: "男", Gender.FEMALE: "女"}  # the file's words, not the page's labels
STATUS_WORDS = {Status.RESIDENT: "住民", Status.MOVING_OUT: "転出予定", Status.MOVED_OUT: "転出",
                Status.DECEASED: "死亡", Status.REMOVED: "消除"}
_STATUSES = {word: value for value, word in STATUS_WORDS.items()}
KIND_WORDS = {ResidentKind.JAPANESE: "日本人住民", ResidentKind.FOREIGN: "外国人住民"}
_KINDS = {word: value for value, word in KIND_WORDS.items()} | {
    "日本人": ResidentKind.JAPANESE, "外国人": ResidentKind.FOREIGN}
_REASONS = set(Reason.values)
_RELATIONSHIPS = set(RELATIONSHIPS)
# What a code table may translate to, per column (register.mapping checks its tables with it).
WORDS = {"続柄": _RELATIONSHIPS, "状態": set(_STATUSES), "性別": set(_GENDERS), "異動事由": _REASONS,
         "住民種別": set(_KINDS)}
_FOREIGN_ONLY = ("国籍・地域", "在留資格", "在留期間", "在留期間の満了の日", "在留カード等の番号", "通称")
_JAPANESE_ONLY = ("本籍", "筆頭者")
_MOVING_OUT = ("転出予定日", "転出先")
_CARD_NUMBER = re.compile(r"[A-Z]{2}\d{8}[A-Z]{2}")
_EMPTY = dict.fromkeys((*EXPORT_COLUMNS, CITY_CODE), "")


@dataclass(frozen=True)
class Layout:
    """How a file's columns read as this format's: which of the file's columns hold each of
    COLUMNS (two for 氏名 given as 氏 and 名), the file's code → the standard's word for the
    coded columns, and the file's encoding. `standard` is Madoguchi's own file (a formula
    cell's apostrophe is taken off, see csvsafe)."""

    sources: dict[str, tuple[str, ...]]
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    encoding: str = "utf-8-sig"
    standard: bool = True

    def named(self, column: str) -> str:
        """The file's own name of a column, for a message."""
        return "・".join(self.sources.get(column, (column,))) if column else ""


def standard_layout(header: list[str]) -> Layout:
    present = [c for c in (*EXPORT_COLUMNS, CITY_CODE) if c in header]
    return Layout({c: (c,) for c in present})


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
    birth_date_precision: str = DatePrecision.DAY
    settled_on_precision: str = DatePrecision.DAY
    domicile: str = ""
    domicile_head: str = ""
    kind: str = ResidentKind.JAPANESE
    nationality: str = ""
    residence_status: str = ""
    residence_period: str = ""
    residence_expires_on: date | None = None
    residence_card_number: str = ""
    common_name: str = ""
    moving_out_on: date | None = None
    moving_out_to: str = ""


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


def _optional_date(value: str, column: str) -> date | None:
    return _date(value, column) if value.strip() else None


def _partial_date(value: str, column: str) -> tuple[date, str]:
    """A 生年月日 or 住定日, 不詳 allowed (register.dates)."""
    try:
        return parse_partial(_required(value, column))
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


def _card_number(value: str) -> str:
    number = _digits(value).upper()
    if number and not _CARD_NUMBER.fullmatch(number):
        raise _Bad("在留カード等の番号", "英字2文字・数字8桁・英字2文字（例 AB12345678CD）にしてください")
    return number


def _city_code(value: str, city_code: str) -> None:
    """A file from another city's system is refused: 6 digits (with the check digit) must be
    the city's code, 5 digits its first five."""
    digits = _number(value, CITY_CODE, None, limit=6)
    if digits not in (city_code, city_code[:5]) or len(digits) not in (5, 6):
        raise _Bad(CITY_CODE, f"この市区町村のコード（{city_code}）ではありません")


def parse_row(line: int, raw: dict[str, str], city_code: str = "") -> Row:
    """One CSV record (column → cell; an optional column may be missing) to a Row; `_Bad`
    for the first problem of the row's columns. `city_code`: the city's 全国地方公共団体コード,
    checked against the row's 市区町村コード when the file has that column."""
    if city_code and CITY_CODE in raw:
        _city_code(raw[CITY_CODE], city_code)
    raw = {**_EMPTY, **raw}
    get = raw.__getitem__
    birth, birth_precision = _partial_date(get("生年月日"), "生年月日")
    settled, settled_precision = _partial_date(get("住定日"), "住定日")
    row = Row(
        line=line,
        household=_number(get("世帯番号"), "世帯番号", None),
        code=_number(get("住民票コード"), "住民票コード", 11),
        name=_japanese(clean_name, get("氏名"), "氏名"),
        kana=_japanese(validate_furigana, get("氏名フリガナ"), "氏名フリガナ"),
        birth_date=birth,
        gender=_GENDERS.get(_required(get("性別"), "性別")) or _raise("性別", "男 か 女 にしてください"),
        relationship=_choice(get("続柄"), "続柄", _RELATIONSHIPS),
        address=_text(get("住所"), "住所", 200),
        address_detail=_text(get("方書"), "方書", 100, required=False),
        postal_code=(_japanese(normalize_postal_code, get("郵便番号"), "郵便番号")
                     if get("郵便番号").strip() else ""),
        settled_on=settled,
        became_resident_on=_date(get("住民となった日"), "住民となった日"),
        latest_reason=_choice(get("異動事由"), "異動事由", _REASONS),
        previous_address=_text(get("前住所"), "前住所", 200, required=False),
        my_number=_my_number(get("個人番号")),
        status=_STATUSES.get(get("状態").strip() or "住民")
        or _raise("状態", "住民・転出予定・転出・死亡・消除 のどれかにしてください"),
        birth_date_precision=birth_precision,
        settled_on_precision=settled_precision,
        domicile=_text(get("本籍"), "本籍", 200, required=False),
        domicile_head=(_japanese(clean_name, get("筆頭者"), "筆頭者") if get("筆頭者").strip() else ""),
        kind=_KINDS.get(get("住民種別").strip() or "日本人住民")
        or _raise("住民種別", "日本人住民 か 外国人住民 にしてください"),
        nationality=_text(get("国籍・地域"), "国籍・地域", 50, required=False),
        residence_status=_text(get("在留資格"), "在留資格", 50, required=False),
        residence_period=_text(get("在留期間"), "在留期間", 20, required=False),
        residence_expires_on=_optional_date(get("在留期間の満了の日"), "在留期間の満了の日"),
        residence_card_number=_card_number(get("在留カード等の番号")),
        common_name=(_japanese(clean_name, get("通称"), "通称") if get("通称").strip() else ""),
        moving_out_on=_optional_date(get("転出予定日"), "転出予定日"),
        moving_out_to=_text(get("転出先"), "転出先", 200, required=False),
    )
    _check_dates(row)
    _check_kind(row, get)
    _check_moving_out(row, get)
    allowed = REASONS_FOR_STATUS.get(row.status)
    if allowed is not None and row.latest_reason not in allowed:
        raise _Bad("異動事由", "状態と異動事由が合っていません（転出なら転出、死亡なら死亡、消除なら職権消除）")
    return row


def _check_dates(row: Row) -> None:
    """Against the first and last day a partly unknown date could be: only a certain
    contradiction is refused."""
    today = date.today()
    if row.birth_date > today:
        raise _Bad("生年月日", "未来の日付です")
    if row.became_resident_on < row.birth_date:
        raise _Bad("住民となった日", "生年月日より前の日付です")
    if last_day(row.settled_on, row.settled_on_precision) < row.became_resident_on:
        raise _Bad("住定日", "住民となった日より前の日付です")


def _check_kind(row: Row, get) -> None:
    """本籍・筆頭者 are a Japanese national's (戸籍); 国籍・地域, 在留資格 and the rest a foreign
    resident's (住基法30条の45), who must have a 国籍・地域."""
    if row.kind == ResidentKind.FOREIGN:
        if not row.nationality:
            raise _Bad("国籍・地域", "外国人住民は入力が必要です")
        wrong = next((c for c in _JAPANESE_ONLY if get(c).strip()), None)
        if wrong:
            raise _Bad(wrong, "外国人住民の行には入力できません（本籍は日本人住民だけです）")
    else:
        wrong = next((c for c in _FOREIGN_ONLY if get(c).strip()), None)
        if wrong:
            raise _Bad(wrong, "日本人住民の行には入力できません（外国人住民なら住民種別を 外国人住民 に）")


def _check_moving_out(row: Row, get) -> None:
    """A 転出予定 row says when (転出予定日); 転出予定日 and 転出先 belong to 転出予定 and 転出."""
    if row.status == Status.MOVING_OUT and row.moving_out_on is None:
        raise _Bad("転出予定日", "状態が転出予定の行には入力が必要です")
    if row.status not in (Status.MOVING_OUT, Status.MOVED_OUT):
        wrong = next((c for c in _MOVING_OUT if get(c).strip()), None)
        if wrong:
            raise _Bad(wrong, "状態が転出予定か転出の行だけ入力できます")


def _raise(column: str, message: str):
    raise _Bad(column, message)


def open_csv(path: Path, encoding: str = "utf-8-sig"):
    return open(path, encoding=encoding, newline="")  # noqa: SIM115 - the caller closes it


def _encoding_name(encoding: str) -> str:
    return "UTF-8" if encoding.replace("_", "-").lower().startswith("utf-8") else encoding


def _reader(layout: Layout, header: list[str]):
    """A function from a record to this format's columns: joined where two of the file's
    columns make one (氏 and 名), codes turned into the standard's words. Built once per file:
    the standard CSV (one column each, no codes) takes the short way."""
    single = [(column, header.index(names[0])) for column, names in layout.sources.items()
              if len(names) == 1 and column not in layout.codes]
    other = [(column, [header.index(name) for name in names], layout.codes.get(column))
             for column, names in layout.sources.items() if len(names) > 1 or column in layout.codes]
    unescape = csvsafe.unescape if layout.standard else str

    def read(record: list[str]) -> dict[str, str]:
        raw = {column: unescape(record[i]) for column, i in single}
        for column, indexes, table in other:
            cells = [unescape(record[i]) for i in indexes]
            value = cells[0] if len(cells) == 1 else " ".join(c.strip() for c in cells if c.strip())
            if table is not None and value.strip():
                word = table.get(value.strip())
                if word is None:
                    raise _Bad(column, "コード表にない値です（対応表に加えてください）")
                value = word
            raw[column] = value
        return raw
    return read


def rows(path: Path, layout: Layout | None = None, city_code: str = "") -> Iterator[Row | RowError]:
    """Each record as a Row, or a RowError; header problems come first as line 1 errors.
    Without a layout the file is this format (its header says which optional columns it has)."""
    encoding = layout.encoding if layout else "utf-8-sig"
    with open_csv(path, encoding) as handle:
        reader = csv.reader(handle)
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            yield RowError(1, "", "ファイルが空です")
            return
        except UnicodeDecodeError:
            yield RowError(1, "", f"{_encoding_name(encoding)} のファイルにしてください")
            return
        if header and layout and not layout.standard:
            header[0] = header[0].removeprefix("\ufeff")
        if layout is None:
            missing = [c for c in COLUMNS if c not in header]
            layout = standard_layout(header)
        else:
            missing = [name for names in layout.sources.values() for name in names if name not in header]
        for column in missing:
            yield RowError(1, column, "この列がありません")
        if missing:
            return
        read = _reader(layout, header)
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
                    yield parse_row(start, read(record), city_code)
                except _Bad as bad:
                    yield RowError(start, layout.named(bad.column), bad.message)
        except UnicodeDecodeError:
            yield RowError(line + 1, "", f"{_encoding_name(encoding)} として読めない文字があります")
        except csv.Error:
            yield RowError(line + 1, "", "CSV として読めません（引用符の対応を確認してください）")


def validate(path: Path, layout: Layout | None = None, city_code: str = "") -> tuple[list[RowError], int]:
    """Every error of the file (per row and across rows), and the number of good rows."""
    named = layout.named if layout else (lambda column: column)
    errors: list[RowError] = []
    codes: dict[str, int] = {}
    numbers: dict[str, int] = {}
    heads: dict[str, int] = {}
    first_line: dict[str, int] = {}
    count = 0
    for item in rows(path, layout, city_code):
        if isinstance(item, RowError):
            errors.append(item)
            continue
        count += 1
        if item.code in codes:
            errors.append(RowError(item.line, named("住民票コード"), f"{codes[item.code]}行目と重複しています"))
        codes.setdefault(item.code, item.line)
        if item.my_number:
            if item.my_number in numbers:
                errors.append(RowError(item.line, named("個人番号"), f"{numbers[item.my_number]}行目と重複しています"))
            numbers.setdefault(item.my_number, item.line)
        if item.status not in CURRENT:
            continue
        first_line.setdefault(item.household, item.line)
        if item.relationship == HEAD:
            if item.household in heads:
                errors.append(RowError(item.line, named("続柄"),
                                       f"同じ世帯に世帯主が2人います（{heads[item.household]}行目）"))
            heads.setdefault(item.household, item.line)
    for household, line in first_line.items():
        if household not in heads:
            errors.append(RowError(line, named("世帯番号"), "この世帯に世帯主（住民）がいません"))
    errors.sort(key=lambda e: e.line)
    return errors, count


def _optional_date_text(value: date | None) -> str:
    return value.isoformat() if value else ""


def record_of(resident, with_my_number: bool = True) -> list[str]:
    """One exported row; dates in 西暦 (YYYY-MM-DD, 不詳 where the register does not know the
    day or month), which import reads back unchanged."""
    number = decrypt_bytes(resident.my_number).decode() if with_my_number and resident.my_number else ""
    return [
        resident.household.number, resident.code, resident.name, resident.kana,
        format_partial(resident.birth_date, resident.birth_date_precision),
        _GENDER_WORDS[Gender(resident.gender)], resident.relationship,
        resident.address, resident.address_detail,
        format_postal_code(resident.postal_code) if resident.postal_code else "",
        format_partial(resident.settled_on, resident.settled_on_precision),
        resident.became_resident_on.isoformat(),
        resident.latest_reason, resident.previous_address, number, STATUS_WORDS[Status(resident.status)],
        resident.domicile, resident.domicile_head, KIND_WORDS[ResidentKind(resident.kind)],
        resident.nationality, resident.residence_status, resident.residence_period,
        _optional_date_text(resident.residence_expires_on), resident.residence_card_number,
        resident.common_name, _optional_date_text(resident.moving_out_on), resident.moving_out_to,
    ]


def write(path: Path, residents, with_my_number: bool = True) -> int:
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csvsafe.writer(handle, lineterminator="\r\n")
        writer.writerow(EXPORT_COLUMNS)
        for resident in residents:
            writer.writerow(record_of(resident, with_my_number))
            count += 1
    return count
