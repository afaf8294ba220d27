from django.apps import AppConfig


class AdministrationConfig(AppConfig):
    name = "madoguchi.administration"
    label = "administration"
    verbose_name = "Administration"
