"""The city's seal on its notices (core/pdf/seal.py): PAdES signatures with the city's seal
certificate from the test LGPKI (core/seal_ca.py), from a file and from a SoftHSM2 token, the
check the verify page and the tests share, the refusals of a missing or broken seal, and the
validation of seal_config.

RSA keys are made once per module (module-scoped fixtures)."""

import io
import json
import os
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pypdf import PdfReader, PdfWriter
from test_pdf import make_notice

from madoguchi.core.cityconfig import CityForm, form_data, validate_seal_config
from madoguchi.core.models import AuditEvent, Municipality
from madoguchi.core.pdf import render_notice, seal
from madoguchi.core.seal_ca import SealTestCA, new_key

from support import require_softhsm


@pytest.fixture(scope="module")
def lgpki(tmp_path_factory):
    return SealTestCA.create(tmp_path_factory.mktemp("seal-ca"))


@pytest.fixture(scope="module")
def demo_key():
    return new_key()


@pytest.fixture(scope="module")
def demo_seal(lgpki, demo_key):
    return lgpki.write_seal("demo", "デモ市", key=demo_key)  # ja-only: test data


@pytest.fixture(scope="module")
def town_seal(lgpki):
    return lgpki.write_seal("town", "デモ町")  # ja-only: test data


@pytest.fixture(scope="module")
def notice():
    return render_notice(make_notice())


@pytest.fixture
def trusted(settings, lgpki):
    settings.MADOGUCHI_SEAL_TRUST_ROOTS = [str(lgpki.root_path)]
    return lgpki


def city(config, name="デモ市"):  # ja-only: test data
    return Municipality(name=name, slug="demo", code="999999", seal_config=config)


@pytest.fixture(scope="module")
def sealed(demo_seal, notice):
    return seal.seal_notice(city(demo_seal.config()), notice)


def flip(pdf: bytes, at: int) -> bytes:
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1:]


# --- sealing and checking ---------------------------------------------------------------------

def test_a_sealed_notice_is_intact_trusted_and_the_citys_seal(trusted, demo_seal, notice, sealed):
    found = seal.validate(sealed, municipality=city(demo_seal.config()))
    assert found.outcome == seal.SEALED and found.city_seal is True and found.ok
    assert found.signer == "デモ市長" and found.signer_unit == "デモ市"  # ja-only: test data
    assert found.issuer == "LGPKI test 組織認証局"  # ja-only: test data
    assert abs(found.signed_at - datetime.now(UTC)) < timedelta(minutes=10)
    assert not found.timestamped  # B-B: no time-stamping authority configured
    cert = x509.load_pem_x509_certificate(demo_seal.certificate.read_bytes())
    assert found.fingerprint == __import__("hashlib").sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def test_the_sealed_notice_stays_a_pdf_pypdf_reads_with_the_same_pages_and_text(notice, sealed):
    before, after = PdfReader(io.BytesIO(notice)), PdfReader(io.BytesIO(sealed))
    assert len(after.pages) == len(before.pages)
    assert after.pages[0].extract_text() == before.pages[0].extract_text()
    assert sealed.startswith(notice)  # an incremental update: the notice's bytes are kept as they were
    fields = after.get_fields()
    assert fields[seal.FIELD_NAME]["/FT"] == "/Sig"
    widget = after.pages[0]["/Annots"][0].get_object()
    assert [round(float(v)) for v in widget["/Rect"]] == [round(v) for v in seal.STAMP_BOX]  # the visible box


def test_a_byte_changed_in_the_signed_part_is_altered(trusted, demo_seal, sealed):
    at = sealed.index(b"stream", 400) + 30  # inside the notice's first content stream
    found = seal.validate(flip(sealed, at), municipality=city(demo_seal.config()))
    assert found.outcome == seal.ALTERED and not found.ok


