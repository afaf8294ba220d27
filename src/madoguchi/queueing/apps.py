from django.apps import AppConfig


class QueueingConfig(AppConfig):
    name = "madoguchi.queueing"
    label = "queueing"
    verbose_name = "Queue and reservations"

    def ready(self) -> None:
        from madoguchi.queueing import checks  # noqa: F401  (registers the untranslated-names check)
