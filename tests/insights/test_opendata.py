"""Open data (/opendata/): the Data Package validates with frictionless against the files as
served; every column is documented in Japanese and English with its unit; the figures are the
contract's numbers; small counts are suppressed as on the public dashboard; each city's host
serves its own figures; the files are cacheable and answer conditional requests."""

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from opendata_support import (
    COUNTER_ONLY_DAY,
    EMPTY_DAY,
    FIRST,
    LAST,
    SMALL_DAY,
    Elements,
    csv_rows,
    json_rows,
    package,
    percent,
    put,
    resource,
    six_weeks,
    validate,
)

from madoguchi.insights import figures, opendata
from madoguchi.insights.measures import Kpi, Measure
from madoguchi.insights.models import BuiltDay

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
FILES = [(name, fmt) for name in opendata.RESOURCES for fmt in opendata.FORMATS]


@pytest.fixture
def counts(city):
    return six_weeks(city)


def _file(client, name, fmt, host="testserver"):
    response = client.get(f"/opendata/{name}.{fmt}", HTTP_HOST=host)
    assert response.status_code == 200
    return csv_rows(response.content) if fmt == "csv" else json_rows(response.content)


def _by(rows, when):
    return {row[when]: row for row in rows}


# --- the package -----------------------------------------------------------------------------


def test_the_package_and_the_files_it_lists_validate_with_frictionless(client, city, counts, tmp_path):
    descriptor = package(client)

    assert validate(client, descriptor, tmp_path) == []
    assert {r["name"] for r in descriptor["resources"]} == {f"{n}-{f}" for n, f in FILES}
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    assert descriptor["licenses"][0]["path"].startswith("https://creativecommons.org/licenses/by/4.0")


def test_a_broken_file_fails_the_same_validation(client, city, counts, tmp_path, monkeypatch):
    """The validation above can fail: a five-digit code and a text in a number column are caught."""
    real = opendata.rows

    def broken(city, name):
        table = real(city, name)
        table[0][0] = "12345"
        table[1][-2] = "many"
        return table

    monkeypatch.setattr(opendata, "rows", broken)
    errors = validate(client, package(client), tmp_path)

    assert {(task, kind) for task, _row, _field, kind in errors} == {
        (f"{n}-{f}", kind) for n, f in FILES for kind in ("constraint-error", "type-error")}


def test_the_files_cover_every_day_and_month_from_the_first_figure_to_the_last_day_built(client, city, counts):
    daily, monthly = _file(client, "daily", "csv"), _file(client, "monthly", "json")

    assert [row["日付"] for row in daily] == [date.fromordinal(d).isoformat()
                                             for d in range(FIRST.toordinal(), LAST.toordinal() + 1)]
    assert [(m["年月"], m["集計開始日"], m["集計終了日"]) for m in monthly] == [
        ("2026-10", FIRST.isoformat(), "2026-10-31"), ("2026-11", "2026-11-01", LAST.isoformat())]
    for row in [*daily, *monthly]:
        assert (row["全国地方公共団体コード"], row["地方公共団体名"]) == (city.code, city.name)


def test_the_resources_urls_are_absolute_and_stable_on_the_citys_own_site(client, city, counts, settings):
    city.public_url = "https://www.city.demo.example.jp"
    city.save()
    settings.ALLOWED_HOSTS = ["testserver", "www.city.demo.example.jp"]

    descriptor = package(client)

    assert descriptor["id"] == "https://www.city.demo.example.jp/opendata/datapackage.json"
    assert descriptor["homepage"] == "https://www.city.demo.example.jp/opendata/"
    assert {r["path"] for r in descriptor["resources"]} == {
        f"https://www.city.demo.example.jp/opendata/{n}.{f}" for n, f in FILES}


# --- the columns -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", opendata.RESOURCES)
def test_every_column_is_titled_and_described_in_japanese_and_english(client, city, name):
    fields = resource(package(client), f"{name}-csv")["schema"]["fields"]

    for field in fields:
        for key in ("title", "description"):
            ja, en = (field[key].split(" / ", 1) if key == "title" else field[key].split("\n", 1))
            assert JAPANESE.search(ja) and LATIN_WORD.search(en) and not JAPANESE.search(en.replace("Mynaportal", "")), (field["name"], key)
    assert [f["name"] for f in fields][:2] == ["全国地方公共団体コード", "地方公共団体名"]
    assert [f["name"] for f in fields][2] == {"daily": "日付", "monthly": "年月"}[name]


