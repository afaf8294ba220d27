from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "madoguchi.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self):
        # The ESP's bounces, complaints and deliveries (django-anymail's tracking webhooks).
        from anymail.signals import tracking

        from madoguchi.notify import bounces

        tracking.connect(bounces.on_tracking, dispatch_uid="madoguchi.notify.bounces")
