"""A key ring per city: one city's keys read nothing of another's; rotation is per city; a KEK
file withheld makes a city unreadable; the first key is made once, even in a race; encrypting
costs no query once the key is read.

Cities A (the demo city) and B (`other_city`) each store an application, a message, a return
note and a 個人番号; the tests take raw columns out of the database as an attacker would.
"""

import io
import os
import threading
import time

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from madoguchi.applications import services as applications
from madoguchi.applications.models import Message, SubmissionEvent, SubmissionVersion
from madoguchi.core import crypto, keyring, keywrap
from madoguchi.core.actors import Actor
from madoguchi.core.keyring import ENCRYPTED_COLUMNS
from madoguchi.core.models import AuditEvent, CityKey, Municipality
from madoguchi.identity.models import ResidentAccount
from madoguchi.register.seeding import generate_register

from support import submit_via_web

MESSAGE_A, MESSAGE_B = "A市の鑑札番号 R5-111", "B町の鑑札番号 R5-222"


@pytest.fixture(autouse=True)
def _fresh_keys():
    """Each test starts as a new process does: no key in memory."""
    keyring.forget()
    yield
    keyring.forget()


def _populate(city, email: str, message: str):
    from conftest import login_resident

    account = ResidentAccount.objects.create(municipality=city, email=email)
    client = login_resident(Client(HTTP_HOST=city.hostname or "testserver"), account)
    submission = submit_via_web(client, "dog-registration-change")
    applications.post_message(submission, message, Actor.resident(account.pk))
    SubmissionEvent.objects.create(submission=submission, to_status="returned", actor_kind="staff",
                                   actor_ref="staff:1", note=message)
    generate_register(city, 2, seed=city.pk)
    return submission


@pytest.fixture
def two_cities(city, other_city, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, other_city.hostname]
    a = _populate(city, "a@example.jp", MESSAGE_A)
    b = _populate(other_city, "b@example.jp", MESSAGE_B)
    return a, b


def _raw_column(column, city) -> list[bytes]:
    """The stored tokens of one encrypted column for one city's rows, as the database holds them."""
    from django.apps import apps
    from django.db.models import BinaryField, ExpressionWrapper, F

    model = apps.get_model(column.app_label, column.model)
    raw = ExpressionWrapper(F(column.field), output_field=BinaryField())
    return [bytes(t) for t in model.objects.filter(**{f"{column.city}_id": city.pk})
            .annotate(_t=raw).values_list("_t", flat=True) if t]


def _all_raw(city) -> dict[str, list[bytes]]:
    return {f"{c.model}.{c.field}": _raw_column(c, city) for c in ENCRYPTED_COLUMNS}


def _plain_key(key_id: str) -> bytes:
    """A data key as someone holding the database and the KEK would have it."""
    row = CityKey.objects.select_related("municipality").get(key_id=key_id)
    context = keywrap.KeyContext(row.municipality_id, row.municipality.slug, key_id)
    return keywrap.wrapper(row.wrapper).unwrap(context, bytes(row.wrapped))


def _fernet_part(token: bytes) -> bytes:
    return token.split(b":", 2)[2]


def test_each_city_encrypts_under_its_own_key(two_cities):
    a, b = two_cities
    key_a, key_b = keyring.primary(a.municipality)[0], keyring.primary(b.municipality)[0]
    assert key_a != key_b
    for city, key_id in ((a.municipality, key_a), (b.municipality, key_b)):
        stored = _all_raw(city)
        assert stored["SubmissionVersion.answers"] and stored["Resident.my_number"]
        for name, tokens in stored.items():
            assert {crypto.key_id_of(t) for t in tokens} <= {key_id}, name


