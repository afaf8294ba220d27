"""A department's day in a real browser: the clerk sorts the queue by due day and finds the
overdue case first and marked, takes it (自分が担当する), sees it under 自分の担当, ticks its
checklist, and accepts two 届出 at once from the queue; axe-core on every page."""

from datetime import timedelta

import pytest
from django.test import Client
from playwright.sync_api import expect

from madoguchi.applications.models import Status, Submission
from madoguchi.casework import work
from madoguchi.identity.models import ResidentAccount

from .helpers import check_a11y, log_in_staff, screenshot
from conftest import login_resident
from support import submit_via_web

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def kodomo_cases(site, city):
    account = ResidentAccount.objects.create(municipality=city, email="work@example.jp")
    client = login_resident(Client(), account)
    claim = submit_via_web(client, "child-allowance-claim")
    notices = [submit_via_web(client, "child-allowance-change") for _ in range(2)]
    # The claim arrived long ago: its 標準処理期間 ended yesterday.
    Submission.objects.filter(pk=claim.pk).update(due_on=work.today() - timedelta(days=1))
    return claim, notices


def test_assign_tick_overdue_first_and_bulk_accept(new_context, kodomo_cases):
    claim, notices = kodomo_cases
    page = new_context().new_page()
    log_in_staff(page, "kodomo-tanto")

    # By due day: the overdue claim first, marked by a tag (not by colour alone).
    page.get_by_label("並び順").select_option("due")
    page.get_by_role("button", name="絞り込む").click()
    rows = page.locator("#queue-table tbody tr")
    expect(rows.first).to_have_attribute("data-case", claim.receipt_number)
    expect(rows.first).to_have_attribute("data-overdue", "true")
    expect(rows.first.locator(".tag.overdue")).to_be_visible()
    expect(page.locator('#queue-table tbody tr[data-overdue="true"]')).to_have_count(1)
    check_a11y(page)

    # The case: take it, tick the checklist.
    rows.first.get_by_role("link", name=claim.receipt_number).click()
    expect(page.locator("#work-due")).to_have_attribute("data-overdue", "true")
    page.locator("#work-take").click()
    expect(page.locator("#work-assignee")).to_have_attribute("data-mine", "true")
    check_a11y(page)
    item = page.locator("#checklist-documents")
    expect(item).to_have_attribute("data-ticked", "false")
    page.locator("#checklist-documents-button").click()
    expect(page.locator("#checklist-documents")).to_have_attribute("data-ticked", "true")
    expect(page.locator("#work-history")).to_be_attached()
    check_a11y(page)

    # 自分の担当: only the claim.
    page.goto("/staff/")
    page.locator("#tab-mine").click()
    expect(page.locator("#tab-mine")).to_have_attribute("aria-current", "page")
    expect(page.locator("#queue-table tbody tr[data-case]")).to_have_count(1)
    expect(page.locator("#queue-table tbody tr[data-case]").first).to_have_attribute("data-case", claim.receipt_number)
    expect(page.locator("#queue-table td.assignee").first).not_to_have_attribute("data-assignee", "")
    check_a11y(page)

    # Bulk 受付 of the two 届出 (the claim, an application, is not offered).
    page.locator("#tab-all").click()
    screenshot(page, "casework-queue")
    expect(page.locator(f"#bulk-{claim.receipt_number}")).to_have_count(0)
    for notice in notices:
        page.locator(f"#bulk-{notice.receipt_number}").check()
    page.locator("#bulk-accept").click()
    expect(page.locator(".messages [class*=\"bulk-accepted\"]")).to_be_visible()
    for notice in notices:
        expect(page.locator(f"#bulk-{notice.receipt_number}")).to_have_count(0)
        notice.refresh_from_db()
        assert notice.status == Status.ACCEPTED
    check_a11y(page)
