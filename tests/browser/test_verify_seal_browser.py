"""The verification page (/verify/<id>/) in a real browser, as a third party holding a notice
opens it (no login): the notice sealed by the city's test LGPKI seal reads as this city's seal,
unchanged; a file that is not a PDF is refused at its field. axe-core on each state."""

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from madoguchi.applications import services as applications
from madoguchi.applications.models import IssuedDocument
from madoguchi.core import cities
from madoguchi.core.pdf import seal
from madoguchi.core.seal_ca import SealTestCA

from .helpers import check_a11y
from conftest import login_resident
from support import submit_via_web

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def notice(city, resident, tmp_path, settings):
    """A sealed notice of the demo city (its receipt PDF sealed as casework seals a notice)."""
    ca = SealTestCA.create(tmp_path / "seal-ca")
    city.seal_config = ca.write_seal(city.slug, city.name).config()
    city.save()
    cities.forget()  # the live server reads the city from the per-process copy
    settings.MADOGUCHI_SEAL_TRUST_ROOTS = [str(ca.root_path)]
    client = login_resident(Client(), resident)
    case = submit_via_web(client, "dog-registration-change", {"dog_name": "ポチ"})  # ja-only: test data
    receipt = client.get(reverse("applications:receipt", args=[case.public_id]))
    unsealed = b"".join(receipt.streaming_content) if receipt.streaming else receipt.content
    pdf = seal.seal_notice(city, unsealed)  # beside Playwright's event loop (seal runs it off the loop)
    document = applications.issue_document(case, IssuedDocument.Kind.NOTICE, "決定通知書", pdf)  # ja-only: test data
    (tmp_path / "notice.pdf").write_bytes(pdf)
    (tmp_path / "not-a-pdf.pdf").write_text("hello")
    return document, tmp_path


def test_a_third_party_checks_a_sealed_notice(new_context, notice):
    document, files = notice
    page = new_context().new_page()
    page.goto(reverse("applications:verify", args=[document.public_id]))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_a11y(page)

    page.set_input_files("#pdf", str(files / "notice.pdf"))
    page.locator("#verify-submit").click()
    expect(page.locator("#verify-result")).to_have_attribute("data-match", "true")
    result = page.locator("#seal-result")
    expect(result).to_have_attribute("data-outcome", "sealed")
    expect(result).to_have_attribute("data-city-seal", "true")
    expect(page.locator("#seal-signer")).to_be_visible()
    check_a11y(page)

    page.set_input_files("#pdf", str(files / "not-a-pdf.pdf"))
    page.locator("#verify-submit").click()
    expect(page.locator("#pdf-error")).to_be_visible()
    expect(page.locator("#pdf")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#seal-result")).to_have_count(0)
    check_a11y(page)
