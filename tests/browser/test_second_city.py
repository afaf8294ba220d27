"""The second city of a shared deployment, in a real browser, with axe-core on every page.

A resident of デモ町 (town.localhost: Chromium resolves every *.localhost name to this machine)
logs in and applies; every link she is sent — the login code's mail, the receipt's mail, the
受付票's QR code, the kiosk ticket's QR code — points to the town's own host, never to デモ市's.
On the prefecture's portal (portal.localhost), on a phone, she finds the town by its postal code
and lands on its site in the language she chose there.
"""

import io
import re
from urllib.parse import urlsplit

import pytest
import segno
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfReader

from madoguchi.applications.models import Submission
from madoguchi.core.models import Municipality
from madoguchi.queueing import qr
from madoguchi.queueing.models import Ticket

from .conftest import ANDROID_CHROME, PHONE
from .helpers import check_a11y, check_phone_page, download_pdf, log_in_resident
from .test_online_application import DOG, field, next_step, open_procedure, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESIDENT = "machiko.town@example.jp"
URL = re.compile(r"https?://[^\s<>\"')）]+")


@pytest.fixture
def town(site, settings):
    """デモ町 as `make run` loads it, on town.localhost at the live server's port."""
    port = urlsplit(site).port
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver", "town.localhost", "portal.localhost"]
    settings.MADOGUCHI_PORTAL_HOSTS = ["portal.localhost"]
    call_command("load_demo", "--city", "town", stdout=io.StringIO())
    call_command("load_queue_demo", "--city", "town", "--history-weeks", "0", "--slot-days", "0",
                 stdout=io.StringIO())
    town = Municipality.objects.get(slug="town")
    town.public_url = f"http://town.localhost:{port}"
    town.save()
    return town


def first_city_hosts(site: str) -> tuple[str, ...]:
    """How a link to デモ市 (the default city, on the live server's own host) would be written."""
    port = urlsplit(site).port
    return (f"//localhost:{port}", f"//127.0.0.1:{port}", "//testserver", "//demo.localhost")


def qr_matches(reader: PdfReader, url: str) -> bool:
    """Whether an image of the PDF is exactly segno's QR code of `url` (4 px modules, 4-module
    quiet zone, as core/pdf draws it): sampling each module's centre reproduces the matrix."""
    matrix = segno.make(url, error="m", micro=False).matrix
    for page in reader.pages:
        for image in page.images:
            picture = image.image.convert("L")
            if picture.size != ((len(matrix) + 8) * 4,) * 2:
                continue
            seen = [[picture.getpixel(((c + 4) * 4 + 2, (r + 4) * 4 + 2)) < 128 for c in range(len(matrix))]
                    for r in range(len(matrix))]
            if seen == [[bool(v) for v in row] for row in matrix]:
                return True
    return False


def test_a_resident_of_the_second_city_gets_links_to_its_own_host(town, site, new_context):
    base = town.public_url
    page = new_context(base_url=base).new_page()
    page.goto("/")
    expect(page.get_by_role("heading", name="手続をさがす")).to_be_visible()
    expect(page.locator(".site-header .brand")).to_contain_text("デモ町")
    check_a11y(page)

    open_procedure(page, "犬", DOG)
    page.get_by_role("button", name="申請をはじめる").click()
    log_in_resident(page, RESIDENT)
    expect(page.get_by_role("heading", level=1)).to_have_text(DOG)
    page.get_by_role("button", name="申請をはじめる").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("飼い主")
    check_a11y(page)
    field(page, "飼い主の氏名").fill("町田 町子")
    field(page, "フリガナ").fill("マチダ マチコ")
    field(page, "郵便番号").fill("899-1304")
    field(page, "住所").fill("鹿児島県出水郡長島町指江1番地")
    field(page, "電話番号").fill("0996-86-1111")
    next_step(page, "犬")
    field(page, "登録番号（鑑札の番号）").fill("デモ町第12号")
    field(page, "犬の名前").fill("しろ")
    page.get_by_label("飼い主の住所・犬の所在地が変わった（市内での引っ越し）").check()
    field(page, "変更前の住所（犬の所在地）").fill("鹿児島県出水郡長島町城川内2番地")
    field(page, "変更があった日").fill("令和7年4月1日")
    next_step(page, "入力内容の確認")
    number = submit(page)
    assert urlsplit(page.url).hostname == "town.localhost"

    submission = Submission.objects.get(receipt_number=number)
    assert submission.municipality_id == town.pk
    status_url = f"{base}/mypage/submissions/{submission.public_id}/"
    # the 受付票: its QR code is the status page on the town's host
    reader = PdfReader(io.BytesIO(download_pdf(page, "受付票（PDF）をダウンロード")))
    assert qr_matches(reader, status_url), status_url
    text = "".join(p.extract_text() for p in reader.pages)
    assert "デモ町" in text
    assert not any(host in text for host in first_city_hosts(site))

    # the mails: the login code and the receipt, from the town, every link on the town's host
    mine = [m for m in mail.outbox if RESIDENT in m.to]
    assert len(mine) >= 2, [m.subject for m in mine]
    assert any(number in m.body for m in mine)
    for message in mine:
        assert town.sender_email in message.from_email, message.from_email
        for url in URL.findall(message.body):
            assert url.startswith(base + "/"), (message.subject, url)
        assert not any(host in message.body for host in first_city_hosts(site)), message.subject
    assert any(f"{base}/mypage/" in url for m in mine for url in URL.findall(m.body))