def test_a_page_replaced_after_sealing_is_altered(trusted, demo_seal, sealed):
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 600 Td (OK) Tj ET"))
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    found = seal.validate(out.getvalue(), municipality=city(demo_seal.config()))
    assert found.outcome == seal.ALTERED
    assert found.signer == "デモ市長"  # ja-only: test data — still says whose seal was broken


def test_another_citys_seal_is_not_this_citys(trusted, demo_seal, town_seal, notice):
    by_town = seal.seal_notice(city(town_seal.config(), "デモ町"), notice)  # ja-only: test data
    found = seal.validate(by_town, municipality=city(demo_seal.config()))
    assert found.outcome == seal.SEALED and found.city_seal is False and not found.ok
    assert found.signer == "デモ町長"  # ja-only: test data
    assert seal.validate(by_town, municipality=city(town_seal.config(), "デモ町")).ok  # ja-only: test data


def test_a_renewed_certificate_of_the_same_office_is_still_the_citys_seal(trusted, lgpki, demo_seal, sealed, tmp_path):
    renewed = SealTestCA(tmp_path, lgpki.key, lgpki.root).write_seal("demo", "デモ市")  # ja-only: test data
    assert seal.validate(sealed, municipality=city(renewed.config())).city_seal is True


def test_a_seal_from_an_untrusted_ca_is_untrusted(settings, tmp_path, demo_seal, sealed):
    settings.MADOGUCHI_SEAL_TRUST_ROOTS = []
    assert seal.validate(sealed).outcome == seal.UNTRUSTED
    stranger = SealTestCA.create(tmp_path / "other-ca")
    assert seal.validate(sealed, [str(stranger.root_path)]).outcome == seal.UNTRUSTED
    forged = stranger.write_seal("demo", "デモ市")  # ja-only: test data — same names, another CA
    by_forger = seal.seal_notice(city(forged.config()), render_notice(make_notice()))
    settings.MADOGUCHI_SEAL_TRUST_ROOTS = [str(demo_seal.chain)]
    found = seal.validate(by_forger, municipality=city(demo_seal.config()))
    assert found.outcome == seal.UNTRUSTED and found.city_seal is False


def test_a_revoked_seal_is_reported_from_the_crl(settings, trusted, lgpki, demo_seal, sealed, tmp_path):
    scratch = SealTestCA(tmp_path, lgpki.key, lgpki.root)
    settings.MADOGUCHI_SEAL_CRLS = [str(scratch.write_crl([]))]
    assert seal.validate(sealed, municipality=city(demo_seal.config())).ok  # on no list: sealed
    revoked = x509.load_pem_x509_certificate(demo_seal.certificate.read_bytes())
    settings.MADOGUCHI_SEAL_CRLS = [str(scratch.write_crl([revoked]))]
    found = seal.validate(sealed, municipality=city(demo_seal.config()))
    assert found.outcome == seal.REVOKED and not found.ok
    assert any("失効" in p for p in seal.check(city(demo_seal.config())).problems)  # ja-only: test data


def test_unsealed_garbage_and_encrypted_pdfs(notice, sealed):
    assert seal.validate(notice).outcome == seal.NOT_SEALED
    assert seal.validate(b"%PDF-1.7\nnot really").outcome == seal.UNREADABLE
    assert seal.validate(sealed[: len(sealed) // 3]).outcome == seal.UNREADABLE
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(sealed)))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    found = seal.validate(out.getvalue())
    assert found.outcome == seal.UNREADABLE and found.problem


def test_damaged_signatures_never_raise(trusted, sealed):
    import random

    rng = random.Random(17)
    for _ in range(40):
        damaged = bytearray(sealed)
        for _ in range(4):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        assert seal.validate(bytes(damaged)).outcome in {seal.ALTERED, seal.UNREADABLE, seal.NOT_SEALED, seal.UNTRUSTED}


def test_pem_key_certificate_and_chain(trusted, demo_seal, notice):
    config = {"kind": "file", "key": str(demo_seal.key), "certificate": str(demo_seal.certificate),
              "chain": [str(demo_seal.chain)]}
    assert seal.validate(seal.seal_notice(city(config), notice), municipality=city(demo_seal.config())).ok


