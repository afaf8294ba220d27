"""支援措置 in a real browser: the 支援措置担当 finds a resident, marks the household, sees the
record masked on the look-up page, and shows the address only with a reason; a plain clerk sees
the mark but never the address. axe-core on every page of the way."""

import pytest
from playwright.sync_api import expect

from madoguchi.core.models import AuditEvent
from madoguchi.register.models import Resident, SupportMeasure
from madoguchi.register.seeding import generate_register

from .helpers import check_a11y, log_in_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _look_up(page, kana: str, born: str) -> None:
    page.goto("/staff/register/")
    page.locator("#reason").fill("窓口受付 A-7 支援措置の申出")
    page.locator("#kana").fill(kana)
    page.locator("#birth_date").fill(born)
    page.get_by_role("button", name="照会する").click()
    expect(page.locator("#result-count")).to_be_visible()


def test_marking_masking_and_revealing_with_a_reason(site, city, new_context):
    generate_register(city, 40, seed=2)
    taro = Resident.objects.get(municipality=city, kana_key="ヤマダタロウ", birth_date="1988-05-20")
    page = new_context().new_page()
    log_in_staff(page, "shimin-shien")
    _look_up(page, "ヤマダ タロウ", "1988-05-20")
    expect(page.locator(f'[data-protected="{taro.pk}"]')).to_have_count(0)
    check_a11y(page)

    page.locator("a.support-mark").first.click()
    expect(page.locator("#support-subject")).to_be_visible()
    check_a11y(page)
    page.locator("#ends_on").fill("いつか")
    page.get_by_role("button", name="登録する").click()
    expect(page.locator("#support-error")).to_be_visible()
    check_a11y(page)
    page.locator("#ends_on").fill("")
    page.locator("#reference").fill("R8-支援-3")
    page.locator("#household").check()
    page.locator("#against_name").fill("加害 次郎")
    page.get_by_role("button", name="登録する").click()
    measure = SupportMeasure.objects.get(resident=taro)
    expect(page.locator(f"#measure-{measure.pk}")).to_have_attribute("data-in-force", "true")
    assert SupportMeasure.objects.filter(reference="R8-支援-3").count() == 4
    check_a11y(page)

    _look_up(page, "ヤマダ タロウ", "1988-05-20")
    expect(page.locator(f'[data-protected="{taro.pk}"]')).to_be_visible()
    expect(page.get_by_text(taro.address)).to_have_count(0)
    check_a11y(page)
    page.locator(f"#reveal-reason-{taro.pk}").fill("支援措置の延長の確認")
    page.locator(f"#reveal-{taro.pk}").get_by_role("button").click()
    expect(page.locator(".address")).to_have_text(taro.full_address)
    check_a11y(page)
    assert AuditEvent.objects.filter(action="register_protected_view", subject_ref=taro.ref).count() == 1

    clerk = new_context().new_page()
    log_in_staff(clerk, "shimin-tanto")
    _look_up(clerk, "ヤマダ タロウ", "1988-05-20")
    expect(clerk.locator(f'[data-protected="{taro.pk}"]')).to_be_visible()
    expect(clerk.locator(f"#reveal-{taro.pk}")).to_have_count(0)
    expect(clerk.get_by_text(taro.address)).to_have_count(0)
    check_a11y(clerk)
