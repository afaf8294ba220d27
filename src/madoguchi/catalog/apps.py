from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "madoguchi.catalog"
    label = "catalog"
    verbose_name = "Catalogue"

    def ready(self):
        from madoguchi.catalog import checks  # noqa: F401 - registers the catalogue check
