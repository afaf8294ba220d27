from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "madoguchi.catalog"
    label = "catalog"
    verbose_name = "Catalogue"

    def ready(self):
        from madoguchi.catalog import checks  # noqa: F401 - registers the catalogue check
        from madoguchi.catalog.i18n import register_sources

        register_sources()  # the catalogue's texts: translated, checked, extracted
