"""A city's mapping file: how its 宛名システム's export reads as the register's columns.

ja-only file: the mapping names the 住民記録システム標準仕様書's columns and code words, and its
messages go to the operator of register_import with csvio's.

Every city's core system (基幹系) exports its residents with its own column names, column order,
codes (続柄 02 for 妻, 住民状態 21 for 転出 …) and often Shift_JIS. Rather than code per city,
the city writes one YAML file (docs/register.md has an example, deploy/register-mapping.example.yaml
a full one):

    encoding: cp932                  # utf-8 (default) or cp932 / shift_jis
    city_code_column: 市区町村コード   # the file's column with the 全国地方公共団体コード
    columns:                         # the file's column → the register's column (or field)
      世帯番号: 世帯番号
      漢字氏: 氏名                     # two columns for one: joined with a space (氏名, フリガナ)
      漢字名: 氏名
      ...
    codes:                           # the file's code → the standard's word, per column
      続柄: {"01": 世帯主, "02": 妻}
      状態: {"11": 住民, "21": 転出}

The file is read as plain text (every value a string: 02 stays 02, never the number 2) and
checked whole on load (`load`): an unknown column or field, a required column nobody maps, a
code table for a column that is not mapped or a code that translates to no word of the standard
is a `MappingError` listing every problem, before any row is read. The import then refuses a
row whose 市区町村コード is not the city's, and names the file's own column in every message.
"""

import codecs
from pathlib import Path

import yaml

from madoguchi.register import csvio

# The model's field names, also accepted as targets (the register's column names are the usual).
FIELD_COLUMNS = {
    "household": "世帯番号", "code": "住民票コード", "name": "氏名", "kana": "氏名フリガナ",
    "birth_date": "生年月日", "gender": "性別", "relationship": "続柄", "address": "住所",
    "address_detail": "方書", "postal_code": "郵便番号", "settled_on": "住定日",
    "became_resident_on": "住民となった日", "latest_reason": "異動事由", "previous_address": "前住所",
    "my_number": "個人番号", "status": "状態", "domicile": "本籍", "domicile_head": "筆頭者",
    "kind": "住民種別", "nationality": "国籍・地域", "residence_status": "在留資格",
    "residence_period": "在留期間", "residence_expires_on": "在留期間の満了の日",
    "residence_card_number": "在留カード等の番号", "common_name": "通称",
    "moving_out_on": "転出予定日", "moving_out_to": "転出先",
}
# Columns two of the file's columns may make together (氏 and 名), joined with a space.
JOINED = ("氏名", "氏名フリガナ")
_KEYS = {"encoding", "city_code_column", "columns", "codes", "name"}


class MappingError(Exception):
    """The mapping file is wrong; `problems` lists every one, in plain Japanese."""

    def __init__(self, path: Path, problems: list[str]):
        super().__init__(f"{path.name}: 対応表に誤りがあります")
        self.problems = problems


def _target(name: str) -> str | None:
    name = name.strip()
    if name in csvio.EXPORT_COLUMNS:
        return name
    return FIELD_COLUMNS.get(name)


def _read(path: Path) -> object:
    try:
        return yaml.load(path.read_text(encoding="utf-8-sig"), Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds plain strings, lists and dicts
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise MappingError(path, [f"YAML として読めません（{type(exc).__name__}）"]) from None


def load(path: Path) -> csvio.Layout:
    """The city's mapping file as a csvio.Layout; MappingError with every problem otherwise."""
    data = _read(path)
    if not isinstance(data, dict):
        raise MappingError(path, ["columns と codes を持つ対応表（YAML の辞書）にしてください"])
    problems = [f"「{key}」は対応表の項目ではありません" for key in data if key not in _KEYS]
    encoding = str(data.get("encoding") or "utf-8").strip()
    try:
        codecs.lookup(encoding)
    except LookupError:
        problems.append(f"encoding「{encoding}」は使えません（utf-8 か cp932 にしてください）")
    if encoding.replace("_", "-").lower() in ("shift-jis", "sjis", "shiftjis"):
        encoding = "cp932"  # what Windows-made files called Shift_JIS are (①, 髙 and the like)
    if encoding.replace("_", "-").lower() in ("utf-8", "utf8"):
        encoding = "utf-8-sig"  # a BOM is taken off
    sources: dict[str, tuple[str, ...]] = {}
    columns = data.get("columns")
    if not isinstance(columns, dict) or not columns:
        problems.append("columns（ファイルの列 → 住民記録の列）がありません")
        columns = {}
    for source, target_name in columns.items():
        target = _target(str(target_name)) if isinstance(target_name, str) else None
        if target is None:
            problems.append(f"列「{source}」の対応先「{target_name}」は住民記録の列にありません")
            continue
        if target in sources and target not in JOINED:
            problems.append(f"「{target}」に2つの列が対応しています（2つにできるのは 氏名 と 氏名フリガナ だけです）")
            continue
        sources[target] = (*sources.get(target, ()), str(source).strip())
    if columns:
        problems.extend(f"「{column}」に対応する列がありません" for column in csvio.REQUIRED
                        if column not in sources)
    city_column = data.get("city_code_column")
    if not isinstance(city_column, str) or not city_column.strip():
        problems.append("city_code_column（市区町村コードの列）がありません。"
                        "他の市区町村のファイルを取り込まないために必要です")
    elif city_column.strip() in {name for names in sources.values() for name in names}:
        problems.append(f"city_code_column「{city_column}」は columns でも使われています")
    else:
        sources[csvio.CITY_CODE] = (city_column.strip(),)
    codes = _codes(data.get("codes"), sources, problems)
    if problems:
        raise MappingError(path, problems)
    return csvio.Layout(sources, codes, encoding, standard=False)


def _codes(data, sources: dict, problems: list[str]) -> dict[str, dict[str, str]]:
    if data in (None, ""):
        return {}
    if not isinstance(data, dict):
        problems.append("codes は列ごとのコード表（コード: 標準の値）にしてください")
        return {}
    tables: dict[str, dict[str, str]] = {}
    for name, table in data.items():
        column = _target(str(name))
        if column not in csvio.WORDS:
            problems.append(f"codes「{name}」: コード表を使えるのは {'・'.join(csvio.WORDS)} です")
            continue
        if column not in sources:
            problems.append(f"codes「{name}」: この列に対応する列が columns にありません")
            continue
        if not isinstance(table, dict) or not table:
            problems.append(f"codes「{name}」: コード: 標準の値 の表にしてください")
            continue
        for code, word in table.items():
            if not isinstance(word, str) or word.strip() not in csvio.WORDS[column]:
                problems.append(f"codes「{name}」のコード「{code}」: 「{word}」は{column}の標準の値にありません")
        tables[column] = {str(code).strip(): str(word).strip() for code, word in table.items()}
    return tables
