"""The database cache the e-mail code limits count in (settings: CACHES["ratelimit"]), so
`madoguchi migrate` is all a new or upgraded installation needs. `createcachetable` creates
only the tables that are missing; running it again later is harmless."""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):

    dependencies = [
        ("identity", "0004_one_account_per_address"),
    ]

    operations = [
        migrations.RunPython(create_cache_tables, migrations.RunPython.noop),
    ]
