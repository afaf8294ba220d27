from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NavigatorConfig(AppConfig):
    name = "madoguchi.navigator"
    verbose_name = _("手続ナビ")

    def ready(self) -> None:
        from madoguchi.core.i18n import content
        from madoguchi.navigator.loader import EVENTS_DIR, event_texts

        # The life events' texts: translated in events/i18n/<language>/<event>.po.
        content.register(content.Source(name="navigator-events", directory=EVENTS_DIR, texts=event_texts))
