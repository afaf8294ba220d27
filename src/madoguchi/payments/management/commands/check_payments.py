"""`madoguchi check_payments`: every city's payment providers checked (`check_config()`):
keys present and of the right kind, https endpoints, methods the provider has. Exits 1 when a
provider that is turned on has a problem, so a deployment script can stop on it. It reads the
database, so it is a command rather than one of Django's system checks (which run without)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from madoguchi.payments.models import ProviderSetting
from madoguchi.payments.providers import UnknownProvider, provider_for


def problems_of(setting: ProviderSetting) -> list[str]:
    try:
        return provider_for(setting).check_config()
    except UnknownProvider:
        return [_("登録されていない決済事業者です: %(code)s") % {"code": setting.provider}]


class Command(BaseCommand):
    help = "Check every city's payment provider settings (exit 1 on a problem in one turned on)."

    def handle(self, *args, **options):
        failing = 0
        for setting in ProviderSetting.objects.select_related("municipality").order_by("municipality__slug", "provider"):
            problems = problems_of(setting)
            state = "on" if setting.enabled else "off"
            mark = "OK" if not problems else "NG"
            self.stdout.write(f"{mark} {setting.municipality.slug} {setting.provider} ({state})")
            for problem in problems:
                self.stdout.write(f"    - {problem}")
            failing += bool(problems and setting.enabled)
        if failing:
            raise CommandError(f"{failing} enabled payment provider(s) have problems")
