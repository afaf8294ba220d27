from django.apps import AppConfig
from django.core import checks


class HandoffConfig(AppConfig):
    name = "madoguchi.handoff"
    label = "handoff"
    verbose_name = "Hand-off to the core systems"

    def ready(self):
        checks.register(check_settings, checks.Tags.database, "handoff")


def check_settings(app_configs=None, **kwargs) -> list:
    """`madoguchi check --database default` (it reads the cities): every city's handoff.yaml reads, names known procedures, and each of
    its targets is usable (the export directory exists, the signing secret file reads)."""
    from madoguchi.core.models import Municipality
    from madoguchi.handoff import config

    found = []
    try:
        cities = list(Municipality.objects.filter(closed_at__isnull=True))
    except Exception:  # noqa: BLE001 - no database yet (before migrate): nothing to check
        return []
    for city in cities:
        if not config.path_for(city).exists():
            continue
        found += [checks.Warning(f"city {city.slug}: {problem}", id="madoguchi.H001")
                  for problem in config.problems(city)]
    return found