def test_a_city_token_cannot_be_read_with_another_citys_key(two_cities):
    a, b = two_cities
    token_a = bytes(SubmissionVersion.objects.get(submission=a).answers)
    key_a, key_b = keyring.primary(a.municipality)[0], keyring.primary(b.municipality)[0]
    assert crypto.decrypt_json(token_a)["dog_name"]

    with pytest.raises(InvalidToken):  # B's data key on A's ciphertext
        Fernet(_plain_key(key_b)).decrypt(_fernet_part(token_a))
    swapped = token_a.replace(key_a.encode(), key_b.encode(), 1)  # A's ciphertext named as B's
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_bytes(swapped)
    message_b = bytes(Message.objects.get(submission=b).body)
    with pytest.raises(crypto.DecryptionError):  # and the other way round
        crypto.decrypt_bytes(message_b.replace(key_b.encode(), key_a.encode(), 1))


def test_an_exposed_data_key_reads_only_its_own_citys_rows(two_cities):
    a, b = two_cities
    exposed = Fernet(_plain_key(keyring.primary(a.municipality)[0]))
    read = 0
    for tokens in _all_raw(a.municipality).values():
        for token in tokens:
            exposed.decrypt(_fernet_part(token))
            read += 1
    assert read >= 8  # answers, draft, message, notes, mail, 個人番号
    for name, tokens in _all_raw(b.municipality).items():
        for token in tokens:
            with pytest.raises(InvalidToken):
                exposed.decrypt(_fernet_part(token))
        assert MESSAGE_B.encode() not in b"".join(tokens), name


def test_a_wrapped_key_copied_to_another_city_does_not_unwrap(two_cities):
    """Someone who can write the database moves A's wrapped key into B's key row: B's key
    refuses to unwrap (the wrap binds city and key id), it does not become A's key."""
    a, b = two_cities
    key_a, key_b = keyring.primary(a.municipality)[0], keyring.primary(b.municipality)[0]
    CityKey.objects.filter(key_id=key_b).update(wrapped=CityKey.objects.get(key_id=key_a).wrapped)
    keyring.forget()
    with pytest.raises(keyring.KeyUnavailable, match="another city or key id"):
        crypto.decrypt_bytes(bytes(Message.objects.get(submission=b).body))
    assert applications.message_text(Message.objects.get(submission=a)) == MESSAGE_A


def test_rotating_one_city_leaves_the_other_untouched(two_cities):
    a, b = two_cities
    raw_a, raw_b = _all_raw(a.municipality), _all_raw(b.municipality)
    old_a, key_b = keyring.primary(a.municipality)[0], keyring.primary(b.municipality)[0]

    out = io.StringIO()
    call_command("rotate_keys", "--city", a.municipality.slug, "--no-wait", stdout=out)
    new_a = keyring.primary(a.municipality)[0]
    assert new_a != old_a
    assert _all_raw(b.municipality) == raw_b  # not one byte of B rewritten
    assert keyring.active_key_ids(b.municipality) == [key_b]
    after_a = _all_raw(a.municipality)
    for name, tokens in after_a.items():
        assert {crypto.key_id_of(t) for t in tokens} <= {new_a}, name
        assert len(tokens) == len(raw_a[name])
    assert CityKey.objects.get(key_id=old_a).retired_at is not None
    assert MESSAGE_A not in out.getvalue() and "@" not in out.getvalue()
    assert AuditEvent.objects.filter(municipality=a.municipality, action="keys.rotated").count() == 1
    assert not AuditEvent.objects.filter(municipality=b.municipality, action="keys.rotated").exists()

    keyring.forget()
    assert applications.message_text(Message.objects.get(submission=a)) == MESSAGE_A
    assert applications.message_text(Message.objects.get(submission=b)) == MESSAGE_B
    assert SubmissionEvent.objects.get(submission=a, to_status="returned").note == MESSAGE_A
    assert SubmissionEvent.objects.get(submission=b, to_status="returned").note == MESSAGE_B


