"""Database defaults for the fee columns (PostgreSQL: SET DEFAULT only, no rewrite).

A process still running the previous release during a rolling deploy, and bulk loaders that
write SQL (bench/scale_generate.py), insert submissions without naming these columns.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0008_fees'),
    ]

    operations = [
        migrations.AlterField(
            model_name='submission',
            name='fee_deferred',
            field=models.BooleanField(db_default=False, default=False, help_text='事後決済: the department fixes the amount after review'),
        ),
        migrations.AlterField(
            model_name='submission',
            name='fee_lines',
            field=models.JSONField(blank=True, db_default=models.Value({}, models.JSONField()), default=dict, help_text='the fee quote as stored at submit (catalog.fees.FeeQuote.as_json)'),
        ),
    ]
