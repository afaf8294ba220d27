"""A city's own look (core/branding.py): its colour is a デジタル庁 design token with AA contrast,
its name, service name and logo are on its pages, in its mails' signature and on its PDFs, and
the logo is served only as a checked PNG at a URL that changes with it."""

import base64
import hashlib
import io
import json
import re
import shutil
import subprocess
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from PIL import Image
from pypdf import PdfReader
from test_pdf import make_notice, make_receipt

from madoguchi.core import branding
from madoguchi.core.management.commands import design_tokens
from madoguchi.core.models import Municipality
from madoguchi.core.pdf import render_notice, render_receipt
from madoguchi.core.pdf.payment_receipt import PaymentReceiptData, render_payment_receipt
from madoguchi.notify.models import OutboxMessage
from madoguchi.notify.services import deliver_pending, enqueue_email

from support import submit_via_web

PACKAGE_VERSION = "1.1.9"


def png(size=(300, 100), colour=(0, 23, 193), fmt="PNG", mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format=fmt)
    return out.getvalue()


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def images_on_first_page(pdf: bytes) -> list:
    return list(PdfReader(io.BytesIO(pdf)).pages[0].images)


def images_of(pdf: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


# --- the token vocabulary ------------------------------------------------------------------------

def test_the_vocabulary_is_the_design_systems_primitive_scales():
    vendored = json.loads(branding.TOKENS_FILE.read_text(encoding="utf-8"))
    assert vendored["package"] == "@digital-go-jp/design-tokens"
    assert vendored["version"] == PACKAGE_VERSION and vendored["license"] == "MIT"
    assert "デジタル庁" in vendored["copyright"]  # the MIT licence's notice travels with the values
    tokens = branding.tokens()
    hues = ["blue", "light-blue", "cyan", "green", "lime", "yellow", "orange", "red", "magenta", "purple"]
    assert list(vendored["colors"]) == hues
    assert len(tokens) == 10 * 13
    # The values site.css was written with (its comments name them).
    assert tokens["blue-900"] == "#0017c1" and tokens["blue-1000"] == "#00118f"
    assert tokens["green-800"] == "#197a4b" and tokens["red-900"] == "#ce0000"


def _package_tarball(tmp_path: Path, content: dict, licence: str = "MIT", name=None) -> Path:
    """A tarball laid out as npm packs the package, from the vendored values."""
    css = [":root {"] + [f"  --color-primitive-{hue}-{step}: {value};"
                         for hue, steps in content["colors"].items() for step, value in steps.items()]
    css += ["  --color-neutral-white: #ffffff;", "}"]
    files = {
        "package/package.json": json.dumps({"name": name or branding.PACKAGE,
                                            "version": content["version"], "license": licence}),
        "package/LICENSE": f"MIT License\n\n{content['copyright']}\n",
        "package/dist/tokens-simple.css": "\n".join(css) + "\n",
    }
    path = tmp_path / "design-tokens.tgz"
    with tarfile.open(path, "w:gz") as archive:
        for member, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_the_tokens_are_read_from_the_packages_tarball(tmp_path):
    vendored = json.loads(branding.TOKENS_FILE.read_text(encoding="utf-8"))
    made = branding.tokens_from_package(_package_tarball(tmp_path, vendored))
    assert made["colors"] == vendored["colors"]  # the primitive scales only, in the package's order
    assert made["version"] == PACKAGE_VERSION and made["copyright"] == vendored["copyright"]
    with pytest.raises(ValueError, match="not MIT"):
        branding.tokens_from_package(_package_tarball(tmp_path, vendored, licence="GPL-3.0"))
    with pytest.raises(ValueError, match="not @digital-go-jp"):
        branding.tokens_from_package(_package_tarball(tmp_path, vendored, name="left-pad"))
    with pytest.raises(CommandError):  # the check names a difference instead of passing
        call_command("design_tokens", str(_package_tarball(tmp_path, vendored)), "--check")


def _real_tarball(tmp_path: Path) -> Path | None:
    npm = shutil.which("npm")
    if npm is None:
        return None
    try:
        subprocess.run([npm, "pack", "-q", f"{branding.PACKAGE}@{PACKAGE_VERSION}"], cwd=tmp_path,
                       check=True, capture_output=True, timeout=90)
    except (subprocess.SubprocessError, OSError):
        return None
    found = list(tmp_path.glob("*.tgz"))
    return found[0] if found else None


def test_the_vendored_file_is_exactly_that_package_versions_values(tmp_path):
    """The package itself, fetched with npm: its tarball is the one recorded (integrity) and
    the vendored file and stylesheets are what the command makes of it."""
    tarball = _real_tarball(tmp_path)
    if tarball is None:
        pytest.skip("npm or the npm registry is not reachable")
    vendored = json.loads(branding.TOKENS_FILE.read_text(encoding="utf-8"))
    digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    assert vendored["integrity"] == f"sha512-{digest}"
    call_command("design_tokens", str(tarball), "--check", stdout=io.StringIO())


def test_each_usable_colour_has_its_stylesheet_and_no_other_file_is_there():
    wanted = branding.brand_stylesheets()
    assert set(wanted) == {f"{name}.css" for name in branding.usable()}
    assert design_tokens.stale_stylesheets(wanted) == []
    green = wanted["green-800.css"]
    assert "html:root{--color-key:#197a4b;--color-key-hover:#115a36}" in green  # hover: the next darker step


# --- the contrast rule ---------------------------------------------------------------------------

def test_the_contrast_formula_is_wcags():
    assert branding.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert branding.contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the known AA grey
    assert branding.contrast("#ffffff", "#767676") == pytest.approx(4.54, abs=0.01)


def test_a_light_colour_is_refused_with_its_ratio():
    for light in ("blue-300", "yellow-500", "green-600", "light-blue-700", "lime-800"):
        with pytest.raises(ValidationError) as refused:
            branding.validate_brand_color(light)
        assert refused.value.code == "low_contrast"
        assert "4.5" in " ".join(refused.value.messages)


def test_a_name_outside_the_vocabulary_is_refused():
    for name in ("#0017c1", "navy", "blue-950", "Blue-900", "blue-900; color:red", "neutral-black"):
        with pytest.raises(ValidationError) as refused:
            branding.validate_brand_color(name)
        assert refused.value.code == "unknown_token"


def test_the_accepted_colours_reach_aa_everywhere_the_key_colour_is_read():
    branding.validate_brand_color("")  # the site's own colour
    for name, value in branding.usable().items():
        branding.validate_brand_color(name)
        assert branding.contrast(value, "#ffffff") >= 4.5, name
        assert branding.contrast(value, "#f2f2f2") >= 4.5, name  # links on panels
        assert branding.contrast("#ffffff", value) >= 4.5, name  # white text on buttons
    assert "blue-900" in branding.usable() and "green-800" in branding.usable()
    assert ("green-800", "green-800 (#197a4b, 5.3:1)") in branding.choices()


def test_a_colour_set_around_the_validator_falls_back_to_the_sites_own(city):
    city.brand_color = "yellow-300"
    assert branding.look(city).color == "blue-900" and branding.look(city).stylesheet == ""


# --- the logo ------------------------------------------------------------------------------------

def test_a_logo_is_re_encoded_as_png_and_scaled_to_fit():
    for fmt in ("PNG", "JPEG", "WEBP"):
        stored = branding.clean_logo(png((2000, 600), fmt=fmt))
        with Image.open(io.BytesIO(stored)) as image:
            assert image.format == "PNG"
            assert image.size == (800, 240)


def test_a_logo_that_is_not_a_raster_image_is_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for data, code in ((b"", "empty"), (svg, "unreadable"), (b"%PDF-1.7\n", "unreadable"),
                       (png(fmt="GIF"), "format"), (png()[:60], "unreadable")):
        with pytest.raises(ValidationError) as refused:
            branding.clean_logo(data)
        assert refused.value.code == code, data[:20]


def test_a_huge_logo_is_refused_before_it_is_decoded():
    with pytest.raises(ValidationError) as refused:
        branding.clean_logo(b"\x89PNG" + b"\0" * branding.LOGO_MAX_UPLOAD)
    assert refused.value.code == "too_large"
    # A small file that claims 20 million pixels (a 1-bit image compresses to almost nothing).
    bomb = png((5000, 4000), colour=0, mode="1")
    assert len(bomb) < 100_000
    with pytest.raises(ValidationError) as refused:
        branding.clean_logo(bomb)
    assert refused.value.code == "too_many_pixels"


def test_the_form_fields_take_a_checked_logo_and_a_usable_colour():
    from django import forms
    from django.core.files.uploadedfile import SimpleUploadedFile

    class LookForm(forms.Form):
        brand_color = branding.BrandColorField()
        logo = branding.LogoField(required=False)

    upload = SimpleUploadedFile("logo.jpg", png((1600, 480), fmt="JPEG"), content_type="image/jpeg")
    form = LookForm({"brand_color": "green-800"}, {"logo": upload})
    assert form.is_valid(), form.errors
    assert Image.open(io.BytesIO(form.cleaned_data["logo"])).size == (800, 240)
    assert LookForm({"brand_color": ""}).is_valid()
    assert ("", "blue-900（標準）") in LookForm().fields["brand_color"].choices
    refused = LookForm({"brand_color": "blue-300"}, {"logo": SimpleUploadedFile("x.svg", b"<svg/>")})
    assert not refused.is_valid()
    assert set(refused.errors) == {"brand_color", "logo"}


def test_the_command_sets_and_removes_a_logo_and_audits_it(city, tmp_path):
    from madoguchi.core.models import AuditEvent

    image = tmp_path / "logo.webp"
    image.write_bytes(png((400, 120), fmt="WEBP"))
    out = io.StringIO()
    call_command("city_logo", "demo", str(image), stdout=out)
    city.refresh_from_db()
    logo = branding.logo_of(city)
    assert city.logo_type == "image/png" and (logo.width, logo.height) == (400, 120)
    assert f"/city/logo/{logo.digest}.png" in out.getvalue()
    event = AuditEvent.objects.filter(action="city_logo_set").latest("id")
    assert event.actor_kind == "system" and event.detail == {"logo": logo.digest}

    svg = tmp_path / "logo.svg"
    svg.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    with pytest.raises(CommandError, match="PNG"):
        call_command("city_logo", "demo", str(svg))
    with pytest.raises(CommandError, match="no city"):
        call_command("city_logo", "nowhere", str(image))
    call_command("city_logo", "demo", "--remove", stdout=io.StringIO())
    city.refresh_from_db()
    assert not city.logo and city.logo_type == "" and branding.logo_of(city) is None
    assert AuditEvent.objects.filter(action="city_logo_removed").exists()


# --- pages of two cities -------------------------------------------------------------------------

@pytest.fixture
def town(other_city):
    other_city.brand_color = "green-800"
    other_city.service_name = "まちの窓口"
    other_city.logo = branding.clean_logo(png(colour=(25, 122, 75)))
    other_city.logo_type = branding.LOGO_TYPE
    other_city.contact_phone = "0994-00-0000"
    other_city.opening_hours = "平日 8:30〜17:15"
    other_city.address = "サンプル町本町1番地"
    other_city.save()
    return other_city


@pytest.fixture
def hosts(settings):
    settings.ALLOWED_HOSTS = ["testserver", "other.example.jp"]


def test_each_city_shows_its_own_name_colour_and_logo(client, city, town, hosts):
    demo = client.get("/").content.decode()
    other = client.get("/", HTTP_HOST="other.example.jp").content.decode()
    assert '<span class="brand-city" translate="no">デモ市</span>' in demo
    assert '<span class="brand-city" translate="no">サンプル町</span>' in other
    assert "サンプル町" not in demo.split("<main")[0] and "デモ市" not in other.split("<main")[0]
    # デモ市 keeps the site's own Blue-900 (no extra stylesheet); サンプル町 links Green-800's.
    assert "madoguchi/brand/" not in demo
    assert 'href="/static/madoguchi/brand/green-800.css"' in other
    assert 'id="city-logo"' not in demo
    logo = branding.logo_of(town)
    assert (f'<img class="brand-logo" id="city-logo" src="/city/logo/{logo.digest}.png" '
            f'width="300" height="100" alt="">') in other
    # Its own service name, as a proper name (never machine-translated), in the header and title.
    assert '<span class="brand-service"><span translate="no">まちの窓口</span></span>' in other
    assert re.search(r"<title>[^<]* \| サンプル町 まちの窓口</title>", other)
    assert re.search(r"<title>[^<]* \| デモ市 オンライン窓口</title>", demo)
    assert "0994-00-0000" in other and "平日 8:30〜17:15" in other


def test_the_default_service_name_is_translated(client, city):
    page = client.get("/?lang=en").content.decode()
    assert '<span class="brand-service">Online counter</span>' in page
    assert re.search(r"<title>[^<]* \| デモ市 Online Counter</title>", page)


def test_the_service_name_shows_on_the_navigator_and_staff_pages_keep_theirs(client, town, hosts):
    navigator = client.get("/navi/", HTTP_HOST="other.example.jp").content.decode()
    assert '<span class="brand-service"><span translate="no">まちの窓口</span></span>' in navigator
    staff = client.get(reverse("casework:login"), HTTP_HOST="other.example.jp").content.decode()
    service = re.search(r'<span class="brand-service">(.*?)</span></a>', staff, re.S).group(1)
    assert "まちの窓口" not in service and 'translate="no"' not in service  # its own, translatable


def test_high_contrast_keeps_the_city_colour_sheet_and_sets_its_own_on_body(client, town, hosts):
    page = client.get("/?contrast=high", HTTP_HOST="other.example.jp").content.decode()
    assert "contrast-high" in re.search(r"<body[^>]*>", page).group(0)
    assert "madoguchi/preferences.css" in page
    # body is nearer every element than html:root: its --color-key wins (the browser test reads it).
    css = (Path(branding.__file__).parent.parent / "static/madoguchi/preferences.css").read_text()
    assert re.search(r"body\.contrast-high \{[^}]*--color-key:", css)


def test_the_logo_is_served_as_png_and_kept_a_year(client, city, town, hosts):
    logo = branding.logo_of(town)
    response = client.get(f"/city/logo/{logo.digest}.png", HTTP_HOST="other.example.jp")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == bytes(town.logo)


def test_a_stored_logo_that_is_not_an_image_is_neither_shown_nor_served(client, town, hosts):
    Municipality.objects.filter(pk=town.pk).update(logo=b"<script>alert(1)</script>")
    page = client.get("/", HTTP_HOST="other.example.jp").content.decode()
    assert 'id="city-logo"' not in page and "サンプル町" in page
    digest = hashlib.sha256(b"<script>alert(1)</script>").hexdigest()[:20]
    assert client.get(f"/city/logo/{digest}.png", HTTP_HOST="other.example.jp").status_code == 404


def test_another_citys_or_an_old_logo_is_not_found(client, city, town, hosts):
    digest = branding.logo_of(town).digest
    assert client.get(f"/city/logo/{digest}.png").status_code == 404  # デモ市's host
    assert client.get("/city/logo/0000.png", HTTP_HOST="other.example.jp").status_code == 404
    assert client.post(f"/city/logo/{digest}.png", HTTP_HOST="other.example.jp").status_code == 405
    town.logo = branding.clean_logo(png(colour=(200, 0, 0)))
    town.save()
    old = client.get(f"/city/logo/{digest}.png", HTTP_HOST="other.example.jp")
    assert old.status_code == 404  # a new logo is a new URL


# --- mails ---------------------------------------------------------------------------------------

def test_each_citys_mails_are_signed_with_its_service_and_contact(city, town):
    city.contact_phone, city.opening_hours = "099-000-0000", "平日 8:30〜17:15"
    city.save()
    for municipality, key in ((city, "a"), (town, "b")):
        enqueue_email(municipality, "hanako@example.jp", "login_code",
                      {"code": "123456", "minutes": 10}, dedupe_key=f"look-{key}", language="ja")
    demo_body = OutboxMessage.objects.get(dedupe_key="look-a").body
    town_body = OutboxMessage.objects.get(dedupe_key="look-b").body
    signature = town_body.split("\n-- \n", 1)[1]
    assert signature.splitlines() == ["サンプル町 まちの窓口", "サンプル町本町1番地", "電話: 0994-00-0000",
                                      "開庁時間: 平日 8:30〜17:15", "https://other.example.jp/"]
    deliver_pending()
    town.sender_email, town.sender_name = "info@other.example.jp", ""
    town.save()
    enqueue_email(town, "hanako@example.jp", "login_code", {"code": "123456", "minutes": 10},
                  dedupe_key="look-c", language="ja")
    deliver_pending()
    assert mail.outbox[-1].from_email == "サンプル町 <info@other.example.jp>"  # the city's own name
    demo_signature = demo_body.split("\n-- \n", 1)[1]
    assert demo_signature.startswith("デモ市 オンライン窓口\n")
    assert "電話: 099-000-0000" in demo_signature and "サンプル町" not in demo_body


def test_the_signature_speaks_the_mails_language(city):
    enqueue_email(city, "hanako@example.jp", "login_code", {"code": "123456", "minutes": 10},
                  dedupe_key="look-en", language="en")
    body = OutboxMessage.objects.get(dedupe_key="look-en").body
    assert body.split("\n-- \n", 1)[1].startswith("デモ市 Online Counter\n")


# --- PDFs ----------------------------------------------------------------------------------------

@pytest.fixture
def japanese():
    with translation.override("ja"):
        yield


def test_the_receipt_carries_the_citys_name_and_logo(town, japanese):
    with_logo = render_receipt(make_receipt(municipality_name=town.name,
                                            letterhead=branding.letterhead(town)))
    assert "サンプル町" in text_of(with_logo) and "まちの窓口" in text_of(with_logo)
    assert len(images_on_first_page(with_logo)) == 2  # the logo and the QR code
    without = render_receipt(make_receipt())
    assert len(images_on_first_page(without)) == 1


def test_the_notice_and_the_payment_receipt_carry_the_citys_name_and_logo(town, japanese):
    head = branding.letterhead(town)
    notice = render_notice(make_notice(municipality_name=town.name, mayor_title="サンプル町長",
                                       letterhead=head))
    assert text_of(notice).startswith("サンプル町まちの窓口")
    assert len(images_on_first_page(notice)) >= 1 and images_of(notice) == 2  # the logo, the QR code
    paid = render_payment_receipt(PaymentReceiptData(
        municipality_name=town.name, receipt_id="P-1", receipt_number="K7M3-9PXR",
        procedure_title="住民票の写し", lines=(), total_yen=300, method_label="現金",
        paid_at=datetime(2025, 4, 1, 5, 5, tzinfo=UTC), letterhead=head))
    assert text_of(paid).startswith("サンプル町まちの窓口")
    assert len(images_on_first_page(paid)) == 1  # the logo (no QR code on a 領収書)


def test_a_logo_reportlab_cannot_read_leaves_the_name_alone(town, japanese):
    head = branding.letterhead(town)
    broken = type(head)(name=head.name, service="", logo=b"not an image", color=head.color)
    pdf = render_receipt(make_receipt(municipality_name=town.name, letterhead=broken))
    assert text_of(pdf).startswith("サンプル町") and len(images_on_first_page(pdf)) == 1


def test_the_receipt_a_resident_downloads_has_the_citys_logo(resident_client, city):
    city.logo = branding.clean_logo(png())
    city.logo_type = branding.LOGO_TYPE
    city.save()
    submission = submit_via_web(resident_client, "dog-registration-change")
    response = resident_client.get(reverse("applications:receipt", args=[submission.public_id]))
    assert response.status_code == 200
    assert text_of(response.content).startswith("デモ市")
    assert len(images_on_first_page(response.content)) == 2


def test_a_city_row_is_only_saved_with_a_checked_colour_by_the_validator(city):
    """The model stores what it is given: the validator is the gate (the command, the pages and
    the admin call it), and the pages fall back rather than break on a row set around it."""
    Municipality.objects.filter(pk=city.pk).update(brand_color="no-such-token")
    city.refresh_from_db()
    assert branding.look(city).color == branding.DEFAULT_COLOR
