"""The same KPI read from the staff page (/staff/insights/), the public dashboard (/insights/),
the CSV and the JSON is the same number (decidim #8845: one figure, two values on two pages).

The pages mark each KPI `id="kpi-<kpi>" data-value` and each chart's table row `data-key`
(the period's first day) `data-value` `data-suppressed`; the files are read as a program
would, by their published column names. Every comparison first checks the number is there,
so a surface showing nothing cannot pass as "the same"."""

from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from opendata_support import built, csv_rows, json_rows, put

from madoguchi.core.models import Department, Role, StaffMembership
from madoguchi.insights import figures, opendata
from madoguchi.insights.measures import Kpi, Measure
from madoguchi.insights.models import DailyFigure
from madoguchi.insights.presenting import HEADLINE, NO_TREND

SEPTEMBER, OCTOBER = date(2026, 9, 1), date(2026, 10, 1)
OCTOBER_LAST = date(2026, 10, 31)
FISCAL_YEAR = (date(2026, 4, 1), OCTOBER_LAST)
CHILD_CLAIM = "child-allowance-claim"
PUBLISHED = opendata.published_kpis()
HEADLINES = [k for k in HEADLINE if k in PUBLISHED]


class Page(HTMLParser):
    """Each element's attributes by id, and each table's rows (their attributes) by table id."""

    def __init__(self, html: str):
        super().__init__()
        self.by_id: dict[str, dict] = {}
        self.rows: dict[str, list[dict]] = {}
        self._tables: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        found = {k: (v if v is not None else "") for k, v in attrs}
        if "id" in found:
            self.by_id[found["id"]] = found
        if tag == "table":
            self._tables.append(found.get("id", ""))
        elif tag == "tr" and self._tables and "data-key" in found:
            self.rows.setdefault(self._tables[-1], []).append(found)

    def handle_endtag(self, tag):
        if tag == "table" and self._tables:
            self._tables.pop()

    def trend(self, kpi: str) -> dict[str, dict]:
        return {row["data-key"]: row for row in self.rows.get(f"trend-{kpi}-table", [])}


def busy_days(city, days, scale: int):
    """Enough of every measure on each day for every KPI to be published; `scale` varies the
    counts so that two periods' numbers differ. Durations are seconds (measures.py), odd ones,
    so that a surface rounding minutes its own way would differ."""
    department = Department.objects.get(municipality=city, code="kodomo")
    by_procedure = {"department": department, "procedure": CHILD_CLAIM}
    for n, day in enumerate(days):
        s = scale + n % 3
        put(city, day, Measure.APPLICATIONS, 10 * s, dimension="online", **by_procedure)
        put(city, day, Measure.APPLICATIONS, 7 * s, dimension="counter", **by_procedure)
        put(city, day, Measure.APPLICATIONS, 2 * s, dimension="myna_portal", **by_procedure)
        put(city, day, Measure.CARD_SIGNED, 6 * s, **by_procedure)
        put(city, day, Measure.RETURNED, s, dimension="missing", **by_procedure)
        put(city, day, Measure.PROCESSING_HOURS, 6 * s, dimension="24", **by_procedure)
        put(city, day, Measure.PROCESSING_HOURS, 5, dimension=str(72 + 12 * (s % 4)), **by_procedure)
        put(city, day, Measure.DRAFTS_STARTED, 14 * s, **by_procedure)
        put(city, day, Measure.DRAFTS_SUBMITTED, 10 * s, **by_procedure)
        put(city, day, Measure.CHARGES_CREATED, 5 * s, dimension="at_submit", total=300, **by_procedure)
        put(city, day, Measure.CHARGES_PAID, 4 * s + 1, dimension="stripe", total=300, **by_procedure)
        put(city, day, Measure.WAIT_MINUTES, 11 * s, dimension="10")
        put(city, day, Measure.TICKETS, 11 * s, dimension="09", total=97 * 60 * s + 7, maximum=(20 + 3 * s) * 60 + 9)
        put(city, day, Measure.TICKETS, 11 * s, dimension="09:called")
        put(city, day, Measure.SERVICE_MINUTES, 10 * s, dimension="8", total=83 * 60 * s + 11)
        put(city, day, Measure.VISIT_FIELDS, 9 * s, dimension="prefilled")
        put(city, day, Measure.VISIT_FIELDS, 4 * s, dimension="typed")
        put(city, day, Measure.SATISFACTION, 8 * s, dimension="online:5", **by_procedure)
        put(city, day, Measure.SATISFACTION, 3 * s, dimension="counter:2")


@pytest.fixture
def analyst(client, city, django_user_model):
    user = django_user_model.objects.create_user("bunseki-same", password="x-pass-2026")
    StaffMembership.objects.create(user=user, department=Department.objects.get(municipality=city, code="kodomo"),
                                   role=Role.ANALYST)
    return user


def _staff(client, analyst, first: date, last: date) -> Page:
    client.force_login(analyst)
    response = client.get("/staff/insights/", {"preset": "custom", "first": first.isoformat(),
                                               "last": last.isoformat()})
    client.logout()
    assert response.status_code == 200
    return Page(response.content.decode())


def _public(client, year: int = 2026) -> Page:
    response = client.get("/insights/", {"year": year})
    assert response.status_code == 200
    return Page(response.content.decode())


