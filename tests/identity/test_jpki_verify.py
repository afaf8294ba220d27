"""verify_certificate and verify_signature: every rule refuses with its own reason code."""

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from madoguchi.identity.jpki import errors, oids
from madoguchi.identity.jpki.ca import TestCA
from madoguchi.identity.jpki.crl import CrlCache, CrlSet
from madoguchi.identity.jpki.errors import CertificateRejected, SignatureRejected
from madoguchi.identity.jpki.profile import BasicInfo, certificate_fingerprint
from madoguchi.identity.jpki.testing import make_card, sample_person, sign
from madoguchi.identity.jpki.verify import verify_certificate, verify_signature

T0 = datetime(2026, 1, 10, 1, 0, tzinfo=UTC)
AT = T0 + timedelta(days=30)


@pytest.fixture(scope="module")
def keys():
    return [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2)]


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return TestCA.create(tmp_path_factory.mktemp("ca"), now=T0)


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory):
    """Another CA with the very same names: only the keys tell it apart."""
    return TestCA.create(tmp_path_factory.mktemp("other"), now=T0)


@pytest.fixture
def card(ca, keys):
    return make_card(ca, sample_person(), signing_key=keys[0], auth_key=keys[1], not_before=T0)


def crls_for(ca, at=AT):
    """Fresh CRLs for both kinds, as a verifier would hold them at `at`."""
    paths = ca.write_crls(now=at - timedelta(minutes=1))
    return CrlSet([CrlCache(paths[k], 300, [ca.issuer_certificate(k)], clock=lambda: at)
                   for k in paths])


def check(ca, cert, expected, *, at=AT, anchors=None, intermediates=None, crls="fresh"):
    return verify_certificate(
        cert, ca.trust_anchors if anchors is None else anchors,
        ca.intermediates if intermediates is None else intermediates,
        crls_for(ca, at) if crls == "fresh" else crls, at, expected)


def rejected(expected_code, *args, **kwargs) -> CertificateRejected:
    with pytest.raises(CertificateRejected) as info:
        check(*args, **kwargs)
    assert info.value.reason_code == expected_code, info.value.detail
    return info.value


def test_a_valid_signing_certificate_is_accepted_with_its_basic_information(ca, card):
    verified = check(ca, card.signing_cert, "signing")
    assert verified.kind == "signing"
    assert verified.chain == (card.signing_cert, ca.issuer_certificate("signing"),
                              ca.root_certificate)
    assert verified.fingerprint == certificate_fingerprint(card.signing_cert)
    assert verified.serial_number == card.signing_cert.serial_number
    assert verified.not_after == card.signing_cert.not_valid_after_utc
    p = card.person
    assert verified.basic_info == BasicInfo(p.name, p.address, p.birth_date, p.gender)


def test_a_valid_authentication_certificate_is_accepted_without_personal_data(ca, card):
    verified = check(ca, card.auth_cert, "authentication")
    assert verified.kind == "authentication"
    assert verified.basic_info is None
    assert verified.chain[-1] == ca.root_certificate


def test_the_issuing_ca_itself_may_be_the_trust_anchor_as_at_j_lis(ca, card):
    issuing = ca.issuer_certificate("authentication")
    verified = check(ca, card.auth_cert, "authentication", anchors=[issuing], intermediates=[])
    assert verified.chain == (card.auth_cert, issuing)


def test_a_certificate_from_another_ca_with_the_same_names_is_untrusted(ca, other_ca, keys):
    foreign = make_card(other_ca, sample_person(), signing_key=keys[0], auth_key=keys[1],
                        not_before=T0)
    assert foreign.signing_cert.issuer == ca.issuer_certificate("signing").subject
    error = rejected(errors.UNTRUSTED, ca, foreign.signing_cert, "signing")
    assert "J-LIS" in error.message_ja
    rejected(errors.UNTRUSTED, ca, foreign.auth_cert, "authentication")


def test_without_the_intermediate_or_with_the_wrong_anchor_the_chain_is_untrusted(ca, card):
    rejected(errors.UNTRUSTED, ca, card.signing_cert, "signing", intermediates=[])
    rejected(errors.UNTRUSTED, ca, card.signing_cert, "signing",
             anchors=[ca.issuer_certificate("authentication")], intermediates=[])


