"""The test CA issues certificates in the JPKI profile's shape, and publishes revocations."""

import stat
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from madoguchi.identity.jpki import oids
from madoguchi.identity.jpki.ca import TestCA
from madoguchi.identity.jpki.errors import ProfileError
from madoguchi.identity.jpki.profile import (
    GENDER_MALE,
    GENDER_UNKNOWN,
    BasicInfo,
    basic_info_from,
    certificate_fingerprint,
    decode_birth_date,
    default_not_after,
    encode_birth_date,
    fifth_birthday_after,
    is_authentication,
    is_signing,
    parse_der_string,
)
from madoguchi.identity.jpki.testing import make_card, sample_person

T0 = datetime(2026, 1, 10, 1, 0, tzinfo=UTC)
LONG_ADDRESS = ("北海道札幌市中央区北一条西二丁目一番地の十二　札幌市役所本庁舎前通り沿い"
                "グランドメゾン窓口第二十三号棟　東側エントランス　十二階千二百三十四号室　"
                "（旧住居表示：北海道札幌市中央区大通西三丁目七番地）　髙﨑方") * 2


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return TestCA.create(tmp_path_factory.mktemp("ca"), now=T0)


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def card(ca, key):
    return make_card(ca, sample_person(), signing_key=key, auth_key=key, not_before=T0)


def test_create_writes_pem_files_and_state_and_load_restores_them(ca):
    for stem in ("root-ca", "signing-ca", "authentication-ca"):
        key_file = ca.directory / f"{stem}.key.pem"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert b"PRIVATE KEY" in key_file.read_bytes()
        assert (ca.directory / f"{stem}.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE")
    loaded = TestCA.load(ca.directory)
    assert loaded.certs == ca.certs
    assert loaded.state == ca.state
    assert loaded.keys["signing"].private_numbers() == ca.keys["signing"].private_numbers()


def test_a_crl_base_url_is_written_as_the_distribution_point(tmp_path, key):
    ca = TestCA.create(tmp_path, now=T0, crl_base_url="http://crl.example.jp/jpki/")
    cert = ca.issue_authentication_certificate(key.public_key(), birth_date=date(1990, 1, 1))
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert [n.value for n in points[0].full_name] == ["http://crl.example.jp/jpki/authentication.crl"]


def test_create_refuses_to_overwrite_an_existing_ca(ca):
    with pytest.raises(FileExistsError):
        TestCA.create(ca.directory)


def test_issuing_cas_are_separate_and_chain_to_the_root(ca):
    signing, auth = ca.issuer_certificate("signing"), ca.issuer_certificate("authentication")
    assert signing.public_key().public_numbers() != auth.public_key().public_numbers()
    for issuing, ou in ((signing, oids.OU_BY_KIND["signing"]), (auth, oids.OU_BY_KIND["authentication"])):
        issuing.verify_directly_issued_by(ca.root_certificate)
        units = [a.value for a in issuing.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
        assert units == [ou, oids.OU_JLIS]
        constraints = issuing.extensions.get_extension_for_class(x509.BasicConstraints).value
        assert constraints.ca and constraints.path_length == 0


def test_every_key_is_rsa_2048_and_every_signature_sha256(ca, card):
    for cert in [ca.root_certificate, *ca.intermediates, card.signing_cert, card.auth_cert]:
        assert isinstance(cert.public_key(), rsa.RSAPublicKey)
        assert cert.public_key().key_size == 2048
        assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)
    for name in ("root", "signing", "authentication"):
        assert ca.keys[name].key_size == 2048


def test_the_ca_refuses_keys_other_than_rsa_2048(ca):
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (refused)
    with pytest.raises(ValueError, match="RSA-2048"):
        ca.issue_authentication_certificate(small.public_key(), birth_date=date(1990, 1, 1))


def test_signing_certificate_follows_the_profile(card):
    cert = card.signing_cert
    assert [a.oid for a in cert.subject] == [NameOID.COUNTRY_NAME, NameOID.LOCALITY_NAME,
                                             NameOID.LOCALITY_NAME, NameOID.COMMON_NAME]
    assert len(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value) == 23
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies)
    assert policies.critical
    assert [p.policy_identifier for p in policies.value] == [oids.POLICY_SIGNING]
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {o.type_id for o in san.get_values_for_type(x509.OtherName)} == {
        oids.SAN_NAME, oids.SAN_NAME_SUBSTITUTE, oids.SAN_GENDER, oids.SAN_BIRTH_DATE,
        oids.SAN_ADDRESS, oids.SAN_ADDRESS_SUBSTITUTE}
    assert is_signing(cert) and not is_authentication(cert)


