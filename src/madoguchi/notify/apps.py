from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "madoguchi.notify"
    label = "notify"
    verbose_name = "Notifications"