def test_rotate_keys_refuses_an_unknown_city_or_wrapper(city):
    with pytest.raises(CommandError, match="no city nowhere"):
        call_command("rotate_keys", "--city", "nowhere", "--no-wait", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no key wrapper 'vault'"):
        call_command("rotate_keys", "--wrapper", "vault", "--no-wait", stdout=io.StringIO())


# --- the `file` wrapper: a city's own KEK, outside the database and the settings -----------

@pytest.fixture
def kek_dir(tmp_path, settings):
    directory = tmp_path / "keks"
    directory.mkdir(mode=0o700)
    settings.MADOGUCHI_CITY_KEK_DIR = str(directory)
    return directory


def test_a_city_whose_kek_file_is_missing_cannot_be_read(two_cities, kek_dir):
    a, b = two_cities
    town = b.municipality
    out = io.StringIO()
    call_command("generate_key", "--city-kek", town.slug, stdout=out)
    path = kek_dir / f"{town.slug}.key"
    assert os.stat(path).st_mode & 0o777 == 0o600
    call_command("rotate_keys", "--rewrap", "--city", town.slug, "--wrapper", "file", stdout=io.StringIO())
    assert set(CityKey.objects.filter(municipality=town).values_list("wrapper", flat=True)) == {"file"}
    keyring.forget()
    assert applications.message_text(Message.objects.get(submission=b)) == MESSAGE_B

    hidden = path.rename(kek_dir / "elsewhere")  # lost or withheld: the database and settings remain
    keyring.forget()
    with pytest.raises(keyring.KeyUnavailable, match=f"key file of city {town.slug} is missing"):
        applications.message_text(Message.objects.get(submission=b))
    with pytest.raises(keyring.KeyUnavailable):
        crypto.encrypt_bytes(b"new", town)  # nor can anything new be written for it
    with pytest.raises(CommandError, match=f"key file of city {town.slug} is missing"):
        call_command("rotate_keys", "--city", town.slug, "--no-wait", stdout=io.StringIO())
    assert applications.message_text(Message.objects.get(submission=a)) == MESSAGE_A  # A is unaffected
    errors = [e for e in run_checks(databases=["default"]) if e.id == "madoguchi.E022"]
    assert len(errors) == 1 and town.slug in errors[0].msg and "B町" not in errors[0].msg

    hidden.rename(path)
    os.chmod(path, 0o644)  # open to others: refused as ssh refuses a private key
    keyring.forget()
    with pytest.raises(keyring.KeyUnavailable, match="chmod 600"):
        applications.message_text(Message.objects.get(submission=b))
    os.chmod(path, 0o600)
    keyring.forget()
    assert applications.message_text(Message.objects.get(submission=b)) == MESSAGE_B
    assert not [e for e in run_checks(databases=["default"]) if e.id == "madoguchi.E022"]


def test_a_kek_file_rotates_and_rewrap_drops_the_old_kek(two_cities, kek_dir):
    _, b = two_cities
    town = b.municipality
    call_command("generate_key", "--city-kek", town.slug, stdout=io.StringIO())
    call_command("rotate_keys", "--rewrap", "--city", town.slug, "--wrapper", "file", stdout=io.StringIO())
    path = kek_dir / f"{town.slug}.key"
    call_command("generate_key", "--city-kek", town.slug, stdout=io.StringIO())  # a new KEK first
    assert len(path.read_bytes().split()) == 2
    call_command("rotate_keys", "--rewrap", "--city", town.slug, stdout=io.StringIO())
    path.write_bytes(path.read_bytes().split()[0] + b"\n")  # the old KEK is dropped
    keyring.forget()
    assert applications.message_text(Message.objects.get(submission=b)) == MESSAGE_B


def test_a_first_key_with_a_missing_kek_file_is_refused_clearly(other_city, kek_dir):
    with pytest.raises(keyring.KeyringError, match=f"key file of city {other_city.slug} is missing"):
        keyring.create_first_key(other_city, "file")
    assert not CityKey.objects.filter(municipality=other_city).exists()
    (kek_dir / f"{other_city.slug}.key").write_bytes(Fernet.generate_key())
    os.chmod(kek_dir / f"{other_city.slug}.key", 0o600)
    key_id = keyring.create_first_key(other_city, "file", actor=Actor.system())
    assert keyring.create_first_key(other_city) == key_id  # idempotent
    assert CityKey.objects.get(municipality=other_city).wrapper == "file"
    assert AuditEvent.objects.filter(municipality=other_city, action="keys.created").count() == 1


def test_the_settings_kek_is_checked(settings):
    settings.MADOGUCHI_ENCRYPTION_KEYS = ["not-a-key"]
    assert "madoguchi.E020" in {e.id for e in run_checks()}
    settings.MADOGUCHI_ENCRYPTION_KEYS = [crypto.generate_key()]
    settings.MADOGUCHI_KEY_WRAPPER = "vault"
    assert "madoguchi.E021" in {e.id for e in run_checks()}
    settings.MADOGUCHI_KEY_WRAPPER_MODULES = ["no_such_kms_adapter"]
    assert "madoguchi.E021" in {e.id for e in run_checks()}


def test_a_kms_adapter_plugs_in_through_the_protocol(other_city, settings, monkeypatch):
    """A deployment's own wrapper (standing in for a KMS: it only has to keep the contract)
    wraps a city's keys; one that does not satisfy the protocol is refused at registration."""

    class Escrow:
        code = "test-escrow"

        def __init__(self):
            self.kek = Fernet(Fernet.generate_key())

        def wrap(self, context, data_key):
            return self.kek.encrypt(f"{context.city_id}:{context.key_id}:".encode() + data_key)

        def unwrap(self, context, wrapped):
            city, key_id, data_key = self.kek.decrypt(wrapped).split(b":", 2)
            if (int(city), key_id.decode()) != (context.city_id, context.key_id):
                raise keywrap.WrapperError("made for another key")
            return data_key

        def check_config(self, slug=None):
            return []

    monkeypatch.setitem(keywrap.registry, "test-escrow", Escrow())
    key_id = keyring.create_first_key(other_city, "test-escrow")
    assert CityKey.objects.get(key_id=key_id).wrapper == "test-escrow"
    keyring.forget()
    assert crypto.decrypt_bytes(crypto.encrypt_bytes(b"kept", other_city)) == b"kept"

    class Half:
        code = "half"

        def wrap(self, context, data_key):
            return data_key

    with pytest.raises(TypeError):
        keywrap.register(Half())


# --- the first key: made once, never a key that a rollback took away -------------------------

def test_the_first_key_is_made_on_first_use_and_only_once(other_city):
    assert not CityKey.objects.filter(municipality=other_city).exists()
    first = crypto.encrypt_bytes(b"one", other_city)
    keyring.forget()
    second = crypto.encrypt_bytes(b"two", other_city.pk)
    assert CityKey.objects.filter(municipality=other_city).count() == 1
    assert crypto.key_id_of(first) == crypto.key_id_of(second)
    assert crypto.decrypt_bytes(first) == b"one"


def test_a_first_key_rolled_back_is_never_used(other_city):
    """The first key was made inside a transaction that rolled back: the next row must not be
    encrypted with that key, which no longer exists."""
    with pytest.raises(RuntimeError), transaction.atomic():
        lost = crypto.encrypt_bytes(b"lost", other_city)
        raise RuntimeError("the request failed")
    assert not CityKey.objects.filter(key_id=crypto.key_id_of(lost)).exists()
    kept = crypto.encrypt_bytes(b"kept", other_city)  # no forget(): the same process goes on
    assert crypto.key_id_of(kept) != crypto.key_id_of(lost)
    assert CityKey.objects.filter(key_id=crypto.key_id_of(kept)).exists()
    keyring.forget()
    assert crypto.decrypt_bytes(kept) == b"kept"


def test_concurrent_first_keys_end_with_one_primary_key(audit_log_flushable, other_city, monkeypatch):
    """Several processes encrypt the city's first value at the same moment. On PostgreSQL they
    race in threads (each its own connection) with the wrap slowed down, so each would make its
    own key without the lock; SQLite has one writer, so there they run one after the other."""
    settings_wrapper = keywrap.registry["settings"]
    wrap = settings_wrapper.wrap

    def slow_wrap(context, data_key):
        time.sleep(0.3)
        return wrap(context, data_key)

    monkeypatch.setattr(settings_wrapper, "wrap", slow_wrap)
    tokens: list = [None] * 4

    def encrypt(index):
        try:
            tokens[index] = crypto.encrypt_bytes(f"value {index}".encode(), other_city.pk)
        except Exception as exc:  # reported below
            tokens[index] = exc
        finally:
            if threading.current_thread() is not threading.main_thread():
                connection.close()

    if connection.vendor == "postgresql":
        barrier = threading.Barrier(len(tokens))

        def run(index):
            barrier.wait(timeout=30)
            keyring.forget()  # as a separate process: nothing cached
            encrypt(index)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tokens))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    else:
        for index in range(len(tokens)):
            keyring.forget()
            encrypt(index)
    for token in tokens:
        assert isinstance(token, bytes), repr(token)
    assert CityKey.objects.filter(municipality=other_city).count() == 1
    assert len({crypto.key_id_of(t) for t in tokens}) == 1
    keyring.forget()
    assert sorted(crypto.decrypt_bytes(t) for t in tokens) == [f"value {i}".encode() for i in range(4)]


