"""What the system administrator's pages read and change besides a city's own settings
(core/onboarding.py): each provider's `check_config()` for a city, and its payment providers.

Nothing here reads a resident's data: cities, their hosts, administrators (user ids and
names of staff logins) and providers only.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from madoguchi.core import audit, cityconfig, keyring
from madoguchi.core.models import CityAdministrator, Municipality
from madoguchi.identity import digital_auth
from madoguchi.payments.models import ProviderSetting
from madoguchi.payments.providers import UnknownProvider, provider_for, registry


@dataclass
class Check:
    """One provider's check for one city: what it is, whether it is on, what is wrong."""

    code: str
    name: str
    state: str  # "on", "off", or a provider's own word ("login+sign")
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def cities():
    """Every city (closed ones last), with its hosts and number of administrators."""
    from django.db.models import Count

    return (Municipality.objects.annotate(admin_count=Count("administrators", distinct=True))
            .prefetch_related("hosts").order_by("closed_at", "code"))


def hosts_of(city: Municipality) -> list[str]:
    return [h for h in [city.hostname, *city.hosts.order_by("hostname").values_list("hostname", flat=True)] if h]


def checks(city: Municipality) -> list[Check]:
    """The city's settings by today's rules, its data keys, its デジタル認証アプリ client and
    each payment provider (configured or not): no network call."""
    found = [Check("settings", _("自治体の設定"), "on",
                   [f"{name}: {message}" for name, messages in cityconfig.problems_of(city).items()
                    for message in messages])]
    found.append(Check("keys", _("データの暗号鍵"), "on", list(keyring.check_city(city))))
    state, problems = digital_auth.check_config(city, hosts_of(city))
    found.append(Check("digital_auth", _("デジタル認証アプリ"), state, problems))
    settings = {s.provider: s for s in ProviderSetting.objects.filter(municipality=city)}
    for code in sorted(set(registry) | set(settings)):
        setting = settings.get(code)
        if setting is None:
            found.append(Check(f"payments:{code}", code, "off"))
            continue
        found.append(Check(f"payments:{code}", code, "on" if setting.enabled else "off", provider_problems(setting)))
    return found


def provider_problems(setting: ProviderSetting) -> list[str]:
    try:
        return list(provider_for(setting).check_config())
    except UnknownProvider:
        return [_("登録されていない決済事業者です: %(code)s") % {"code": setting.provider}]
    except (TypeError, ValueError) as exc:  # a config value of the wrong type (e.g. text minutes)
        return [_("設定の値が正しくありません: %(error)s") % {"error": str(exc)[:200]}]


def provider_setting(city: Municipality, code: str) -> ProviderSetting | None:
    return ProviderSetting.objects.filter(municipality=city, provider=code).first()


def save_provider(city: Municipality, code: str, cleaned: dict, actor) -> ProviderSetting:
    """Write one provider's settings; new secrets replace the stored ones only when given.
    The audit event names what changed and which secret names were set, never a value."""
    with transaction.atomic():
        setting = (ProviderSetting.objects.select_for_update().filter(municipality=city, provider=code).first()
                   or ProviderSetting(municipality=city, provider=code))
        changed = [name for name in ("enabled", "methods", "issues_receipt", "config")
                   if getattr(setting, name) != cleaned[name]]
        for name in ("enabled", "methods", "issues_receipt", "config"):
            setattr(setting, name, cleaned[name])
        secrets = cleaned.get("new_secrets")
        if secrets is not None:
            setting.set_secrets(secrets)
        elif setting.pk is None:
            setting.set_secrets({})
        created = setting.pk is None
        setting.save()
        if created or changed or secrets is not None:
            audit.record(city, actor, "payment_provider_updated", "provider_setting", setting.pk,
                         provider=code, created=created, fields=changed,
                         secrets_set=sorted(secrets) if secrets is not None else [])
    return setting


def administrators(city: Municipality):
    return CityAdministrator.objects.filter(municipality=city).select_related("user").order_by("user__username")
