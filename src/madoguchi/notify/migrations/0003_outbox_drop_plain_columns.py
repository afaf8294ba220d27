"""The plain address and text go; the encrypted columns take their names (see 0002)."""

import uuid

from django.db import migrations, models

import madoguchi.core.crypto


class Migration(migrations.Migration):

    dependencies = [
        ("notify", "0002_outbox_claims_and_encryption"),
    ]

    operations = [
        migrations.RemoveField(model_name="outboxmessage", name="recipient"),
        migrations.RemoveField(model_name="outboxmessage", name="body"),
        migrations.RenameField(model_name="outboxmessage", old_name="recipient_sealed", new_name="recipient"),
        migrations.RenameField(model_name="outboxmessage", old_name="body_sealed", new_name="body"),
        migrations.AlterField(
            model_name="outboxmessage",
            name="recipient",
            field=madoguchi.core.crypto.EncryptedTextField(
                null=True, help_text="encrypted address; erased after retention"),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="body",
            field=madoguchi.core.crypto.EncryptedTextField(
                null=True, help_text="encrypted text; erased once sent"),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="mail_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True,
                                   help_text="the SMTP Message-ID, the same on every attempt"),
        ),
    ]
