from django.apps import AppConfig


class QueueingConfig(AppConfig):
    name = "madoguchi.queueing"
    label = "queueing"
    verbose_name = "Queue and reservations"
