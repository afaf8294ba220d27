"""The open-data page in a real browser, on a phone and without logging in: reached from the
public dashboard, it lists the files with their columns and licence (axe-core, no sideways
scroll, in Japanese and in English), and its links give the files a program reads."""

import csv
import io
import json
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from madoguchi.insights import opendata

from .helpers import check_phone_page, screenshot

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "insights"))
from opendata_support import six_weeks  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_finds_the_open_data_from_the_dashboard_on_a_phone(phone, site, city):
    six_weeks(city)
    phone.goto("/insights/")
    phone.locator("#opendata-link a").click()

    expect(phone.locator("#opendata-heading")).to_be_visible()
    expect(phone.locator("#opendata-licence")).to_have_attribute("data-licence", "CC-BY-4.0")
    expect(phone.locator("#opendata-columns [data-kpi]")).to_have_count(len(opendata.published_kpis()))
    check_phone_page(phone)
    screenshot(phone, "opendata-phone")

    csv_url = phone.locator("#file-monthly-csv").get_attribute("href")
    rows = list(csv.DictReader(io.StringIO(phone.request.get(csv_url).text().lstrip("\ufeff"))))
    assert [r["年月"] for r in rows] == ["2026-10", "2026-11"]
    described = json.loads(phone.request.get(phone.locator("#opendata-package").get_attribute("href")).text())
    assert csv_url in {r["path"] for r in described["resources"]}

    phone.goto("/opendata/?lang=en")
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.locator("#opendata-columns [data-kpi='online_share'] dd p[lang=en]")).to_be_visible()
    check_phone_page(phone)
