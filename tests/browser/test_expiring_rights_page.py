"""A city administrator's page of expiring rights in a real browser: the list of what ends
soon, a renewal refused without a choice and then made for the chosen roles, and a temporary
exception refused without its reason and then granted. axe-core on every page of the way."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from madoguchi.administration.demo import load_city_admin
from madoguchi.core.models import Department, StaffMembership, fiscal_year_end
from madoguchi.core.roles import today

from .helpers import STAFF_PASSWORD, check_a11y

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, base: str, username: str, password: str, then: str) -> None:
    page.goto(f"{base}/staff/login/?next={then}")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()


def _ends_in(username: str, days: int) -> StaffMembership:
    membership = StaffMembership.objects.get(user__username=username, department__municipality__slug="demo")
    membership.valid_until = today() + timedelta(days=days)
    membership.valid_from = min(membership.valid_from, membership.valid_until)
    membership.save()
    return membership


def test_the_administrator_renews_expiring_rights_and_grants_an_exception(site, city, staff, new_context):
    load_city_admin(city, "city-admin", STAFF_PASSWORD)
    soon, ended = _ends_in("kankyo-tanto", 10), _ends_in("kodomo-tanto", -3)
    later = _ends_in("shimin-tanto", 120)
    admin = new_context().new_page()
    log_in(admin, site, "city-admin", STAFF_PASSWORD, "/staff/city/")
    admin.locator("#section-rights a").click()
    expect(admin.locator(f'#rights tr[data-membership="{soon.pk}"]')).to_have_attribute("data-state", "expiring")
    expect(admin.locator(f'#rights tr[data-membership="{ended.pk}"]')).to_have_attribute("data-state", "expired")
    expect(admin.locator(f'#rights tr[data-membership="{later.pk}"]')).to_have_count(0)
    check_a11y(admin)

    # a wrong number of days is refused at its field; the list stays
    admin.locator("#id_days").fill("0")
    admin.locator("#rights-show").click()
    expect(admin.locator("#id_days-error")).to_be_visible()
    expect(admin.locator(f'#rights tr[data-membership="{soon.pk}"]')).to_be_visible()
    check_a11y(admin)

    # renewing nothing is refused; then the two chosen roles are renewed in one go
    admin.locator("#rights-renew").click()
    expect(admin.locator("#id_membership-error")).to_be_visible()
    check_a11y(admin)
    admin.locator(f"#membership-{soon.pk}").check()
    admin.locator(f"#membership-{ended.pk}").check()
    admin.locator("#rights-renew").click()
    expect(admin.locator(".msg-success")).to_be_visible()
    expect(admin.locator(f'#rights tr[data-membership="{soon.pk}"]')).to_have_count(0)
    check_a11y(admin)
    soon.refresh_from_db()
    assert soon.valid_until == fiscal_year_end(today() + timedelta(days=11))

    # a temporary exception on a member's page: refused without its reason, then granted
    member = staff["kodomo-tanto"]
    admin.goto(f"{site}/staff/city/staff/{member.pk}/")
    admin.locator("#id_exception-department").select_option(label="環境衛生課")
    admin.locator("#id_exception-valid_until").fill((today() + timedelta(days=14)).isoformat())
    admin.locator("#exception-grant").click()
    expect(admin.locator("#id_exception-note-error")).to_be_visible()
    expect(admin.locator("#id_exception-note")).to_have_attribute("aria-invalid", "true")
    check_a11y(admin)
    admin.locator("#id_exception-note").fill("繁忙期の応援")
    admin.locator("#exception-grant").click()
    kankyo = Department.objects.get(municipality=city, code="kankyo")
    granted = admin.locator('#roles tr[data-role="kankyo:clerk"]')
    expect(granted).to_have_attribute("data-exception", "true")
    check_a11y(admin)
    assert StaffMembership.objects.get(user=member, department=kankyo).note == "繁忙期の応援"
