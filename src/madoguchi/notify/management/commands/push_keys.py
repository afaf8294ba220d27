"""`madoguchi push_keys`: make a city's VAPID key pair for Web Push (RFC 8292).

    madoguchi push_keys --city demo --subject mailto:it@city.example.jp [--ttl 86400]
                        [--endpoint-origin http://127.0.0.1:8014]   (a local push service: demo only)
    madoguchi push_keys --city demo --subject … --rotate
    madoguchi push_keys --city demo --subject … --if-missing   (`make run`: keep a pair made before)

The private key goes into the city's encrypted channel secrets; the public key (printed, and
kept in the config) is what the pages give browsers as `applicationServerKey`. A city keeps
its pair: every browser subscribed with it. `--rotate` makes a new pair, and since a push
subscription is bound to the key it was made with, every push contact of the city is then
disabled ("expired"): residents see it in My Page and subscribe again.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.core.models import Municipality
from madoguchi.notify.channels import channel_class
from madoguchi.notify.channels.push import DEFAULT_TTL, new_keys
from madoguchi.notify.models import ChannelSetting, Contact


class Command(BaseCommand):
    help = "Make a city's VAPID key pair for Web Push (and turn the channel on)."

    def add_arguments(self, parser):
        parser.add_argument("--city", required=True, help="the city's slug")
        parser.add_argument("--subject", required=True,
                            help="the VAPID sub: mailto:<the city's IT address> or an https: contact page")
        parser.add_argument("--ttl", type=int, default=None, help=f"seconds (default {DEFAULT_TTL})")
        parser.add_argument("--endpoint-origin", action="append", default=[], dest="origins",
                            help="an http origin of a local push service to accept (tests and the demo only)")
        parser.add_argument("--rotate", action="store_true",
                            help="replace an existing pair (every subscription must be made again)")
        parser.add_argument("--if-missing", action="store_true",
                            help="do nothing when the city already has a pair")

    def handle(self, *args, city, subject, ttl, origins, rotate, if_missing, **options):
        municipality = Municipality.objects.filter(slug=city).first()
        if municipality is None:
            raise CommandError(f"no city {city!r}")
        setting = ChannelSetting.objects.filter(municipality=municipality, channel="push").first()
        if setting is not None and setting.config.get("vapid_public_key") and not rotate:
            if if_missing:
                self.stdout.write(f"{city}: keeps its VAPID key pair")
                return
            raise CommandError(f"{city} already has a VAPID key pair; --rotate replaces it "
                               "(every browser must then subscribe again)")
        public, private = new_keys()
        config = {**(setting.config if setting else {}), "vapid_public_key": public, "subject": subject}
        if ttl is not None:
            config["ttl"] = ttl
        if origins:
            config["endpoint_origins"] = origins
        candidate = ChannelSetting(municipality=municipality, channel="push", enabled=True, config=config)
        candidate.set_secrets({"vapid_private_key": private})
        problems = channel_class("push")(candidate).check_config()
        if problems:
            raise CommandError("; ".join(problems))
        with transaction.atomic():
            setting = setting or candidate
            setting.enabled, setting.config, setting.secrets = True, config, candidate.secrets
            setting.save()
            disabled = 0
            if rotate:
                disabled = Contact.objects.filter(municipality=municipality, channel="push",
                                                  disabled_at__isnull=True).update(
                    disabled_at=timezone.now(), disabled_reason="expired")
            audit.record(municipality, Actor.system(), "push_keys_rotated" if rotate else "push_keys_made",
                         "channel_setting", setting.pk, subscriptions_disabled=disabled)
        self.stdout.write(f"{city}: Web Push on; applicationServerKey {public}")
        if rotate:
            self.stdout.write(f"{disabled} push subscription(s) disabled: residents subscribe again")
