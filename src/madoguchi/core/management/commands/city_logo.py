"""`madoguchi city_logo <slug> <image>` sets a city's logo; `--remove` takes it away.

The image goes through the same check as the administrators' forms (branding.clean_logo: PNG,
JPEG or WebP, at most 2 MB and 16 million pixels, re-encoded as PNG and scaled to 800×240 at
most). The change is audited with the system as actor and the image's digest, never its bytes.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from madoguchi.core import audit, branding
from madoguchi.core.actors import Actor
from madoguchi.core.models import Municipality


class Command(BaseCommand):
    help = "Set (or --remove) a city's logo: a PNG, JPEG or WebP image, checked and stored as PNG."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("image", nargs="?", type=Path)
        parser.add_argument("--remove", action="store_true", help="take the city's logo away")

    def handle(self, *args, slug: str, image: Path | None, remove: bool, **options):
        if remove == (image is not None):
            raise CommandError("give an image file, or --remove (not both)")
        try:
            city = Municipality.objects.get(slug=slug)
        except Municipality.DoesNotExist:
            raise CommandError(f"no city with the slug {slug!r} (madoguchi city list)") from None
        logo = None
        if image is not None:
            try:
                with image.open("rb") as upload:
                    data = upload.read(branding.LOGO_MAX_UPLOAD + 1)
            except OSError as exc:
                raise CommandError(f"cannot read {image}: {exc.strerror}") from exc
            try:
                logo = branding.clean_logo(data)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        with transaction.atomic():
            city.logo, city.logo_type = logo, branding.LOGO_TYPE if logo else ""
            city.save(update_fields=["logo", "logo_type"])
            digest = branding.logo_of(city).digest if logo else ""
            audit.record(city, Actor.system(), "city_logo_set" if logo else "city_logo_removed",
                         "municipality", city.pk, logo=digest)
        if logo:
            found = branding.logo_of(city)
            self.stdout.write(f"{city.slug}: logo set ({found.width}×{found.height} px, {len(logo)} bytes, "
                              f"/city/logo/{found.digest}.png)")
        else:
            self.stdout.write(f"{city.slug}: logo removed")
