from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegisterConfig(AppConfig):
    name = "madoguchi.register"
    label = "register"
    verbose_name = _("住民記録")
