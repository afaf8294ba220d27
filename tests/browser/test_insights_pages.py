"""The city's figures in a real browser: an analyst reads the online share of 児童手当 and the
差戻し reasons of こども家庭課 for a month on the staff page, then the targets; a resident reads
the public dashboard on a phone without logging in (a small count reads 10件未満), and without
JavaScript; the staff page prints without its filters. axe-core on every page."""

import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from madoguchi.core.models import Role, StaffMembership
from madoguchi.insights import figures

from .helpers import STAFF_PASSWORD, check_a11y, check_phone_page, log_in_staff, screenshot

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "insights"))
from insights_page_rows import CHILD_CLAIM, MONTH, october  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Records Content-Security-Policy violations before any page script runs: the charts are SVG
# styled by classes, so the policy (no inline style, no inline script) must refuse nothing.
RECORD_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def no_csp_violation(page):
    page.wait_for_load_state("load")
    assert page.evaluate("window.__csp || []") == [], page.url


@pytest.fixture
def figures_of_october(site, city, django_user_model):
    """October's figures, and an analyst (分析担当) of the city."""
    rows = october(city)
    analyst = django_user_model.objects.create_user("kpi-analyst", password=STAFF_PASSWORD)
    StaffMembership.objects.create(user=analyst, department=rows["kodomo"], role=Role.ANALYST)
    return rows


def test_an_analyst_reads_a_procedure_and_a_department_for_a_month(new_context, city, figures_of_october):
    page = new_context().new_page()
    log_in_staff(page, "kpi-analyst")
    page.locator("#nav-insights").click()
    expect(page.locator("#kpi-table")).to_be_visible()
    check_a11y(page)

    # 児童手当 (認定請求) in October: the online share.
    page.locator("#id_first").fill(MONTH[0].isoformat())
    page.locator("#id_last").fill(MONTH[1].isoformat())
    page.locator("#id_procedure").select_option(CHILD_CLAIM)
    page.locator("#filter-submit").click()
    expect(page.locator("#scope")).to_have_attribute("data-procedure", CHILD_CLAIM)
    expected = figures.kpis(figures.Scope(city=city, first=MONTH[0], last=MONTH[1], procedure=CHILD_CLAIM))
    assert str(expected["online_share"].value) == "75.0"  # 30 of 40
    expect(page.locator("#kpi-online_share")).to_have_attribute("data-value", "75.0")
    expect(page.locator("#chart-trend-online_share svg[role=img]")).to_be_visible()
    check_a11y(page)
    screenshot(page, "insights-overview")

    # こども家庭課 in October: the 差戻し reasons.
    page.locator("#id_procedure").select_option("")
    page.locator("#id_department").select_option("kodomo")
    page.locator("#filter-submit").click()
    expect(page.locator("#scope")).to_have_attribute("data-department", "kodomo")
    for reason, count in (("missing", "4"), ("attachment", "2"), ("identity", "0")):  # kankyo's one not here
        expect(page.locator(f'#breakdown-return_reasons-table tr[data-key="{reason}"]')).to_have_attribute(
            "data-value", count)
    expect(page.locator("#section-returns svg[role=img]").last).to_be_visible()
    # A wrong period is told at its field, on the same page.
    page.locator("#id_last").fill("2026-09-01")
    page.locator("#filter-submit").click()
    expect(page.locator("#id_last-error")).to_be_visible()
    expect(page.locator("#id_last")).to_have_attribute("aria-describedby", "id_last-error")
    check_a11y(page)

    # The targets: an analyst reads them.
    page.locator("#link-targets").click()
    expect(page.locator("#targets-table")).to_be_visible()
    expect(page.locator("#targets-read-only")).to_be_visible()
    check_a11y(page)


def test_the_city_administrator_sets_a_target_and_the_page_compares(new_context, city, figures_of_october):
    context = new_context()
    context.add_init_script(RECORD_CSP)
    page = context.new_page()
    page.goto("/staff/login/")
    page.get_by_label("ユーザー名").fill("city-admin")
    page.get_by_label("パスワード").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.goto("/staff/insights/targets/")
    check_a11y(page)
    page.locator("#id_kpi").select_option("online_share")
    page.locator("#id_year").fill("2026")
    page.locator("#id_value").fill("150")
    page.locator("#target-save").click()
    expect(page.locator("#id_value-error")).to_be_visible()
    check_a11y(page)
    page.locator("#id_value").fill("50")
    page.locator("#id_baseline").fill("31.2")
    page.locator("#target-save").click()
    expect(page.locator("#target-online_share-2026")).to_have_attribute("data-value", "50.00")
    check_a11y(page)
    screenshot(page, "insights-targets")
    page.goto(f"/staff/insights/?preset=custom&first={MONTH[0]}&last={MONTH[1]}")
    expect(page.locator("#kpi-online_share")).to_have_attribute("data-target", "50.00")
    expect(page.locator('tr[data-kpi="online_share"] td[data-standing]')).to_have_attribute("data-standing", "met")
    expect(page.locator("#chart-trend-online_share line.target")).to_have_count(1)
    no_csp_violation(page)
    # Printed: the charts and tables, without the filters.
    page.emulate_media(media="print")
    expect(page.locator("#insights-filter")).to_be_hidden()
    expect(page.locator("#chart-trend-online_share svg")).to_be_visible()
    expect(page.locator("#kpi-table")).to_be_visible()


def test_the_public_dashboard_on_a_phone_without_login(phone, city, figures_of_october):
    phone.context.add_init_script(RECORD_CSP)
    phone.goto("/")
    phone.locator("#footer-insights").click()
    expect(phone.locator("#headlines")).to_be_visible()
    expect(phone.locator("#kpi-online_share")).to_have_attribute("data-value", "62.7")
    # 4 survey answers: fewer than ten, so no number.
    expect(phone.locator("#kpi-satisfaction")).to_have_attribute("data-suppressed", "true")
    expect(phone.locator("#kpi-satisfaction")).to_have_attribute("data-value", "")
    expect(phone.locator("#chart-trend-online_share svg[role=img]")).to_be_visible()
    check_phone_page(phone)
    no_csp_violation(phone)
    screenshot(phone, "insights-dashboard-phone")
    phone.goto("/insights/?lang=en")
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.locator("#kpi-online_share")).to_have_attribute("data-value", "62.7")
    check_phone_page(phone)


def test_the_public_dashboard_without_javascript(new_context, city, figures_of_october):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/insights/")
    expect(page.locator("#chart-trend-online_share svg[role=img]")).to_be_visible()
    expect(page.locator("#trend-online_share-table tbody tr")).to_have_count(7)  # April to October
    page.locator("#id_year").select_option("2026")
    page.locator("#year-submit").click()
    expect(page.locator("#scope")).to_have_attribute("data-year", "2026")
    check_a11y(page)
