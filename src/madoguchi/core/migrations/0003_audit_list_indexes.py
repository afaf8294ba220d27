"""Indexes for the audit log's list (newest first, per city, action or kind of actor), built
concurrently on PostgreSQL so that a city with tens of millions of events keeps being audited
while they are built (see core.migration_operations)."""

from django.db import migrations, models

from madoguchi.core.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("core", "0002_audit_append_only"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="auditevent",
            index=models.Index(fields=["municipality", "id"], name="audit_city"),
        ),
        AddIndexConcurrently(
            model_name="auditevent",
            index=models.Index(fields=["municipality", "action", "id"], name="audit_city_action"),
        ),
        AddIndexConcurrently(
            model_name="auditevent",
            index=models.Index(fields=["municipality", "actor_kind", "id"], name="audit_city_actor_kind"),
        ),
        AddIndexConcurrently(
            model_name="auditevent",
            index=models.Index(fields=["action", "id"], name="audit_action"),
        ),
        AddIndexConcurrently(
            model_name="auditevent",
            index=models.Index(fields=["actor_kind", "id"], name="audit_actor_kind"),
        ),
    ]