def test_same_named_cas_are_told_apart_by_key_as_after_a_j_lis_key_rollover(ca, other_ca, card):
    anchors = [other_ca.root_certificate, ca.root_certificate]
    intermediates = [*other_ca.intermediates, *ca.intermediates]
    verified = check(ca, card.signing_cert, "signing", anchors=anchors,
                     intermediates=intermediates)
    assert verified.chain[1] == ca.issuer_certificate("signing")
    rejected(errors.UNTRUSTED, ca, card.signing_cert, "signing", anchors=anchors,
             intermediates=other_ca.intermediates)


def test_a_card_cannot_act_as_a_ca(ca, card, keys):
    """A certificate "issued" by the card's own key is refused even though it verifies."""
    issuer_ski = card.auth_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    forged = (
        x509.CertificateBuilder().subject_name(card.auth_cert.subject)
        .issuer_name(card.auth_cert.subject).public_key(keys[0].public_key()).serial_number(7)
        .not_valid_before(T0).not_valid_after(T0 + timedelta(days=365))
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                       critical=True)
        .add_extension(x509.CertificatePolicies([x509.PolicyInformation(
            oids.POLICY_AUTHENTICATION, None)]), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
            issuer_ski.value), critical=False)
        .sign(keys[1], hashes.SHA256())
    )
    forged.verify_directly_issued_by(card.auth_cert)  # the signature itself is fine
    rejected(errors.UNTRUSTED, ca, forged, "authentication",
             intermediates=[*ca.intermediates, card.auth_cert])


def _tamper_common_name(cert: x509.Certificate) -> x509.Certificate:
    der = cert.public_bytes(serialization.Encoding.DER)
    common_name = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value.encode()
    where = der.index(common_name) + len(common_name) - 1
    swapped = b"A" if der[where:where + 1] != b"A" else b"B"
    return x509.load_der_x509_certificate(der[:where] + swapped + der[where + 1:])


def _tamper_public_key(cert: x509.Certificate) -> x509.Certificate:
    der = cert.public_bytes(serialization.Encoding.DER)
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    where = der.index(spki) + 100  # inside the modulus
    return x509.load_der_x509_certificate(der[:where] + bytes([der[where] ^ 1]) + der[where + 1:])


@pytest.mark.parametrize("tamper", [_tamper_common_name, _tamper_public_key])
@pytest.mark.parametrize("kind", ["signing", "authentication"])
def test_a_tampered_certificate_is_refused_as_tampered(ca, card, tamper, kind):
    original = card.signing_cert if kind == "signing" else card.auth_cert
    tampered = tamper(original)
    assert tampered.tbs_certificate_bytes != original.tbs_certificate_bytes
    assert tampered.signature == original.signature
    error = rejected(errors.TAMPERED, ca, tampered, kind)
    assert "書き換え" in error.message_ja


def test_an_expired_certificate_is_refused(ca, card):
    end = card.signing_cert.not_valid_after_utc
    assert check(ca, card.signing_cert, "signing", at=end).kind == "signing"  # last second
    error = rejected(errors.EXPIRED, ca, card.signing_cert, "signing", at=end + timedelta(seconds=1))
    assert "有効期限" in error.message_ja
    rejected(errors.EXPIRED, ca, card.auth_cert, "authentication", at=end + timedelta(days=1))


def test_a_certificate_used_before_its_validity_is_refused(ca, card):
    rejected(errors.NOT_YET_VALID, ca, card.auth_cert, "authentication",
             at=T0 - timedelta(seconds=1))


def test_an_expired_ca_certificate_fails_the_chain(ca, card, keys):
    late = ca.issue_authentication_certificate(
        keys[1].public_key(), not_before=T0, not_after=T0 + timedelta(days=365 * 11))
    rejected(errors.EXPIRED, ca, late, "authentication", at=T0 + timedelta(days=365 * 10 + 5))


def test_a_revoked_certificate_is_refused(ca, card):
    ca.revoke(card.signing_cert.serial_number, "affiliationChanged", when=AT - timedelta(hours=1))
    error = rejected(errors.REVOKED, ca, card.signing_cert, "signing")
    assert error.message_ja.startswith("この電子証明書は失効しています。")
    # The other certificate on the same card is still good.
    assert check(ca, card.auth_cert, "authentication").kind == "authentication"


def test_a_revoked_login_certificate_is_not_blamed_on_a_move(ca, card):
    ca.revoke(card.auth_cert.serial_number, when=AT - timedelta(hours=1))
    error = rejected(errors.REVOKED, ca, card.auth_cert, "authentication")
    assert error.message_ja.startswith("この利用者証明用電子証明書は失効しています。")
    assert "住所や氏名の変更" not in error.message_ja


