"""SubmissionEvent.note becomes encrypted text; existing notes are encrypted in place."""

from django.db import migrations

import madoguchi.core.crypto


def encrypt_notes(apps, schema_editor):
    event = apps.get_model("applications", "SubmissionEvent")
    for pk, note in event.objects.exclude(note="").values_list("pk", "note").iterator(chunk_size=500):
        event.objects.filter(pk=pk).update(note_encrypted=note)


def decrypt_notes(apps, schema_editor):
    event = apps.get_model("applications", "SubmissionEvent")
    for pk, note in event.objects.values_list("pk", "note_encrypted").iterator(chunk_size=500):
        if note:
            event.objects.filter(pk=pk).update(note=note)


class Migration(migrations.Migration):
    dependencies = [("applications", "0003_counter_filing")]

    operations = [
        migrations.AddField(
            model_name="submissionevent", name="note_encrypted",
            field=madoguchi.core.crypto.EncryptedTextField(blank=True, default="")),
        migrations.RunPython(encrypt_notes, decrypt_notes),
        migrations.RemoveField(model_name="submissionevent", name="note"),
        migrations.RenameField(model_name="submissionevent", old_name="note_encrypted", new_name="note"),
        migrations.AlterField(
            model_name="submissionevent", name="note",
            field=madoguchi.core.crypto.EncryptedTextField(
                blank=True, default="", help_text="encrypted text shown to the resident")),
    ]
