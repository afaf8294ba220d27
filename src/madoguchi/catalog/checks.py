"""`madoguchi check` loads the national catalogue, every city's folder, the search's synonyms
and the overlay files of the translations, so a broken file stops a deployment instead of the
first resident who searches."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from madoguchi.catalog.i18n import SOURCE
from madoguchi.catalog.loader import CatalogError, broken_overrides, catalog, files_for
from madoguchi.catalog.search import SynonymError, synonyms
from madoguchi.core.i18n import content


@register("catalog")
def catalogue_files(app_configs, **kwargs):
    try:
        catalog()
        root = Path(settings.MADOGUCHI_MUNICIPAL_CATALOG_DIR)
        for folder in sorted(root.iterdir()) if root.is_dir() else []:
            if folder.is_dir():
                files_for(folder.name)  # the files only: the check needs no database
    except CatalogError as exc:
        return [Error(str(exc), id="madoguchi.E010")]
    try:
        synonyms()
    except SynonymError as exc:  # the search would fall back to plain substrings
        return [Error(str(exc), id="madoguchi.E011")]
    return [Error(f"an overlay file of the catalogue cannot be read: {problem}", id="madoguchi.E012",
                  hint="its texts are shown in Japanese until it is fixed (a .po file: check quotes "
                       "and msgid/msgstr pairs in Poedit)")
            for source in content.sources() if source.name.split(":")[0] == SOURCE
            for problem in content.broken(source)]


@register(Tags.database, "catalog")
def saved_overrides(app_configs, databases=None, **kwargs):
    """Overrides a city administrator saved that a later change of the files made invalid: the
    catalogue loads without them (the pages show why). A database check: run by
    `madoguchi check --database default`."""
    from django.db import DatabaseError

    from madoguchi.core.models import Municipality

    if not databases:
        return []
    try:
        slugs = list(Municipality.objects.filter(closed_at__isnull=True).order_by("slug")
                     .values_list("slug", flat=True))
        found = [(slug, code, why) for slug in slugs for code, why in broken_overrides(slug).items()]
    except DatabaseError:  # no database yet (a fresh checkout): nothing to check
        return []
    return [Warning(f"{slug}: the override of {code} saved through the pages no longer applies: {why}",
                    id="madoguchi.W013", hint="fix or reset it at /staff/city/procedures/")
            for slug, code, why in found]