def test_an_authentication_certificate_offered_for_signing_is_the_wrong_kind(ca, card):
    error = rejected(errors.WRONG_KIND, ca, card.auth_cert, "signing")
    assert "署名用電子証明書" in error.message_ja


def test_a_signing_certificate_offered_for_login_is_the_wrong_kind(ca, card):
    error = rejected(errors.WRONG_KIND, ca, card.signing_cert, "authentication")
    assert "利用者証明用電子証明書" in error.message_ja


def test_without_a_crl_source_nothing_is_accepted(ca, card):
    rejected(errors.CRL_UNAVAILABLE, ca, card.auth_cert, "authentication", crls=None)


def test_a_crl_past_next_update_is_unavailable(ca, card):
    paths = ca.write_crls(now=T0, lifetime=timedelta(days=1))
    stale = CrlCache(paths["authentication"], 300, [ca.issuer_certificate("authentication")],
                     clock=lambda: T0 + timedelta(days=1, seconds=1))
    error = rejected(errors.CRL_UNAVAILABLE, ca, card.auth_cert, "authentication", crls=stale)
    assert "確認できません" in error.message_ja


def test_a_missing_crl_or_one_of_the_other_kind_is_unavailable(ca, card, tmp_path):
    missing = CrlCache(tmp_path / "nothing.crl", 300, [ca.issuer_certificate("authentication")])
    rejected(errors.CRL_UNAVAILABLE, ca, card.auth_cert, "authentication", crls=missing)
    paths = ca.write_crls(now=AT - timedelta(minutes=1))
    signing_only = CrlCache(paths["signing"], 300, [ca.issuer_certificate("signing")],
                            clock=lambda: AT)
    rejected(errors.CRL_UNAVAILABLE, ca, card.auth_cert, "authentication", crls=signing_only)


def test_any_error_from_the_crl_source_fails_closed(ca, card):
    class Broken:
        def is_revoked(self, cert):
            raise RuntimeError("database down")

    rejected(errors.CRL_UNAVAILABLE, ca, card.auth_cert, "authentication", crls=Broken())


def test_a_non_rsa_certificate_is_unsupported(ca):
    key = ec.generate_private_key(ec.SECP256R1())
    issuer = ca.issuer_certificate("signing")
    cert = (
        x509.CertificateBuilder().subject_name(x509.Name([]))
        .issuer_name(issuer.subject).public_key(key.public_key()).serial_number(9)
        .not_valid_before(T0).not_valid_after(T0 + timedelta(days=30))
        .sign(ca.keys["signing"], hashes.SHA256())
    )
    rejected(errors.UNSUPPORTED, ca, cert, "signing")


def test_reason_codes_and_messages_are_distinct_and_japanese():
    assert len(set(errors.MESSAGES_JA.values())) == len(errors.MESSAGES_JA)
    for message in [*errors.MESSAGES_JA.values(), *errors.WRONG_KIND_JA.values()]:
        assert message.endswith("。") and any("\u3040" <= c <= "\u30ff" for c in message)


def test_naive_datetimes_and_unknown_kinds_are_programming_errors(ca, card):
    with pytest.raises(ValueError, match="aware"):
        check(ca, card.auth_cert, "authentication", at=AT.replace(tzinfo=None), crls=None)
    with pytest.raises(ValueError, match="expected"):
        check(ca, card.auth_cert, "login", crls=None)


def test_a_good_signature_verifies(card):
    data = b'{"application":"jumin-hyo","copies":1}'
    verify_signature(card.signing_cert, data, card.sign(data))
    verify_signature(card.auth_cert, b"challenge", card.authenticate(b"challenge"))


def test_bad_signatures_are_rejected(card, keys):
    data = b'{"application":"jumin-hyo","copies":1}'
    good = sign(card.signing_key, data)
    bad = [
        (data + b" ", good),  # other data
        (data, sign(card.auth_key, data)),  # other key
        (data, good[:-1] + bytes([good[-1] ^ 1])),  # mangled
        (data, card.signing_key.sign(data, padding.PSS(padding.MGF1(hashes.SHA256()), 32),
                                     hashes.SHA256())),  # PSS, not PKCS#1 v1.5
        (data, card.signing_key.sign(data, padding.PKCS1v15(), hashes.SHA1())),  # noqa: S303
    ]
    for payload, signature in bad:
        with pytest.raises(SignatureRejected) as info:
            verify_signature(card.signing_cert, payload, signature)
        assert info.value.reason_code == errors.BAD_SIGNATURE
        assert "電子署名" in info.value.message_ja
