"""Fees on a submission: the quote as stored at submit, 事後決済, and the status お支払い待ち.

Both new columns carry constant defaults, which PostgreSQL 11+ adds without rewriting the table.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0007_queue_statistics'),
    ]

    operations = [
        migrations.AddField(
            model_name='submission',
            name='fee_deferred',
            field=models.BooleanField(default=False, help_text='事後決済: the department fixes the amount after review'),
        ),
        migrations.AddField(
            model_name='submission',
            name='fee_lines',
            field=models.JSONField(blank=True, default=dict, help_text='the fee quote as stored at submit (catalog.fees.FeeQuote.as_json)'),
        ),
        migrations.AlterField(
            model_name='submission',
            name='fee_yen',
            field=models.PositiveIntegerField(default=0, help_text='the total due in yen; 0 when none or deferred'),
        ),
        migrations.AlterField(
            model_name='submission',
            name='status',
            field=models.CharField(choices=[('awaiting_payment', 'お支払い待ち'), ('submitted', '受付待ち'), ('accepted', '審査中'), ('returned', '差戻し（修正をお願いしています）'), ('pending_approval', '決裁中'), ('approved', '承認'), ('rejected', '却下'), ('withdrawn', '取下げ')], default='submitted', max_length=20),
        ),
        migrations.AlterField(
            model_name='submissionevent',
            name='to_status',
            field=models.CharField(choices=[('awaiting_payment', 'お支払い待ち'), ('submitted', '受付待ち'), ('accepted', '審査中'), ('returned', '差戻し（修正をお願いしています）'), ('pending_approval', '決裁中'), ('approved', '承認'), ('rejected', '却下'), ('withdrawn', '取下げ')], max_length=20),
        ),
    ]
