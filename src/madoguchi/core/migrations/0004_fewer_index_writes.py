# The column indexes that the queue and audit-list indexes (0005 / core 0003) already lead with.

import django.db.models.deletion
from django.db import migrations, models

from madoguchi.core.migration_operations import DropColumnIndex


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_audit_list_indexes'),
    ]

    operations = [
        DropColumnIndex(
            model_name='auditevent',
            name='action',
            field=models.CharField(max_length=64),
        ),
        DropColumnIndex(
            model_name='auditevent',
            name='municipality',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.municipality'),
        ),
    ]
