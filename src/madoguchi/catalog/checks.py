"""`madoguchi check` loads the national catalogue, every city's folder, the search's synonyms
and the overlay files of the translations, so a broken file stops a deployment instead of the
first resident who searches."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, register

from madoguchi.catalog.i18n import SOURCE
from madoguchi.catalog.loader import CatalogError, catalog, files_for
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
