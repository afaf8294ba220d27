"""The staff KPI pages (/staff/insights/): who reads them, that every KPI shown is the figure
of insights/figures.py for the chosen period, department and procedure, against its target;
the filters and their refusals; the charts' tables; the targets page."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from insights_page_rows import ANALYST, CHILD_CLAIM, MONTH, Elements, october, reader

from madoguchi.core.models import AuditEvent, CityAdministrator, Role
from madoguchi.insights import figures
from madoguchi.insights.measures import Kpi
from madoguchi.insights.models import Target

pytestmark = pytest.mark.django_db
OVERVIEW = "/staff/insights/"
TARGETS = "/staff/insights/targets/"


def month_query(**more):
    return {"preset": "custom", "first": MONTH[0].isoformat(), "last": MONTH[1].isoformat(), **more}


@pytest.fixture
def rows(city):
    return october(city)


@pytest.fixture
def analyst(city, django_user_model):
    return reader(django_user_model, city, "kpi-analyst", ANALYST)


def shown(client, query) -> Elements:
    response = client.get(OVERVIEW, query)
    assert response.status_code == 200
    return Elements(response.content.decode())


def test_every_kpi_is_the_figure_of_the_period(client, city, rows, analyst):
    client.force_login(analyst)
    page = shown(client, month_query())
    expected = figures.kpis(figures.Scope(city=city, first=MONTH[0], last=MONTH[1]))
    for kpi in Kpi:
        element = page.by_id[f"kpi-{kpi.value}"]
        value = expected[kpi.value].value
        assert element["data-value"] == ("" if value is None else str(value)), kpi
    # 35 of 60 applications online; 7 of 60 returned (September's one is outside the month).
    assert page.by_id["kpi-online_share"]["data-value"] == str((Decimal(35) * 100 / 60).quantize(Decimal("0.1")))
    assert page.by_id["kpi-return_rate"]["data-value"] == str((Decimal(7) * 100 / 60).quantize(Decimal("0.1")))
    assert page.by_id["kpi-e_applications"]["data-value"] == "35"
    assert page.by_id["kpi-wait_average"]["data-value"] == "10.0"
    assert page.by_id["scope"]["data-first"] == "2026-10-01"


# --- who reads ----------------------------------------------------------------------------------

@pytest.fixture
def other_analyst(other_city, django_user_model):
    return reader(django_user_model, other_city, "kpi-analyst-other", ANALYST, department="kodomo")


@pytest.mark.parametrize("path", [OVERVIEW, TARGETS])
def test_readers_of_the_figures_and_no_one_else(client, city, staff, rows, analyst, other_analyst,
                                                django_user_model, path):
    department_admin = reader(django_user_model, city, "kacho-kanri", Role.ADMIN, department="kankyo")
    for user in (analyst, department_admin, staff["city-admin"]):
        client.force_login(user)
        assert client.get(path).status_code == 200, user.username
    for user in (staff["kodomo-tanto"], staff["kodomo-kacho"], other_analyst):
        client.force_login(user)
        assert client.get(path).status_code == 403, user.username
    client.logout()
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith(reverse("casework:login"))


def test_the_staff_navigation_links_the_figures_for_readers_only(client, city, staff, analyst):
    client.force_login(analyst)
    assert "nav-insights" in Elements(client.get(reverse("casework:queue")).content.decode()).by_id
    client.force_login(staff["kodomo-tanto"])
    assert "nav-insights" not in Elements(client.get(reverse("casework:queue")).content.decode()).by_id


def test_the_site_footer_links_the_public_dashboard(client, city):
    page = Elements(client.get(reverse("applications:catalogue")).content.decode())
    assert page.by_id["footer-insights"]["href"] == reverse("insights_public:dashboard")


# --- filters ------------------------------------------------------------------------------------

def test_a_procedure_and_a_department_narrow_every_figure(client, city, rows, analyst):
    client.force_login(analyst)
    page = shown(client, month_query(procedure=CHILD_CLAIM))
    assert page.by_id["kpi-online_share"]["data-value"] == "75.0"  # 30 of 40
    assert page.by_id["kpi-return_rate"]["data-value"] == "15.0"   # 6 of 40
    assert page.by_id["scope"]["data-procedure"] == CHILD_CLAIM
    # The queue belongs to no department: not the city's figure under the filter's name.
    assert page.by_id["kpi-wait_average"]["data-value"] == ""
    kankyo = shown(client, month_query(department="kankyo"))
    assert kankyo.by_id["kpi-online_share"]["data-value"] == "25.0"  # 5 of 20
    assert kankyo.by_id["scope"]["data-department"] == "kankyo"
    scope = figures.Scope(city=city, first=MONTH[0], last=MONTH[1], department=rows["kankyo"])
    for kpi, figure in figures.kpis(scope).items():
        assert kankyo.by_id[f"kpi-{kpi}"]["data-value"] == ("" if figure.value is None else str(figure.value))


def test_the_reasons_of_a_department_for_a_month(client, city, rows, analyst):
    client.force_login(analyst)
    page = shown(client, month_query(department="kodomo"))
    reasons = {row["data-key"]: row["data-value"] for row in page.with_attr("tr", "data-key")
               if row["data-key"] in ("missing", "attachment", "identity", "eligibility", "other")}
    assert reasons == {"missing": "4", "attachment": "2", "identity": "0", "eligibility": "0", "other": "0"}


def test_the_presets_choose_whole_periods(client, city, rows, analyst, monkeypatch):
    from django.utils import timezone
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 11, 15))
    client.force_login(analyst)
    for preset, first, last in (("last_month", "2026-10-01", "2026-10-31"),
                                ("this_month", "2026-11-01", "2026-11-15"),
                                ("this_year", "2026-04-01", "2026-11-15")):
        page = shown(client, {"preset": preset, "procedure": CHILD_CLAIM})
        assert (page.by_id["scope"]["data-first"], page.by_id["scope"]["data-last"]) == (first, last), preset
        assert page.by_id[f"preset-{preset}"]["aria-current"] == "true"
        # The form shows the preset's dates, so sending it on keeps the period.
        assert (page.by_id["id_first"]["value"], page.by_id["id_last"]["value"]) == (first, last)
    assert shown(client, {"preset": "last_month"}).by_id["kpi-e_applications"]["data-value"] == "35"
    # No query: this fiscal year.
    assert shown(client, {}).by_id["scope"]["data-first"] == "2026-04-01"


@pytest.mark.parametrize(("query", "field"), [
    ({"preset": "custom", "first": "2026-10-31", "last": "2026-10-01"}, "last"),
    ({"preset": "custom", "first": "2026-13-01", "last": "2026-10-01"}, "first"),
    ({"preset": "custom", "first": "", "last": "2026-10-01"}, "first"),
    ({"preset": "custom", "first": "2010-01-01", "last": "2026-10-01"}, "last"),
    ({"preset": "custom", "first": "9999-12-01", "last": "9999-12-31"}, "last"),
    ({"preset": "custom", "first": "1900-01-01", "last": "1900-01-31"}, "first"),
    ({"preset": "someday"}, "preset"),
    ({"department": "nonexistent"}, "department"),
    ({"procedure": "no-such-procedure"}, "procedure"),
])
def test_a_bad_filter_is_told_at_its_field(client, city, rows, analyst, query, field):
    client.force_login(analyst)
    response = client.get(OVERVIEW, query)
    assert response.status_code == 200
    page = Elements(response.content.decode())
    assert f"id_{field}-error" in page.by_id
    if field != "preset":  # the presets are links: their refusal is shown beside them
        assert page.by_id[f"id_{field}"]["aria-describedby"] == f"id_{field}-error"
    assert "error-summary" in page.by_id
    assert not any(key.startswith("kpi-") for key in page.by_id)  # no figures for a period not understood


# --- charts -------------------------------------------------------------------------------------

def test_each_chart_is_an_image_with_a_table_and_a_summary_and_no_style(client, city, rows, analyst):
    client.force_login(analyst)
    html = client.get(OVERVIEW, month_query()).content.decode()
    page = Elements(html)
    charts = [a for t, a in page.all if t == "figure" and "chart" in a.get("class", "")]
    assert len(charts) >= 10
    drawn = [c for c in charts if c["data-empty"] == "false"]
    assert len(drawn) >= 6
    for chart in drawn:
        name = chart["id"].removeprefix("chart-")
        svg_labels = page.by_id[f"{name}-svg-title"], page.by_id[f"{name}-svg-desc"]
        assert all(svg_labels)
        assert f"{name}-table" in page.by_id and f"{name}-summary" in page.by_id
    for chart in charts:  # a chart with nothing to draw says so, in words
        name = chart["id"].removeprefix("chart-")
        assert f"{name}-summary" in page.by_id
        assert (f"{name}-svg-title" in page.by_id) == (chart["data-empty"] == "false")
    assert page.by_id["chart-trend-processing_days"]["data-empty"] == "true"  # no decisions in October
    for tag, attrs in page.all:
        assert "style" not in attrs, (tag, attrs)  # the Content Security Policy refuses them
    assert "<script" not in html.split('id="main"')[1]
    images = [a for t, a in page.all if t == "svg"]
    assert images and all(a["role"] == "img" for a in images)
    # The daily online share of 5 October in the chart's table is the day's figure.
    day = figures.series(figures.Scope(city=city, first=MONTH[0], last=MONTH[1]), Kpi.ONLINE_SHARE, "day")[4][1]
    row = next(a for a in page.with_attr("tr", "data-key") if a["data-key"] == "2026-10-05")
    assert row["data-value"] == str(day.value) == "62.5"  # 25 of 40
    # Waits by hour: the 9 o'clock tickets waited 10 minutes on average (120 minutes over 12).
    hour = next(a for a in page.with_attr("tr", "data-key") if a["data-key"] == "09")
    assert hour["data-value"] == "10.0"
    assert page.by_id["chart-trend-service_average"]["data-empty"] == "true"  # no service times counted


def test_a_target_is_shown_against_the_figure(client, city, rows, analyst):
    Target.objects.create(municipality=city, kpi=Kpi.ONLINE_SHARE, year=2026, value=Decimal("50"))
    Target.objects.create(municipality=city, kpi=Kpi.RETURN_RATE, year=2026, value=Decimal("5"))
    client.force_login(analyst)
    page = shown(client, month_query())
    assert page.by_id["kpi-online_share"]["data-target"] == "50.00"
    standings = {a["data-kpi"]: None for a in page.with_attr("tr", "data-kpi")}
    assert set(standings) == {k.value for k in Kpi}
    html = client.get(OVERVIEW, month_query()).content.decode()
    assert 'data-standing="met"' in html.split('data-kpi="online_share"')[1].split("</tr>")[0]  # 58.3 ≥ 50
    assert 'data-standing="not_met"' in html.split('data-kpi="return_rate"')[1].split("</tr>")[0]  # 11.7 > 5
    assert 'class="target"' in html.split('id="chart-trend-online_share"')[1].split("</svg>")[0]


# --- targets ------------------------------------------------------------------------------------

def test_the_city_administrator_sets_and_replaces_a_target(client, city, staff):
    client.force_login(staff["city-admin"])
    post = {"kpi": Kpi.ONLINE_SHARE, "year": "2027", "value": "50", "baseline": "31.2", "source": "DX推進計画 p.12"}
    assert client.post(TARGETS, post).status_code == 302
    assert client.post(TARGETS, {**post, "value": "55.5"}).status_code == 302
    target = Target.objects.get(municipality=city, kpi=Kpi.ONLINE_SHARE, year=2027)
    assert (target.value, target.baseline) == (Decimal("55.5"), Decimal("31.2"))
    events = AuditEvent.objects.filter(municipality=city, action="insights.target_set").order_by("pk")
    assert [e.detail["after"]["value"] for e in events] == ["50.00", "55.50"]
    assert events.last().detail["before"]["value"] == "50.00"
    page = Elements(client.get(TARGETS).content.decode())
    assert page.by_id["target-online_share-2027"]["data-value"] == "55.50"
    assert client.post(TARGETS, {"action": "remove", "kpi": Kpi.ONLINE_SHARE, "year": "2027"}).status_code == 302
    assert not Target.objects.filter(municipality=city).exists()


def test_a_department_admin_sets_a_target_and_an_analyst_only_reads(client, city, analyst, django_user_model):
    post = {"kpi": Kpi.E_APPLICATIONS, "year": "2027", "value": "43000"}
    client.force_login(analyst)
    page = Elements(client.get(TARGETS).content.decode())
    assert "target-form" not in page.by_id and "targets-read-only" in page.by_id
    assert client.post(TARGETS, post).status_code == 403
    assert not Target.objects.exists()
    client.force_login(reader(django_user_model, city, "kanri", Role.ADMIN))
    assert client.post(TARGETS, post).status_code == 302
    assert Target.objects.get(kpi=Kpi.E_APPLICATIONS).value == 43000


@pytest.mark.parametrize(("post", "field"), [
    ({"kpi": Kpi.ONLINE_SHARE, "year": "2027", "value": "120"}, "value"),
    ({"kpi": Kpi.ONLINE_SHARE, "year": "2027", "value": "50", "baseline": "101"}, "baseline"),
    ({"kpi": Kpi.E_APPLICATIONS, "year": "2027", "value": "43000.5"}, "value"),
    ({"kpi": Kpi.WAIT_AVERAGE, "year": "2027", "value": "-1"}, "value"),
    ({"kpi": Kpi.WAIT_AVERAGE, "year": "1999", "value": "30"}, "year"),
    ({"kpi": Kpi.WAIT_AVERAGE, "year": "2027", "value": "abc"}, "value"),
    ({"kpi": "happiness", "year": "2027", "value": "3"}, "kpi"),
    ({"kpi": Kpi.WAIT_AVERAGE, "year": "2027", "value": "30", "source": "x" * 201}, "source"),
])
def test_a_bad_target_is_told_at_its_field(client, city, staff, post, field):
    client.force_login(staff["city-admin"])
    response = client.post(TARGETS, post)
    assert response.status_code == 400
    page = Elements(response.content.decode())
    assert f"id_{field}-error" in page.by_id
    assert page.by_id[f"id_{field}"]["aria-describedby"].startswith(f"id_{field}-error")
    assert not Target.objects.exists()


def test_another_citys_administrator_sets_nothing_here(client, city, other_city, django_user_model):
    outsider = django_user_model.objects.create_user("other-admin", password="x-pass-2026")
    CityAdministrator.objects.create(user=outsider, municipality=other_city)
    client.force_login(outsider)
    assert client.post(TARGETS, {"kpi": Kpi.ONLINE_SHARE, "year": "2027", "value": "50"}).status_code == 403
    assert not Target.objects.exists()


# --- kept between builds ------------------------------------------------------------------------

def test_the_page_is_kept_until_a_build_or_a_target_changes_it(client, city, rows, analyst):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from insights_page_rows import built, put

    from madoguchi.insights.measures import Measure

    client.force_login(analyst)
    with CaptureQueriesContext(connection) as first:
        assert shown(client, month_query()).by_id["kpi-e_applications"]["data-value"] == "35"
    with CaptureQueriesContext(connection) as again:
        page = shown(client, month_query())
    assert page.by_id["kpi-e_applications"]["data-value"] == "35"
    def figure_reads(captured):
        return [q["sql"] for q in captured.captured_queries if "insights_dailyfigure" in q["sql"]]

    assert figure_reads(first)
    assert figure_reads(again) == [] or all("MIN" in sql.upper() for sql in figure_reads(again))  # only periods()
    # The job rebuilds a day with five more online applications: the page reads them.
    put(city, date(2026, 10, 7), Measure.APPLICATIONS, 5, dimension="online", department=rows["kodomo"],
        procedure=CHILD_CLAIM)
    built(city, date(2026, 10, 7))
    assert shown(client, month_query()).by_id["kpi-e_applications"]["data-value"] == "40"
    # A target saved, then removed: the page compares at once, then no longer.
    target = Target.objects.create(municipality=city, kpi=Kpi.E_APPLICATIONS, year=2026, value=Decimal("100"))
    assert shown(client, month_query()).by_id["kpi-e_applications"]["data-target"] == "100.00"
    target.delete()
    assert shown(client, month_query()).by_id["kpi-e_applications"]["data-target"] == ""
