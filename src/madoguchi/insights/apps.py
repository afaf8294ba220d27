from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "madoguchi.insights"
    verbose_name = _("統計・KPI")