# --- cost and freshness ------------------------------------------------------------------

def test_encrypting_and_decrypting_make_no_query_once_the_key_is_read(city):
    crypto.decrypt_bytes(crypto.encrypt_bytes(b"warm-up", city))
    with CaptureQueriesContext(connection) as queries:
        for n in range(20):
            token = crypto.encrypt_json({"n": n}, city.pk)
            assert crypto.decrypt_json(token) == {"n": n}
    assert len(queries) == 0, [q["sql"] for q in queries]


def test_a_key_made_in_a_committed_transaction_is_used_without_a_query(audit_log_flushable, other_city):
    """The request that made the city's first key commits; the next one reads no key."""
    with transaction.atomic():
        made = crypto.encrypt_bytes(b"first", other_city)
    with CaptureQueriesContext(connection) as queries:
        again = crypto.encrypt_bytes(b"second", other_city)
    assert len(queries) == 0, [q["sql"] for q in queries]
    assert crypto.key_id_of(made) == crypto.key_id_of(again)


def test_a_key_made_by_another_process_is_used_within_the_cache_bound(city, monkeypatch, settings):
    """rotate_keys in another process: this one takes the new key within
    MADOGUCHI_CITY_CACHE_SECONDS (a bulk insert sends no signal, as another process's does not)."""
    settings.MADOGUCHI_CITY_CACHE_SECONDS = 5
    now = [1000.0]
    monkeypatch.setattr(keyring, "_clock", lambda: now[0])
    old = crypto.key_id_of(crypto.encrypt_bytes(b"x", city))
    key_id, data_key = "feedfacecafebeef", Fernet.generate_key()
    wrapped = keywrap.wrapper("settings").wrap(keywrap.KeyContext(city.pk, city.slug, key_id), data_key)
    CityKey.objects.bulk_create([CityKey(municipality=city, key_id=key_id, wrapped=wrapped, wrapper="settings")])
    assert crypto.key_id_of(crypto.encrypt_bytes(b"x", city)) == old
    now[0] += 5.1
    assert crypto.key_id_of(crypto.encrypt_bytes(b"x", city)) == key_id


def test_a_deleted_key_reads_nothing(two_cities):
    """A city that left: its keys destroyed, any copy of its rows (a backup) is unreadable;
    the other city reads on."""
    a, b = two_cities
    token = bytes(Message.objects.get(submission=b).body)
    assert keyring.destroy_keys(b.municipality, Actor.system()) == 1
    with pytest.raises(crypto.UnknownKey):
        crypto.decrypt_bytes(token)
    assert applications.message_text(Message.objects.get(submission=a)) == MESSAGE_A
    assert AuditEvent.objects.filter(municipality=b.municipality, action="keys.destroyed").exists()


def test_the_raw_columns_hold_no_plaintext(two_cities):
    for city, message in ((two_cities[0].municipality, MESSAGE_A), (two_cities[1].municipality, MESSAGE_B)):
        for name, tokens in _all_raw(city).items():
            blob = b"".join(tokens)
            assert message.encode() not in blob and "鑑札".encode() not in blob, name
            assert b"@example.jp" not in blob and b"dog_name" not in blob, name
    assert Municipality.objects.count() == 2
