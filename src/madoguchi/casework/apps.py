from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "madoguchi.casework"
    label = "casework"
    verbose_name = "Casework"
