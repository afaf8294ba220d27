from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "madoguchi.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        from madoguchi.core import checks  # noqa: F401 - registers the deploy checks
