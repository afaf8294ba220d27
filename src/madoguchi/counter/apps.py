from django.apps import AppConfig


class CounterConfig(AppConfig):
    name = "madoguchi.counter"
    label = "counter"
    verbose_name = "書かない窓口 (counter session)"