def test_authentication_certificate_follows_the_profile(card):
    cert = card.auth_cert
    assert [a.oid for a in cert.subject] == [NameOID.COUNTRY_NAME, NameOID.COMMON_NAME]
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.content_commitment
    policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert [p.policy_identifier for p in policies] == [oids.POLICY_AUTHENTICATION]
    assert is_authentication(cert) and not is_signing(cert)


def test_the_authentication_certificate_contains_no_personal_data(card):
    der = card.auth_cert.public_bytes(serialization.Encoding.DER)
    person = card.person
    needles = [person.name, *person.name.split(), person.address, person.address[:6],
               person.name_kana, encode_birth_date(person.birth_date),
               person.birth_date.strftime("%Y%m%d"), person.birth_date.isoformat()]
    for needle in needles:
        for encoding in ("utf-8", "utf-16-be"):
            assert needle.encode(encoding) not in der, needle
    # Not even the personal-data OID arc 1.2.392.200149.8.5.5 (DER 2a 83 08 8c 9b 55 08 05 05).
    assert bytes.fromhex("2a83088c9b55080505") not in der
    with pytest.raises(x509.ExtensionNotFound):
        card.auth_cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    # The needles are real: the same search finds them in the signing certificate.
    signing_der = card.signing_cert.public_bytes(serialization.Encoding.DER)
    assert person.name.encode() in signing_der and person.address.encode() in signing_der


PEOPLE = [
    sample_person(),
    sample_person(name="山﨑 髙志", gender=GENDER_MALE, birth_date=date(1989, 1, 7)),
    # U+FA19 (神, compatibility ideograph) would become U+795E under NFC: it must survive as is.
    sample_person(name="\ufa19田 太郎", address=LONG_ADDRESS, birth_date=date(2019, 5, 1)),
    sample_person(name="Smith John", gender=GENDER_UNKNOWN, birth_date=date(1926, 12, 24),
                  name_substitute="0003", address_substitute="0001,0005"),
]


@pytest.mark.parametrize("person", PEOPLE, ids=["takahashi", "yamasaki", "kanda-long", "other"])
def test_basic_information_round_trips_exactly(ca, key, person):
    cert = ca.issue_signing_certificate(key.public_key(), person, not_before=T0)
    reloaded = x509.load_der_x509_certificate(cert.public_bytes(serialization.Encoding.DER))
    info = basic_info_from(reloaded)
    assert info == BasicInfo(person.name, person.address, person.birth_date, person.gender,
                             name_substitute=person.name_substitute,
                             address_substitute=person.address_substitute)
    assert info.name.encode("utf-8") == person.name.encode("utf-8")  # no normalisation


def test_a_long_address_uses_der_long_form_length(ca, key):
    assert len(LONG_ADDRESS.encode()) > 255
    cert = ca.issue_signing_certificate(key.public_key(), sample_person(address=LONG_ADDRESS),
                                        not_before=T0)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    value = next(o.value for o in san.get_values_for_type(x509.OtherName)
                 if o.type_id == oids.SAN_ADDRESS)
    assert value[:2] == b"\x0c\x82"
    assert parse_der_string(value) == LONG_ADDRESS


@pytest.mark.parametrize(("born", "encoded"), [
    (date(1912, 7, 29), "119120729"), (date(1912, 7, 30), "219120730"),
    (date(1926, 12, 24), "219261224"), (date(1926, 12, 25), "319261225"),
    (date(1989, 1, 7), "319890107"), (date(1989, 1, 8), "419890108"),
    (date(2019, 4, 30), "420190430"), (date(2019, 5, 1), "520190501"),
])
def test_birth_date_is_era_code_then_gregorian_date(born, encoded):
    assert encode_birth_date(born) == encoded
    assert decode_birth_date(encoded) == born


@pytest.mark.parametrize("text", ["400000000", "319850700", "019850714", "3198507140", "31985O714"])
def test_incomplete_or_malformed_birth_dates_are_refused(text):
    with pytest.raises(ProfileError):
        decode_birth_date(text)


def test_basic_info_from_refuses_an_authentication_certificate(card):
    with pytest.raises(ProfileError):
        basic_info_from(card.auth_cert)


def test_basic_info_rejects_an_unknown_gender_code():
    with pytest.raises(ValueError, match="gender"):
        sample_person(gender="M")


