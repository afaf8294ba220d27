"""What a city administrator changes in the catalogue through the pages, kept in the database.

The procedures themselves stay files, reviewed like code (docs/catalogue.md). A city changes a
procedure without a file in the repository through its administration pages: one row per city
and procedure holds exactly what one entry of `overrides.yaml`'s `procedures:` would hold, and
`withdrawn` stands for a line of its `withdrawn:` list. The loader applies the city's files
first, then these rows (catalog/loader.py), through the same validator.
"""

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver

from madoguchi.catalog import loader
from madoguchi.core.models import Municipality


class ProcedureOverride(models.Model):
    """A city's changes to one procedure of its catalogue (national, or one of its own files).

    `data` is one entry of `overrides.yaml`'s `procedures:` (window, fee_note, fees, payment…);
    `withdrawn` takes the procedure out of the city's catalogue (its data is kept for when it
    is reinstated). Invalid data never reaches the table: `save()` runs the loader's validator
    over the city's files first (a bulk `update()` bypasses it — nothing in Madoguchi uses one,
    and the loader checks every row again when it reads it)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="procedure_overrides")
    procedure_code = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True,
                            help_text="one entry of overrides.yaml's procedures: (the fields it changes)")
    withdrawn = models.BooleanField(default=False, help_text="the city does not offer the procedure")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "procedure_code"], name="procedure_override_once"),
        ]

    def __str__(self) -> str:
        return f"{self.municipality.slug}:{self.procedure_code}"

    def save(self, *args, **kwargs):
        self.validate_override()
        super().save(*args, **kwargs)

    def validate_override(self):
        """The procedure as changed (None when withdrawn), or loader.OverrideError."""
        files = loader.files_for(self.municipality.slug)
        if self.withdrawn:
            if self.procedure_code not in files:
                raise loader.OverrideError(self.procedure_code, [loader.Problem("", "not in the catalogue")])
            return None
        return loader.check_override(files, self.procedure_code, self.data)


@receiver(post_save, sender=ProcedureOverride, dispatch_uid="catalog-override-saved")
@receiver(post_delete, sender=ProcedureOverride, dispatch_uid="catalog-override-deleted")
def _changed(sender, instance, using=None, **kwargs) -> None:
    """The city's catalogue in every language is read again, now and once the change commits
    (so no read taken before the commit survives it)."""
    slug = instance.municipality.slug
    loader.forget(slug)
    transaction.on_commit(lambda: loader.forget(slug), using=using)


@receiver(post_migrate, dispatch_uid="catalog-overrides-migrated")
def _migrated(**kwargs) -> None:
    loader.forget()  # also sent after a flush (a test database emptied): no saved override survives it
