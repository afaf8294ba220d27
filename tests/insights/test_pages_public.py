"""The public dashboard (/insights/): anyone reads it without logging in; every figure is
figures.public()'s, so one resting on fewer than ten cases is 「10件未満」 with no number."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation
from insights_page_rows import CHILD_CLAIM, Elements, built, october, put

from madoguchi.insights import figures, presenting
from madoguchi.insights.measures import Kpi, Measure
from madoguchi.insights.models import Target

pytestmark = pytest.mark.django_db
DASHBOARD = "/insights/"


def test_no_login_and_every_headline_is_the_public_figure(client, city):
    october(city)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    page = Elements(response.content.decode())
    assert page.by_id["scope"]["data-year"] == "2026"
    scope = figures.Scope(city=city, first=date(2026, 4, 1), last=date(2026, 10, 31))
    found = figures.kpis(scope)
    for kpi in presenting.HEADLINE:
        figure = figures.public(found[kpi])
        element = page.by_id[f"kpi-{kpi}"]
        assert element["data-value"] == ("" if figure.value is None else str(figure.value)), kpi
        assert element["data-suppressed"] == ("true" if figure.suppressed else "false"), kpi
    # 42 of 67 applications (September's 7 included) online; 12 tickets waited 10 minutes on average.
    assert page.by_id["kpi-online_share"]["data-value"] == "62.7"
    assert page.by_id["kpi-wait_average"]["data-value"] == "10.0"


def test_a_small_count_reads_fewer_than_ten_and_shows_no_number(client, city):
    october(city)  # 4 survey answers: below ten
    html = client.get(DASHBOARD).content.decode()
    page = Elements(html)
    assert page.by_id["kpi-satisfaction"]["data-suppressed"] == "true"
    assert page.by_id["kpi-satisfaction"]["data-value"] == ""
    satisfaction = html.split('id="headline-satisfaction"')[1].split("</li>")[0]
    assert "75.0" not in satisfaction  # 3 of 4, never shown, in the headline or the trend's table
    headline = satisfaction.split('id="kpi-satisfaction"')[1].split("</span>")[0]
    with translation.override("ja"):
        from madoguchi.insights.charts import shown
        assert shown(None, "percent", suppressed=True) in headline
    trend = [a for a in page.with_attr("tr", "data-key")
             if a["data-key"] == "2026-10-01" and a["data-suppressed"] == "true"]
    assert trend and all(a["data-value"] == "" for a in trend)
    # Ten answers are shown.
    put(city, date(2026, 10, 21), Measure.SATISFACTION, 6, dimension="counter:5")
    built(city, date(2026, 10, 21))  # the job rebuilt the day
    page = Elements(client.get(DASHBOARD).content.decode())
    assert page.by_id["kpi-satisfaction"]["data-suppressed"] == "false"
    assert page.by_id["kpi-satisfaction"]["data-value"] == "90.0"  # 9 of 10


def test_a_past_fiscal_year_and_a_bad_year(client, city):
    october(city)
    put(city, date(2025, 6, 1), Measure.APPLICATIONS, 12, dimension="counter", procedure=CHILD_CLAIM)
    built(city, date(2025, 6, 1))
    page = Elements(client.get(DASHBOARD, {"year": "2025"}).content.decode())
    assert (page.by_id["scope"]["data-first"], page.by_id["scope"]["data-last"]) == ("2025-04-01", "2026-03-31")
    assert page.by_id["kpi-online_share"]["data-value"] == "0.0"
    response = client.get(DASHBOARD, {"year": "1868"})
    assert response.status_code == 200
    page = Elements(response.content.decode())
    assert "id_year-error" in page.by_id and page.by_id["scope"]["data-year"] == "2026"


def test_the_target_of_the_year_is_shown(client, city):
    october(city)
    Target.objects.create(municipality=city, kpi=Kpi.ONLINE_SHARE, year=2026, value=Decimal("50"))
    html = client.get(DASHBOARD).content.decode()
    headline = html.split('id="headline-online_share"')[1].split("</li>")[0]
    assert 'data-standing="met"' in headline and 'class="target"' in headline


def test_nothing_built_yet(client, city):
    page = Elements(client.get(DASHBOARD).content.decode())
    assert "no-figures" in page.by_id
    assert not any(key.startswith("kpi-") for key in page.by_id)


def test_a_resident_reads_it_in_their_language(client, city):
    """In Brazilian Portuguese the number reads with a decimal comma; the data-value the
    same-number test reads stays the figure as figures.py gave it."""
    october(city)
    html = client.get(DASHBOARD, {"lang": "pt-br"}).content.decode()
    assert '<html lang="pt-BR"' in html or '<html lang="pt-br"' in html
    page = Elements(html)
    assert page.by_id["kpi-online_share"]["data-value"] == "62.7"
    assert "62,7" in html.split('id="kpi-online_share"')[1].split("</span>")[0]
