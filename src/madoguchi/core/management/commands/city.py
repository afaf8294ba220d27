"""`madoguchi city`: cities as data, from the command line.

    madoguchi city create --code 462012 --name 鹿児島市 --slug kagoshima --host www.e-kagoshima.example.jp
                          [--host …] [--public-url …] [--kana …] [--prefecture …]
                          [--sender-email …] [--admin <username>] [--key-wrapper settings|file|…]
    madoguchi city list
    madoguchi city show <slug>
    madoguchi city set <slug> --public-url … --phone … --identity client_id=… --channels online,counter
    madoguchi city set <slug> --seal-config '{"kind": "file", "pkcs12": "/etc/madoguchi/seal.p12", …}'
    madoguchi city add-host <slug> <host>
    madoguchi city remove-host <slug> <host>

Every input goes through the same validation as the system administrator's pages
(core/cityconfig.py) and every change writes an audit event with the system as its actor
(core/onboarding.py). It prints the city's own settings and counts, nothing about people.
"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from madoguchi.core import cityconfig, onboarding
from madoguchi.core.actors import Actor
from madoguchi.core.models import Municipality
from madoguchi.core.pdf import seal

# option → model field, for `create` and `set`
FIELDS = {
    "code": "code", "name": "name", "slug": "slug", "kana": "name_kana", "prefecture": "prefecture",
    "public_url": "public_url", "sender_email": "sender_email", "sender_name": "sender_name",
    "phone": "contact_phone", "contact_email": "contact_email", "address": "address",
    "hours": "opening_hours", "service_name": "service_name", "brand_color": "brand_color",
}
SETTABLE = [option for option in FIELDS if option not in ("code", "slug")]


def _settings_options(parser, *, creating: bool) -> None:
    for option, field in FIELDS.items():
        if not creating and option not in SETTABLE:
            continue
        required = creating and option in ("code", "name", "slug")
        parser.add_argument(f"--{option.replace('_', '-')}", dest=option, required=required,
                            help=f"Municipality.{field}")
    parser.add_argument("--channels", help="comma-separated: " + ", ".join(cityconfig.CHANNELS)
                        + " (empty: every channel)")
    parser.add_argument("--identity", action="append", default=[], metavar="KEY=VALUE",
                        help="a Digital Authentication App setting of this city (" + ", ".join(cityconfig.IDENTITY_KEYS)
                        + "); KEY= removes it")
    if not creating:
        parser.add_argument("--seal-config", metavar="JSON",
                            help="where the city's seal key is, as JSON (docs/notices.md); '{}' removes it")


class Command(BaseCommand):
    help = "Create, list, show and change the cities this deployment serves."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="a new city, its hosts and its first data key")
        _settings_options(create, creating=True)
        create.add_argument("--host", action="append", dest="hosts", required=True,
                            help="host name; the first is the main one (repeat for more)")
        create.add_argument("--admin", help="username of an existing staff login to make its administrator")
        create.add_argument("--key-wrapper", help="key-wrapping provider of its data keys (default: the setting)")
        actions.add_parser("list", help="every city, one a line")
        show = actions.add_parser("show", help="one city's settings and the problems found in them")
        show.add_argument("slug")
        change = actions.add_parser("set", help="change a city's settings")
        change.add_argument("slug")
        _settings_options(change, creating=False)
        for name, text in (("add-host", "another host serving the city"),
                           ("remove-host", "a host (not the main one) no longer serving it")):
            sub = actions.add_parser(name, help=text)
            sub.add_argument("slug")
            sub.add_argument("host")

    def handle(self, *args, action, **options):
        actor = Actor.system()
        handler = getattr(self, "do_" + action.replace("-", "_"))
        try:
            handler(actor, **options)
        except onboarding.OnboardingError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

    # --- the subcommands ---------------------------------------------------------------------

    def do_create(self, actor, *, hosts, admin=None, key_wrapper=None, **options):
        data = {field: options.get(option) or "" for option, field in FIELDS.items()}
        data["hostname"] = hosts[0]
        data["other_hosts"] = "\n".join(hosts[1:])
        data["channels"] = cityconfig.validate_channels(options.get("channels") or "")
        data["identity_config"] = json.dumps(_identity({}, options.get("identity") or []), ensure_ascii=False)
        form = cityconfig.CityForm(data=data)
        _raise_for(form)
        city = onboarding.create_city(form, actor, key_wrapper=key_wrapper)
        if admin:
            onboarding.appoint_admin(city, admin, actor)
        self.stdout.write(self.style.SUCCESS(f"created {city.slug} ({city.code} {city.name}) on "
                                             + ", ".join(form.hosts())))

    def do_list(self, actor, **options):
        for city in Municipality.objects.order_by("code"):
            hosts = [city.hostname, *city.hosts.order_by("hostname").values_list("hostname", flat=True)]
            marks = (" [test code]" if cityconfig.is_test_code(city.code) else "") + \
                (" [closed]" if city.closed_at else "")
            self.stdout.write(f"{city.slug}\t{city.code}\t{city.name}\t{' '.join(h for h in hosts if h) or '-'}{marks}")

    def do_show(self, actor, *, slug, **options):
        city = _city(slug)
        for name, value in cityconfig.form_data(city).items():
            self.stdout.write(f"{name}: {value}")
        self.stdout.write(f"administrators: {city.administrators.count()}")
        self.stdout.write(f"data keys: {city.keys.filter(retired_at__isnull=True).count()} active")
        found = seal.check(city)
        self.stdout.write(f"seal: {found.state}" + (f" ({found.subject}, until {found.not_after:%Y-%m-%d})"
                                                     if found.not_after else ""))
        for message in found.problems:
            self.stdout.write(self.style.WARNING(f"problem: seal: {message}"))
        problems = cityconfig.problems_of(city)
        for name, messages in problems.items():
            for message in messages:
                self.stdout.write(self.style.WARNING(f"problem: {name}: {message}"))

    def do_set(self, actor, *, slug, **options):
        city = _city(slug)
        data = cityconfig.form_data(city)
        for option in SETTABLE:
            if options.get(option) is not None:
                data[FIELDS[option]] = options[option]
        if options.get("channels") is not None:
            data["channels"] = cityconfig.validate_channels(options["channels"])
        if options.get("identity"):
            data["identity_config"] = json.dumps(_identity(city.identity_config or {}, options["identity"]),
                                                 ensure_ascii=False)
        if options.get("seal_config") is not None:
            data["seal_config"] = options["seal_config"]
        form = cityconfig.CityForm(data=data, instance=city)
        _raise_for(form)
        changed = onboarding.update_city(form, actor)
        self.stdout.write(self.style.SUCCESS(f"{city.slug}: " + (", ".join(changed) or "nothing changed")))

    def do_add_host(self, actor, *, slug, host, **options):
        row = onboarding.add_host(_city(slug), host, actor)
        self.stdout.write(self.style.SUCCESS(f"{slug}: {row.hostname} added"))

    def do_remove_host(self, actor, *, slug, host, **options):
        city = _city(slug)
        if not city.hosts.filter(hostname=cityconfig.normalize_host(host)).exists():
            raise CommandError(f"{host} is not one of {slug}'s other hosts")
        onboarding.remove_host(city, cityconfig.normalize_host(host), actor)
        self.stdout.write(self.style.SUCCESS(f"{slug}: {host} removed"))


def _city(slug: str) -> Municipality:
    city = Municipality.objects.filter(slug=slug).first()
    if city is None:
        raise CommandError(f"no city with the slug {slug!r} (madoguchi city list)")
    return city


def _identity(current: dict, pairs: list[str]) -> dict:
    """identity_config with KEY=VALUE pairs applied (true/false for `enabled`; empty removes)."""
    config = dict(current)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise CommandError(f"--identity takes KEY=VALUE, not {pair!r}")
        key = key.strip()
        if not value:
            config.pop(key, None)
        elif key == "enabled":
            config[key] = value.strip().lower() in ("1", "true", "yes", "on")
        else:
            config[key] = value
    return config


def _raise_for(form) -> None:
    if not form.is_valid():
        lines = [f"{name}: {message}" for name, messages in form.errors.items() for message in messages]
        raise CommandError("\n".join(lines))
