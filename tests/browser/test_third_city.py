"""A third city, made by the system administrator with `madoguchi city create`, serves at once on
its own host (third.localhost: Chromium resolves *.localhost to 127.0.0.1) with its own name;
the system administrator's pages list it, show its checks, and let a city be made through the
page with the same validation. axe-core on every page."""

from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from madoguchi.core.models import AuditEvent, Municipality

from .helpers import check_a11y, log_in_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_city_made_with_the_command_serves_on_its_host_and_is_listed(new_context, site, settings):
    port = urlsplit(site).port
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, ".localhost"]
    call_command("city", "create", "--code", "999979", "--name", "みなみ町", "--kana", "みなみちょう",
                 "--slug", "third", "--host", "third.localhost", "--public-url", f"http://third.localhost:{port}",
                 "--phone", "0994-00-1234", "--hours", "平日 8:30〜17:15", stdout=open("/dev/null", "w"))  # noqa: SIM115
    third = Municipality.objects.get(slug="third")
    assert AuditEvent.objects.filter(municipality=third, action="city_created", actor_ref="system").exists()

    context = new_context()
    resident = context.new_page()
    resident.goto(f"http://third.localhost:{port}/")
    expect(resident.locator("#site-brand .brand-city")).to_have_text("みなみ町")
    check_a11y(resident)
    resident.goto(f"{site}/")  # the demo city's host still serves デモ市
    expect(resident.locator("#site-brand .brand-city")).to_have_text("デモ市")

    staff = new_context().new_page()
    log_in_staff(staff, "admin")  # the demo's superuser: the system administrator
    staff.goto(f"{site}/system/")
    row = staff.locator('#cities tr[data-slug="third"]')
    expect(row).to_contain_text("みなみ町")
    expect(row).to_contain_text("third.localhost")
    check_a11y(staff)
    row.get_by_role("link", name="みなみ町").click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("みなみ町")
    expect(staff.locator('#checks tr[data-check="settings"]')).to_have_attribute("data-ok", "true")
    check_a11y(staff)

    # The same city through the page: a wrong check digit is refused next to its field.
    staff.goto(f"{site}/system/cities/new/")
    check_a11y(staff)
    staff.locator("#id_code").fill("472019")
    staff.locator("#id_name").fill("那覇市")
    staff.locator("#id_slug").fill("naha")
    staff.locator("#id_hostname").fill("naha.localhost")
    staff.get_by_role("button", name="作成する").click()
    expect(staff.locator("#id_code-error")).to_contain_text("472018")
    check_a11y(staff)
    expect(staff.locator("#id_code")).to_have_attribute("aria-invalid", "true")
    expect(staff.locator("#id_code")).to_have_attribute("aria-describedby", "id_code-error")
    staff.locator("#id_code").fill("472018")
    staff.get_by_role("button", name="作成する").click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("那覇市")
    naha = context.new_page()
    naha.goto(f"http://naha.localhost:{port}/")
    expect(naha.locator("#site-brand .brand-city")).to_have_text("那覇市")
