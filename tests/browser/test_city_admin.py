"""A city administrator in a real browser: adds a department and a clerk for their city; the
clerk logs in and works the new department's queue; the other city (on its own host) sees
neither. axe-core on every page of the way, the refusals included."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from madoguchi.administration.demo import load_city_admin
from madoguchi.core.models import Department

from .helpers import STAFF_PASSWORD, check_a11y

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OTHER_HOST = "other.localhost"  # resolves to 127.0.0.1 in Chromium without any set-up


@pytest.fixture
def two_cities(site, settings, city, other_city):
    other_city.hostname = OTHER_HOST
    other_city.save()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, OTHER_HOST]
    load_city_admin(city, "city-admin", STAFF_PASSWORD)
    load_city_admin(other_city, "other-admin", STAFF_PASSWORD)
    port = urlsplit(site).port
    return {"demo": site, "other": f"http://{OTHER_HOST}:{port}"}


def log_in(page: Page, base: str, username: str, password: str, then: str) -> None:
    page.goto(f"{base}/staff/login/?next={then}")
    expect(page.get_by_role("heading", name="職員ログイン")).to_be_visible()
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()


def test_a_city_administrator_adds_a_department_and_a_clerk(two_cities, new_context):
    admin = new_context().new_page()
    log_in(admin, two_cities["demo"], "city-admin", STAFF_PASSWORD, "/staff/city/")
    expect(admin.get_by_role("heading", level=1)).to_contain_text("自治体の管理")
    check_a11y(admin)
    expect(admin.locator("#section-procedures a")).to_have_attribute("href", "/staff/city/procedures/")

    # a department, refused once (no code, no name), then added with its English name
    admin.locator("#section-departments a").click()
    expect(admin.locator("#departments")).to_be_visible()
    check_a11y(admin)
    admin.locator("#department-add").click()
    check_a11y(admin)
    admin.locator("#id_phone").fill("12345")
    admin.locator("#department-save").click()
    expect(admin.locator("#error-summary")).to_be_visible()
    for field in ("code", "name", "phone"):
        expect(admin.locator(f"#id_{field}")).to_have_attribute("aria-invalid", "true")
        expect(admin.locator(f"#id_{field}-error")).to_be_visible()
    check_a11y(admin)
    admin.locator("#id_code").fill("bosai")
    admin.locator("#id_name").fill("防災課")
    admin.locator("#id_counter").fill("本庁舎4階")
    admin.locator("#id_phone").fill("099-000-2101")
    admin.locator("#id_name_en").fill("Disaster Prevention Division")
    admin.locator("#department-save").click()
    expect(admin.locator('#departments tr[data-code="bosai"]')).to_be_visible()
    check_a11y(admin)

    # a clerk in it, with a password made for them and shown once
    admin.get_by_role("navigation").get_by_role("link", name="職員と役割").click()
    expect(admin.locator("#staff")).to_be_visible()
    check_a11y(admin)
    admin.locator("#staff-add").click()
    check_a11y(admin)
    admin.locator("#id_username").fill("bosai-tanto")
    admin.locator("#id_last_name").fill("防災")
    admin.locator("#id_first_name").fill("一郎")
    admin.locator("#id_department").select_option(label="防災課")
    admin.locator("#id_role").select_option("clerk")
    admin.locator("#staff-save").click()
    expect(admin.get_by_role("heading", level=1)).to_contain_text("職員を追加しました")
    check_a11y(admin)
    password = admin.locator("#new-password").inner_text()
    assert len(password) >= 12
    admin.get_by_role("link", name="この職員の役割を見る").click()
    expect(admin.locator('#roles tr[data-role="bosai:clerk"]')).to_be_visible()
    check_a11y(admin)

    # the clerk logs in and sees the new department's queue
    clerk = new_context().new_page()
    log_in(clerk, two_cities["demo"], "bosai-tanto", password, "/staff/")
    expect(clerk.get_by_role("heading", name="受付一覧")).to_be_visible()
    expect(clerk.locator("main")).to_contain_text("防災課")
    check_a11y(clerk)

    # the other city: its administrator sees neither; the clerk is not its staff
    other = new_context().new_page()
    log_in(other, two_cities["other"], "other-admin", STAFF_PASSWORD, "/staff/city/departments/")
    expect(other.locator("#departments")).to_be_visible()
    expect(other.locator('#departments tr[data-code="bosai"]')).to_have_count(0)
    expect(other.locator("header")).to_contain_text("サンプル町")
    check_a11y(other)
    other.goto(f"{two_cities['other']}/staff/city/staff/")
    expect(other.locator("#staff")).to_be_visible()
    expect(other.locator('#staff tr[data-username="bosai-tanto"]')).to_have_count(0)
    log_in(clerk, two_cities["other"], "bosai-tanto", password, "/staff/")
    expect(clerk.locator("body")).to_contain_text("この自治体の職員として登録されていません")
    assert not Department.objects.filter(municipality__slug="other", code="bosai").exists()

    # the demo city's administrator cannot enter the other city's pages
    admin.goto(f"{two_cities['other']}/staff/login/?next=/staff/city/")
    log_in(admin, two_cities["other"], "city-admin", STAFF_PASSWORD, "/staff/city/")
    expect(admin.locator("body")).to_contain_text("この自治体の管理者として登録されていません")


def test_every_city_administration_page_passes_axe(two_cities, new_context, staff):
    """The pages the first test does not pass through: counters, windows, purposes, a
    department that cannot be deleted, a shared account, a password reset."""
    from django.core.management import call_command

    call_command("load_queue_demo", "--history-weeks", "0", stdout=open("/dev/null", "w"))  # noqa: SIM115
    admin = new_context().new_page()
    log_in(admin, two_cities["demo"], "city-admin", STAFF_PASSWORD, "/staff/city/counters/")
    expect(admin.locator('#counter-groups tr[data-code="jumin"]')).to_be_visible()
    check_a11y(admin)
    admin.locator("#counter-add").click()
    admin.locator("#id_prefix").fill("あ")
    admin.locator("#counter-save").click()
    expect(admin.locator("#id_prefix-error")).to_be_visible()
    check_a11y(admin)
    admin.locator("#id_code").fill("gomi")
    admin.locator("#id_name").fill("ごみ")
    admin.locator("#id_prefix").fill("G")
    admin.locator("#id_department").select_option(label="環境衛生課")
    admin.locator("#id_name_en").fill("Waste")
    admin.locator("#counter-save").click()
    expect(admin.locator("#windows")).to_be_visible()  # the new group's own page
    admin.locator("#id_number").fill("30")
    admin.locator("#window-add").click()
    expect(admin.locator('#windows tr[data-number="30"]')).to_be_visible()
    check_a11y(admin)
    admin.goto(f"{two_cities['demo']}/staff/city/counters/")
    admin.locator('#counter-groups tr[data-code="jumin"] a').click()
    admin.locator('#purposes tr[data-code="tennyu"] a').click()
    expect(admin.locator("#purpose-form")).to_be_visible()
    check_a11y(admin)

    kankyo = Department.objects.get(municipality__slug="demo", code="kankyo")
    admin.goto(f"{two_cities['demo']}/staff/city/departments/{kankyo.pk}/")
    expect(admin.locator("#not-deletable")).to_be_visible()
    expect(admin.locator("#code-fixed")).to_be_visible()
    check_a11y(admin)

    admin.goto(f"{two_cities['demo']}/staff/city/staff/{staff['admin'].pk}/")
    expect(admin.locator("#shared-account")).to_be_visible()
    check_a11y(admin)
    clerk = staff["kankyo-tanto"]
    admin.goto(f"{two_cities['demo']}/staff/city/staff/{clerk.pk}/")
    admin.locator("#password-reset").click()
    expect(admin.locator("#new-password")).to_be_visible()
    check_a11y(admin)
