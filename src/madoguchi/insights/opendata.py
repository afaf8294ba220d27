"""The city's figures as open data: daily and monthly files (CSV and JSON) described by a
Frictionless Data Package (`datapackage.json`, a Table Schema per file), CC BY 4.0.

The numbers come from insights/figures.py alone (`series`, then `public`), the functions the
staff pages and the public dashboard read, so a KPI in a file is the number on the pages; this
module only lays them out. What each column is lives in opendata.yaml, the data dictionary in
Japanese and English, from which the Table Schemas and the /opendata/ page are both made.

The layout follows the 自治体標準オープンデータセット: the local government code and name
first, then the day or month, then one column per KPI, its unit in its title. A figure resting
on 1 to 9 events is suppressed as on the public dashboard and written "x" (the mark Japanese
official statistics use for 秘匿); a figure with nothing to count is an empty cell (JSON null).
Both are the schema's `missingValues`, so a validator and a reader that honours the schema see
them as missing values, never as numbers.

The URLs are stable and absolute on the city's own site (`cities.public_url`), whatever host
the package was read on, so a portal that harvests them keeps working.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import yaml
from django.core.cache import cache as django_cache
from django.db.models import Max
from django.urls import reverse

from madoguchi.core import cities, csvsafe
from madoguchi.core.models import Municipality
from madoguchi.insights import figures
from madoguchi.insights.models import BuiltDay

RESOURCES = ("daily", "monthly")
FORMATS = {"csv": "text/csv", "json": "application/json"}
BY = {"daily": "day", "monthly": "month"}
SUPPRESSED = "x"
LICENCE = {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0 International (CC BY 4.0)",
           "path": "https://creativecommons.org/licenses/by/4.0/"}
# Bumped when the files' layout changes, so cached bytes of the old layout are not served.
LAYOUT = 1
DICTIONARY = Path(__file__).with_name("opendata.yaml")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    title: dict[str, str]
    description: dict[str, str]
    kpi: str = ""
    unit: str = ""
    constraints: dict | None = None


@cache
def dictionary() -> dict:
    return yaml.safe_load(DICTIONARY.read_text(encoding="utf-8"))


def _column(entry: dict) -> Column:
    return Column(name=entry["name"], type=entry["type"], title=entry["title"],
                  description=entry["description"], kpi=entry.get("kpi", ""), unit=entry.get("unit", ""),
                  constraints=entry.get("constraints"))


def columns(resource: str) -> list[Column]:
    """The file's columns, in order: who, when, then one per KPI."""
    return [_column(c) for c in dictionary()["columns"] if resource in c.get("resources", RESOURCES)]


def every_column() -> list[tuple[Column, list[str]]]:
    """Each column of the dictionary once, with the files that have it (the page lists them)."""
    return [(_column(c), list(c.get("resources", RESOURCES))) for c in dictionary()["columns"]]


def column_for(kpi: str) -> Column:
    return next(c for c in columns(RESOURCES[0]) if c.kpi == kpi)


def published_kpis() -> list[str]:
    """The KPIs the files carry. The number of procedures offered online is not among them: it
    is what the catalogue offers now, not a count of a day, so it has no daily or monthly value."""
    return [c.kpi for c in columns(RESOURCES[0]) if c.kpi]


def _both(text: dict[str, str], between: str) -> str:
    return f"{text['ja']}{between}{text['en']}"


def table_schema(resource: str) -> dict:
    """The file's Table Schema. `unit` is not a Table Schema property (the standard has none):
    kept on each field for a program, the unit is also in the field's title for a person."""
    fields = []
    for column in columns(resource):
        field = {"name": column.name, "type": column.type, "title": _both(column.title, " / "),
                 "description": _both(column.description, "\n")}
        if column.unit:
            field["unit"] = column.unit
        constraints = dict(column.constraints or {})
        if column.kpi:
            constraints["minimum"] = 0
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    names = [c.name for c in columns(resource)]
    # The code and the day (or month) identify a row; a package of many cities stays keyed.
    return {"fields": fields, "missingValues": list(dictionary()["missing"]),
            "primaryKey": [names[0], names[2]]}


def url(city: Municipality, name: str, *args) -> str:
    """The absolute, stable URL of one of the open-data pages on the city's own site."""
    return cities.public_url(city, reverse(f"opendata:{name}", args=args))


