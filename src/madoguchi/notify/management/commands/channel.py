"""`madoguchi channel`: a city's notification channels (LINE, SMS, Web Push), for its IT.

    madoguchi channel list [--city demo]
    madoguchi channel set demo sms --config from=+815012345678 --secret account_sid=AC… \\
                                   --secret auth_token=… --enable
    madoguchi channel set demo line --disable
    madoguchi channel check [--city demo]

`--config KEY=VALUE` is public configuration, printed by `list`; `--secret KEY=VALUE` is
encrypted and never printed (only its name); `KEY=` removes a key. Each change is written to
the audit log by key name. `check` says, for each enabled channel of a city that offers it,
what check_config() finds wrong, and exits 1 when anything is (a deployment's health check can
run it). E-mail needs no setting here: it is the deployment's mail backend.
"""

from django.core.management.base import BaseCommand, CommandError

from madoguchi.core.actors import Actor
from madoguchi.core.models import Municipality
from madoguchi.notify import configure


class Command(BaseCommand):
    help = "List, set and check a city's notification channels (LINE, SMS, Web Push)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list", help="each city's channels: on or off, config, secret names")
        listing.add_argument("--city", help="one city's slug")
        change = actions.add_parser("set", help="change one channel of one city")
        change.add_argument("city", help="the city's slug")
        change.add_argument("channel", help="line, sms or push")
        change.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                            help="public setting (repeat; KEY= removes it)")
        change.add_argument("--secret", action="append", default=[], metavar="KEY=VALUE",
                            help="secret, stored encrypted and never printed (repeat; KEY= removes it)")
        on_off = change.add_mutually_exclusive_group()
        on_off.add_argument("--enable", action="store_true", help="turn the channel on")
        on_off.add_argument("--disable", action="store_true", help="turn the channel off")
        check = actions.add_parser("check", help="what is wrong with each enabled channel (exit 1 if anything)")
        check.add_argument("--city", help="one city's slug")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except configure.SettingRefused as exc:
            raise CommandError(str(exc)) from exc

    def do_list(self, *, city=None, **options):
        for municipality in _cities(city):
            self.stdout.write(f"{municipality.slug} ({municipality.name})")
            for found in configure.states(municipality):
                self.stdout.write(f"  {found.code}: {found.state}")
                if found.config:
                    self.stdout.write("    config: " + ", ".join(f"{k}={v}" for k, v in sorted(found.config.items())))
                if found.secret_names:
                    self.stdout.write("    secrets set: " + ", ".join(found.secret_names))

    def do_set(self, *, city, channel, config, secret, enable, disable, **options):
        municipality = _cities(city)[0]
        enabled = True if enable else False if disable else None
        setting, changed = configure.change(
            municipality, channel, config=configure.parse_pairs(config, typed=True),
            secrets=configure.parse_pairs(secret, typed=False), enabled=enabled, actor=Actor.system())
        self.stdout.write(self.style.SUCCESS(f"{municipality.slug} {channel}: "
                                             + (", ".join(changed) or "nothing changed")
                                             + f" ({'on' if setting.enabled else 'off'})"))
        for problem in configure.problems_of(setting):
            self.stdout.write(self.style.WARNING(f"problem: {channel}: {problem}"))

    def do_check(self, *, city=None, **options):
        wrong = 0
        for municipality in _cities(city):
            for found in configure.states(municipality):
                if not (found.offered and found.enabled):
                    self.stdout.write(f"{municipality.slug} {found.code}: {found.state}")
                    continue
                if found.problems:
                    wrong += 1
                    for problem in found.problems:
                        self.stdout.write(self.style.ERROR(f"{municipality.slug} {found.code}: {problem}"))
                else:
                    self.stdout.write(self.style.SUCCESS(f"{municipality.slug} {found.code}: ready"))
        if wrong:
            raise CommandError(f"{wrong} channel(s) enabled with problems", returncode=1)


def _cities(slug: str | None) -> list[Municipality]:
    if slug is None:
        return list(Municipality.objects.order_by("code"))
    city = Municipality.objects.filter(slug=slug).first()
    if city is None:
        raise CommandError(f"no city with the slug {slug!r} (madoguchi city list)")
    return [city]
