# The column indexes that the queue and audit-list indexes (0005 / core 0003) already lead with.

import django.db.models.deletion
from django.db import migrations, models

from madoguchi.core.migration_operations import DropColumnIndex


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0005_queue_indexes'),
        ('core', '0004_fewer_index_writes'),
    ]

    operations = [
        DropColumnIndex(
            model_name='submission',
            name='department',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='submissions', to='core.department'),
        ),
    ]
