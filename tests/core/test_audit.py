"""The audit log is append-only: the model refuses changes, and so does the database."""

import pytest
from django.db import DatabaseError, connection, transaction

from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.core.models import AuditEvent

pytestmark = pytest.mark.django_db

TABLE = AuditEvent._meta.db_table


@pytest.fixture
def event(city):
    return audit.record(city, Actor.system(), "view", "submission", "abc", subject_ref="resident:1",
                        reason="test")


def _unchanged(event):
    row = AuditEvent.objects.filter(pk=event.pk).values("action", "actor_ref", "detail").get()
    assert row == {"action": "view", "actor_ref": "system", "detail": {"reason": "test"}}


def test_recording_appends(event):
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_model_refuses_update_and_delete(event):
    event.action = "edited"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    _unchanged(event)


def test_the_database_refuses_update(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET action = %s WHERE id = %s", ["edited", event.pk])  # noqa: S608
    _unchanged(event)


def test_the_database_refuses_delete(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [event.pk])  # noqa: S608
    _unchanged(event)


def test_the_database_refuses_bulk_changes_through_the_orm(event):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="edited")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    _unchanged(event)
    # appending still works after the refusals
    audit.record(event.municipality, Actor.system(), "view", "submission", "def")
    assert AuditEvent.objects.count() == 2
