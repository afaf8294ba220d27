"""`madoguchi load_payments_demo`: the demo city takes card and コンビニ払い through a local
Stripe-protocol server (tests/payments/stripe_server.py), PayPay through a local PayPay-protocol
server (tests/payments/paypay_server.py) when its URL is given — both started by `make run` —
and records counter payments. Safe to repeat; real keys are never written here."""

from django.core.management.base import BaseCommand

from madoguchi.core.models import Municipality
from madoguchi.payments.models import ProviderSetting

LOCAL_SECRET_KEY = "sk_test_madoguchi_local"  # noqa: S105 - the local server's test key
LOCAL_WEBHOOK_SECRET = "whsec_madoguchi_local"  # noqa: S105
LOCAL_PAYPAY_KEY, LOCAL_PAYPAY_SECRET = "local-api-key", "local-api-secret"  # noqa: S105 - the local server's
LOCAL_PAYPAY_MERCHANT = "local-merchant-0001"


class Command(BaseCommand):
    help = "Turn on card/konbini (a local Stripe-protocol server) and counter payments for the demo city."

    def add_arguments(self, parser):
        parser.add_argument("--city", default="demo")
        parser.add_argument("--stripe-url", default="http://127.0.0.1:8010",
                            help="the local Stripe-protocol server")
        parser.add_argument("--paypay-url", default="",
                            help="the local PayPay-protocol server (tests/payments/paypay_server.py); "
                                 "PayPay stays off without it")

    def handle(self, *args, **options):
        city = Municipality.objects.get(slug=options["city"])
        stripe, _ = ProviderSetting.objects.get_or_create(municipality=city, provider="stripe")
        stripe.enabled = True
        stripe.methods = ["card", "konbini"]
        stripe.issues_receipt = ["card", "konbini"]
        stripe.config = {"api_base": options["stripe_url"], "checkout_origin": options["stripe_url"],
                         "session_minutes": 60}
        stripe.set_secrets({"secret_key": LOCAL_SECRET_KEY, "webhook_secret": LOCAL_WEBHOOK_SECRET})
        stripe.save()
        if options["paypay_url"]:
            paypay, _ = ProviderSetting.objects.get_or_create(municipality=city, provider="paypay")
            paypay.enabled = True
            paypay.methods = ["paypay"]
            paypay.issues_receipt = ["paypay"]
            paypay.config = {"merchant_id": LOCAL_PAYPAY_MERCHANT, "environment": "sandbox",
                             "base_url": options["paypay_url"]}
            paypay.set_secrets({"api_key": LOCAL_PAYPAY_KEY, "api_secret": LOCAL_PAYPAY_SECRET})
            paypay.save()
            self.stdout.write(f"payments: PayPay via {options['paypay_url']}")
        counter, _ = ProviderSetting.objects.get_or_create(municipality=city, provider="counter")
        if not counter.methods:
            counter.enabled = True
            counter.methods = ["cash", "terminal_card", "terminal_emoney", "terminal_qr"]
            counter.issues_receipt = ["cash"]
            counter.save()
        self.stdout.write(f"payments: card and konbini via {options['stripe_url']}, counter payments on")