# --- no seal, a broken seal ---------------------------------------------------------------------

def test_no_seal_is_refused_when_required_and_passed_unsigned_otherwise(settings, notice):
    settings.MADOGUCHI_SEAL_REQUIRED = True
    with pytest.raises(seal.SealError) as refused:
        seal.seal_notice(city({}), notice)
    assert "電子公印" in refused.value.message  # ja-only: test data
    settings.MADOGUCHI_SEAL_REQUIRED = False
    assert seal.seal_notice(city({}), notice) == notice


def test_unsigned_on_purpose_is_issued_unsigned_and_shown_as_a_problem(settings, notice):
    settings.MADOGUCHI_SEAL_REQUIRED = True
    unsigned = city({"kind": "unsigned", "reason": "LGPKI の証明書を申請中"})  # ja-only: test data
    assert seal.seal_notice(unsigned, notice) == notice
    state = seal.check(unsigned)
    assert state.state == "unsigned" and state.problems


@pytest.mark.parametrize("breakage", ["passphrase", "missing"])
def test_a_seal_that_does_not_load_is_refused_never_skipped(settings, demo_seal, notice, tmp_path, breakage):
    settings.MADOGUCHI_SEAL_REQUIRED = False  # even where a missing seal is allowed
    config = demo_seal.config()
    if breakage == "passphrase":
        (tmp_path / "wrong").write_text("not-the-passphrase")
        config["passphrase_file"] = str(tmp_path / "wrong")
    else:
        config["pkcs12"] = str(tmp_path / "gone.p12")
    with pytest.raises(seal.SealError):
        seal.seal_notice(city(config), notice)
    assert seal.check(city(config)).problems


def test_check_loads_the_seal_and_reports_what_is_wrong(settings, trusted, lgpki, demo_seal, tmp_path):
    good = seal.check(city(demo_seal.config()))
    assert good.state == "file" and good.problems == [] and "デモ市長" in good.subject  # ja-only: test data
    scratch = SealTestCA(tmp_path, lgpki.key, lgpki.root)
    expiring = scratch.write_seal("soon", "デモ市", days=20)  # ja-only: test data
    assert any("有効期限" in p for p in seal.check(city(expiring.config())).problems)  # ja-only: test data
    signing_only = scratch.write_seal("ku", "デモ市", key_usage=x509.KeyUsage(  # ja-only: test data
        True, False, True, False, False, False, False, False, False))
    assert any("nonRepudiation" in p for p in seal.check(city(signing_only.config())).problems)
    settings.MADOGUCHI_SEAL_TRUST_ROOTS = []
    assert seal.check(city(demo_seal.config())).problems
    settings.MADOGUCHI_SEAL_REQUIRED = True
    off = seal.check(city({}))
    assert off.state == "off" and off.problems


# --- PKCS#11: the key inside a SoftHSM2 token ---------------------------------------------------

