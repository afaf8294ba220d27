"""児童手当 認定 with its content, in a real browser (desktop: staff work at a PC): the clerk
accepts, ticks the checklist, proposes 認定 with the amount, the months and the children (a
refused amount comes back at its field with everything typed kept); an approver sees the content
as the notice prints it and approves it; the 決定通知書 downloads sealed by the city's test LGPKI
seal, its signature validates with pyHanko, and its text carries the amounts."""

import io
from concurrent.futures import ThreadPoolExecutor

import pypdf
import pytest
from playwright.sync_api import expect
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from madoguchi.applications import services as applications
from madoguchi.catalog.loader import catalog
from madoguchi.core import cities
from madoguchi.core.seal_ca import SealTestCA

from .helpers import check_a11y, download_pdf, log_in_staff, screenshot
from conftest import login_resident
from support import submit_via_web

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE = "child-allowance-claim"
# ja-only: test data (a second child on the application)
SECOND_CHILD = {"children-count": "2", "children-1-name": "髙橋 二郎", "children-1-kana": "タカハシ ジロウ",
                "children-1-birth_date": "2022-10-01", "children-1-relationship": "child",
                "children-1-living": "together"}


@pytest.fixture
def sealed_city(city, tmp_path, settings):
    """The demo city seals its notices with a seal issued by the test LGPKI."""
    ca = SealTestCA.create(tmp_path / "seal-ca")
    city.seal_config = ca.write_seal(city.slug, city.name).config()
    city.save()
    cities.forget()  # the live server reads the city from the per-process copy
    settings.MADOGUCHI_SEAL_TRUST_ROOTS = [str(ca.root_path)]
    return ca


def validate_seal(pdf: bytes, root_path):
    """pyHanko's validation of the PDF's one signature against the test LGPKI root. In a thread of
    its own: pyHanko's synchronous API runs an event loop, and Playwright's holds this thread."""
    def validate():
        signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
        assert len(signatures) == 1
        context = ValidationContext(trust_roots=[load_cert_from_pemder(str(root_path))],
                                    allow_fetching=False)
        return validate_pdf_signature(signatures[0], context)

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(validate).result()


def status_of(page):
    return page.locator("#case-status")


def test_child_allowance_decided_with_content_and_a_sealed_notice(new_context, client, resident,
                                                                   sealed_city):
    case = submit_via_web(login_resident(client, resident), CODE, SECOND_CHILD)
    first, second = (child["name"] for child in applications.answers_of(case.current_version)["children"])
    url = f"/staff/cases/{case.public_id}/"

    clerk = new_context().new_page()
    log_in_staff(clerk, "kodomo-tanto")
    clerk.goto(url)
    check_a11y(clerk)
    clerk.get_by_role("button", name="受付する").click()
    expect(status_of(clerk)).to_have_attribute("data-status", "accepted")
    for item in catalog()[CODE].checklist:
        clerk.locator(f"#checklist-{item.id}-button").click()
        expect(clerk.locator(f"#checklist-{item.id}")).to_have_attribute("data-ticked", "true")

    # 支払月 comes ticked as the file says (偶数月), both children too; the clerk keeps the first.
    for month in ("feb", "apr", "jun", "aug", "oct", "dec"):
        expect(clerk.locator(f"#decision-approve-payment_months-{month}")).to_be_checked()
    clerk.locator("#decision-approve-children-1").uncheck()
    clerk.locator("#decision-approve-monthly_amount").fill("15,OOO")  # letters O, not zeros
    clerk.locator("#decision-approve-start_month").fill("令和8年12月")  # ja-only: test data
    clerk.locator("#propose-submit").click()
    amount = clerk.locator("#decision-approve-monthly_amount")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(clerk.locator("#decision-approve-monthly_amount-error")).to_be_visible()
    expect(amount).to_have_value("15,OOO")
    expect(clerk.locator("#decision-approve-start_month")).to_have_value("令和8年12月")  # ja-only: test data
    expect(clerk.locator("#decision-approve-children-1")).not_to_be_checked()
    expect(clerk.locator("#decision-approve-children-0")).to_be_checked()
    expect(status_of(clerk)).to_have_attribute("data-status", "accepted")
    check_a11y(clerk)
    amount.fill("15,000")
    clerk.locator("#propose-submit").click()
    expect(status_of(clerk)).to_have_attribute("data-status", "pending_approval")
    expect(clerk.locator("#approve-submit")).to_have_count(0)  # not the drafter's to approve

    approver = new_context().new_page()
    log_in_staff(approver, "kodomo-kacho")
    approver.goto(url)
    content = approver.locator("#pending-content")
    for printed in ("15,000円", "令和8年12月分から", first, "2月・4月・6月・8月・10月・12月"):  # ja-only: test data
        expect(content).to_contain_text(printed)
    expect(content).not_to_contain_text(second)
    check_a11y(approver)
    screenshot(approver, "casework-approval")
    approver.locator("#approve-submit").click()
    expect(status_of(approver)).to_have_attribute("data-status", "approved")
    check_a11y(approver)

    pdf = download_pdf(approver, f"{catalog()[CODE].title} 決定通知書")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    flat = text.replace(" ", "").replace("\n", "")
    for printed in ("支給額（月額）", "15,000円", "支給開始月", "令和8年12月分から", "対象児童",  # ja-only: test data
                    first.replace("\u3000", "").replace(" ", ""), "支払月", "2月・4月・6月・8月・10月・12月"):  # ja-only: test data
        assert printed in flat, printed

    status = validate_seal(pdf, sealed_city.root_path)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.docmdp_ok is not False
