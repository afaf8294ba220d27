"""Decision.reason and approver_comment become encrypted text; existing rows are encrypted."""

from django.db import migrations

import madoguchi.core.crypto

FIELDS = ("reason", "approver_comment")


def encrypt_text(apps, schema_editor):
    decision = apps.get_model("casework", "Decision")
    for pk, *values in decision.objects.values_list("pk", *FIELDS).iterator(chunk_size=500):
        decision.objects.filter(pk=pk).update(
            **{f"{name}_encrypted": value for name, value in zip(FIELDS, values, strict=True)})


def decrypt_text(apps, schema_editor):
    decision = apps.get_model("casework", "Decision")
    encrypted = [f"{name}_encrypted" for name in FIELDS]
    for pk, *values in decision.objects.values_list("pk", *encrypted).iterator(chunk_size=500):
        decision.objects.filter(pk=pk).update(**dict(zip(FIELDS, values, strict=True)))


class Migration(migrations.Migration):
    dependencies = [("casework", "0001_initial")]

    operations = [
        *(migrations.AddField(model_name="decision", name=f"{name}_encrypted",
                              field=madoguchi.core.crypto.EncryptedTextField(blank=True, default=""))
          for name in FIELDS),
        migrations.RunPython(encrypt_text, decrypt_text),
        *(migrations.RemoveField(model_name="decision", name=name) for name in FIELDS),
        *(migrations.RenameField(model_name="decision", old_name=f"{name}_encrypted", new_name=name)
          for name in FIELDS),
    ]
