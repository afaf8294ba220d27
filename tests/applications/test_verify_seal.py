"""/verify/<id>/ with the seal: a notice sealed on approval (casework → core.pdf.seal) is shown
as this city's seal, intact; an altered copy, another city's seal and bad uploads are told
apart in plain words; nothing a client uploads gives an error page. My Page says the notice
there is the official one, in every language a resident reads."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader, PdfWriter

from madoguchi.applications import services as applications
from madoguchi.applications.models import IssuedDocument
from madoguchi.core.pdf import seal
from madoguchi.core.seal_ca import SealTestCA, new_key

from conftest import login_resident
from support import submit_via_web

pytestmark = pytest.mark.django_db

CODE = "dog-registration-change"


@pytest.fixture(scope="module")
def lgpki(tmp_path_factory):
    return SealTestCA.create(tmp_path_factory.mktemp("verify-seal-ca"))


@pytest.fixture(scope="module")
def keys():
    return [new_key(), new_key()]


@pytest.fixture
def sealed_city(city, lgpki, keys, settings):
    """The demo city with its test seal; the test LGPKI root trusted."""
    city.seal_config = lgpki.write_seal("demo", city.name, key=keys[0]).config()
    city.save()
    settings.MADOGUCHI_SEAL_TRUST_ROOTS = [str(lgpki.root_path)]
    settings.MADOGUCHI_SEAL_REQUIRED = True
    return city


@pytest.fixture
def notice(sealed_city, resident_client):
    """A notice as casework issues it (casework/services.py::_issue_notice renders, seals with
    seal_notice and stores it): the PDF the resident downloads. The approval flow itself is
    tested in tests/casework; here only what the verify page does with the result."""
    case = submit_via_web(resident_client, CODE, {"dog_name": "ポチ"})  # ja-only: test data
    pdf = seal.seal_notice(case.municipality, unsealed(resident_client, case))
    document = applications.issue_document(case, IssuedDocument.Kind.NOTICE, "決定通知書", pdf)  # ja-only: test data
    return document, applications.document_bytes(document)


def unsealed(resident_client, case) -> bytes:
    """A real PDF of ours for the case (its receipt), to seal or to upload unsealed."""
    response = resident_client.get(reverse("applications:receipt", args=[case.public_id]))
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content) if response.streaming else response.content


def client_of(document):
    from django.test import Client

    return login_resident(Client(), document.submission.account)


def post(client, document, data: bytes, name="notice.pdf"):
    return client.post(reverse("applications:verify", args=[document.public_id]),
                       {"pdf": SimpleUploadedFile(name, data, content_type="application/pdf")})


def outcome(page: str) -> tuple[str | None, str | None]:
    found = re.search(r'id="seal-result" data-outcome="(\w+)" data-city-seal="(\w*)"', page)
    return (found.group(1), found.group(2)) if found else (None, None)


def test_the_issued_notice_is_sealed_by_the_city_and_matches(client, notice):
    document, pdf = notice
    assert seal.validate(pdf, municipality=document.submission.municipality).ok
    response = post(client, document, pdf)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-match="true"' in page
    assert outcome(page) == ("sealed", "true")
    assert 'id="seal-signer"' in page and "デモ市長" in page  # ja-only: test data


def test_an_altered_notice_fails_both_checks(client, notice):
    document, pdf = notice
    at = pdf.index(b"stream", 400) + 30
    altered = pdf[:at] + bytes([pdf[at] ^ 1]) + pdf[at + 1:]
    page = post(client, document, altered).content.decode()
    assert 'data-match="false"' in page
    assert outcome(page)[0] == "altered"


def test_another_citys_seal_is_reported_as_not_this_citys(client, notice, lgpki, keys, tmp_path):
    document, _pdf = notice
    town = SealTestCA(tmp_path, lgpki.key, lgpki.root).write_seal("town", "デモ町", key=keys[1])  # ja-only: test data
    from madoguchi.core.models import Municipality

    by_town = seal.seal_notice(Municipality(name="デモ町", seal_config=town.config()),  # ja-only: test data
                               unsealed(client_of(document), document.submission))
    page = post(client, document, by_town).content.decode()
    assert 'data-match="false"' in page
    assert outcome(page) == ("sealed", "false")
    assert "デモ町長" in page  # ja-only: test data — whose seal it is


def test_a_revoked_seal_is_reported(client, notice, lgpki, settings, tmp_path):
    from pathlib import Path

    from cryptography import x509

    document, pdf = notice
    seal_cert = Path(document.submission.municipality.seal_config["pkcs12"]).with_name("seal.pem")
    revoked = x509.load_pem_x509_certificate(seal_cert.read_bytes())
    settings.MADOGUCHI_SEAL_CRLS = [str(SealTestCA(tmp_path, lgpki.key, lgpki.root).write_crl([revoked]))]
    page = post(client, document, pdf).content.decode()
    assert 'data-match="true"' in page and outcome(page)[0] == "revoked"


def test_an_unsealed_pdf_is_said_to_have_no_seal(client, notice):
    document, _pdf = notice
    page = post(client, document, unsealed(client_of(document), document.submission)).content.decode()
    assert outcome(page)[0] == "not_sealed"


def test_a_receipt_is_not_expected_to_carry_a_seal(client, notice):
    document, _pdf = notice
    receipt_pdf = unsealed(client_of(document), document.submission)
    receipt = applications.issue_document(document.submission, IssuedDocument.Kind.RECEIPT, "受付票",  # ja-only: test data
                                          receipt_pdf)
    page = post(client, receipt, receipt_pdf).content.decode()
    assert 'data-match="true"' in page and outcome(page) == (None, None)


def _encrypted(pdf: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("bad", ["text", "empty", "garbage", "truncated", "encrypted", "huge", "none"])
def test_bad_uploads_get_a_message_next_to_the_field(client, notice, bad):
    document, pdf = notice
    url = reverse("applications:verify", args=[document.public_id])
    if bad == "none":
        response = client.post(url, {})
    else:
        data = {"text": "これはPDFではありません".encode(), "empty": b"",  # ja-only: test data
                "garbage": b"%PDF-1.7\n" + bytes(range(256)) * 40, "truncated": pdf[: len(pdf) // 3],
                "encrypted": _encrypted(pdf), "huge": b"%PDF-1.7\n" + b"0" * (seal.MAX_UPLOAD + 1)}[bad]
        response = post(client, document, data)
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="pdf-error"' in page and 'aria-invalid="true"' in page
    assert outcome(page) == (None, None)


def test_checks_are_limited_per_client_address(client, notice, settings):
    document, pdf = notice
    settings.MADOGUCHI_VERIFY_CLIENT_RATE = "2/m"
    assert post(client, document, pdf).status_code == 200
    assert post(client, document, pdf).status_code == 200
    refused = post(client, document, pdf)
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert 'id="pdf-error"' in refused.content.decode() and outcome(refused.content.decode()) == (None, None)


def test_a_get_shows_the_form_and_an_unknown_notice_is_404(client, notice):
    document, _pdf = notice
    page = client.get(reverse("applications:verify", args=[document.public_id])).content.decode()
    assert 'id="verify-form"' in page and 'id="pdf-error"' not in page
    assert client.get(reverse("applications:verify", args=["00000000-0000-0000-0000-000000000000"])).status_code == 404


@pytest.mark.parametrize("language", ["ja", "ja-easy", "en", "zh-hans", "ko", "vi", "pt-br"])
def test_my_page_says_the_notice_there_is_the_official_one(client, notice, resident, language):
    document, _pdf = notice
    login_resident(client, resident)
    client.cookies["django_language"] = language
    page = client.get(reverse("applications:submission", args=[document.submission.public_id]),
                      HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert 'id="notice-official-1"' in page
    assert reverse("applications:verify", args=[document.public_id]) in page