@pytest.mark.parametrize(("issued", "born", "last_day"), [
    (date(2026, 1, 10), date(1985, 7, 14), date(2030, 7, 14)),
    (date(2026, 7, 13), date(1985, 7, 14), date(2030, 7, 14)),
    (date(2026, 7, 14), date(1985, 7, 14), date(2031, 7, 14)),  # the issue day does not count
    (date(2026, 7, 15), date(1985, 7, 14), date(2031, 7, 14)),
    (date(2026, 3, 1), date(2000, 2, 29), date(2031, 2, 28)),
    (date(2027, 3, 1), date(2000, 2, 29), date(2032, 2, 29)),
])
def test_fifth_birthday_after_issuance(issued, born, last_day):
    assert fifth_birthday_after(issued, born) == last_day


def test_default_validity_ends_at_the_end_of_the_fifth_birthday_in_japan(card):
    for cert in (card.signing_cert, card.auth_cert):
        assert cert.not_valid_before_utc == T0
        assert cert.not_valid_after_utc == datetime(2030, 7, 14, 14, 59, 59, tzinfo=UTC)


def test_issue_day_is_the_japanese_date():
    # 2026-07-13 15:30 UTC is already 14 July (the birthday) in Japan: that birthday is not counted.
    start = datetime(2026, 7, 13, 15, 30, tzinfo=UTC)
    assert default_not_after(start, date(1985, 7, 14)) == datetime(2031, 7, 14, 14, 59, 59, tzinfo=UTC)


def test_explicit_validity_is_used_as_given(ca, key):
    end = T0 + timedelta(days=3)
    cert = ca.issue_authentication_certificate(key.public_key(), not_before=T0, not_after=end)
    assert (cert.not_valid_before_utc, cert.not_valid_after_utc) == (T0, end)
    with pytest.raises(ValueError, match="birth_date or not_after"):
        ca.issue_authentication_certificate(key.public_key(), not_before=T0)


def test_serials_are_unique_and_recorded(ca, key):
    first = ca.issue_authentication_certificate(key.public_key(), birth_date=date(1990, 1, 1))
    second = ca.issue_authentication_certificate(key.public_key(), birth_date=date(1990, 1, 1))
    assert second.serial_number == first.serial_number + 1
    assert ca.state["issued"][str(first.serial_number)] == "authentication"
    assert TestCA.load(ca.directory).state["next_serial"] == second.serial_number + 1
    assert certificate_fingerprint(first) != certificate_fingerprint(second)


def test_crl_lists_revocations_of_its_own_kind_signed_with_update_times(ca, key):
    cert = ca.issue_signing_certificate(key.public_key(), sample_person(), not_before=T0)
    when = T0 + timedelta(hours=2)
    ca.revoke(cert.serial_number, "keyCompromise", when=when)
    crl = ca.crl("signing", now=T0 + timedelta(hours=3))
    assert crl.is_signature_valid(ca.issuer_certificate("signing").public_key())
    assert not crl.is_signature_valid(ca.issuer_certificate("authentication").public_key())
    assert crl.last_update_utc == T0 + timedelta(hours=3)
    assert crl.next_update_utc == T0 + timedelta(hours=27)
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    assert entry.revocation_date_utc == when
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason is x509.ReasonFlags.key_compromise
    other = ca.crl("authentication", now=T0 + timedelta(hours=3))
    assert other.get_revoked_certificate_by_serial_number(cert.serial_number) is None
    before = ca.crl("signing", now=T0 + timedelta(hours=1))  # made before the revocation
    assert before.get_revoked_certificate_by_serial_number(cert.serial_number) is None


def test_crl_numbers_increase(ca):
    def number(crl):
        return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number

    assert number(ca.crl("authentication", now=T0)) < number(ca.crl("authentication", now=T0))


def test_revoking_an_unknown_serial_is_an_error(ca):
    with pytest.raises(ValueError, match="not issued"):
        ca.revoke(1, "keyCompromise")


def test_write_crls_writes_der_and_pem_that_survive_a_reload(ca, key):
    cert = ca.issue_authentication_certificate(key.public_key(), birth_date=date(1990, 1, 1),
                                               not_before=T0)
    ca.revoke(cert.serial_number, x509.ReasonFlags.cessation_of_operation, when=T0)
    reloaded = TestCA.load(ca.directory)
    paths = reloaded.write_crls(now=T0 + timedelta(minutes=1))
    assert set(paths) == {"signing", "authentication"}
    der = x509.load_der_x509_crl(paths["authentication"].read_bytes())
    pem = x509.load_pem_x509_crl((ca.directory / "authentication.crl.pem").read_bytes())
    for crl in (der, pem):
        assert crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
        assert crl.is_signature_valid(ca.issuer_certificate("authentication").public_key())
