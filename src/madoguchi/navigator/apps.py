from django.apps import AppConfig


class NavigatorConfig(AppConfig):
    name = "madoguchi.navigator"
    verbose_name = "手続ナビ"
