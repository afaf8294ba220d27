"""The municipality a register command works on (--municipality, default: the configured one)."""

from django.conf import settings
from django.core.management.base import CommandError

from madoguchi.core.models import Municipality


def add_municipality_argument(parser) -> None:
    parser.add_argument("--municipality", default=None,
                        help="slug of the city (default: MADOGUCHI_DEFAULT_MUNICIPALITY)")


def municipality(slug: str | None) -> Municipality:
    slug = slug or settings.MADOGUCHI_DEFAULT_MUNICIPALITY
    city = Municipality.objects.filter(slug=slug).first()
    if city is None:
        raise CommandError(f"municipality {slug!r} does not exist (run `madoguchi load_demo`?)")
    return city
