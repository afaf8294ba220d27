from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "madoguchi.feedback"
    verbose_name = _("利用者満足度")