def _files(client, name: str) -> tuple[dict, dict]:
    """The file's rows by their period (the day, or the month's first day), CSV and JSON."""
    csv_file, json_file = (client.get(f"/opendata/{name}.{fmt}") for fmt in ("csv", "json"))
    key = "日付" if name == "daily" else "年月"

    def first_day(value: str) -> str:
        return value if name == "daily" else f"{value}-01"

    return ({first_day(r[key]): r for r in csv_rows(csv_file.content)},
            {first_day(r[key]): r for r in json_rows(json_file.content)})


def _number(text) -> Decimal:
    assert text not in ("", None, opendata.SUPPRESSED), "a figure expected, nothing shown"
    return Decimal(str(text))


def _column(kpi: str) -> str:
    return opendata.column_for(kpi).name


def test_a_months_kpis_are_the_same_on_both_pages_and_in_both_files(client, city, analyst):
    """October alone holds figures, so the public dashboard's fiscal year to date, the staff
    page's October and the files' October row are the same period's numbers."""
    busy_days(city, [OCTOBER + timedelta(n) for n in range(0, 31, 3)], scale=2)
    built(city, OCTOBER, OCTOBER_LAST)

    staff = _staff(client, analyst, OCTOBER, OCTOBER_LAST)
    public = _public(client)
    by_csv, by_json = _files(client, "monthly")
    row = OCTOBER.isoformat()

    for kpi in PUBLISHED:
        number = _number(staff.by_id[f"kpi-{kpi}"]["data-value"])
        assert _number(by_csv[row][_column(kpi)]) == number, kpi
        assert _number(by_json[row][_column(kpi)]) == number, kpi
        if kpi in HEADLINES:
            assert _number(public.by_id[f"kpi-{kpi}"]["data-value"]) == number, kpi
    assert set(HEADLINES) >= {Kpi.ONLINE_SHARE, Kpi.E_APPLICATIONS, Kpi.SATISFACTION}


def test_each_months_trend_is_the_same_on_both_pages_and_in_both_files(client, city, analyst):
    busy_days(city, [SEPTEMBER + timedelta(n) for n in range(0, 30, 4)], scale=1)
    busy_days(city, [OCTOBER + timedelta(n) for n in range(1, 31, 2)], scale=4)
    built(city, SEPTEMBER, OCTOBER_LAST)

    staff = _staff(client, analyst, *FISCAL_YEAR)  # longer than two months: drawn by month
    public = _public(client)
    by_csv, by_json = _files(client, "monthly")

    compared = 0
    for month in (SEPTEMBER.isoformat(), OCTOBER.isoformat()):
        for kpi in PUBLISHED:
            number = _number(by_csv[month][_column(kpi)])
            assert _number(by_json[month][_column(kpi)]) == number, (month, kpi)
            for page in (staff, public):
                if row := page.trend(kpi).get(month):
                    assert _number(row["data-value"]) == number, (month, kpi)
                    compared += 1
    trends_on_public = [k for k in HEADLINES if k not in NO_TREND]
    assert all(public.trend(k) for k in trends_on_public) and compared >= 2 * (len(trends_on_public) + 5)
    e_applications = _column(Kpi.E_APPLICATIONS)
    assert by_csv[SEPTEMBER.isoformat()][e_applications] != by_csv[OCTOBER.isoformat()][e_applications]


def test_each_days_figures_are_the_same_on_the_staff_page_and_in_both_files(client, city, analyst):
    days = [OCTOBER + timedelta(n) for n in range(0, 31, 5)]
    busy_days(city, days, scale=2)
    built(city, OCTOBER, OCTOBER_LAST)

    staff = _staff(client, analyst, OCTOBER, OCTOBER_LAST)  # a month: drawn by day
    by_csv, by_json = _files(client, "daily")

    compared = 0
    for day in days:
        for kpi in PUBLISHED:
            number = _number(by_csv[day.isoformat()][_column(kpi)])
            assert _number(by_json[day.isoformat()][_column(kpi)]) == number, (day, kpi)
            if row := staff.trend(kpi).get(day.isoformat()):
                assert _number(row["data-value"]) == number, (day, kpi)
                compared += 1
    assert compared >= len(days) * 5


def test_a_suppressed_figure_is_hidden_alike_on_the_public_page_and_in_the_files(client, city, analyst):
    """Four answers in the fiscal year: the staff read the rate, every public surface hides it."""
    busy_days(city, [OCTOBER + timedelta(n) for n in range(0, 31, 3)], scale=2)
    DailyFigure.objects.filter(municipality=city, measure=Measure.SATISFACTION).delete()
    put(city, date(2026, 10, 9), Measure.SATISFACTION, 3, dimension="online:5")
    put(city, date(2026, 10, 9), Measure.SATISFACTION, 1, dimension="online:1")
    built(city, OCTOBER, OCTOBER_LAST)

    staff = _staff(client, analyst, OCTOBER, OCTOBER_LAST)
    public = _public(client)
    by_csv, by_json = _files(client, "monthly")
    column = _column(Kpi.SATISFACTION)

    shown = figures.kpis(figures.Scope(city=city, first=OCTOBER, last=OCTOBER_LAST))[Kpi.SATISFACTION]
    assert _number(staff.by_id[f"kpi-{Kpi.SATISFACTION}"]["data-value"]) == shown.value
    assert public.by_id[f"kpi-{Kpi.SATISFACTION}"]["data-value"] == ""
    assert public.by_id[f"kpi-{Kpi.SATISFACTION}"]["data-suppressed"] == "true"
    assert public.trend(Kpi.SATISFACTION)[OCTOBER.isoformat()]["data-suppressed"] == "true"
    assert by_csv[OCTOBER.isoformat()][column] == by_json[OCTOBER.isoformat()][column] == opendata.SUPPRESSED