def test_every_figure_column_has_its_unit_in_the_schema_and_its_title():
    marks = {"percent": "%", "count": "件", "days": "日", "minutes": "分"}
    for name in opendata.RESOURCES:
        for field in opendata.table_schema(name)["fields"]:
            column = next(c for c in opendata.columns(name) if c.name == field["name"])
            if not column.kpi:
                continue
            assert field["unit"] == figures.UNITS[column.kpi]
            assert f"（{marks[field['unit']]}）" in field["title"], field["name"]


def test_every_kpi_but_the_catalogues_count_has_a_column():
    """A KPI added later fails here until the data dictionary documents it."""
    assert set(opendata.published_kpis()) == {k.value for k in Kpi} - {Kpi.ONLINE_PROCEDURES}
    assert len(set(opendata.published_kpis())) == len(opendata.published_kpis())


def test_the_suppression_marks_are_the_schemas_documented_missing_values(client, city):
    for item in package(client)["resources"]:
        assert item["schema"]["missingValues"] == ["", opendata.SUPPRESSED]
    assert set(opendata.dictionary()["missing"]) == {"", opendata.SUPPRESSED}


# --- the numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", opendata.FORMATS)
def test_the_files_hold_the_months_figures(client, city, counts, fmt):
    october = _by(_file(client, "monthly", fmt), "年月")["2026-10"]

    expected = {
        "オンライン利用率": percent(counts["online_october"], counts["all_october"]),
        "電子申請件数": counts["online_october"],
        "差戻し率": percent(counts["returned_october"], counts["all_october"]),
        "窓口平均待ち時間": percent(counts["wait_minutes"], counts["waited"] * 100),
        "窓口最大待ち時間": 40,
        "利用者満足度": percent(counts["satisfied_october"], counts["answers_october"]),
    }
    for column, value in expected.items():
        assert Decimal(str(october[column])) == value, column
    assert october["支払完了率"] in ("", None)  # nothing charged: no rate, not a zero


def test_a_day_resting_on_fewer_than_ten_events_is_suppressed_and_a_zero_is_not(client, city, counts):
    daily_csv, daily_json = _by(_file(client, "daily", "csv"), "日付"), _by(_file(client, "daily", "json"), "日付")

    for rows in (daily_csv, daily_json):
        small = rows[SMALL_DAY.isoformat()]
        assert small["オンライン利用率"] == opendata.SUPPRESSED  # 2 of 3 applications
        assert small["電子申請件数"] == opendata.SUPPRESSED
        assert rows["2026-11-02"]["利用者満足度"] == opendata.SUPPRESSED  # 4 answers
        counter_only = rows[COUNTER_ONLY_DAY.isoformat()]
        assert str(counter_only["電子申請件数"]) == "0"
        assert float(counter_only["オンライン利用率"]) == 0
    assert daily_csv[EMPTY_DAY.isoformat()]["オンライン利用率"] == ""
    assert daily_json[EMPTY_DAY.isoformat()]["オンライン利用率"] is None
    # The staff's figure for that day is not suppressed: only the public files hide it.
    staff = figures.kpis(figures.Scope(city=city, first=SMALL_DAY, last=SMALL_DAY))[Kpi.ONLINE_SHARE]
    assert staff.value is not None and not staff.suppressed


def test_the_suppression_follows_the_contracts_threshold(client, city, counts, monkeypatch):
    """A month of 1 to 9 events is suppressed, whatever the count: the rule is figures.public's."""
    monkeypatch.setattr(figures, "SMALL_COUNT", 1000)

    october = _by(_file(client, "monthly", "csv"), "年月")["2026-10"]

    assert october["オンライン利用率"] == opendata.SUPPRESSED
    assert october["窓口最大待ち時間"] == opendata.SUPPRESSED


# --- cities, caching, errors -------------------------------------------------------------------


def test_another_citys_host_serves_its_own_figures(client, city, counts, other_city, settings, tmp_path):
    settings.ALLOWED_HOSTS = ["testserver", "other.example.jp"]
    theirs = six_weeks(other_city, scale=3)

    descriptor = package(client, "other.example.jp")
    rows = _file(client, "monthly", "json", "other.example.jp")

    assert {r["path"].split("/opendata/")[0] for r in descriptor["resources"]} == {"https://other.example.jp"}
    assert validate(client, descriptor, tmp_path) == []
    assert {(r["全国地方公共団体コード"], r["地方公共団体名"]) for r in rows} == {(other_city.code, other_city.name)}
    assert rows[0]["電子申請件数"] == theirs["online_october"] != counts["online_october"]
    assert _by(_file(client, "monthly", "json"), "年月")["2026-10"]["電子申請件数"] == counts["online_october"]


