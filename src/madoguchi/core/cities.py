"""The city a host serves and its departments, read once per process and kept a few seconds.

Every request needs its city (the middleware) and most need its departments (what the city
offers, which department a submission goes to); both change a few times a year. Read from the
database on each request they were four of a submission's eighteen statements and the only
statements of `/api/health`.

How fresh: a change saved in this process is seen by this process at once (post_save and
post_delete of Municipality and Department drop everything, and again when the saving
transaction commits, so no read taken before the commit survives it). Other processes — the
other gunicorn workers, other machines — see it within `MADOGUCHI_CITY_CACHE_SECONDS`
(default 5 s): no entry is used longer than that after it was read. A change made by a bulk
`update()` or in SQL sends no signal and is seen by every process within that same bound.

Written by hand rather than with Django's cache framework: its local-memory backend pickles
the value on every get (a Municipality on every request) and cannot drop all the keys of one
kind at once, and a backend the processes share (the database cache) would cost the very
query this saves. Each caller gets its own copy of the cached instance, so a view that
changes `request.municipality` changes nothing another request sees.
"""

import copy
import threading
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from madoguchi.core.models import CityHost, Department, Municipality

DEFAULT_SECONDS = 5.0
MAX_HOSTS = 256  # distinct Host headers remembered (ALLOWED_HOSTS already limits them)

_clock = time.monotonic  # tests move it forward to stand for time passing
_lock = threading.Lock()
_generation = 0  # bumped by every change: a read begun before it is not kept
_hosts: dict[tuple[str, str], tuple[float, Municipality | None]] = {}
_departments: dict[int, tuple[float, dict[str, Department]]] = {}


def cache_seconds() -> float:
    return float(getattr(settings, "MADOGUCHI_CITY_CACHE_SECONDS", DEFAULT_SECONDS))


def municipality_for_host(host: str) -> Municipality | None:
    """The city whose hostname the request's host is, else the default city
    (MADOGUCHI_DEFAULT_MUNICIPALITY), else None. At most one query, then none for a while."""
    hostname = host.split(":", 1)[0].lower()
    key = (hostname, settings.MADOGUCHI_DEFAULT_MUNICIPALITY)
    entry = _hosts.get(key)
    if entry is None or entry[0] <= _clock():
        generation = _generation
        found = _read_municipality(*key)
        entry = _keep(_hosts, key, found, generation, MAX_HOSTS)
    return copy.copy(entry[1]) if entry[1] is not None else None


def _read_municipality(hostname: str, default_slug: str) -> Municipality | None:
    """One query for both candidates; a city named by the host (its main host or another of
    its hosts) wins over the default. A city that left (`closed_at`) serves no host."""
    wanted = Q(slug=default_slug)
    if hostname:
        wanted |= Q(hostname=hostname) | Q(hosts__hostname=hostname)
    found = list(Municipality.objects.filter(wanted, closed_at__isnull=True).distinct().order_by("pk"))
    for city in found:  # PostgreSQL hands a BinaryField back as a memoryview: keep one bytes
        if isinstance(city.logo, memoryview):  # object, whose hash the logo's digest reuses
            city.logo = city.logo.tobytes()
    # Only its host can have brought in a city other than the default one.
    by_host = [m for m in found if m.slug != default_slug]
    by_slug = [m for m in found if m.slug == default_slug]
    return (by_host or by_slug or [None])[0]


def public_url(municipality: Municipality, path: str = "") -> str:
    """The absolute URL of `path` on this city's site, for links that leave a request (QR codes,
    e-mails, the verify link printed on a 決定通知書): the city's `public_url`, else its main
    host over https, else MADOGUCHI_PUBLIC_URL (a deployment with one city and no host set)."""
    if municipality.public_url:
        base = municipality.public_url
    elif municipality.hostname:
        base = f"https://{municipality.hostname}"
    else:
        base = settings.MADOGUCHI_PUBLIC_URL
    return base.rstrip("/") + path


def sender(municipality: Municipality) -> str:
    """The From of the city's mails: its own address (and name), else DEFAULT_FROM_EMAIL."""
    if not municipality.sender_email:
        return settings.DEFAULT_FROM_EMAIL
    from email.headerregistry import Address

    name = municipality.sender_name or municipality.name
    return str(Address(display_name=name, addr_spec=municipality.sender_email))


def departments_of(municipality: Municipality) -> dict[str, Department]:
    """The city's departments by code. The dict and its instances are shared: callers that
    hand a department on use `department()` (a copy)."""
    entry = _departments.get(municipality.pk)
    if entry is None or entry[0] <= _clock():
        generation = _generation
        found = {d.code: d for d in Department.objects.filter(municipality_id=municipality.pk)}
        entry = _keep(_departments, municipality.pk, found, generation, MAX_HOSTS)
    return entry[1]


def department(municipality: Municipality, code: str | None) -> Department:
    """The city's department with this code; Department.DoesNotExist when it has none."""
    found = departments_of(municipality).get(code or "")
    if found is None:
        raise Department.DoesNotExist(f"no department {code!r} in municipality {municipality.pk}")
    return copy.copy(found)


def _keep(table: dict, key, value, generation: int, limit: int) -> tuple[float, object]:
    entry = (_clock() + cache_seconds(), value)
    with _lock:
        if generation == _generation:  # nothing changed while it was read
            if len(table) >= limit:
                table.clear()
            table[key] = entry
    return entry


def forget() -> None:
    """Drop everything this process holds; the next request reads the database again."""
    global _generation
    with _lock:
        _generation += 1
        _hosts.clear()
        _departments.clear()


@receiver(post_save, sender=CityHost, dispatch_uid="cities-host-saved")
@receiver(post_delete, sender=CityHost, dispatch_uid="cities-host-deleted")
@receiver(post_save, sender=Municipality, dispatch_uid="cities-municipality-saved")
@receiver(post_delete, sender=Municipality, dispatch_uid="cities-municipality-deleted")
@receiver(post_save, sender=Department, dispatch_uid="cities-department-saved")
@receiver(post_delete, sender=Department, dispatch_uid="cities-department-deleted")
def _changed(sender, using=None, **kwargs) -> None:
    forget()
    transaction.on_commit(forget, using=using)
