"""The audit log chained by day (core.models.AuditDay, core/audit_chain.py)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0010_staff_membership_periods'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('first_event_id', models.BigIntegerField(blank=True, null=True)),
                ('last_event_id', models.BigIntegerField(blank=True, null=True)),
                ('count', models.PositiveIntegerField()),
                ('digest', models.CharField(max_length=64)),
                ('previous_digest', models.CharField(max_length=64)),
                ('sealed_at', models.DateTimeField(auto_now_add=True)),
                ('filed_at', models.DateTimeField(blank=True, null=True)),
                ('mailed_at', models.DateTimeField(blank=True, null=True)),
                ('municipality', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.municipality')),
            ],
            options={
                'ordering': ['municipality', 'day'],
                'constraints': [models.UniqueConstraint(fields=('municipality', 'day'), name='audit_day_once')],
            },
        ),
    ]
