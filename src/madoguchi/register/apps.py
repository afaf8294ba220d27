from django.apps import AppConfig


class RegisterConfig(AppConfig):
    name = "madoguchi.register"
    label = "register"
    verbose_name = "住民記録 (resident register)"
