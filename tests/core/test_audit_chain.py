"""The audit log chained by day: each city's day is sealed with a digest over its events and the
day before's digest, the chain is verified, and each digest is handed outside the database.

The trigger of migration 0002 stops the application; these tests play the database owner who
disables it and rewrites a row, and check that `audit_verify` names the day."""

import importlib
import json
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from madoguchi.core import audit, audit_chain
from madoguchi.core.actors import Actor
from madoguchi.core.models import AuditDay, AuditEvent, Department, Municipality

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
TABLE = AuditEvent._meta.db_table
D1, D2, D3, D4 = date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4), date(2026, 11, 5)
AFTER = datetime.combine(date(2026, 11, 6), time(1, 15), TOKYO)  # the nightly run after D4


@pytest.fixture
def town(db):
    return Municipality.objects.create(slug="chain", code="999991", name="チェーン市")


def _event_on(monkeypatch, city, day: date, hour: int = 10, action: str = "view", **detail):
    stamp = datetime.combine(day, time(hour, 0), TOKYO)
    monkeypatch.setattr("django.utils.timezone.now", lambda: stamp)
    event = audit.record(city, Actor.system(), action, "submission", f"s-{day}-{hour}", **detail)
    monkeypatch.undo()
    return event


@pytest.fixture
def events(town, monkeypatch):
    """Two events on D1, one at 23:59 on D2 (a day's end is Tokyo's midnight), none on D3, one on D4."""
    return {
        D1: [_event_on(monkeypatch, town, D1, 9, reason="a"), _event_on(monkeypatch, town, D1, 15)],
        D2: [_event_on(monkeypatch, town, D2, 23, count=3)],
        D4: [_event_on(monkeypatch, town, D4, 8, action="export")],
    }


@pytest.fixture
def sealed(town, events):
    return audit_chain.seal(town, now=AFTER)


@contextmanager
def behind_the_applications_back():
    """A cursor that may UPDATE and DELETE the audit log: the trigger is dropped (SQLite) or
    disabled (PostgreSQL, as the table's owner may) and put back afterwards."""
    migration = importlib.import_module("madoguchi.core.migrations.0002_audit_append_only")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER core_auditevent_no_update")
            cursor.execute("DROP TRIGGER core_auditevent_no_delete")
        else:  # the foreign keys' deferred checks of this test's inserts run first: ALTER waits for none
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER core_auditevent_no_change")
        try:
            yield cursor
        finally:
            if connection.vendor == "sqlite":
                for statement in migration.SQLITE:
                    cursor.execute(statement)
            else:
                cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER core_auditevent_no_change")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _verify(*args) -> str:
    """`audit_verify` as run by hand: its output; a broken chain raises CommandError."""
    from io import StringIO

    out = StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue()


def _broken(city, **kwargs):
    result = audit_chain.verify(city, **kwargs)
    assert not result.ok
    return result.broken_day, result.reason


# --- sealing ------------------------------------------------------------------------------------


def test_each_finished_day_is_sealed_once_in_a_chain(town, sealed, events):
    days = list(AuditDay.objects.filter(municipality=town).order_by("day"))
    assert [d.day for d in days] == [D1, D2, D3, D4] == [d.day for d in sealed]
    assert [d.count for d in days] == [2, 1, 0, 1]
    assert (days[0].first_event_id, days[0].last_event_id) == (events[D1][0].pk, events[D1][1].pk)
    assert days[2].first_event_id is None and days[2].last_event_id is None
    assert days[0].previous_digest == audit_chain.GENESIS
    for before, after in zip(days, days[1:], strict=False):
        assert after.previous_digest == before.digest
    assert len({d.digest for d in days}) == 4
    assert all(len(d.digest) == 64 and int(d.digest, 16) >= 0 for d in days)


def test_the_digest_is_sha256_over_the_canonical_events_and_the_previous_digest(town, sealed):
    import hashlib

    first = AuditDay.objects.get(municipality=town, day=D1)
    lines = audit_chain.canonical_lines(town, D1)
    assert len(lines) == 2 and all(json.loads(line)["municipality_id"] == town.pk for line in lines)
    assert json.loads(lines[0])["detail"] == {"reason": "a"}
    head = f"madoguchi-audit-day/1\n{town.code}\n{D1.isoformat()}\n{audit_chain.GENESIS}\n"
    assert first.digest == hashlib.sha256((head + "".join(line + "\n" for line in lines))
                                          .encode()).hexdigest()


def test_sealing_again_seals_nothing_and_the_unfinished_day_waits(town, sealed, monkeypatch):
    _event_on(monkeypatch, town, date(2026, 11, 6), 0)  # today, at 00:00: not finished
    before = list(AuditDay.objects.filter(municipality=town).values_list("day", "digest"))
    assert audit_chain.seal(town, now=AFTER) == []
    assert list(AuditDay.objects.filter(municipality=town).values_list("day", "digest")) == before
    later = audit_chain.seal(town, now=AFTER + timedelta(days=1))
    assert [d.day for d in later] == [date(2026, 11, 6)] and later[0].count == 1
    assert later[0].previous_digest == before[-1][1]


