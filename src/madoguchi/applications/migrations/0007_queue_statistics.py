"""Statistics on each department's filter columns together, for the queue's estimated counts.

PostgreSQL estimates a filter on two columns by multiplying their selectivities as if they were
independent. A department's procedures are its own (and its statuses and channels lean its
way), so the estimate the queue shows past 10,000 cases (core/counting.py) came out at a
fraction of the truth: 約 39,000 for 70,144 on ten million cases. Extended statistics (the most
common value pairs) let the planner see the pairs as they are. PostgreSQL only; ANALYZE
(autovacuum's or bench/scale_generate.py's) fills them.
"""

from django.db import migrations

PAIRS = {"submission_department_procedure": "procedure_code",
         "submission_department_status": "status",
         "submission_department_channel": "channel"}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in PAIRS.items():
        schema_editor.execute(f"CREATE STATISTICS IF NOT EXISTS {name} (mcv)"
                              f" ON department_id, {column} FROM applications_submission")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in PAIRS:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [("applications", "0006_fewer_index_writes")]

    operations = [migrations.RunPython(create, drop)]