@pytest.mark.parametrize(("name", "fmt"), FILES)
def test_the_files_are_cacheable_and_answer_a_conditional_get(client, city, counts, name, fmt):
    first = client.get(f"/opendata/{name}.{fmt}")

    assert first["Cache-Control"] == "public, max-age=3600"
    assert first["Access-Control-Allow-Origin"] == "*"
    assert first["Content-Type"].startswith(opendata.FORMATS[fmt])
    assert first["Last-Modified"] and first["ETag"]
    again = client.get(f"/opendata/{name}.{fmt}", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert client.get(f"/opendata/{name}.{fmt}", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304


def test_a_rebuilt_day_is_served_at_once_not_the_cached_file(client, city, counts):
    before = client.get("/opendata/monthly.json")
    put(city, date(2026, 10, 21), Measure.APPLICATIONS, 100, dimension="online")
    BuiltDay.objects.filter(municipality=city, day=date(2026, 10, 21)).update(
        built_at=timezone.now() + timezone.timedelta(seconds=5))

    after = client.get("/opendata/monthly.json", HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    october = _by(json.loads(after.content), "年月")["2026-10"]
    assert october["電子申請件数"] == counts["online_october"] + 100


def test_the_package_is_cacheable_too(client, city, counts):
    first = client.get("/opendata/datapackage.json")

    assert first["Cache-Control"] == "public, max-age=3600" and first["Content-Type"] == "application/json"
    assert client.get("/opendata/datapackage.json", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_the_page_may_be_stored_for_a_visitor_and_the_files_for_anyone(client, city, counts, django_user_model):
    assert "no-store" not in client.get("/opendata/").get("Cache-Control", "")
    client.force_login(django_user_model.objects.create_user("opendata-reader", password="x-pass-2026"))
    assert "no-store" in client.get("/opendata/")["Cache-Control"]  # a logged-in person's pages are never stored
    assert client.get("/opendata/daily.csv")["Cache-Control"] == "public, max-age=3600"  # the same bytes for all


@pytest.mark.parametrize("path", ["/opendata/weekly.csv", "/opendata/daily.xlsx", "/opendata/daily.CSV",
                                  "/opendata/datapackage.csv"])
def test_an_unknown_file_is_not_found(client, city, path):
    assert client.get(path).status_code == 404


def test_a_city_with_no_figures_yet_serves_empty_files(client, city, tmp_path):
    """The CSV files still validate (a header alone); an empty JSON table is `[]`, which
    frictionless cannot read as a table (it has no header to read), so it is checked as such."""
    descriptor = package(client)
    descriptor["resources"] = [r for r in descriptor["resources"] if r["format"] == "csv"]

    assert validate(client, descriptor, tmp_path) == []
    assert _file(client, "daily", "csv") == [] and _file(client, "monthly", "csv") == []
    assert _file(client, "daily", "json") == [] and _file(client, "monthly", "json") == []
    assert client.get("/opendata/").status_code == 200


def test_the_prefecture_portals_host_serves_no_figures(client, city, counts, settings):
    """A portal host serves no city: its open data is each city's own, on the city's host."""
    settings.MADOGUCHI_PORTAL_HOSTS = ["portal.example.jp"]
    settings.ALLOWED_HOSTS = ["testserver", "portal.example.jp"]

    for path in ("/opendata/", "/opendata/datapackage.json", "/opendata/daily.csv"):
        assert client.get(path, HTTP_HOST="portal.example.jp").status_code == 404


def test_the_files_are_read_only(client, city):
    assert client.post("/opendata/daily.csv").status_code == 405


# --- the page ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ja", "en", "vi"])
def test_the_page_lists_every_file_and_column_with_the_licence(client, city, counts, lang):
    response = client.get(f"/opendata/?lang={lang}")
    assert response.status_code == 200
    html = response.content.decode()
    page = Elements(html)

    assert page.by_id["opendata-licence"]["data-licence"] == "CC-BY-4.0"
    assert page.by_id["opendata-package"]["href"] == opendata.url(city, "package")
    for name, fmt in FILES:
        assert page.by_id[f"file-{name}-{fmt}"]["href"] == opendata.url(city, "resource", name, fmt)
    listed = [a["data-column"] for a in page.elements if "data-column" in a]
    assert sorted(listed) == sorted({c.name for n in opendata.RESOURCES for c in opendata.columns(n)})
    only = {a["data-column"]: a["data-only"] for a in page.elements if "data-only" in a}
    assert only == {"日付": "daily", "年月": "monthly", "集計開始日": "monthly", "集計終了日": "monthly"}
    documented = "ja" if lang == "ja" else "en"
    assert f'lang="{documented}"' in html