def test_a_sealed_day_is_never_resealed_and_a_late_event_shows(town, sealed, monkeypatch):
    digest = AuditDay.objects.get(municipality=town, day=D2).digest
    _event_on(monkeypatch, town, D2, 12)  # written with D2's time after D2 was sealed
    audit_chain.seal(town, now=AFTER + timedelta(days=1))
    assert AuditDay.objects.get(municipality=town, day=D2).digest == digest
    assert _broken(town) == (D2, "event_added")


def test_a_city_has_one_link_per_day(town, sealed):
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditDay.objects.create(municipality=town, day=D2, count=0, digest="0" * 64,
                                previous_digest="0" * 64)


def test_cities_have_their_own_chains(town, sealed, other_city, monkeypatch):
    _event_on(monkeypatch, other_city, D3, 11)
    audit_chain.seal(other_city, now=AFTER)
    theirs = list(AuditDay.objects.filter(municipality=other_city).order_by("day"))
    assert [(d.day, d.count) for d in theirs] == [(D3, 1), (D4, 0)]
    assert theirs[0].previous_digest == audit_chain.GENESIS
    assert audit_chain.verify(town).ok and audit_chain.verify(other_city).ok


def test_the_command_seals_every_city(town, events, other_city, monkeypatch):
    monkeypatch.setattr(audit_chain, "_now", lambda: AFTER)
    call_command("audit_seal", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert AuditDay.objects.filter(municipality=town).count() == 4
    call_command("audit_seal", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert AuditDay.objects.filter(municipality=town).count() == 4


# --- verification -------------------------------------------------------------------------------


def test_an_intact_chain_verifies(town, sealed):
    result = audit_chain.verify(town)
    assert result.ok and result.days == 4 and result.broken_day is None
    assert "chain" in _verify("--city", town.slug)


def test_a_row_edited_behind_the_applications_back_names_its_day(town, sealed, events):
    with behind_the_applications_back() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET actor_ref = %s WHERE id = %s",  # noqa: S608
                       ["staff:999", events[D2][0].pk])
    assert AuditEvent.objects.get(pk=events[D2][0].pk).actor_ref == "staff:999"
    assert _broken(town) == (D2, "event_changed")
    with pytest.raises(CommandError) as failure:
        _verify("--city", town.slug)
    assert D2.isoformat() in str(failure.value) and "event_changed" in str(failure.value)


def test_a_detail_edited_in_place_is_caught(town, sealed, events):
    with behind_the_applications_back() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET detail = %s WHERE id = %s",  # noqa: S608
                       [json.dumps({"reason": "b"}), events[D1][0].pk])
    assert _broken(town) == (D1, "event_changed")


def test_a_deleted_row_is_caught(town, sealed, events):
    with behind_the_applications_back() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [events[D4][0].pk])  # noqa: S608
    assert _broken(town) == (D4, "event_missing")


def test_a_row_moved_to_another_day_is_caught(town, sealed, events):
    moved = datetime.combine(D3, time(12), TOKYO)
    with behind_the_applications_back() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET at = %s WHERE id = %s",  # noqa: S608
                       [moved if connection.vendor != "sqlite" else moved.astimezone(ZoneInfo("UTC"))
                        .replace(tzinfo=None).isoformat(sep=" "), events[D2][0].pk])
    assert _broken(town) == (D2, "event_missing")


def test_a_deleted_day_in_the_chain_is_caught(town, sealed):
    AuditDay.objects.filter(municipality=town, day=D3).delete()  # the empty day
    assert _broken(town) == (D3, "day_missing")


def test_a_deleted_first_day_is_caught(town, sealed):
    AuditDay.objects.filter(municipality=town, day=D1).delete()
    assert _broken(town) == (D1, "day_missing")


def test_a_rewritten_digest_breaks_the_link(town, sealed):
    AuditDay.objects.filter(municipality=town, day=D2).update(digest="f" * 64)
    day, reason = _broken(town)
    assert day == D2 and reason in {"event_changed", "digest_changed"}


def test_a_rewritten_previous_digest_is_a_broken_link(town, sealed):
    AuditDay.objects.filter(municipality=town, day=D3).update(previous_digest="e" * 64)
    assert _broken(town) == (D3, "link_broken")


def test_verification_from_a_day_skips_the_days_before(town, sealed, events):
    with behind_the_applications_back() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET action = %s WHERE id = %s",  # noqa: S608
                       ["edited", events[D1][1].pk])
    assert _broken(town) == (D1, "event_changed")
    assert audit_chain.verify(town, from_day=D2).ok
    assert "chain" in _verify("--city", town.slug, "--from", D2.isoformat())