def package(city: Municipality) -> dict:
    """The Data Package descriptor, checked by frictionless (a malformed descriptor raises
    here, not in a portal). Published as written: frictionless's own normalised form adds
    properties of its own (`scheme`) that are no part of the standard."""
    from frictionless import Package

    about = dictionary()
    resources = []
    for resource in RESOURCES:
        text = about["resources"][resource]
        for fmt, mediatype in FORMATS.items():
            resources.append({
                "name": f"{resource}-{fmt}", "type": "table", "path": url(city, "resource", resource, fmt),
                "format": fmt, "mediatype": mediatype, "encoding": "utf-8",
                "title": f"{text['title']['ja']} {fmt.upper()} / {text['title']['en']} ({fmt.upper()})",
                "description": _both(text["description"], "\n"),
                "schema": table_schema(resource)})
    built = last_built(city)
    descriptor = {
        "name": f"madoguchi-figures-{city.code}",
        "id": url(city, "package"),
        "title": f"{city.name} {about['package']['title']['ja']} / {about['package']['title']['en']}",
        "description": _both(about["package"]["description"], "\n\n"),
        "homepage": url(city, "index"),
        "keywords": about["package"]["keywords"],
        "licenses": [LICENCE],
        "contributors": [{"title": city.name, "roles": ["publisher"], "path": cities.public_url(city, "/")}],
        "resources": resources,
    }
    if built:
        descriptor["created"] = built.isoformat(timespec="seconds")
    Package.from_descriptor(copy.deepcopy(descriptor))  # it alters what it is given
    return descriptor


def last_built(city: Municipality) -> datetime | None:
    """When the city's figures last changed: the latest day built (a rebuilt day counts, late
    corrections change old days). The rows are the job's bookkeeping, not figures."""
    return BuiltDay.objects.filter(municipality=city).aggregate(at=Max("built_at"))["at"]


# --- the rows --------------------------------------------------------------------------------


def _cell(figure: figures.Figure, column: Column):
    shown = figures.public(figure)
    if shown.suppressed:
        return SUPPRESSED
    if shown.value is None:
        return None
    return int(shown.value) if column.type == "integer" else shown.value


def _month_end(first: date) -> date:
    return first.replace(day=monthrange(first.year, first.month)[1])


def rows(city: Municipality, resource: str) -> list[list]:
    """The file's rows as values (str, date, int, Decimal, None, or SUPPRESSED), oldest first:
    every period from the first day with data to the last day built, each KPI from
    `figures.series_many` over that whole span (one read of the rows for every column)."""
    first, last = figures.periods(city)
    if first is None or last is None or first > last:
        return []
    scope = figures.Scope(city=city, first=first, last=last)
    wanted = [c for c in columns(resource) if c.kpi]
    by_period: dict[date, dict[str, object]] = {}
    series = figures.series_many(scope, [c.kpi for c in wanted], by=BY[resource])
    for column in wanted:
        for period, figure in series[column.kpi]:
            by_period.setdefault(period, {})[column.kpi] = _cell(figure, column)
    table = []
    for period in sorted(by_period):
        if resource == "daily":
            when = [period]
        else:
            when = [period.strftime("%Y-%m"), max(period, first), min(_month_end(period), last)]
        table.append([city.code, city.name, *when, *(by_period[period].get(c.kpi) for c in wanted)])
    return table


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_bytes(city: Municipality, resource: str) -> bytes:
    """UTF-8 with a byte order mark, CRLF lines (RFC 4180): Excel, which most city offices open
    CSV files with, reads Japanese correctly only with the mark (frictionless, pandas and
    Python's "utf-8-sig" skip it). Every cell goes through core.csvsafe."""
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\r\n")
    writer.writerow([c.name for c in columns(resource)])
    writer.writerows([[_text(v) for v in row] for row in rows(city, resource)])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def _json_value(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)  # one decimal at most (figures rounds): the float prints the same digits
    return value


def json_bytes(city: Municipality, resource: str) -> bytes:
    """An array of objects keyed by the column names (as frictionless reads a JSON table); a
    figure is a JSON number, "x" when suppressed, null when there is nothing to count."""
    names = [c.name for c in columns(resource)]
    data = [dict(zip(names, (_json_value(v) for v in row), strict=True)) for row in rows(city, resource)]
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class File:
    content: bytes
    mediatype: str
    etag: str
    modified: datetime | None


def file(city: Municipality, resource: str, fmt: str) -> File:
    """A file's bytes, built once per build of the city's figures: kept in the cache under the
    time of the latest build, so a rebuilt day makes a new key and the old bytes are never served."""
    modified = last_built(city)
    key = ":".join(["opendata", str(LAYOUT), str(city.pk), city.code, resource, fmt,
                    modified.isoformat() if modified else "-",
                    hashlib.sha256(city.name.encode()).hexdigest()[:12]])
    content = django_cache.get(key)
    if content is None:
        content = (csv_bytes if fmt == "csv" else json_bytes)(city, resource)
        django_cache.set(key, content, 24 * 3600)
    mediatype = FORMATS[fmt] + ("; charset=utf-8; header=present" if fmt == "csv" else "")
    return File(content, mediatype, _etag(content), modified)


def package_file(city: Municipality) -> File:
    content = json.dumps(package(city), ensure_ascii=False, indent=1).encode("utf-8")
    return File(content, "application/json", _etag(content), last_built(city))


def _etag(content: bytes) -> str:
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
