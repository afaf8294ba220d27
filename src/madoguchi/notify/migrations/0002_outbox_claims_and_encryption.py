"""Claims with a lease, a stable Message-ID per row, and the address and text encrypted.

The new columns are added and filled here; 0003 drops the plain ones in a transaction of its
own (PostgreSQL refuses ALTER TABLE after row updates in the same transaction).
"""

import uuid

from django.db import migrations, models

import madoguchi.core.crypto


def encrypt_existing(apps, schema_editor):
    OutboxMessage = apps.get_model("notify", "OutboxMessage")  # noqa: N806 - a model class
    for message in OutboxMessage.objects.iterator(chunk_size=500):
        message.mail_id = uuid.uuid4()
        message.recipient_sealed = message.recipient or None
        message.body_sealed = message.body or None  # a sent mail's text was already erased ("")
        message.save(update_fields=["mail_id", "recipient_sealed", "body_sealed"])


def decrypt_existing(apps, schema_editor):
    OutboxMessage = apps.get_model("notify", "OutboxMessage")  # noqa: N806 - a model class
    for message in OutboxMessage.objects.iterator(chunk_size=500):
        message.recipient = message.recipient_sealed or ""
        message.body = message.body_sealed or ""
        message.save(update_fields=["recipient", "body"])


class Migration(migrations.Migration):

    dependencies = [
        ("notify", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="claimed_until",
            field=models.DateTimeField(blank=True, null=True,
                                       help_text="a worker is sending it; after this, another may"),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="mail_id",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="recipient_sealed",
            field=madoguchi.core.crypto.EncryptedTextField(null=True),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="body_sealed",
            field=madoguchi.core.crypto.EncryptedTextField(null=True),
        ),
        # The plain columns may be empty from now on (the way back writes them again).
        migrations.AlterField(
            model_name="outboxmessage",
            name="recipient",
            field=models.CharField(max_length=254, blank=True, default=""),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="body",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