def test_the_second_citys_kiosk_ticket_qr_points_to_its_host(town, site, new_context):
    context = new_context(base_url=town.public_url)
    kiosk = context.new_page()
    kiosk.goto("/queue/kiosk/")
    expect(kiosk.get_by_role("heading", level=1)).to_be_visible()
    check_a11y(kiosk)
    kiosk.get_by_role("button", name="転入届").click()
    expect(kiosk.get_by_test_id("ticket-number")).to_have_text("A-001")
    check_a11y(kiosk)
    ticket = Ticket.objects.get(municipality=town)
    status_url = f"{town.public_url}/queue/t/{ticket.token}/"
    # the QR code drawn on the ticket is exactly the one of the town's status page
    drawn = kiosk.locator("svg.segno path").get_attribute("d")
    assert drawn == re.search(r' d="([^"]+)"', qr.svg(status_url)).group(1)
    assert drawn != re.search(r' d="([^"]+)"', qr.svg(f"{site}/queue/t/{ticket.token}/")).group(1)
    assert not any(host in kiosk.content() for host in first_city_hosts(site))


def test_on_the_portal_a_phone_finds_the_town_by_postal_code_and_lands_on_its_site(town, site, new_context):
    # The demo's codes are in the test range (99…), which no postal code names; here the town
    # stands for 長島町 (464040), so that Japan Post's 899-1304 is one of its postal codes.
    Municipality.objects.filter(pk=town.pk).update(code="464040")
    port = urlsplit(site).port
    phone = new_context(**PHONE, user_agent=ANDROID_CHROME, base_url=f"http://portal.localhost:{port}").new_page()
    phone.goto("/")
    expect(phone.get_by_role("heading", level=1)).to_be_visible()
    expect(phone.locator('[data-listed="town"]')).to_be_visible()
    check_phone_page(phone)

    # a code that is not Japan Post's: a plain message, the page stays usable
    phone.locator("#q").fill("999-0000")
    phone.locator("#search-button").click()
    expect(phone.locator("#found-none")).to_be_visible()
    check_phone_page(phone)

    phone.locator("#language-switch > summary").click()
    phone.locator('#language-switch a[data-lang="en"]').click()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    phone.locator("#q").fill("〒８９９－１３０４")  # full-width, with the hyphen, as a phone's keyboard may type it
    phone.locator("#search-button").click()
    found = phone.locator('[data-found="town"]')
    expect(found).to_be_visible()
    expect(phone.locator("[data-found]")).to_have_count(1)
    check_phone_page(phone)

    found.click()
    expect(phone.locator(".site-header .brand")).to_contain_text("デモ町")
    assert urlsplit(phone.url).hostname == "town.localhost"
    expect(phone.locator("html")).to_have_attribute("lang", "en")  # the language chosen on the portal
    check_phone_page(phone)


def test_the_portal_works_without_javascript(town, site, new_context):
    port = urlsplit(site).port
    page = new_context(java_script_enabled=False, base_url=f"http://portal.localhost:{port}").new_page()
    page.goto("/")
    check_a11y(page)
    page.locator("#q").fill("ﾃﾞﾓﾁｮｳ")  # half-width katakana, as some keyboards type it
    page.locator("#search-button").click()
    expect(page.locator("[data-found]")).to_have_count(1)
    page.locator("#q").fill("892")  # too short for a postal code: the error is at the field
    page.locator("#search-button").click()
    expect(page.locator("#q")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#q-error")).to_be_visible()
    check_a11y(page)
    page.goto("/mypage/")  # a city's page: not here
    expect(page.locator("#not-found-heading")).to_be_visible()
    check_a11y(page)
    page.locator("#portal-home-link").click()
    page.locator('[data-listed="town"]').click()
    expect(page.locator(".site-header .brand")).to_contain_text("デモ町")
    assert urlsplit(page.url).hostname == "town.localhost"


def test_the_portal_in_every_language_on_a_phone(town, site, new_context):
    port = urlsplit(site).port
    phone = new_context(**PHONE, user_agent=ANDROID_CHROME, base_url=f"http://portal.localhost:{port}").new_page()
    for code, tag in [("ja", "ja"), ("ja-easy", "ja"), ("en", "en"), ("zh-hans", "zh-Hans"), ("ko", "ko"),
                      ("vi", "vi"), ("pt-br", "pt-BR")]:
        phone.goto(f"/?lang={code}&q=でもちょう")
        expect(phone.locator("html")).to_have_attribute("lang", tag)
        expect(phone.locator('[data-found="town"]')).to_have_attribute(
            "href", f"{town.public_url}/" + ("" if code == "ja" else f"?lang={code}"))
        check_phone_page(phone)
