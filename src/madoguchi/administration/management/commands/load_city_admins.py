"""`madoguchi load_city_admins`: an administrator for each demo city (`city-admin` for デモ市,
`<slug>-admin` for the others), with the demo password, so that `make run` shows the pages
under /staff/city/. Run after load_demo; safe to run twice.

ja-only file: demo data (the administrators' Japanese titles)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from madoguchi.administration.demo import load_city_admin
from madoguchi.core.management.commands.load_demo import DEMO_PASSWORD
from madoguchi.core.models import Municipality


class Command(BaseCommand):
    help = "Create or update an administrator for each demo city (city-admin for デモ市)."

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", default=["demo"],
                            help="cities to give an administrator (default: demo)")

    @transaction.atomic
    def handle(self, *args, slugs, **options):
        for city in Municipality.objects.filter(slug__in=slugs, closed_at__isnull=True).order_by("pk"):
            username = "city-admin" if city.slug == "demo" else f"{city.slug}-admin"
            load_city_admin(city, username, DEMO_PASSWORD, last_name="管理者")
            self.stdout.write(f"city administrator ready: {username} ({city.slug})")