@pytest.fixture(scope="module")
def hsm(tmp_path_factory, demo_seal):
    """A SoftHSM2 token holding the demo seal's key (imported, as an HSM is loaded with a key
    LGPKI certified) and its certificate; the seal_config that names it."""
    from pkcs11 import Attribute, CertificateType, ObjectClass

    from madoguchi.identity.card.pkcs11 import load_module, reload_module
    from madoguchi.identity.card.softcard import require_softhsm2

    require_softhsm()
    module, util = require_softhsm2()
    folder = tmp_path_factory.mktemp("hsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    environment = {"SOFTHSM2_CONF": str(conf)}
    pin = "seal-1234"
    for command in (["--init-token", "--free", "--label", "demo-seal", "--so-pin", "so-98765", "--pin", pin],
                    ["--import", str(demo_seal.key), "--token", "demo-seal", "--label", "seal", "--id", "01",
                     "--pin", pin]):
        subprocess.run([util, *command], env={**os.environ, **environment}, check=True, capture_output=True)
    lib = load_module(module, environment)
    reload_module(module)
    cert = x509.load_pem_x509_certificate(demo_seal.certificate.read_bytes())
    with lib.get_token(token_label="demo-seal").open(rw=True, user_pin=pin) as session:
        session.create_object({
            Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True, Attribute.LABEL: "seal", Attribute.ID: b"\x01",
            Attribute.SUBJECT: cert.subject.public_bytes(), Attribute.VALUE: cert.public_bytes(Encoding.DER)})
    (folder / "pin").write_text(pin + "\n")
    return {"kind": "pkcs11", "module": module, "token_label": "demo-seal", "key_label": "seal",
            "pin_file": str(folder / "pin"), "chain": [str(demo_seal.chain)]}


def test_pkcs11_seal_signs_inside_softhsm(trusted, hsm, demo_seal, notice):
    from madoguchi.identity.card.pkcs11 import load_module

    load_module(hsm["module"], {"SOFTHSM2_CONF": str(os.path.dirname(hsm["pin_file"]) + "/softhsm2.conf")})
    sealed = seal.seal_notice(city(hsm), notice)
    found = seal.validate(sealed, municipality=city(demo_seal.config()))
    assert found.ok and found.signer == "デモ市長"  # ja-only: test data
    assert seal.validate(sealed, municipality=city(hsm)).city_seal is True  # the cert read from the token
    state = seal.check(city(hsm))
    assert state.state == "pkcs11" and state.problems == []


def test_pkcs11_wrong_pin_or_token_is_refused(hsm, notice, tmp_path):
    from madoguchi.identity.card.pkcs11 import load_module

    load_module(hsm["module"], {"SOFTHSM2_CONF": str(os.path.dirname(hsm["pin_file"]) + "/softhsm2.conf")})
    (tmp_path / "pin").write_text("0000")
    for config in ({**hsm, "pin_file": str(tmp_path / "pin")}, {**hsm, "token_label": "no-such-token"},
                   {**hsm, "key_label": "no-such-key"}):
        with pytest.raises(seal.SealError):
            seal.seal_notice(city(config), notice)
        assert seal.check(city(config)).problems


# --- seal_config: one validator for the command, /system/ and the admin --------------------------

@pytest.mark.parametrize("config, code", [
    ({"kind": "magic"}, "seal"),
    ({"kind": "file"}, "seal"),
    ({"kind": "file", "pkcs12": "seal.p12"}, "seal"),
    ({"kind": "file", "pkcs12": "/a.p12", "passphrase": "hunter2"}, "seal_secret"),
    ({"kind": "pkcs11", "module": "/m.so", "token_label": "t", "key_label": "k", "pin": "1234"}, "seal_secret"),
    ({"kind": "file", "key": "-----BEGIN PRIVATE KEY-----", "certificate": "/c.pem"}, "seal_secret"),
    ({"kind": "file", "pkcs12": "/a.p12", "key": "/k.pem"}, "seal"),
    ({"kind": "file", "pkcs12": "/a.p12", "module": "/m.so"}, "seal"),
    ({"kind": "pkcs11", "module": "/m.so", "token_label": "t"}, "seal"),
    ({"kind": "file", "pkcs12": "/a.p12", "chain": ["relative.pem"]}, "seal"),
    ({"kind": "file", "pkcs12": "/a.p12", "timestamp_url": "ftp://tsa"}, "seal"),
    ({"kind": "file", "pkcs12": "/a.p12\n"}, None),  # stripped: accepted
    (["kind", "file"], "seal"),
    ("{not json", "seal"),
])
def test_seal_config_refusals(config, code):
    if code is None:
        assert validate_seal_config(config) == {"kind": "file", "pkcs12": "/a.p12"}
        return
    with pytest.raises(ValidationError) as refused:
        validate_seal_config(config)
    assert refused.value.code == code


def test_seal_config_accepted_forms():
    assert validate_seal_config({}) == {} and validate_seal_config("") == {}
    pkcs11 = {"kind": "pkcs11", "module": "/usr/lib/softhsm/libsofthsm2.so", "token_label": "city",
              "key_label": "seal", "pin_file": "/etc/madoguchi/pin", "timestamp_url": "https://tsa.example/"}
    assert validate_seal_config(json.dumps(pkcs11)) == pkcs11
    assert validate_seal_config({"kind": "file", "pkcs12": "/a.p12", "chain": "/ca.pem"})["chain"] == ["/ca.pem"]


@pytest.mark.django_db
def test_city_form_and_command_use_the_validator(city, capsys):
    data = form_data(city) | {"seal_config": json.dumps({"kind": "file", "pkcs12": "relative.p12"})}
    form = CityForm(data=data, instance=city)
    assert not form.is_valid() and "seal_config" in form.errors
    with pytest.raises(CommandError, match="seal_config"):
        call_command("city", "set", "demo", "--seal-config", '{"kind": "pkcs11", "pin": "1234"}')
    call_command("city", "set", "demo", "--seal-config", '{"kind": "unsigned"}')
    city.refresh_from_db()
    assert city.seal_config == {"kind": "unsigned"}
    call_command("city", "show", "demo")
    assert "seal: unsigned" in capsys.readouterr().out


# --- the test LGPKI command ---------------------------------------------------------------------

@pytest.mark.django_db
def test_seal_test_ca_seals_test_cities_once_and_refuses_real_ones(city, other_city, tmp_path, settings, capsys):
    call_command("seal_test_ca", "--city", "demo", "--directory", str(tmp_path))
    city.refresh_from_db()
    assert city.seal_config["kind"] == "file" and city.seal_config["pkcs12"].startswith(str(tmp_path))
    assert AuditEvent.objects.filter(municipality=city, action="city_updated").exists()
    settings.MADOGUCHI_SEAL_TRUST_ROOTS = [str(tmp_path / "root.pem")]
    assert seal.check(city).problems == []
    assert seal.validate(seal.seal_notice(city, render_notice(make_notice())), municipality=city).ok
    first = dict(city.seal_config)
    call_command("seal_test_ca", "--city", "demo", "--directory", str(tmp_path))
    city.refresh_from_db()
    assert city.seal_config == first and "in place" in capsys.readouterr().out
    other_city.code = "131016"  # 千代田区: a real code never gets a test seal
    other_city.save()
    with pytest.raises(CommandError, match="real code"):
        call_command("seal_test_ca", "--city", "other", "--directory", str(tmp_path))


# --- the city's system page ------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_system_page_shows_the_seal_and_saves_its_settings(client, city, django_user_model, settings, trusted,
                                                                demo_seal):
    from django.urls import reverse

    client.force_login(django_user_model.objects.create_superuser("root", password="x-pass-2026"))
    url = reverse("administration:system_city", args=[city.pk])
    settings.MADOGUCHI_SEAL_REQUIRED = True
    assert 'data-check="seal" data-ok="false"' in client.get(url).content.decode()  # no seal: no notices
    data = form_data(city) | {"seal_config": json.dumps({"kind": "file", "pkcs12": "seal.p12"})}
    refused = client.post(url, data)
    assert refused.status_code == 400 and 'id="id_seal_config-error"' in refused.content.decode()
    data["seal_config"] = json.dumps(demo_seal.config())
    assert client.post(url, data).status_code == 302
    city.refresh_from_db()
    assert city.seal_config == demo_seal.config()
    assert 'data-check="seal" data-ok="true"' in client.get(url).content.decode()
    event = AuditEvent.objects.filter(municipality=city, action="city_updated").latest("id")
    assert "seal_config" in event.detail["fields"] and "passphrase" not in json.dumps(event.detail).replace(
        "passphrase_file", "")
