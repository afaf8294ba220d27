"""A hand-off that fails, then 「再送」 by the department: the clerk accepts a 児童手当 claim while
the business system is down; the hand-off shows as 失敗 on /staff/handoffs/ and on the case;
the system comes back; the clerk presses 「再送」; it shows 連携済み, and the system received the
case exactly once. axe-core on each page."""

import sys
from pathlib import Path

import pytest
import yaml
from django.test import Client
from playwright.sync_api import expect

from madoguchi.handoff.models import Handoff
from madoguchi.identity.models import ResidentAccount

from .helpers import check_a11y, log_in_staff, screenshot
from conftest import login_resident
from support import submit_via_web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "handoff"))
from target_server import TargetServer, new_secret  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE = "child-allowance-claim"


@pytest.fixture
def business_system(site, settings, tmp_path):
    """The local 児童手当 system behind an HTTP target of the demo city, down until recovered."""
    server = TargetServer(new_secret()).start()
    secret_file = tmp_path / "jidou.secret"
    secret_file.write_text(server.secret)
    folder = tmp_path / "config" / "demo"
    folder.mkdir(parents=True)
    (folder / "handoff.yaml").write_text(yaml.safe_dump({"targets": [{
        "name": "jidou-teate-api", "kind": "http", "title": "児童手当システム",  # ja-only: test data
        "procedures": [CODE], "events": ["accepted"], "url": server.url,
        "secret_file": str(secret_file), "timeout_seconds": 5}]}, allow_unicode=True), encoding="utf-8")
    settings.MADOGUCHI_HANDOFF_CONFIG_DIR = str(tmp_path / "config")
    settings.MADOGUCHI_HANDOFF_MODE = "inline"
    settings.MADOGUCHI_HANDOFF_GIVE_UP_HOURS = 0  # the first failure is the last: 失敗 at once
    server.fail_next(None)
    yield server
    server.stop()


def test_a_failed_hand_off_is_resent_once(new_context, city, business_system):
    account = ResidentAccount.objects.create(municipality=city, email="handoff.browser@example.jp")
    case = submit_via_web(login_resident(Client(), account), CODE)

    page = new_context().new_page()
    log_in_staff(page, "kodomo-tanto")
    page.goto(f"/staff/cases/{case.public_id}/")
    page.get_by_role("button", name="受付する").click()
    expect(page.locator("#case-status")).to_have_attribute("data-status", "accepted")
    handoff = Handoff.objects.get(submission=case)
    panel = page.locator("#handoff tr.handoff")
    expect(panel).to_have_attribute("data-state", "failed")
    check_a11y(page)

    page.goto("/staff/handoffs/")
    row = page.locator(f"#handoff-{handoff.public_id}")
    expect(row).to_have_attribute("data-state", "failed")
    expect(row.locator(".error-text")).to_contain_text("503")
    check_a11y(page)
    screenshot(page, "handoff-failed")
    assert business_system.accepted == {} and len(business_system.posts) == 1

    business_system.recover()
    row.get_by_role("button").click()
    expect(page.locator(".msg-resend-delivered")).to_be_visible()
    expect(page.locator(f"#handoff-{handoff.public_id}")).to_have_count(0)  # no longer open
    check_a11y(page)
    page.locator("#filter-delivered").click()
    expect(page.locator(f"#handoff-{handoff.public_id}")).to_have_attribute("data-state", "delivered")
    check_a11y(page)

    page.goto(f"/staff/cases/{case.public_id}/")
    expect(panel).to_have_attribute("data-state", "delivered")
    expect(page.locator(f"#resend-{handoff.public_id}")).to_have_count(0)
    assert list(business_system.accepted) == [str(handoff.public_id)]
    assert business_system.posts == [str(handoff.public_id)] * 2  # the failed try, the 再送
    assert business_system.refused == 0
