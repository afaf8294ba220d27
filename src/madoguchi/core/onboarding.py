"""Creating and changing cities: what `madoguchi city` and the system administrator's pages
(/system/) both call, after `cityconfig.CityForm` has validated the input.

Each function is one transaction that writes the city, its hosts, its first data key and the
audit event together, so a refused step leaves nothing half made. The audit detail names the
fields that changed, never their values.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from madoguchi.core import audit, branding, keyring
from madoguchi.core.actors import Actor
from madoguchi.core.cityconfig import CityForm, validate_hostname
from madoguchi.core.models import CityAdministrator, CityHost, Municipality


class OnboardingError(ValueError):
    """A step that cannot be done, in plain words (shown by the page, printed by the command)."""


def create_city(form: CityForm, actor: Actor, *, key_wrapper: str | None = None) -> Municipality:
    """The city of a valid CityForm, its other hosts and its first data key."""
    if form.instance.pk:
        raise ValueError("create_city takes a form for a new city")
    with transaction.atomic():
        city = form.save()
        hosts = form.cleaned_data.get("other_hosts") or []
        CityHost.objects.bulk_create([CityHost(municipality=city, hostname=h) for h in hosts])
        try:
            key_id = keyring.create_first_key(city, wrapper=key_wrapper, actor=actor)
        except keyring.KeyringError as exc:
            raise OnboardingError(str(exc)) from exc
        audit.record(city, actor, "city_created", "municipality", city.pk, code=city.code, slug=city.slug,
                     hosts=[city.hostname, *hosts], key_id=key_id)
    return city


def update_city(form: CityForm, actor: Actor) -> list[str]:
    """Save a valid CityForm of an existing city; its other hosts become the form's list.
    Returns the names of the fields that changed ([] when nothing did, and no event)."""
    city = form.instance
    changed = [name for name in form.changed_data if name != "other_hosts"]
    wanted = form.cleaned_data.get("other_hosts")
    with transaction.atomic():
        before = set(city.hosts.values_list("hostname", flat=True))
        form.save()
        added, removed = [], []
        if "other_hosts" in form.fields and wanted is not None:
            added = [h for h in wanted if h not in before]
            removed = sorted(before - set(wanted))
            CityHost.objects.filter(municipality=city, hostname__in=removed).delete()
            CityHost.objects.bulk_create([CityHost(municipality=city, hostname=h) for h in added])
        if changed or added or removed:
            audit.record(city, actor, "city_updated", "municipality", city.pk, fields=sorted(changed),
                         hosts_added=added, hosts_removed=removed)
    return sorted(changed) + (["other_hosts"] if added or removed else [])


def set_logo(city: Municipality, png: bytes | None, actor: Actor) -> None:
    """The city's logo, already checked and re-encoded by branding.clean_logo (None removes it).
    The audit event names the image by its digest, never its bytes."""
    with transaction.atomic():
        city.logo, city.logo_type = (png, branding.LOGO_TYPE) if png else (None, "")
        city.save(update_fields=["logo", "logo_type"])
        found = branding.logo_of(city)
        audit.record(city, actor, "city_updated", "municipality", city.pk, fields=["logo"],
                     logo=found.digest if found else "")


def add_host(city: Municipality, hostname: str, actor: Actor) -> CityHost:
    """Another host serving the city (validated: free, accepted by ALLOWED_HOSTS)."""
    host = validate_hostname(hostname, city)
    if host == city.hostname or city.hosts.filter(hostname=host).exists():
        raise OnboardingError(_("%(host)s はすでにこの自治体のホストです。") % {"host": host})
    with transaction.atomic():
        row = CityHost.objects.create(municipality=city, hostname=host)
        audit.record(city, actor, "city_host_added", "municipality", city.pk, host=host)
    return row


def remove_host(city: Municipality, hostname: str, actor: Actor) -> None:
    with transaction.atomic():
        deleted, _ = CityHost.objects.filter(municipality=city, hostname=hostname).delete()
        if deleted:
            audit.record(city, actor, "city_host_removed", "municipality", city.pk, host=hostname)


def appoint_admin(city: Municipality, username: str, actor: Actor) -> CityAdministrator:
    """Make an existing staff login this city's administrator (the pages under /staff/city/)."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise OnboardingError(_("このユーザー名の有効な職員アカウントはありません。"))
    with transaction.atomic():
        row, created = CityAdministrator.objects.get_or_create(user=user, municipality=city)
        if created:
            audit.record(city, actor, "city_admin_appointed", "user", user.pk)
    return row


def dismiss_admin(city: Municipality, user_id: int, actor: Actor) -> bool:
    with transaction.atomic():
        deleted, _ = CityAdministrator.objects.filter(user_id=user_id, municipality=city).delete()
        if deleted:
            audit.record(city, actor, "city_admin_dismissed", "user", user_id)
    return bool(deleted)
