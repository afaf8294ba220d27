"""The department queue's indexes: one per filter, each in the queue's order (submitted_at, id),
built concurrently on PostgreSQL so that residents can keep applying while a city with millions
of cases builds them (see core.migration_operations). They replace (department, status,
submitted_at), which the new status index covers."""

from django.db import migrations, models

from madoguchi.core.migration_operations import AddIndexConcurrently, RemoveIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("applications", "0004_encrypt_event_notes"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="submission",
            index=models.Index(fields=["department", "submitted_at", "id"], name="submission_queue"),
        ),
        AddIndexConcurrently(
            model_name="submission",
            index=models.Index(fields=["department", "status", "submitted_at", "id"],
                               name="submission_queue_status"),
        ),
        AddIndexConcurrently(
            model_name="submission",
            index=models.Index(fields=["department", "procedure_code", "submitted_at", "id"],
                               name="submission_queue_procedure"),
        ),
        AddIndexConcurrently(
            model_name="submission",
            index=models.Index(fields=["department", "channel", "submitted_at", "id"],
                               name="submission_queue_channel"),
        ),
        RemoveIndexConcurrently(
            model_name="submission",
            name="application_departm_493ca2_idx",
        ),
    ]