# --- handing the digests outside ------------------------------------------------------------------


@pytest.fixture
def digest_dir(settings, tmp_path):
    settings.MADOGUCHI_AUDIT_DIGEST_DIR = str(tmp_path / "digests")
    return tmp_path / "digests"


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_each_sealed_day_is_appended_to_the_citys_digest_file(town, events, digest_dir, monkeypatch):
    monkeypatch.setattr(audit_chain, "_now", lambda: AFTER)
    call_command("audit_seal", stdout=open("/dev/null", "w"))  # noqa: SIM115
    path = digest_dir / f"{town.slug}.jsonl"
    days = list(AuditDay.objects.filter(municipality=town).order_by("day"))
    assert [(line["day"], line["digest"], line["city"]) for line in _lines(path)] == [
        (d.day.isoformat(), d.digest, town.slug) for d in days]
    assert all(d.filed_at is not None for d in days)
    monkeypatch.setattr(audit_chain, "_now", lambda: AFTER + timedelta(days=1))
    call_command("audit_seal", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert [line["day"] for line in _lines(path)][-2:] == [D4.isoformat(), "2026-11-06"]
    assert len(_lines(path)) == 5  # appended, nothing written twice
    assert "chain" in _verify("--city", town.slug, "--against", str(path))


def test_a_chain_rewritten_whole_is_caught_by_the_digests_outside(town, events, digest_dir, monkeypatch):
    """The owner edits a row, deletes the links from that day on and seals again: the chain in the
    database is whole, but the digest handed out for that day differs."""
    audit_chain.seal(town, now=AFTER)
    audit_chain.hand_out(town)
    with behind_the_applications_back() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET target_id = %s WHERE id = %s",  # noqa: S608
                       ["other", events[D2][0].pk])
    AuditDay.objects.filter(municipality=town, day__gte=D2).delete()
    audit_chain.seal(town, now=AFTER)
    assert audit_chain.verify(town).ok
    path = digest_dir / f"{town.slug}.jsonl"
    assert _broken(town, against=path) == (D2, "differs_from_copy")
    with pytest.raises(CommandError) as failure:
        _verify("--city", town.slug, "--against", str(path))
    assert D2.isoformat() in str(failure.value)


def test_a_newest_day_deleted_is_caught_by_the_digests_outside(town, sealed, digest_dir):
    audit_chain.hand_out(town)
    AuditDay.objects.filter(municipality=town, day=D4).delete()
    assert audit_chain.verify(town).ok  # the database alone cannot tell
    assert _broken(town, against=digest_dir / f"{town.slug}.jsonl") == (D4, "day_missing")


def test_the_digests_are_mailed_to_the_citys_information_policy_office(town, events, smtp, settings, monkeypatch):
    settings.MADOGUCHI_AUDIT_DIGEST_TO = "other=someone@other.example.jp"
    Department.objects.create(municipality=town, code="joho", name="情報政策課",
                              email="joho@chain.example.lg.jp")
    monkeypatch.setattr(audit_chain, "_now", lambda: AFTER)
    call_command("audit_seal", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == ["joho@chain.example.lg.jp"]
    body = message.get_content()
    for day in AuditDay.objects.filter(municipality=town):
        assert day.digest in body and day.day.isoformat() in body and day.mailed_at is not None
    call_command("audit_seal", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(smtp.messages) == 1


def test_a_deployment_wide_address_gets_every_citys_digests(town, events, smtp, settings):
    settings.MADOGUCHI_AUDIT_DIGEST_TO = f"{town.slug}=joho@chain.example.lg.jp, audit@pref.example.lg.jp"
    audit_chain.seal(town, now=AFTER)
    audit_chain.hand_out(town)
    assert sorted(smtp.messages[0][0]) == ["audit@pref.example.lg.jp", "joho@chain.example.lg.jp"]


def test_a_failed_mail_is_tried_again_on_the_next_run(town, events, settings):
    settings.MADOGUCHI_AUDIT_DIGEST_TO = "joho@chain.example.lg.jp"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    audit_chain.seal(town, now=AFTER)
    audit_chain.hand_out(town)
    assert not AuditDay.objects.filter(municipality=town, mailed_at__isnull=False).exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    audit_chain.hand_out(town)
    assert not AuditDay.objects.filter(municipality=town, mailed_at__isnull=True).exists()


def test_a_city_that_left_is_sealed_up_to_its_closing_day(town, events):
    town.closed_at = datetime.combine(D2, time(17), TOKYO)
    town.save(update_fields=["closed_at"])
    sealed = audit_chain.seal(town, now=AFTER + timedelta(days=30))
    assert [d.day for d in sealed] == [D1, D2]
